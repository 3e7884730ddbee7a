"""The weekly timetable (EDT courses) matching the STS services hour for hour.

Each service hour becomes a course placed on the grid so that no teacher, division
(a group blocks the divisions it belongs to) or room is used twice at the same time.
Half classes have their two halves at the same time with two teachers (SVT /
technologie, then swapped); second-language groups of a block of divisions are
aligned. Placement is a randomised greedy search restarted on failure.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass

from . import catalog
from .model import Course, Establishment, Room

#: Place number -> (début, fin).
PLACES: tuple[tuple[str, str], ...] = (
    ("08h00", "09h00"), ("09h00", "10h00"), ("10h00", "11h00"), ("11h00", "12h00"),
    ("13h30", "14h30"), ("14h30", "15h30"), ("15h30", "16h30"), ("16h30", "17h30"),
)
#: Day -> number of places (mercredi: matin seulement).
DAY_PLACES: dict[int, int] = {1: 8, 2: 8, 3: 4, 4: 8, 5: 8}
HALF_DAYS: tuple[range, ...] = (range(0, 4), range(4, 8))
#: Holidays as (first Monday, weeks) relative to the school year (zone C-like, invented).
HOLIDAYS: tuple[tuple[int, int, int, int], ...] = ((0, 10, 21, 2), (0, 12, 23, 2), (1, 2, 17, 2), (1, 4, 14, 2))

ROOM_KIND = {catalog.EPS: "sport", catalog.SVT: "labo", catalog.PHCH: "labo", catalog.TECHNO: "techno",
             catalog.ARTS: "arts", catalog.MUSIC: "musique"}
ROOM_NAMES = {"sport": "GYMNASE {n}", "labo": "LABO SCIENCES {n}", "techno": "SALLE TECHNO {n}",
              "arts": "ARTS PLASTIQUES {n}", "musique": "MUSIQUE {n}", "cours": "SALLE {n}"}
ROOM_CODES = {"sport": "GYM{n}", "labo": "LAB{n}", "techno": "TEC{n}", "arts": "ART{n}",
              "musique": "MUS{n}", "cours": "S{n}"}


@dataclass
class Session:
    teacher: str
    subject: str
    divisions: list[str]
    groups: list[str]


@dataclass
class Unit:
    """Sessions held at the same time, blocking ``blocks`` (division codes)."""

    sessions: list[Session]
    length: int
    blocks: set[str]


def school_weeks(year: int) -> tuple[dt.date, tuple[int, ...]]:
    """Monday of week 1 (the week of 1 September) and the week numbers with classes."""
    first = dt.date(year, 9, 1)
    monday = first - dt.timedelta(days=first.weekday())
    off: set[int] = set()
    for year_offset, month, day, length in HOLIDAYS:
        start = dt.date(year + year_offset, month, day)
        start -= dt.timedelta(days=start.weekday())
        week = (start - monday).days // 7 + 1
        off.update(range(week, week + length))
    end = dt.date(year + 1, 7, 4)
    last = (end - monday).days // 7 + 1
    return monday, tuple(w for w in range(1, last + 1) if w not in off)


def make_units(est: Establishment) -> list[Unit]:
    """Turn the services into units to place."""
    teacher_of: dict[tuple[str, str], str] = {(s.structure, s.subject): s.teacher for s in est.services}
    hours_of: dict[tuple[str, str], int] = {(s.structure, s.subject): int(s.hours) for s in est.services}
    units: list[Unit] = []
    for d in est.divisions:
        for subject in sorted({s.subject for s in est.services if s.structure == d.code}):
            hours = hours_of[(d.code, subject)]
            lengths = [2] * (hours // 2) + [1] * (hours % 2) if subject == catalog.EPS else [1] * hours
            for length in lengths:
                units.append(Unit([Session(teacher_of[(d.code, subject)], subject, [d.code], [])], length, {d.code}))
        halves = [g.code for g in est.groups if g.kind == "demi" and g.divisions == [d.code]]
        if len(halves) == 2:
            first, second, hours = catalog.HALF_PAIRS[d.level]
            g1, g2 = halves
            for _ in range(hours):
                for a, b in ((first, second), (second, first)):
                    units.append(Unit([Session(teacher_of[(g1, a)], a, [], [g1]),
                                       Session(teacher_of[(g2, b)], b, [], [g2])], 1, {d.code}))
    bundles: dict[str, list[str]] = defaultdict(list)
    for g in est.groups:
        if g.kind == "lv2":
            bundles[",".join(g.divisions)].append(g.code)
        elif g.kind == "option":
            for _ in range(hours_of[(g.code, g.subject or "")]):
                units.append(Unit([Session(teacher_of[(g.code, g.subject or "")], g.subject or "", [], [g.code])],
                                  1, set(g.divisions)))
    for key, codes in bundles.items():
        for _ in range(catalog.LV2_HOURS):
            sessions = [Session(teacher_of[(c, est.group(c).subject or "")], est.group(c).subject or "", [], [c])
                        for c in codes]
            units.append(Unit(sessions, 1, set(key.split(","))))
    return units


def _place(units: list[Unit], rng: random.Random) -> list[tuple[Unit, int, int]] | None:
    busy: set[tuple[str, int, int]] = set()
    day_subjects: set[tuple[str, int, str]] = set()
    slots = [(day, start) for day, n in DAY_PLACES.items() for start in range(n)]
    order = sorted(units, key=lambda u: (-len(u.sessions) - len(u.blocks), -u.length, rng.random()))
    placed = []
    for unit in order:
        keys = [f"t:{s.teacher}" for s in unit.sessions] + [f"d:{d}" for d in unit.blocks]
        subjects = {s.subject for s in unit.sessions}
        best: list[tuple[int, int]] = []
        best_score = None
        for day, start in slots:
            span = range(start, start + unit.length)
            if not any(start in h and span[-1] in h for h in HALF_DAYS) or span[-1] >= DAY_PLACES[day]:
                continue
            if any((k, day, p) in busy for k in keys for p in span):
                continue
            score = sum(1 for d in unit.blocks for s in subjects if (d, day, s) in day_subjects)
            if best_score is None or score < best_score:
                best, best_score = [(day, start)], score
            elif score == best_score:
                best.append((day, start))
        if not best:
            return None
        day, start = rng.choice(best)
        for k in keys:
            for p in range(start, start + unit.length):
                busy.add((k, day, p))
        for d in unit.blocks:
            for s in subjects:
                day_subjects.add((d, day, s))
        placed.append((unit, day, start))
    return placed


def make_timetable(est: Establishment, rng: random.Random) -> None:
    """Fill ``est.courses``, ``est.rooms``, the grid and the school weeks."""
    est.places = list(PLACES)
    est.day_places = dict(DAY_PLACES)
    est.week1_monday, est.school_weeks = school_weeks(est.year)
    units = make_units(est)
    for _attempt in range(200):
        placed = _place(units, rng)
        if placed is not None:
            break
    else:  # pragma: no cover - the grid has room to spare for every generated size
        raise RuntimeError("générateur : emploi du temps impossible à placer")
    placed.sort(key=lambda x: (x[1], x[2], sorted(x[0].blocks)))
    rooms_by_kind: dict[str, list[Room]] = defaultdict(list)
    used: set[tuple[str, int, int]] = set()
    for unit, day, start in placed:
        for session in unit.sessions:
            kind = ROOM_KIND.get(session.subject, "cours")
            pool = rooms_by_kind[kind]
            span = range(start, start + unit.length)
            room = next((r for r in pool if not any((r.code, day, p) in used for p in span)), None)
            if room is None:
                n = len(pool) + 1
                number = 100 + n if kind == "cours" else n
                room = Room(ROOM_CODES[kind].format(n=number), ROOM_NAMES[kind].format(n=number), kind)
                pool.append(room)
                est.rooms.append(room)
            for p in span:
                used.add((room.code, day, p))
            est.courses.append(Course(len(est.courses) + 1, day, start, unit.length, est.school_weeks,
                                      session.subject, [session.teacher], list(session.divisions),
                                      list(session.groups), room.code))
