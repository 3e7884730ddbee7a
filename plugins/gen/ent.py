"""Generator writer of the ENT identifier file ``ENT-Identifiants-<UAI>.csv``, and ENT defects.

Layout by seed: odd seeds write the Kosmos layout read by Gepi (13 columns, then the
child's first and last name on parent lines, no header, ``;``); even seeds the « Gepi »
template of Open ENT NG (quoted header, UTF-8 with BOM). Accounts: every current student,
the legal guardians of those students, every STS person (ENS: Enseignant, else Personnel),
each with the login, UID, initial code and AAF jointure of the model.

Defects: codes changed by their users ({SHA}..., « Mot de passe déjà modifié par
l'utilisateur ») for ENT-SHA-001; a guardian account the ENT keeps although SIECLE no longer
has that guardian (ENT-RESP-001; PRONOTE does not know them either, which ENT-RESP-001 says:
PRN-ENT-004 does not repeat it).
Accounts of people whom another defect removed from PRONOTE (a student without division, a
student missing from EDT, a teacher without service...) have no PRONOTE identifier: the
writer records the PRN-ENT finding they must cause.
"""

from __future__ import annotations

import base64
import csv
import io
import random
from pathlib import Path

from . import names
from .model import Establishment, Guardian, Student, Teacher
from .pronote import identified
from .truth import Defect, GroundTruth, per_size

FLAGS = "ent"
_SLOTS = {"20": 0, "10": 1, "50": 2}


def flags(est: Establishment) -> dict:
    """The ENT writer's flags (created on first use)."""
    return est.flags.setdefault(FLAGS, {"sha": {}, "stale_guardians": []})


def ent_people(est: Establishment) -> tuple[list[Student], list[Guardian], list[Teacher]]:
    """Who has an ENT account: current students, their legal guardians, every STS person."""
    students = [s for s in est.students if not s.left]
    ids = {s.eleve_id for s in students}
    legal = {lk.personne_id for lk in est.links if lk.level == 1 and lk.eleve_id in ids}
    return students, [g for g in est.guardians if g.personne_id in legal], list(est.teachers)


def _parent_slots(est: Establishment, s: Student) -> list[str]:
    slots = ["", "", "", ""]
    for lk in est.links_of(s.eleve_id):
        if lk.level != 1:
            continue
        uid = est.guardian(lk.personne_id).accounts.ent_uid
        pos = _SLOTS.get(lk.relation, 2)
        while pos < 4 and slots[pos]:
            pos += 1
        if pos < 4:
            slots[pos] = uid
    for extra in flags(est)["stale_guardians"]:
        if extra["child"] == s.eleve_id:
            slots[3] = extra["uid"]
    return slots


def _code(est: Establishment, login: str, code: str) -> str:
    variant = flags(est)["sha"].get(login)
    if variant == "sha":
        return "{SHA}" + base64.b64encode(f"{login}:{code}".encode()).decode()[:28]
    if variant == "texte":
        return "Mot de passe déjà modifié par l'utilisateur"
    return code


def rows(est: Establishment) -> list[list[str]]:
    """The 13 (+2) columns of every account, students first, as the ENT lists them."""
    students, guardians, teachers = ent_people(est)
    out = []
    for s in students:
        a = s.accounts
        out.append([est.uai, a.ent_uid, s.division or "", "Eleve", s.first_name, s.last_name, a.ent_login,
                    _code(est, a.ent_login, a.ent_code), a.jointure, *_parent_slots(est, s)])
    for g in guardians:
        a = g.accounts
        child = est.children_of(g.personne_id)[0]
        out.append([est.uai, a.ent_uid, "", "Parent", g.first_name, g.last_name, a.ent_login,
                    _code(est, a.ent_login, a.ent_code), a.jointure, "", "", "", "", child.first_name, child.last_name])
    for extra in flags(est)["stale_guardians"]:
        child = est.student(extra["child"])
        out.append([est.uai, extra["uid"], "", "Parent", extra["first"], extra["last"], extra["login"],
                    extra["code"], extra["jointure"], "", "", "", "", child.first_name, child.last_name])
    for t in teachers:
        a = t.accounts
        out.append([est.uai, a.ent_uid, "", "Enseignant" if t.function == "ENS" else "Personnel", t.first_name,
                    t.last_name, a.ent_login, _code(est, a.ent_login, a.ent_code), a.jointure, "", "", "", ""])
    return out


def file_name(est: Establishment) -> str:
    return f"ENT-Identifiants-{est.uai}.csv"


def write(est: Establishment, out_dir: Path, truth: GroundTruth) -> list[Path]:
    """Write the identifier file and record the PRN-ENT findings other defects cause."""
    _consequences(est, truth)
    buf = io.StringIO()
    if est.seed % 2:
        csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows(est))
        data = buf.getvalue().encode("utf-8")
    else:
        writer = csv.writer(buf, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(["RNE", "UID", "Classe", "Profil", "Prénom", "Nom", "Login", "Mot de passe", "Clé de jointure",
                         "UID Responsable 1", "UID Responsable 2", "UID tuteur 1", "UID tuteur 2"])
        writer.writerows([""] + r[1:13] for r in rows(est))
        data = b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")
    path = out_dir / file_name(est)
    path.write_bytes(data)
    return [path]


def _consequences(est: Establishment, truth: GroundTruth) -> None:
    """Accounts left without PRONOTE identifier by another family's defect."""
    known = identified(est)
    students, guardians, teachers = ent_people(est)
    expected = truth.keys()
    for s in students:
        if s.accounts.idpn not in known and f"student:{s.eleve_id}" in est.touched \
                and ("PRN-ENT-003", "ent_account", s.accounts.ent_login) not in expected:
            truth.add("PRN-ENT-003", "ent_account", s.accounts.ent_login, defect=est.touched[f"student:{s.eleve_id}"],
                      detail="élève absent de PRONOTE : compte ENT sans identifiant PRONOTE")
    for g in guardians:
        kids = [f"student:{c.eleve_id}" for c in est.children_of(g.personne_id)]
        cause = est.touched.get(f"guardian:{g.personne_id}") or next((est.touched[k] for k in kids if k in est.touched), None)
        if g.accounts.idpn not in known and cause \
                and ("PRN-ENT-004", "ent_account", g.accounts.ent_login) not in expected:
            truth.add("PRN-ENT-004", "ent_account", g.accounts.ent_login, defect=cause,
                      detail="responsable absent de PRONOTE : compte ENT sans identifiant PRONOTE")
    for t in teachers:
        if t.function == "ENS" and t.accounts.idpn not in known and f"teacher:{t.sts_id}" in est.touched \
                and ("PRN-ENT-001", "ent_account", t.accounts.ent_login) not in expected:
            truth.add("PRN-ENT-001", "ent_account", t.accounts.ent_login, defect=est.touched[f"teacher:{t.sts_id}"],
                      detail="enseignant absent de PRONOTE : compte ENT sans identifiant PRONOTE")


# -- defects ----------------------------------------------------------------------------
def _changed_code(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    name = "ent.code-modifie"
    students, guardians, teachers = ent_people(est)
    people = [(f"student:{s.eleve_id}", s.accounts.ent_login) for s in students]
    people += [(f"guardian:{g.personne_id}", g.accounts.ent_login) for g in guardians]
    people += [(f"teacher:{t.sts_id}", t.accounts.ent_login) for t in teachers]
    chosen = est.pick(rng, people, lambda p: p[0], name)
    if chosen is None:
        return
    variant = rng.choice(("sha", "sha", "texte"))
    flags(est)["sha"][chosen[1]] = variant
    truth.add("ENT-SHA-001", "ent_account", chosen[1], defect=name,
              detail="code {SHA}" if variant == "sha" else "« Mot de passe déjà modifié par l'utilisateur »")


def _stale_guardian(est: Establishment, truth: GroundTruth, rng: random.Random) -> None:
    name = "ent.responsable-hors-siecle"
    students, _g, _t = ent_people(est)
    s = est.pick(rng, students, lambda x: f"student:{x.eleve_id}", name,
                 where=lambda x: len(est.guardians_of(x.eleve_id, legal_only=True)) <= 2)
    if s is None:
        return
    keys = {names.name_key(p.last_name, p.first_name) for p in [*est.students, *est.guardians, *est.teachers]}
    keys |= {names.name_key(e["last"], e["first"]) for e in flags(est)["stale_guardians"]}
    sex = rng.choice((1, 2))
    last, first = names.last_name(rng), names.first_name(rng, sex)
    while names.name_key(last, first) in keys:
        last, first = names.last_name(rng), names.first_name(rng, sex)
    from .build import new_accounts
    acc = new_accounts(est, rng, first, last)
    taken = {e["login"] for e in flags(est)["stale_guardians"]}
    login = acc.ent_login if acc.ent_login not in taken else f"{acc.ent_login}.{len(taken)}"
    flags(est)["stale_guardians"].append({"child": s.eleve_id, "last": last, "first": first, "login": login,
                                          "uid": acc.ent_uid, "code": acc.ent_code, "jointure": acc.jointure})
    detail = f"{first} {last}, ancien tuteur de {s.first_name} {s.last_name}, retiré de SIECLE"
    truth.add("ENT-RESP-001", "ent_account", login, defect=name, detail=detail)


DEFECTS: tuple[Defect, ...] = (
    Defect("ent.code-modifie", ("ENT-SHA-001",),
           "Un code ENT changé par son titulaire ({SHA}… ou « Mot de passe déjà modifié par l'utilisateur »).",
           _changed_code, per_size(150, least=2), changes=False),
    Defect("ent.responsable-hors-siecle", ("ENT-RESP-001",),
           "Un compte ENT de tuteur que SIECLE ne connaît plus (retiré de la fiche de l'élève).",
           _stale_guardian, per_size(400), changes=False),
)
