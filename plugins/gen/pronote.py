"""Generator writer of the PRONOTE CSV exports, and the PRONOTE defects.

The identifiers file (``Identifiants_PRONOTE_<UAI>.csv``) and the guardians' file with the
Espace Parents authorisation (``Responsables_PRONOTE_<UAI>.csv``) follow the **guessed**
profiles ``pronote-identifiants-suppose`` and ``pronote-responsables-suppose`` (no public
layout exists: docs/formats-ent-pronote-aaf.md). Their population is exactly what the EDT
writer puts in ExportEmploiDuTemps (:func:`population`), with the same IDPN, so that both
sources of PRONOTE identifiers agree.

Defects: a teacher, a student, a guardian without PRONOTE identifier (PRN-ENT-001/003/004),
a guardian not authorised for the Espace Parents (PRN-RESP-001), and, for each guardian
entered twice in SIECLE (``siecle.doublon-responsable``), the single identifier PRONOTE
gives to both records (PRN-ENT-002, ENT-DOUBLON-001 on the ENT side).
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

from .model import Establishment, Guardian, Student, Teacher
from .names import name_key
from .truth import Defect, GroundTruth, per_size

DUPLICATE = "siecle.doublon-responsable"


def population(est: Establishment) -> tuple[list[Teacher], list[Student], list[tuple[Guardian, Student]]]:
    """Who PRONOTE knows (as the EDT export): teachers with a service, current students with a
    division still in EDT, and up to two legal guardians of each such student."""
    def build() -> tuple[list[Teacher], list[Student], list[tuple[Guardian, Student]]]:
        teaching = {s.teacher for s in est.services}
        absent = set(est.flags.get("edt", {}).get("absent", []))
        teachers = [t for t in est.teachers if t.sts_id in teaching]
        students = [s for s in est.students if not s.left and s.division and s.eleve_id not in absent]
        pairs = [(g, s) for s in students for g in est.guardians_of(s.eleve_id, legal_only=True)[:2]]
        return teachers, students, pairs
    return est.memo("pronote", build)


def identified(est: Establishment) -> set[str]:
    """The IDPN PRONOTE gives (empty IDPN: no identifier)."""
    teachers, students, pairs = population(est)
    return {p.accounts.idpn for p in [*teachers, *students, *(g for g, _s in pairs)] if p.accounts.idpn}


def _csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("cp1252", errors="replace")


def write(est: Establishment, out_dir: Path, truth: GroundTruth) -> list[Path]:
    """Write the identifiers and guardians CSV files (Windows-1252, ``;``, as a spreadsheet would)."""
    teachers, students, pairs = population(est)
    ids = [["Profil", "Nom", "Prénom", "Date de naissance", "Classe", "Identifiant PRONOTE",
            "Nom de l'élève", "Prénom de l'élève"]]
    for t in teachers:
        if t.accounts.idpn:
            birth = t.birth_date.strftime("%d/%m/%Y") if t.birth_date else ""
            ids.append(["Professeur", t.last_name, t.first_name, birth, "", t.accounts.idpn, "", ""])
    for s in students:
        if s.accounts.idpn:
            ids.append(["Elève", s.last_name, s.first_name, s.birth_date.strftime("%d/%m/%Y"), s.division or "",
                        s.accounts.idpn, "", ""])
    written: set[tuple[str, str]] = set()
    for g, s in pairs:
        if g.accounts.idpn and (g.personne_id, g.accounts.idpn) not in written:
            written.add((g.personne_id, g.accounts.idpn))
            ids.append(["Responsable", g.last_name, g.first_name, "", "", g.accounts.idpn, s.last_name, s.first_name])
    resp = [["Nom", "Prénom", "Nom de l'élève", "Prénom de l'élève", "Classe", "Responsable", "Espace Parents",
             "Identifiant PRONOTE"]]
    for g, s in pairs:
        rank = [x.personne_id for x in est.guardians_of(s.eleve_id, legal_only=True)].index(g.personne_id) + 1
        resp.append([g.last_name, g.first_name, s.last_name, s.first_name, s.division or "", str(rank),
                     "Oui" if g.espace_parents else "Non", g.accounts.idpn])
    paths = [out_dir / f"Identifiants_PRONOTE_{est.uai}.csv", out_dir / f"Responsables_PRONOTE_{est.uai}.csv"]
    paths[0].write_bytes(_csv(ids))
    paths[1].write_bytes(_csv(resp))
    return paths


# -- defects ----------------------------------------------------------------------------
def _in_pronote_guardians(est: Establishment) -> list[Guardian]:
    _t, _s, pairs = population(est)
    return list({g.personne_id: g for g, s in pairs if f"student:{s.eleve_id}" not in est.touched}.values())


def _no_idpn_teacher(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    name = "pronote.enseignant-sans-identifiant"
    teachers, _s, _p = population(est)
    t = est.pick(rng, teachers, lambda x: f"teacher:{x.sts_id}", name)
    if t is not None:
        t.accounts.idpn = ""
        truth.add("PRN-ENT-001", "ent_account", t.accounts.ent_login, defect=name,
                  detail=f"{t.first_name} {t.last_name} arrivé(e) après l'export des identifiants PRONOTE")


def _no_idpn_student(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    name = "pronote.eleve-sans-identifiant"
    _t, students, _p = population(est)
    s = est.pick(rng, students, lambda x: f"student:{x.eleve_id}", name)
    if s is not None:
        s.accounts.idpn = ""
        truth.add("PRN-ENT-003", "ent_account", s.accounts.ent_login, defect=name,
                  detail=f"{s.first_name} {s.last_name} ({s.division}) sans identifiant PRONOTE")


def _no_idpn_guardian(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    name = "pronote.responsable-sans-identifiant"
    g = est.pick(rng, _in_pronote_guardians(est), lambda x: f"guardian:{x.personne_id}", name)
    if g is not None:
        g.accounts.idpn = ""
        truth.add("PRN-ENT-004", "ent_account", g.accounts.ent_login, defect=name,
                  detail=f"{g.first_name} {g.last_name} sans identifiant PRONOTE")


def _no_espace_parents(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    name = "pronote.espace-parents-refuse"
    g = est.pick(rng, _in_pronote_guardians(est), lambda x: f"guardian:{x.personne_id}", name,
                 where=lambda x: bool(x.accounts.idpn))
    if g is not None:
        g.espace_parents = False
        truth.add("PRN-RESP-001", "pronote_guardian", g.accounts.idpn, defect=name,
                  detail=f"{g.first_name} {g.last_name} non autorisé(e) à l'Espace Parents")


def _one_identifier_for_duplicates(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    """PRONOTE, less sensitive than the ENT, gives one identifier to a guardian entered twice."""
    name = "pronote.identifiant-unique-doublon"
    dups = [g for g in est.guardians if est.touched.get(f"guardian:{g.personne_id}") == DUPLICATE]
    by_key: dict[tuple[str, str], list[Guardian]] = {}
    for g in dups:
        by_key.setdefault(name_key(g.last_name, g.first_name), []).append(g)
    for pair in by_key.values():
        if len(pair) != 2:
            continue
        first, second = pair  # est.guardians order: the first is the first in every file
        second.accounts.idpn = first.accounts.idpn
        truth.add("PRN-ENT-002", "pronote_identifier", first.accounts.idpn, defect=name,
                  detail=f"un identifiant PRONOTE pour « {first.last_name} {first.first_name} » et "
                         f"« {second.last_name} {second.first_name} »")
        truth.add("ENT-DOUBLON-001", "ent_account", first.accounts.ent_login, defect=name,
                  detail=f"comptes ENT {first.accounts.ent_login} et {second.accounts.ent_login}")


DEFECTS: tuple[Defect, ...] = (
    Defect("pronote.identifiant-unique-doublon", ("PRN-ENT-002", "ENT-DOUBLON-001"),
           "Un responsable saisi deux fois dans SIECLE reçoit un seul identifiant PRONOTE pour ses deux fiches ; "
           "l'ENT a deux comptes.", _one_identifier_for_duplicates, changes=False),
    Defect("pronote.enseignant-sans-identifiant", ("PRN-ENT-001",),
           "Un enseignant arrivé après l'export des identifiants PRONOTE (compte ENT sans identifiant).",
           _no_idpn_teacher, per_size(400), changes=False),
    Defect("pronote.eleve-sans-identifiant", ("PRN-ENT-003",),
           "Un élève sans identifiant PRONOTE (compte ENT sans identifiant).", _no_idpn_student, per_size(300), changes=False),
    Defect("pronote.responsable-sans-identifiant", ("PRN-ENT-004",),
           "Un responsable légal sans identifiant PRONOTE (compte ENT sans identifiant).",
           _no_idpn_guardian, per_size(300), changes=False),
    Defect("pronote.espace-parents-refuse", ("PRN-RESP-001",),
           "Un responsable non autorisé à accéder à l'Espace Parents dans PRONOTE.", _no_espace_parents,
           per_size(300), changes=False),
)
