"""Teachers, staff and services (STS) of the generated collège.

Every teaching need (a division's subject, a half class, a language or option group)
goes to one teacher of that subject; groups taught at the same time (second languages
of a block of divisions) get distinct teachers. Services are the sums of those needs.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass

from . import catalog, names
from .model import Establishment, Service, Teacher


@dataclass
class Need:
    """Hours of one subject for one structure; ``bundle`` = taught at the same time as others."""

    structure: str
    structure_type: str
    subject: str
    hours: int
    bundle: str = ""
    owner: str = ""        # needs with the same owner go to the same teacher


def teaching_needs(est: Establishment) -> list[Need]:
    """What must be taught, from the divisions and groups."""
    needs: list[Need] = []
    for d in est.divisions:
        for subject, hours in catalog.DIVISION_HOURS[d.level].items():
            needs.append(Need(d.code, "division", subject, hours))
        halves = [g for g in est.groups if g.kind == "demi" and g.divisions == [d.code]]
        first, second, hours = catalog.HALF_PAIRS[d.level]
        if len(halves) == 2:
            for subject in (first, second):
                for g in halves:
                    needs.append(Need(g.code, "group", subject, hours, owner=f"{d.code}:{subject}"))
        else:
            for subject in (first, second):
                needs.append(Need(d.code, "division", subject, hours))
    for g in est.groups:
        if g.kind == "lv2":
            bundle = "lv2:" + ",".join(g.divisions)
            needs.append(Need(g.code, "group", g.subject or "", catalog.LV2_HOURS, bundle=bundle))
        elif g.kind == "option":
            level = est.division(g.divisions[0]).level
            needs.append(Need(g.code, "group", g.subject or "", catalog.LATIN_HOURS[level]))
    return needs


def make_teachers(est: Establishment, rng: random.Random) -> None:
    """Create teachers for the needs, their services, then the other staff."""
    needs = teaching_needs(est)
    by_subject: dict[str, list[Need]] = defaultdict(list)
    for n in needs:
        by_subject[n.subject].append(n)
    ids: set[str] = set()
    keys = {names.name_key(p.last_name, p.first_name) for p in [*est.students, *est.guardians]}
    base = rng.randint(20000, 90000)

    def new_person(function: str, grade: str, discipline: str, label: str, hours: float) -> Teacher:
        sts_id = str(base + len(ids) * rng.randint(3, 40) + rng.randint(0, 2))
        while sts_id in ids:
            sts_id = str(int(sts_id) + 1)
        ids.add(sts_id)
        sex = rng.choice((1, 2))
        for _ in range(500):
            last, first = names.last_name(rng), names.first_name(rng, sex)
            if names.name_key(last, first) not in keys:
                keys.add(names.name_key(last, first))
                break
        birth_name = last if sex == 1 or rng.random() < 0.6 else names.last_name(rng)
        local = grade == catalog.GRADE_LOCAL
        birth = dt.date(est.year - rng.randint(24, 62), rng.randint(1, 12), rng.randint(1, 28))
        t = Teacher(sts_id, "local" if local else "epp", None if local and rng.random() < 0.5 else sex,
                    1 if sex == 1 else 2, last, birth_name, first,
                    None if local and rng.random() < 0.5 else birth, grade, function, discipline, label, hours)
        est.teachers.append(t)
        return t

    for subject in sorted(by_subject):
        items = by_subject[subject]
        info = est.subjects[subject]
        total = sum(n.hours for n in items)
        bundles: dict[str, int] = defaultdict(int)
        for n in items:
            if n.bundle:
                bundles[n.bundle] += 1
        count = max(1, math.ceil(total / catalog.MAX_HOURS), max(bundles.values(), default=1))
        staff = []
        for _ in range(count):
            grade = catalog.GRADE_LOCAL if total / count < 9 or rng.random() < 0.08 else rng.choice(catalog.GRADES_EPP)
            staff.append(new_person("ENS", grade, info.discipline, info.discipline_label, catalog.FULL_TIME))
        load = {t.sts_id: 0 for t in staff}
        in_bundle: dict[str, set[str]] = defaultdict(set)
        owner_of: dict[str, str] = {}
        grouped: dict[str, list[Need]] = defaultdict(list)
        for n in items:
            grouped[n.owner or f"{n.structure}:{n.subject}"].append(n)
        order = sorted(grouped.values(), key=lambda ns: (-sum(x.hours for x in ns), ns[0].structure))
        for unit in order:
            bundle = unit[0].bundle
            free = [t for t in staff if t.sts_id not in in_bundle[bundle]] if bundle else staff
            teacher = min(free, key=lambda t: (load[t.sts_id], t.sts_id))
            for n in unit:
                load[teacher.sts_id] += n.hours
                if bundle:
                    in_bundle[bundle].add(teacher.sts_id)
                est.services.append(Service(teacher.sts_id, n.structure, n.structure_type, subject, float(n.hours)))
                owner_of[n.structure] = teacher.sts_id
        for t in staff:
            t.subjects = [subject]
            t.hours = float(max(load[t.sts_id], 1)) if t.type == "local" else catalog.FULL_TIME
    for function, grade, discipline, label in catalog.STAFF:
        new_person(function, grade, discipline, label, 0.0)
    rng.shuffle(est.teachers)
    for d in est.divisions:
        teaching = sorted({s.teacher for s in est.services if s.structure == d.code})
        d.head_teacher = rng.choice(teaching) if teaching else None
