"""Defects of the EDT family (rules EDT-STS-*, EDT-PRN-*, X-SIE-EDT-*, X-STS-EDT-*).

Defects on SIECLE students and STS teachers choose their victims with ``est.pick`` and
record the expected findings at once. Defects on EDT-only records (extra courses,
groups, classes, services of the remontée file) leave a flag in ``est.flags`` that the
EDT writer (:mod:`scolint.plugins.gen.edt`) reads: the writer gives those records their
EDT ids and records the findings then.
"""

from __future__ import annotations

import random

from .model import Establishment, Student, Teacher
from .truth import Defect, GroundTruth, per_size

FLAGS = "edt"


def flags(est: Establishment) -> dict:
    """The EDT writer's flags (created on first use)."""
    return est.flags.setdefault(FLAGS, {"absent": [], "class": {}, "stale": {}, "extra": [], "coteacher": {},
                                        "dropped": [], "subject": {}, "undeclared_rooms": [], "late_week": False,
                                        "outside": {}, "untaught": None})


def _skey(s: Student) -> str:
    return f"student:{s.eleve_id}"


def _tkey(t: Teacher) -> str:
    return f"teacher:{t.sts_id}"


def _current_members(est: Establishment, code: str) -> int:
    return est.current_count(code)


def absent_student(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    """A current student of SIECLE that the EDT export does not contain (imported too late)."""
    name = "edt.eleve-absent"
    s = est.pick(rng, est.current_students(), _skey, name,
                 where=lambda x: bool(x.division) and all(_current_members(est, g) > 3 for g in x.groups))
    if s is None:
        return
    flags(est)["absent"].append(s.eleve_id)
    truth.add("X-SIE-EDT-001", "student", s.eleve_id, defect=name,
              detail=f"{s.first_name} {s.last_name} ({s.division}) absent de l'export EDT")


def other_class(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    """A class change made in SIECLE but not in EDT: EDT keeps the student in another class."""
    name = "edt.classe-differente"
    s = est.pick(rng, est.current_students(), _skey, name, where=lambda x: bool(x.division))
    if s is None:
        return
    level = est.division(s.division or "").level
    others = [d.code for d in est.divisions if d.code != s.division and d.level == level] or \
             [d.code for d in est.divisions if d.code != s.division]
    old = rng.choice(others)
    flags(est)["class"][s.eleve_id] = old
    truth.add("X-SIE-EDT-002", "student", s.eleve_id, defect=name,
              detail=f"{s.first_name} {s.last_name} : {s.division} dans SIECLE, {old} dans EDT")


def _halves(est: Establishment, code: str) -> list[str]:
    return est.halves_of(code)


def _movable(est: Establishment, s: Student, halved: dict[int, int]) -> bool:
    """``halved``: level -> number of its divisions that have half groups."""
    if not s.division or not _halves(est, s.division):
        return False
    return halved.get(est.division(s.division).level, 0) > 1 and all(_current_members(est, g) > 3 for g in s.groups)


def stale_group(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    """A student moved to another class (SIECLE and EDT) but left in a half group of the old one in EDT."""
    name = "edt.groupe-classe-quittee"
    halved: dict[int, int] = {}
    for d in est.divisions:
        if _halves(est, d.code):
            halved[d.level] = halved.get(d.level, 0) + 1
    s = est.pick(rng, est.current_students(), _skey, name, where=lambda x: _movable(est, x, halved))
    if s is None:
        return
    old = s.division or ""
    level = est.division(old).level
    new = rng.choice([d.code for d in est.divisions if d.level == level and d.code != old and _halves(est, d.code)])
    stale = next(g for g in s.groups if g in _halves(est, old))
    s.division = new
    s.groups = [g for g in s.groups if new in est.group(g).divisions] + [rng.choice(_halves(est, new))]
    flags(est)["stale"][s.eleve_id] = (old, stale)
    truth.add("X-SIE-EDT-003", "student", s.eleve_id, defect=name,
              detail=f"{s.first_name} {s.last_name} : passé de {old} en {new}, resté dans {stale} dans EDT")


def _extra(kind: str) -> "callable":
    def apply(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
        flags(est)["extra"].append(kind)
    return apply


def _teacher_with_services(est: Establishment, rng: random.Random, name: str, least: int) -> Teacher | None:
    return est.pick(rng, est.teachers, _tkey, name,
                    where=lambda t: t.function == "ENS" and len(est.services_of(t.sts_id)) >= least)


def unknown_coteacher(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    """A substitute added in EDT as co-teacher of a service, unknown to STS-Web."""
    name = "edt.professeur-inconnu-sts"
    t = _teacher_with_services(est, rng, name, 1)
    if t is None:
        return
    taken = {x.sts_id for x in est.teachers} | set(flags(est)["coteacher"].values())
    new_id = str(rng.randint(100000, 999999))
    while new_id in taken:
        new_id = str(rng.randint(100000, 999999))
    service = rng.choice(est.services_of(t.sts_id))
    flags(est)["coteacher"][service.id] = new_id
    truth.add("X-STS-EDT-001", "edt_teacher", new_id, defect=name,
              detail=f"co-enseignant {new_id} ajouté au service {service.id} dans EDT_STS")


def dropped_service(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    """A service of STS-Web that EDT no longer has (the remontée will remove it)."""
    name = "edt.service-different"
    t = _teacher_with_services(est, rng, name, 2)
    if t is None:
        return
    service = rng.choice(est.services_of(t.sts_id))
    flags(est)["dropped"].append(service.id)
    truth.add("X-STS-EDT-002", "teacher", t.sts_id, defect=name,
              detail=f"service {service.id} absent du fichier EDT_STS")


def unknown_subject(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    """A service of the remontée file with a subject code absent from the STS nomenclature."""
    name = "edt.matiere-hors-nomenclature"
    t = _teacher_with_services(est, rng, name, 2)
    if t is None:
        return
    service = rng.choice(est.services_of(t.sts_id))
    code = f"{service.subject[:4]}99"
    while code in est.subjects:
        code = f"{rng.randint(0, 9999):04d}99"
    flags(est)["subject"][service.id] = code
    truth.add("X-STS-EDT-003", "edt_service", f"{t.sts_id}:{service.structure}:{code}:{service.mod}", defect=name,
              detail=f"matière {code} au lieu de {service.subject} dans EDT_STS")
    truth.add("X-STS-EDT-002", "teacher", t.sts_id, defect=name, detail="conséquence : services différents")


def undeclared_room(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    """A room used by courses of the remontée file but left out of its SALLES_COURS."""
    name = "edt.salle-non-declaree"
    room = est.pick(rng, est.rooms, lambda r: f"room:{r.code}", name)
    if room is None:
        return
    flags(est)["undeclared_rooms"].append(room.code)
    truth.add("EDT-REM-001", "edt_room", room.code, defect=name,
              detail=f"salle {room.code} ({room.name}) absente de SALLES_COURS du fichier EDT_STS")


def late_week(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    """The remontée's weekly alternance lists a week of the next school year (calendar of EDT
    badly set up): the Monday after the school year's last day."""
    flags(est)["late_week"] = True
    truth.add("EDT-REM-002", "edt_alternance", "H", defect="edt.semaine-hors-annee",
              detail="une semaine de l'année scolaire suivante dans l'alternance H du fichier EDT_STS")


def left_out_of_group(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    """A student of a SIECLE group (half class, language, Latin) that EDT leaves out of it: the
    group's members differ between SIECLE and EDT."""
    name = "edt.eleve-hors-groupe"
    s = est.pick(rng, est.current_students(), _skey, name,
                 where=lambda x: bool(x.division) and any(_current_members(est, g) > 3 for g in x.groups))
    if s is None:
        return
    code = rng.choice([g for g in s.groups if _current_members(est, g) > 3])
    flags(est)["outside"].setdefault(s.eleve_id, []).append(code)
    truth.add("X-SIE-EDT-006", "group", code, defect=name,
              detail=f"{s.first_name} {s.last_name} ({s.division}) dans le groupe {code} de SIECLE, pas dans EDT")


def untaught_class(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    """An export to the ENT that leaves out every course of one division (a partial export): the
    EDT writer drops the courses of the division, and of the groups made with it."""
    name = "edt.export-partiel"
    d = est.pick(rng, est.divisions, lambda x: f"division:{x.code}", name,
                 where=lambda x: any(s.division == x.code for s in est.current_students()))
    if d is None:
        return
    flags(est)["untaught"] = d.code
    truth.add("EDT-EXP-001", "export", f"ExportEmploiDuTemps_{est.uai}_enclair.xml", defect=name,
              detail=f"aucun cours de la division {d.code} dans l'export pour l'ENT")


def _several_levels(est: Establishment) -> bool:
    levels = [d.level for d in est.divisions if _halves(est, d.code)]
    return any(levels.count(lv) > 1 for lv in set(levels))


DEFECTS: tuple[Defect, ...] = (
    Defect("edt.eleve-absent", ("X-SIE-EDT-001",), "Un élève présent dans SIECLE absent de l'export EDT.",
           absent_student, per_size(300)),
    Defect("edt.classe-differente", ("X-SIE-EDT-002",),
           "Un changement de classe saisi dans SIECLE mais pas dans EDT.", other_class, per_size(300), changes=False),
    Defect("edt.groupe-classe-quittee", ("X-SIE-EDT-003",),
           "Un élève changé de classe, resté dans EDT dans un demi-groupe de son ancienne classe.",
           stale_group, per_size(300), enabled=_several_levels),
    Defect("edt.eleve-hors-groupe", ("X-SIE-EDT-006",),
           "Un élève d'un groupe de SIECLE (demi-classe, langue, latin) que EDT laisse hors du groupe.",
           left_out_of_group, per_size(400), changes=False),
    Defect("edt.export-partiel", ("EDT-EXP-001",),
           "Un export de l'emploi du temps vers l'ENT sans aucun cours d'une division (export partiel ; "
           "une graine sur trois).", untaught_class, enabled=lambda est: est.seed % 3 == 0, changes=False),
    Defect("edt.cours-sans-professeur", ("EDT-PRN-001",), "Un cours d'EDT sans professeur.",
           _extra("sans-prof"), per_size(400), changes=False),
    Defect("edt.cours-sans-classe", ("EDT-PRN-002",), "Un cours d'EDT sans classe ni groupe.",
           _extra("sans-classe"), per_size(400), changes=False),
    Defect("edt.cours-complexe", ("EDT-STS-001",),
           "Un cours de deux professeurs et deux classes entières, sans groupe (cours complexe non précisé).",
           _extra("complexe"), per_size(400), changes=False),
    Defect("edt.nom-groupe-stsweb", ("EDT-STS-002",),
           "Un groupe de SIECLE et STS-Web renommé dans EDT avec un accent ou un caractère refusé par STSWEB.",
           _extra("nom-long"), per_size(300), changes=False),
    Defect("edt.groupe-inconnu", ("X-SIE-EDT-005",),
           "Un groupe créé dans EDT, avec des élèves, que ni SIECLE ni STS-Web ne connaissent.",
           _extra("inconnu"), changes=False),
    Defect("edt.groupes-confondus", ("EDT-STS-003",),
           "Deux groupes créés dans EDT dont les noms ne diffèrent qu'après le 8e caractère.", _extra("confondus"),
           changes=False),
    Defect("edt.groupe-vide", ("EDT-PRN-003",), "Un groupe créé dans EDT sans aucun élève.", _extra("groupe-vide"),
           changes=False),
    Defect("edt.classe-vide", ("EDT-PRN-005",), "Une classe créée dans EDT sans aucun élève.", _extra("classe-vide"),
           changes=False),
    Defect("edt.professeur-inconnu-sts", ("X-STS-EDT-001",),
           "Un co-enseignant ajouté dans EDT, inconnu de STS-Web (fichier de remontée).", unknown_coteacher, changes=False),
    Defect("edt.service-different", ("X-STS-EDT-002",),
           "Un service de STS-Web absent du fichier de remontée d'EDT.", dropped_service, per_size(400), changes=False),
    Defect("edt.salle-non-declaree", ("EDT-REM-001",),
           "Une salle utilisée par des cours du fichier de remontée mais absente de sa liste des salles (SALLES_COURS).",
           undeclared_room, changes=False),
    Defect("edt.semaine-hors-annee", ("EDT-REM-002",),
           "Une semaine de l'année scolaire suivante dans l'alternance hebdomadaire du fichier de remontée "
           "(une graine sur deux).", late_week, enabled=lambda est: est.seed % 2 == 0, changes=False),
    Defect("edt.matiere-hors-nomenclature", ("X-STS-EDT-003", "X-STS-EDT-002"),
           "Un service du fichier de remontée avec un code matière hors de la nomenclature STS-Web.",
           unknown_subject, changes=False),
)
