"""Defects of the SIECLE family (rules SIE-RESP-001/002, SIE-SORTIE-001, SIE-DIV-001, X-UAI-001).

Each defect picks victims untouched by other defects (``est.pick``), changes the
model, and records the finding(s) the audit must produce.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from . import names
from .build import new_accounts
from .model import Establishment, Student
from .truth import Defect, GroundTruth, per_size


def _skey(s: Student) -> str:
    return f"student:{s.eleve_id}"


def _siblings(est: Establishment, s: Student) -> list[Student]:
    return [o for o in est.family_of(s) if o is not s]


def no_legal_guardian(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    """An only child whose legal guardians were never entered (a contact may remain)."""
    name = "siecle.sans-responsable-legal"
    s = est.pick(rng, est.current_students(), _skey, name, where=lambda x: not _siblings(est, x))
    if s is None:
        return
    legal = [lk for lk in est.links_of(s.eleve_id) if lk.level == 1]
    est.links = [lk for lk in est.links if lk not in legal]
    linked = {lk.personne_id for lk in est.links}
    est.guardians = [g for g in est.guardians if g.personne_id in linked]
    truth.add("SIE-RESP-001", "student", s.eleve_id, defect=name,
              detail=f"{s.first_name} {s.last_name} : représentants légaux retirés")


def duplicate_guardian(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    """A parent entered twice, once per child, the name typed differently."""
    name = "siecle.doublon-responsable"

    def shared_parent(s: Student) -> bool:
        sibs = [o for o in _siblings(est, s) if not o.left and _skey(o) not in est.touched]
        return bool(sibs) and bool(est.guardians_of(s.eleve_id, legal_only=True))

    s = est.pick(rng, est.current_students(), _skey, name, where=shared_parent)
    if s is None:
        return
    sibling = rng.choice([o for o in _siblings(est, s) if not o.left and _skey(o) not in est.touched])
    est.touched[_skey(sibling)] = name
    original = rng.choice(est.guardians_of(s.eleve_id, legal_only=True))
    est.touched[f"guardian:{original.personne_id}"] = name
    taken_ids = {g.personne_id for g in est.guardians}
    new_id = original.personne_id
    while new_id in taken_ids:
        new_id = str(int(original.personne_id) + rng.randint(1, 5000))
    last, first = names.accent_variant(rng, original.last_name, original.first_name)
    copy = dataclasses.replace(original, personne_id=new_id, last_name=last, first_name=first,
                               accounts=new_accounts(est, rng, first, last))
    est.touched[f"guardian:{new_id}"] = name
    est.guardians.insert(rng.randint(0, len(est.guardians)), copy)
    for lk in est.links:
        if lk.eleve_id == sibling.eleve_id and lk.personne_id == original.personne_id:
            lk.personne_id = new_id
    first_in_file = next(g for g in est.guardians if g.personne_id in (original.personne_id, new_id))
    truth.add("SIE-RESP-002", "guardian", first_in_file.personne_id, defect=name,
              detail=f"« {original.last_name} {original.first_name} » ({original.personne_id}) et "
                     f"« {last} {first} » ({new_id})")


def left_but_in_class(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    """A student who left (DATE_SORTIE) but is still in a division and groups."""
    name = "siecle.sortie-dans-classe"
    s = est.pick(rng, est.current_students(), _skey, name, where=lambda x: bool(x.division))
    if s is None:
        return
    s.exit_date = est.export_date - dt.timedelta(days=rng.randint(2, 12))
    s.exit_reason = "12"
    truth.add("SIE-SORTIE-001", "student", s.eleve_id, defect=name,
              detail=f"sortie le {s.exit_date:%d/%m/%Y}, toujours en {s.division}")


def no_division(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    """A current student with no division (nor group) in SIECLE."""
    name = "siecle.sans-division"

    def safe(s: Student) -> bool:
        return bool(s.division) and all(len(est.students_of(g)) > 4 for g in s.groups) \
            and len(est.students_of(s.division or "")) > 4

    s = est.pick(rng, est.current_students(), _skey, name, where=safe)
    if s is None:
        return
    detail = f"retiré de {s.division}"
    s.division, s.groups = None, []
    truth.add("SIE-DIV-001", "student", s.eleve_id, defect=name, detail=detail)


def stale_nomenclature(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    """The nomenclature export of last year left in the folder (recorded by the writer)."""
    est.flags["siecle.nomenclature_annee"] = est.year - 1


DEFECTS: tuple[Defect, ...] = (
    Defect("siecle.sans-responsable-legal", ("SIE-RESP-001",),
           "Un élève sans aucun représentant légal (seule une personne à contacter, ou personne).",
           no_legal_guardian, per_size(300)),
    Defect("siecle.doublon-responsable", ("SIE-RESP-002",),
           "Un parent saisi deux fois (une fiche par enfant), le nom écrit différemment "
           "(accents, majuscules, espaces ou trait d'union).", duplicate_guardian, per_size(300)),
    Defect("siecle.sortie-dans-classe", ("SIE-SORTIE-001",),
           "Un élève sorti (DATE_SORTIE) encore inscrit dans sa division et ses groupes.",
           left_but_in_class, per_size(300)),
    Defect("siecle.sans-division", ("SIE-DIV-001",),
           "Un élève présent sans division (ni groupe).", no_division, per_size(400)),
    Defect("siecle.nomenclature-autre-annee", ("X-UAI-001",),
           "L'export Nomenclature de l'année précédente laissé dans le dossier "
           "(une graine sur trois seulement).", stale_nomenclature,
           enabled=lambda est: est.seed % 3 == 0, changes=False),
)
