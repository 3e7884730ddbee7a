"""Generator writer of the STS-Web export ``sts_emp_<UAI>_<année>.xml`` (root STS_EDT).

ISO-8859-15, no VERSION attribute, dates yyyy-mm-dd, UAI in ``UAJ@CODE`` (formats.md
§2). For odd seeds (or the shape ``sts-espaces``) every text value is written on its own
indented line, as the public STS fixtures do, so that readers are tested on both layouts;
with ``optional_absent`` no DATE_NAISSANCE is written.

Defect: ``sts.enseignant-sans-service`` (STS-SERV-001), a teacher (FONCTION ENS) with
no service at all.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from . import catalog, names
from .build import new_accounts
from .model import Establishment, Service, Teacher
from .names import fold_ascii
from .shapes import shape_of
from .truth import Defect, GroundTruth, per_size
from .xmlout import XmlWriter, iso_date

CIVILITIES = (("1", "M.", "M."), ("2", "MME", "Mme"))
MODS = (("CG", "COURS", "COURS GENERAL", "false"),)


def file_name(est: Establishment) -> str:
    """``sts_emp_<UAI>_<année>.xml`` as STS-Web names its export for timetable software."""
    return f"sts_emp_{est.uai}_{est.year}.xml"


def _header(w: XmlWriter, est: Establishment) -> None:
    city, cp, _insee, _dept = est.commune
    w.open("PARAMETRES").open("UAJ", [("CODE", est.uai)])
    w.open("ACADEMIE").leaves([("CODE", est.academy[0]), ("LIBELLE", est.academy[1])]).close()
    w.leaves([("SIGLE", est.sigle), ("DENOM_PRINC", est.denom), ("DENOM_COMPL", fold_ascii(est.name)),
              ("CODE_NATURE", "340"), ("CODE_CATEGORIE", "CLG")])
    w.empty("MENTION_DISTRIBUTION")
    w.leaves([("ADRESSE", fold_ascii(est.street)), ("COMMUNE", fold_ascii(city).upper()), ("CODE_POSTAL", cp)])
    w.empty("BOITE_POSTALE")
    w.leaves([("CEDEX", "N"), ("TELEPHONE", est.phone), ("STATUT", "public"), ("ETABLISSEMENT_SENSIBLE", "false")])
    w.close()
    w.open("ANNEE_SCOLAIRE", [("ANNEE", est.year)])
    w.leaves([("DATE_DEBUT", iso_date(est.start_date)), ("DATE_FIN", iso_date(est.end_date))]).close()
    w.close()


def _nomenclatures(w: XmlWriter, est: Establishment) -> None:
    w.open("NOMENCLATURES").open("CIVILITES")
    for code, short, long_ in CIVILITIES:
        w.open("CIVILITE", [("CODE", code)]).leaves([("LIBELLE_COURT", short), ("LIBELLE_LONG", long_)]).close()
    w.close().open("MODS_COURS")
    for code, short, long_, co in MODS:
        w.open("MOD_COURS", [("CODE", code)])
        w.leaves([("LIBELLE_COURT", short), ("LIBELLE_LONG", long_), ("CO_ENS", co)]).close()
    w.close().open("MATIERES")
    for s in est.subjects.values():
        w.open("MATIERE", [("CODE", s.code)])
        w.leaves([("CODE_GESTION", s.gestion), ("LIBELLE_COURT", s.short), ("LIBELLE_LONG", s.long),
                  ("LIBELLE_EDITION", s.edition)]).close()
    w.close().open("MEFS")
    for m in est.mefs.values():
        w.open("MEF", [("CODE", m.code)]).leaf("FORMATION", m.formation).empty("SPECIALITE")
        w.leaves([("LIBELLE_LONG", m.label), ("LIBELLE_EDITION", m.edition), ("MEFSTAT11", m.mefstat11),
                  ("MEFSTAT4", m.mefstat4)]).close()
    w.close().open("PROGRAMMES")
    for level, hours in catalog.DIVISION_HOURS.items():
        for code, h in hours.items():
            w.open("PROGRAMME").leaves([("CODE_MEF", catalog.MEFS[level][0]), ("CODE_MATIERE", code),
                                        ("HORAIRE", f"{h:.2f}")]).close()
    w.close().close()


def _individual(w: XmlWriter, est: Establishment, t: Teacher) -> None:
    w.open("INDIVIDU", [("ID", t.sts_id), ("TYPE", t.type)])
    if t.sex is not None:
        w.leaf("SEXE", t.sex)
    w.leaves([("CIVILITE", t.civility), ("NOM_USAGE", t.last_name), ("NOM_PATRONYMIQUE", t.birth_name),
              ("PRENOM", t.first_name)])
    if t.birth_date is not None:
        w.leaf("DATE_NAISSANCE", iso_date(t.birth_date))
    w.leaves([("GRADE", t.grade), ("FONCTION", t.function)])
    heads = [d.code for d in est.divisions if d.head_teacher == t.sts_id]
    if heads:
        w.open("PROFS_PRINC")
        for code in heads:
            w.open("PROF_PRINC").leaf("CODE_STRUCTURE", code).close()
        w.close()
    w.open("DISCIPLINES").open("DISCIPLINE", [("CODE", t.discipline)])
    w.leaves([("LIBELLE_COURT", t.discipline_label), ("NB_HEURES", f"{t.hours:.2f}")]).close().close()
    w.close()


def _services(w: XmlWriter, est: Establishment, services: list[Service]) -> None:
    if not services:
        w.empty("SERVICES")
        return
    w.open("SERVICES")
    keys = sorted({(s.subject, s.mod) for s in services})
    for subject, mod in keys:
        w.open("SERVICE", [("CODE_MATIERE", subject), ("CODE_MOD_COURS", mod)]).open("ENSEIGNANTS")
        for s in services:
            if (s.subject, s.mod) == (subject, mod):
                w.empty("ENSEIGNANT", [("ID", s.teacher), ("TYPE", est.teacher(s.teacher).type)])
        w.close().close()
    w.close()


def write_sts(est: Establishment, path: Path) -> Path:
    w = XmlWriter(indent="    ", pretty_text=shape_of(est.flags).padded(est.seed))
    w.open("STS_EDT")
    _header(w, est)
    _nomenclatures(w, est)
    w.open("DONNEES").open("INDIVIDUS")
    for t in est.teachers:
        _individual(w, est, t)
    w.close().open("STRUCTURE").open("DIVISIONS")
    for d in est.divisions:
        count = len([s for s in est.students_of(d.code) if not s.left])
        w.open("DIVISION", [("CODE", d.code)])
        w.leaves([("LIBELLE_LONG", d.label), ("EFFECTIF_PREVU", count), ("EFFECTIF_CALCULE", count)])
        w.open("MEFS_APPARTENANCE").open("MEF_APPARTENANCE", [("CODE", d.mef)])
        w.leaves([("EFFECTIF_PREVU", count), ("EFFECTIF_CALCULE", count)]).close().close()
        _services(w, est, [s for s in est.services if s.structure == d.code])
        w.close()
    w.close().open("GROUPES")
    for g in est.groups:
        members = [s for s in est.students_of(g.code) if not s.left]
        w.open("GROUPE", [("CODE", g.code)])
        w.leaves([("LIBELLE_LONG", g.label), ("EFFECTIF_PREVU", len(members)), ("EFFECTIF_CALCULE", len(members))])
        w.open("DIVISIONS_APPARTENANCE")
        for code in g.divisions:
            n = len([s for s in members if s.division == code])
            w.open("DIVISION_APPARTENANCE", [("CODE", code)])
            w.leaves([("EFFECTIF_PREVU", n), ("EFFECTIF_CALCULE", n)]).close()
        w.close().open("MEFS_APPARTENANCE")
        for mef in sorted({est.division(c).mef for c in g.divisions}):
            w.open("MEF_APPARTENANCE", [("CODE", mef)])
            n = len([s for s in members if s.mef == mef])
            w.leaves([("EFFECTIF_PREVU", n), ("EFFECTIF_CALCULE", n)]).close()
        w.close()
        _services(w, est, [s for s in est.services if s.structure == g.code])
        w.close()
    w.close().close()
    w.empty("SUPPLEANTS")
    w.close().close()
    return w.save(path)


def write(est: Establishment, out_dir: Path, truth: GroundTruth) -> list[Path]:
    """Write the STS-Web export (see the module docstring)."""
    return [write_sts(est, out_dir / file_name(est))]


def teacher_without_service(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    """Add a teacher (TZR, long leave...) known to STS with FONCTION ENS and no service."""
    name = "sts.enseignant-sans-service"
    subject = est.subjects[rng.choice(sorted(est.subjects))]
    keys = {names.name_key(p.last_name, p.first_name) for p in [*est.students, *est.guardians, *est.teachers]}
    sex = rng.choice((1, 2))
    last, first = names.last_name(rng), names.first_name(rng, sex)
    while names.name_key(last, first) in keys:
        last, first = names.last_name(rng), names.first_name(rng, sex)
    ids = {t.sts_id for t in est.teachers}
    sts_id = str(rng.randint(20000, 99999))
    while sts_id in ids:
        sts_id = str(rng.randint(20000, 99999))
    birth = dt.date(est.year - rng.randint(25, 60), rng.randint(1, 12), rng.randint(1, 28))
    t = Teacher(sts_id, "epp", sex, sex, last, last, first, birth, rng.choice(catalog.GRADES_EPP), "ENS",
                subject.discipline, subject.discipline_label, catalog.FULL_TIME, [subject.code],
                new_accounts(est, rng, first, last))
    est.teachers.insert(rng.randint(0, len(est.teachers)), t)
    est.touched[f"teacher:{sts_id}"] = name
    truth.add("STS-SERV-001", "teacher", sts_id, defect=name, detail=f"{first} {last} ({subject.short})")


DEFECTS: tuple[Defect, ...] = (
    Defect("sts.enseignant-sans-service", ("STS-SERV-001",),
           "Un enseignant (FONCTION ENS) présent dans STS-Web sans aucun service.",
           teacher_without_service, per_size(500)),
)
