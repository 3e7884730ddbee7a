"""Build a clean, internally consistent fictional collège (:class:`Establishment`).

Everything is drawn from ``random.Random`` generators seeded from the seed, so the
same seed and size always give the same establishment. The order of the steps is
part of that contract: add new draws at the end, with ``est.rng("purpose")``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Callable

from . import catalog, names
from .model import Accounts, Address, Division, Establishment, Group, Guardian, Link, Student
from .people import make_teachers
from .timetable import make_timetable

UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
IDPN_CHARS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
DEFAULT_YEAR = 2024
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: Largest size accepted (a cité scolaire; beyond 26 divisions a level, codes are numbers).
MAX_STUDENTS = 5000


def uai_for(number: int) -> str:
    """A UAI: 7 digits and the check letter (remainder of the number modulo 23)."""
    return f"{number:07d}{UAI_LETTERS[number % 23]}"


class _Unique:
    """Draws values until one is new."""

    def __init__(self) -> None:
        self.seen: set[object] = set()

    def take(self, draw: Callable[[], object]) -> object:
        for _ in range(10000):
            value = draw()
            if value not in self.seen:
                self.seen.add(value)
                return value
        raise RuntimeError("générateur : plus de valeur unique disponible")


def build_establishment(students: int, seed: int, year: int = DEFAULT_YEAR) -> Establishment:
    """The clean establishment for ``students`` students (left ones included) and ``seed``."""
    rng = random.Random(seed)
    number = int(f"031{rng.randint(0, 9999):04d}")
    export = dt.date(year, 9, 1) + dt.timedelta(days=rng.randint(20, 60))
    commune = rng.choice(names.COMMUNES)
    est = Establishment(
        seed=seed, size=students, uai=uai_for(number), name=rng.choice(names.SCHOOL_NAMES),
        sigle="CLG", denom="COLLEGE", academy=("016", "TOULOUSE"), commune=commune,
        street=names.street(rng), phone=f"05{rng.randint(10000000, 99999999)}", year=year,
        export_date=export, export_time=f"{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
        mefs=catalog.make_mefs(), subjects=catalog.make_subjects(),
    )
    steps: tuple[Callable[[], None], ...] = (
        lambda: _structures(est, rng, students),
        lambda: _students(est, rng, students),
        lambda: _groups(est, rng),
        lambda: _families(est, random.Random(f"{seed}:familles")),
        lambda: make_teachers(est, random.Random(f"{seed}:enseignants")),
        lambda: make_timetable(est, random.Random(f"{seed}:edt")),
        lambda: _accounts(est, random.Random(f"{seed}:comptes")),
    )
    for step in steps:  # each step adds records: the look-up indexes are rebuilt after it
        step()
        est.changed()
    return est


def _structures(est: Establishment, rng: random.Random, total: int) -> None:
    style = rng.choice(("{n}{L}", "{n}{L}", "{n} {L}", "{n}{i:02d}"))
    current = total - total // 120
    per_level = [current // 4 + (1 if i < current % 4 else 0) for i in range(4)]
    est.flags["_per_level"] = dict(zip((6, 5, 4, 3), per_level))
    for level, count in zip((6, 5, 4, 3), per_level):
        ndiv = max(1, math.ceil(count / 28))
        mef = catalog.MEFS[level][0]
        for i in range(ndiv):
            code = (style if ndiv <= len(LETTERS) else "{n}{i:02d}").format(n=level, L=LETTERS[i % 26], i=i + 1)
            label = f"{level}EME {LETTERS[i] if ndiv <= len(LETTERS) else f'{i + 1:02d}'}"
            est.divisions.append(Division(code, label, mef, level))


def _students(est: Establishment, rng: random.Random, total: int) -> None:
    per_level: dict[int, int] = est.flags.pop("_per_level")
    ids, noet, ine = _Unique(), _Unique(), _Unique()
    base_id = rng.randint(1200000, 1800000)
    base_noet = rng.randint(1000, 20000)
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"

    def new_student(level: int, division: str | None) -> Student:
        eid = str(ids.take(lambda: base_id + rng.randint(0, 60000)))
        elenoet = str(noet.take(lambda: base_noet + rng.randint(0, max(9000, 3 * total))))
        code_ine = str(ine.take(lambda: f"{rng.randint(0, 999999999):09d}{rng.choice(letters)}{rng.choice(letters)}"))
        repeating = rng.random() < 0.05
        born = est.year - catalog.AGE[level] - (1 if repeating else 0)
        birth = dt.date(born, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
        since = est.year - (6 - level) - int(repeating) if rng.random() < 0.9 else est.year
        entry = dt.date(since, 9, 2) if since < est.year or rng.random() < 0.9 else \
            dt.date(est.year, 9, 2) + dt.timedelta(days=rng.randint(7, 20))
        sex = rng.choice((1, 2))
        mef = catalog.MEFS[level][0]
        previous = None
        if since < est.year:  # here last year: same level when repeating, else the level before
            prev_level = level if repeating else level + 1
            prev_div = [d for d in est.divisions if d.level == prev_level]
            previous = (catalog.MEFS[prev_level][0], rng.choice(prev_div).code)
        return Student(eid, elenoet, code_ine, f"{int(elenoet):05d}{est.uai[:6]}", "", "", "", sex, birth,
                       rng.choice(names.COMMUNES), mef, division, [], entry, repeating=repeating,
                       regime=rng.choice(("2", "2", "2", "0")), previous=previous,
                       options=[(catalog.AGL1, "O")])

    for level in (6, 5, 4, 3):
        divs = [d for d in est.divisions if d.level == level]
        for i in range(per_level[level]):
            est.students.append(new_student(level, divs[i % len(divs)].code))
    for _ in range(total - sum(per_level.values())):
        level = rng.choice((6, 5, 4, 3))
        s = new_student(level, None)
        s.exit_date = est.export_date - dt.timedelta(days=rng.randint(3, 15))
        s.exit_reason = rng.choice(("10", "12", "99"))
        est.students.append(s)
    rng.shuffle(est.students)


def _groups(est: Establishment, rng: random.Random) -> None:
    """Half classes, second languages by block of divisions, Latin by level."""
    for d in est.divisions:
        members = [s for s in est.students if s.division == d.code]
        if len(members) < 8:
            continue
        half = len(members) // 2
        for k, part in enumerate((members[:half], members[half:]), start=1):
            code = f"{d.slug}_G{k}"
            est.groups.append(Group(code, f"{d.label} groupe {k}", [d.code], "demi"))
            for s in part:
                s.groups.append(code)
    for level in (5, 4, 3):
        divs = [d for d in est.divisions if d.level == level]
        blocks = [divs[i:i + 3] for i in range(0, len(divs), 3)]
        for b, block in enumerate(blocks, start=1):
            codes = [d.code for d in block]
            members = [s for s in est.students if s.division in codes]
            german = [s for s in members if rng.random() < 0.3]
            if len(german) < 4:
                german = []
            spanish = [s for s in members if s not in german]
            for subject, tag, people in ((catalog.ESP2, "ESP", spanish), (catalog.ALL2, "ALL", german)):
                parts = max(1, math.ceil(len(people) / 30)) if people else 0
                for p in range(parts):
                    chunk = people[p::parts]
                    code = f"{level}{tag}{b}{'' if parts == 1 else 'ABC'[p]}"
                    label = f"{est.subjects[subject].edition} {level}e {'/'.join(codes)}"
                    est.groups.append(Group(code, label, codes, "lv2", subject))
                    for s in chunk:
                        s.groups.append(code)
                        s.options.append((subject, "O"))
            latinists = [s for s in members if rng.random() < 0.2]
            if len(latinists) >= 4:
                code = f"{level}LAT{b if len(blocks) > 1 else ''}"
                est.groups.append(Group(code, f"Latin {level}e {'/'.join(codes)}", codes, "option", catalog.LATIN))
                for s in latinists:
                    s.groups.append(code)
                    s.options.append((catalog.LATIN, "F"))


def _families(est: Establishment, rng: random.Random) -> None:
    """Names, guardians, links and addresses; siblings share their guardians."""
    keys: set[tuple[str, str]] = set()
    pids, aids = _Unique(), _Unique()
    base_p, base_a = rng.randint(200000, 700000), rng.randint(100000, 900000)

    def unique_first(last: str, sex: int) -> str:
        for _ in range(200):
            first = names.first_name(rng, sex)
            if names.name_key(last, first) not in keys:
                keys.add(names.name_key(last, first))
                return first
        raise RuntimeError("générateur : prénoms épuisés")

    def new_address() -> Address:
        city, cp, insee, dept = rng.choice(names.COMMUNES)
        aid = str(aids.take(lambda: base_a + rng.randint(0, 90000)))
        line2 = rng.choice(("", "", "", "RÉSIDENCE LES TILLEULS", "LIEU-DIT LA BORDE", "BÂT. C"))
        est.addresses.append(Address(aid, names.street(rng), line2, cp, city.upper(), insee, dept))
        return est.addresses[-1]

    def new_guardian(last: str, civility: int, address: Address) -> Guardian:
        first = unique_first(last, 1 if civility == 1 else 2)
        pid = str(pids.take(lambda: base_p + rng.randint(0, 400000)))
        mail = f"{names.login_base(first, last)}{rng.randint(1, 99)}@{rng.choice(names.EMAIL_DOMAINS)}"
        g = Guardian(pid, civility, last, first, f"+335{rng.randint(10000000, 99999999)}",
                     f"+33{rng.choice('67')}{rng.randint(10000000, 99999999)}", mail, address.id,
                     rng.choice(("23", "37", "38", "46", "48", "52", "54", "56", "62", "69", "81")))
        est.guardians.append(g)
        return g

    pending = list(est.students)
    families = 0
    while pending:
        first_child = pending.pop(0)
        family = [first_child]
        if not first_child.left:
            while len(family) < 3 and rng.random() < (0.18 if len(family) == 1 else 0.2):
                levels = {c.mef for c in family}
                sibling = next((s for s in pending if not s.left and s.mef not in levels), None)
                if sibling is None:
                    break
                pending.remove(sibling)
                family.append(sibling)
        families += 1
        fam_id = families
        family_name = names.last_name(rng)
        for child in family:
            child.family = fam_id
            child.last_name = family_name
            child.first_name = unique_first(family_name, child.sex)
            child.first_name2 = names.first_name(rng, child.sex) if rng.random() < 0.5 else ""
        home = new_address()
        roll = rng.random()
        legal: list[tuple[Guardian, str]] = []
        if roll < 0.78:
            mother_name = family_name if rng.random() < 0.4 else names.last_name(rng)
            mother = new_guardian(mother_name, 2, home)
            father = new_guardian(family_name, 1, home if rng.random() < 0.75 else new_address())
            legal = [(mother, "10"), (father, "20")]
            rng.shuffle(legal)
        elif roll < 0.92:
            legal = [(new_guardian(names.last_name(rng) if rng.random() < 0.5 else family_name, 2, home), "10")]
        elif roll < 0.96:
            legal = [(new_guardian(family_name, 1, home), "20")]
        else:
            legal = [(new_guardian(names.last_name(rng), rng.choice((1, 2)), home), "50")]
        contact = new_guardian(names.last_name(rng), rng.choice((1, 2)), new_address()) if rng.random() < 0.1 else None
        for child in family:
            for rank, (g, rel) in enumerate(legal):
                est.links.append(Link(child.eleve_id, g.personne_id, 1, rel, pays=rank == 0,
                                      lives_with=g.address_id == home.id, priority=rank == 0))
            if contact is not None:
                est.links.append(Link(child.eleve_id, contact.personne_id, 3, rng.choice(("38", "39", "90")),
                                      lives_with=False))
    rng.shuffle(est.guardians)


def _accounts(est: Establishment, rng: random.Random) -> None:
    """PRONOTE identifier (IDPN), ENT login/UID/initial code and AAF jointure for everyone."""
    idpn, uid, joint, logins = _Unique(), _Unique(), _Unique(), _Unique()
    people: list[tuple[str, str, Accounts]] = []
    for s in est.students:
        people.append((s.first_name, s.last_name, s.accounts))
    for g in est.guardians:
        people.append((g.first_name, g.last_name, g.accounts))
    for t in est.teachers:
        people.append((t.first_name, t.last_name, t.accounts))
    for first, last, acc in people:
        acc.idpn = str(idpn.take(lambda: "".join(rng.choice(IDPN_CHARS) for _ in range(16))))
        acc.ent_uid = str(uid.take(lambda: f"{rng.randint(1000000, 9999999)}"))
        acc.jointure = str(joint.take(lambda: f"{rng.randint(1000000, 9999999)}"))
        base = names.login_base(first, last)
        n = 0
        while True:
            candidate = base if n == 0 else f"{base}{n}"
            if candidate not in logins.seen:
                logins.seen.add(candidate)
                acc.ent_login = candidate
                break
            n += 1
        acc.ent_code = "".join(rng.choice(IDPN_CHARS.lower()) for _ in range(8))


def new_accounts(est: Establishment, rng: random.Random, first: str, last: str) -> Accounts:
    """Accounts for a person added after the build (by a defect), unique like the others."""
    def build() -> dict[str, set[str]]:
        people = [*est.students, *est.guardians, *est.teachers]
        return {field: {getattr(p.accounts, field) for p in people} for field in ("idpn", "ent_login", "ent_uid", "jointure")}

    # Kept between calls (until the establishment changes) and completed with each new
    # account, so that accounts not yet given to anyone in the lists stay unique too.
    taken: dict[str, set[str]] = est.memo("accounts", build)

    def fresh(field: str, draw: Callable[[], str]) -> str:
        value = draw()
        while value in taken[field]:
            value = draw()
        return value

    base = names.login_base(first, last)
    n = 0
    login = base
    while login in taken["ent_login"]:
        n += 1
        login = f"{base}{n}"
    acc = Accounts(fresh("idpn", lambda: "".join(rng.choice(IDPN_CHARS) for _ in range(16))), login,
                   fresh("ent_uid", lambda: f"{rng.randint(1000000, 9999999)}"),
                   "".join(rng.choice(IDPN_CHARS.lower()) for _ in range(8)),
                   fresh("jointure", lambda: f"{rng.randint(1000000, 9999999)}"))
    for field in taken:
        taken[field].add(getattr(acc, field))
    return acc
