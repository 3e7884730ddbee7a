"""Generator writer of EDT's remontée file to STS-Web (root ``EDT_STS``, formats.md §3).

One service per STS service (minus those a defect removed), with the courses of its
teacher in its structure attached; the weekly alternance ``H`` lists the first day of every
school week. Defects read from ``est.flags`` (see :mod:`scolint.plugins.gen.edt_defects`):
a co-teacher unknown to STS, a dropped service, a subject code outside the nomenclature.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .edt_defects import flags
from .model import Establishment, Service
from .xmlout import XmlWriter


def _hhmm(label: str) -> str:
    return label.replace("h", "")


def _services(w: XmlWriter, est: Establishment, services: list[Service]) -> None:
    fl = flags(est)
    kept = [s for s in services if s.id not in fl["dropped"]]
    if not kept:
        w.empty("SERVICES")
        return
    w.open("SERVICES")
    for s in kept:
        co = fl["coteacher"].get(s.id)
        w.open("SERVICE", [("CODE_MATIERE", fl["subject"].get(s.id, s.subject)), ("CODE_MOD_COURS", s.mod)])
        w.leaves([("HEURES_STRUCTURE", f"{s.hours:.2f}"), ("CO_ENS", "true" if co else "false")])
        w.open("ENSEIGNANTS")
        for tid in [s.teacher] + ([co] if co else []):
            kind = est.teacher(s.teacher).type if tid == s.teacher else "local"
            w.open("ENSEIGNANT", [("TYPE", kind), ("ID", tid)]).leaf("HEURES_AGENT", f"{s.hours:.2f}")
            w.open("COURS_RATTACHES")
            for c in est.courses_of(s.teacher, s.subject, s.structure):
                begin = _hhmm(est.places[c.start][0])
                w.open("COURS").leaves([("CODE_ALTERNANCE", "H"), ("JOUR", c.day), ("HEURE_DEBUT", begin),
                                        ("DUREE", f"{c.length:02d}00"), ("CODE_SALLE", c.room)]).close()
            w.close().close()
        w.close().close()
    w.close()


def write_edt_sts(est: Establishment, path: Path) -> Path:
    fl = flags(est)
    w = XmlWriter(indent="    ")
    w.open("EDT_STS").open("PARAMETRES")
    w.leaves([("UAJ", est.uai), ("ANNEE_SCOLAIRE", est.year), ("APPLICATION_SOURCE", "EDITEUR_PRIVE")]).close()
    w.open("DONNEES").open("HORAIRES")
    for day, count in sorted(est.day_places.items()):
        w.open("HORAIRE", [("JOUR", day)])
        w.leaves([("DEBUT_COURS", _hhmm(est.places[0][0])), ("FIN_COURS", _hhmm(est.places[count - 1][1]))]).close()
    w.close().open("ALTERNANCES").open("ALTERNANCE", [("CODE", "H")])
    w.leaves([("LIBELLE_COURT", "Cours Hebd"), ("LIBELLE_LONG", "Cours Hebdomadaire")]).open("SEMAINES")
    for week in est.school_weeks:
        w.leaf("DATE_DEBUT_SEMAINE", (est.week1_monday + dt.timedelta(days=7 * (week - 1))).isoformat())
    if fl["late_week"]:  # the first Monday after the school year (edt.semaine-hors-annee)
        after = est.end_date + dt.timedelta(days=7 - est.end_date.weekday())
        w.leaf("DATE_DEBUT_SEMAINE", after.isoformat())
    w.close().close().close().open("SALLES_COURS")
    for r in est.rooms:
        if r.code in fl["undeclared_rooms"]:
            continue
        w.open("SALLE_COURS", [("CODE", r.code)]).empty("GROUPE_SALLE").empty("LOCALISATION").close()
    w.close().open("INDIVIDUS")
    teaching = sorted({s.teacher for s in est.services} | set(fl["coteacher"].values()))
    for tid in teaching:
        w.open("INDIVIDU", [("ID", tid)]).empty("INDEMNITES").close()
    w.close().open("STRUCTURE").open("DIVISIONS")
    for d in est.divisions:
        w.open("DIVISION", [("CODE", d.code)]).leaf("LIBELLE_LONG", d.label)
        _services(w, est, [s for s in est.services if s.structure == d.code])
        w.close()
    w.close().open("GROUPES")
    for g in est.groups:
        w.open("GROUPE", [("CODE", g.code)]).leaf("LIBELLE_LONG", g.label).open("DIVISIONS_APPARTENANCE")
        for code in g.divisions:
            w.empty("DIVISION_APPARTENANCE", [("CODE", code)])
        w.close()
        _services(w, est, [s for s in est.services if s.structure == g.code])
        w.close()
    w.close().close().close().close()
    return w.save(path)
