"""Generator writer of EDT's exports: the timetable export for the ENT
(``ExportEmploiDuTemps``, clear, UTF-8, formats.md §4.1) and the remontée file to STS-Web
(``EDT_STS``, ISO-8859-15, formats.md §3), both read from the establishment's courses and
services so that they agree with the SIECLE and STS files.

Variants by seed, like real exports: even seeds carry ``IDSconet`` (students) and
``IDSTS`` (teachers), odd seeds only the INE and the names (joins by INE, by name). The
defects are in :mod:`scolint.plugins.gen.edt_defects`; the ones on EDT-only records are
recorded in the ground truth here, once their EDT ids are known.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from .edt_defects import DEFECTS, flags
from .model import Course, Establishment, Student
from .shapes import shape_of
from .truth import GroundTruth
from .xmlout import XmlWriter

__all__ = ["DEFECTS", "write"]
NS = "http://www.index-education.com/exportemploidutemps"


def mask(weeks: tuple[int, ...] | list[int]) -> int:
    """``Semaines`` bitmask: bit n = week n."""
    return sum(1 << w for w in weeks)


def _hms(label: str) -> str:
    return label.replace("h", ":") + ":00"


class _Ids:
    """EDT idents of the establishment's records, and the EDT-only records of defects."""

    def __init__(self, est: Establishment) -> None:
        self.subject = {code: str(i) for i, code in enumerate(sorted(est.subjects), start=1)}
        teaching = {s.teacher for s in est.services}
        self.teachers = [t for t in est.teachers if t.sts_id in teaching]
        self.teacher = {t.sts_id: str(i) for i, t in enumerate(self.teachers, start=1)}
        self.room = {r.code: str(i) for i, r in enumerate(est.rooms, start=1)}
        self.division = {d.code: str(i) for i, d in enumerate(est.divisions, start=1)}
        self.part: dict[tuple[str, str], str] = {}
        for g in est.groups:
            for d in g.divisions:
                self.part[(d, g.code)] = str(100 + len(self.part))
        self.group = {g.code: str(1000 + i) for i, g in enumerate(est.groups)}
        #: EDT-only groups: (ident, name, [part idents]); EDT-only classes: (ident, name)
        self.extra_groups: list[tuple[str, str, list[str]]] = []
        #: groups of SIECLE / STS-Web given another name in EDT: code -> EDT name
        self.renamed: dict[str, str] = {}
        self.extra_classes: list[tuple[str, str]] = []
        self.extra_courses: list[dict[str, Any]] = []


def _slot_free(est: Establishment, keys: set[str], day: int, start: int) -> bool:
    for c in est.courses:
        if c.day != day or not c.start <= start < c.start + c.length:
            continue
        used = {f"t:{t}" for t in c.teachers} | {f"d:{d}" for d in c.divisions}
        used |= {f"d:{d}" for g in c.groups for d in est.group(g).divisions}
        if used & keys:
            return False
    return True


def _free_slot(est: Establishment, keys: set[str], taken: set[tuple[int, int]]) -> tuple[int, int]:
    for day, count in sorted(est.day_places.items()):
        for start in range(count):
            if (day, start) not in taken and _slot_free(est, keys, day, start):
                taken.add((day, start))
                return day, start
    return 1, 0  # pragma: no cover - the grid always has free places


def _plan_extras(est: Establishment, ids: _Ids, truth: GroundTruth) -> None:
    """Give EDT ids to the EDT-only records asked by the defects, and record their findings."""
    rng = est.rng("edt:extras")
    taken: set[tuple[int, int]] = set()
    used_divisions: set[str] = set()
    # the added courses avoid the division a partial export leaves without any course
    divisions = [d for d in est.divisions if d.code != flags(est)["untaught"]]
    for n, kind in enumerate(flags(est)["extra"], start=1):
        if kind in ("sans-prof", "complexe", "sans-classe"):
            teachers = rng.sample(ids.teachers, 2)
            divs = rng.sample(divisions, 2)
            subject = rng.choice(sorted(est.subjects))
            who = {"sans-prof": [], "complexe": [t.sts_id for t in teachers], "sans-classe": [teachers[0].sts_id]}[kind]
            classes = {"sans-prof": [divs[0].code], "complexe": [d.code for d in divs], "sans-classe": []}[kind]
            keys = {f"t:{t}" for t in who} | {f"d:{d}" for d in classes}
            day, start = _free_slot(est, keys, taken)
            refs = sorted([f"P{ids.teacher[t]}" for t in who] + [f"C{ids.division[d]}" for d in classes])
            cid = f"J{day}-P{start}-M{ids.subject[subject]}-" + ",".join(refs)
            ids.extra_courses.append({"day": day, "start": start, "subject": subject, "teachers": who,
                                      "divisions": classes})
            rule = {"sans-prof": "EDT-PRN-001", "complexe": "EDT-STS-001", "sans-classe": "EDT-PRN-002"}[kind]
            defect = {"sans-prof": "edt.cours-sans-professeur", "complexe": "edt.cours-complexe",
                      "sans-classe": "edt.cours-sans-classe"}[kind]
            truth.add(rule, "edt_course", cid, defect=defect, detail=f"cours ajouté {cid}")
            continue
        if kind == "nom-long":
            _rename_group(est, ids, truth, rng)
            continue
        free = [d for d in divisions if d.code not in used_divisions and any(p[0] == d.code for p in ids.part)] \
            or divisions
        d = rng.choice(free)
        used_divisions.add(d.code)
        parts = [p for (dc, _g), p in ids.part.items() if dc == d.code][:1]
        gid = str(5000 + len(ids.extra_groups))
        if kind == "inconnu":
            name = f"{d.slug}THEA"
            ids.extra_groups.append((gid, name, parts))
            if shape_of(est.flags).missing_section != "STRUCTURES":  # else the rule skips (no STRUCTURES)
                truth.add("X-SIE-EDT-005", "edt_group", gid, defect="edt.groupe-inconnu",
                          detail=f"groupe {name} créé dans EDT, inconnu de SIECLE et de STS-Web")
        elif kind == "confondus":
            second = str(5000 + len(ids.extra_groups) + 1)
            ids.extra_groups += [(gid, f"{d.slug}ATELIER1", parts), (second, f"{d.slug}ATELIER2", parts)]
            # said once, by EDT-STS-003 (which supersedes EDT-STS-002's "name cut" on these groups,
            # and X-SIE-EDT-005's "unknown to SIECLE and STS-Web")
            truth.add("EDT-STS-003", "edt_group", gid, defect="edt.groupes-confondus",
                      detail=f"{d.slug}ATELIER1 et {d.slug}ATELIER2")
        elif kind == "groupe-vide":
            ids.extra_groups.append((gid, f"CLUB{n}", []))
            truth.add("EDT-PRN-003", "edt_group", gid, defect="edt.groupe-vide", detail=f"CLUB{n}")
        elif kind == "classe-vide":
            cid = str(900 + len(ids.extra_classes))
            ids.extra_classes.append((cid, "ULIS"))
            truth.add("EDT-PRN-005", "edt_class", cid, defect="edt.classe-vide", detail="ULIS")


def _rename_group(est: Establishment, ids: _Ids, truth: GroundTruth, rng: Any) -> None:
    """A group of SIECLE and STS-Web renamed in EDT with a character STSWEB refuses (an accent on
    its first E, else a final dot): EDT sends its code back to STSWEB, so EDT-STS-002 alone."""
    groups = [g for g in est.groups if g.code not in ids.renamed]
    if not groups:
        return
    with_e = [g for g in groups if "E" in g.code]
    g = rng.choice(with_e or groups)
    name = g.code.replace("E", "É", 1) if "E" in g.code else f"{g.code}."
    ids.renamed[g.code] = name
    truth.add("EDT-STS-002", "edt_group", ids.group[g.code], defect="edt.nom-groupe-stsweb",
              detail=f"groupe {g.code} nommé « {name} » dans EDT")


def _memberships(est: Establishment, ids: _Ids, s: Student) -> list[tuple[str, str, str, str]]:
    """(tag, ident, entry, exit) of a student's Classe / PartieDeClasse elements."""
    fl = flags(est)
    start, end = est.start_date.isoformat(), est.end_date.isoformat()
    division = fl["class"].get(s.eleve_id, s.division or "")
    out = []
    if s.eleve_id in fl["stale"]:
        old, stale = fl["stale"][s.eleve_id]
        change = (est.export_date - dt.timedelta(days=10)).isoformat()
        out.append(("Classe", ids.division[old], start, change))
        out.append(("Classe", ids.division[division], change, end))
        out.append(("PartieDeClasse", ids.part[(old, stale)], start, end))
    else:
        out.append(("Classe", ids.division[division], start, end))
    outside = fl["outside"].get(s.eleve_id, ())
    for g in s.groups:
        part = ids.part.get((s.division or "", g))
        if part and g not in outside:
            out.append(("PartieDeClasse", part, start, end))
    return out


def _course(w: XmlWriter, ids: _Ids, c: Course | dict[str, Any], weeks: str) -> None:
    get = (lambda k: c[k]) if isinstance(c, dict) else (lambda k: getattr(c, k))
    length = 1 if isinstance(c, dict) else c.length
    w.open("Cours", [("Jour", get("day")), ("NumeroPlaceDebut", get("start")), ("NombrePlaces", length)])
    w.empty("Matiere", [("Ident", ids.subject[get("subject")])])
    for t in get("teachers"):
        w.empty("Professeur", [("Ident", ids.teacher[t]), ("Semaines", weeks)])
    for d in get("divisions"):
        w.empty("Classe", [("Ident", ids.division[d]), ("Semaines", weeks)])
    for g in ([] if isinstance(c, dict) else c.groups):
        w.empty("Groupe", [("Ident", ids.group[g]), ("Semaines", weeks)])
    if not isinstance(c, dict):
        w.empty("Salle", [("Ident", ids.room[c.room]), ("Semaines", weeks)])
    w.close()


def write_export(est: Establishment, ids: _Ids, path: Path) -> Path:
    w = XmlWriter()
    w.open("ExportEmploiDuTemps", [("xmlns", NS), ("Version", "1.1"), ("UAI", est.uai)])
    w.empty("AnneeScolaire", [("DateDebut", est.start_date.isoformat()), ("DateFin", est.end_date.isoformat()),
                              ("DatePremierJourSemaine1", est.week1_monday.isoformat())])
    w.open("GrilleHoraire", [("NombrePlacesParJour", len(est.places)), ("DureePlace", 60)]).open("JoursOuvres")
    for day in sorted(est.day_places):
        w.leaf("Jour", day)
    w.close().open("PlacesParJour")
    for i, (begin, end) in enumerate(est.places):
        w.empty("Place", [("Numero", i), ("LibelleHeureDebut", _hms(begin)), ("LibelleHeureFin", _hms(end))])
    w.close().close().open("Matieres")
    for code, ident in ids.subject.items():
        s = est.subjects[code]
        w.empty("Matiere", [("Ident", ident), ("Code", s.gestion), ("Libelle", s.short)])
    w.close().open("Professeurs")
    for t in ids.teachers:
        attrs: list[tuple[str, object]] = [("Ident", ids.teacher[t.sts_id]), ("Nom", t.last_name), ("Prenom", t.first_name)]
        if t.birth_date:
            attrs.append(("DateNaissance", t.birth_date.isoformat()))
        if est.seed % 2 == 0:
            attrs.append(("IDSTS", t.sts_id))
        w.empty("Professeur", attrs + [("IDPN", t.accounts.idpn)])
    w.close().open("Classes")
    for d in est.divisions:
        w.open("Classe", [("Ident", ids.division[d.code]), ("Nom", d.code)])
        for (dc, _g), part in ids.part.items():
            if dc == d.code:
                w.empty("PartieDeClasse", [("Ident", part)])
        w.close()
    for cid, name in ids.extra_classes:
        w.empty("Classe", [("Ident", cid), ("Nom", name)])
    w.close().open("Groupes")
    for g in est.groups:
        w.open("Groupe", [("Ident", ids.group[g.code]), ("Nom", ids.renamed.get(g.code, g.code))])
        for d in g.divisions:
            w.empty("PartieDeClasse", [("Ident", ids.part[(d, g.code)])])
        w.close()
    for gid, name, parts in ids.extra_groups:
        w.open("Groupe", [("Ident", gid), ("Nom", name)])
        for part in parts:
            w.empty("PartieDeClasse", [("Ident", part)])
        w.close()
    w.close().open("Salles")
    for r in est.rooms:
        w.empty("Salle", [("Ident", ids.room[r.code]), ("Nom", r.name)])
    w.close().open("Eleves")
    absent = set(flags(est)["absent"])
    n = 0
    for s in est.students:
        if s.left or not s.division or s.eleve_id in absent:
            continue
        n += 1
        attrs = [("Ident", n), ("Nom", s.last_name), ("Prenom", s.first_name), ("DateNaissance", s.birth_date.isoformat()),
                 ("Sexe", "Masculin" if s.sex == 1 else "Feminin"), ("NumeroNational", s.ine)]
        if est.seed % 2 == 0:
            attrs.append(("IDSconet", s.eleve_id))
        w.open("Eleve", attrs + [("IDPN", s.accounts.idpn)])
        for rank, g in enumerate(est.guardians_of(s.eleve_id, legal_only=True)[:2], start=1):
            w.empty("Responsable", [("Ident", g.personne_id), ("RespLegal", rank), ("Nom", g.last_name),
                                    ("Prenom", g.first_name), ("Civilite", "M." if g.civility == 1 else "Mme"),
                                    ("IDPN", g.accounts.idpn)])
        for tag, ident, entry, exit_ in _memberships(est, ids, s):
            w.empty(tag, [("Ident", ident), ("DateEntree", entry), ("DateSortie", exit_)])
        w.close()
    w.close().open("Cours")
    weeks = str(mask(est.school_weeks))
    untaught = flags(est)["untaught"]  # a partial export: no course of that division
    for c in est.courses:
        if untaught and (untaught in c.divisions or any(untaught in est.group(g).divisions for g in c.groups)):
            continue
        _course(w, ids, c, weeks)
    for extra in ids.extra_courses:
        _course(w, ids, extra, weeks)
    w.close().close()
    return w.save(path, "UTF-8")


def write(est: Establishment, out_dir: Path, truth: GroundTruth) -> list[Path]:
    """Write the EDT exports (see the module docstring)."""
    from .edt_sts import write_edt_sts
    ids = _Ids(est)
    _plan_extras(est, ids, truth)
    return [write_export(est, ids, out_dir / f"ExportEmploiDuTemps_{est.uai}_enclair.xml"),
            write_edt_sts(est, out_dir / f"emp_sts_{est.uai}_{est.year}.xml")]
