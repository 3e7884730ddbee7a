"""The in-memory fictional establishment that every generator writer reads.

``build.build_establishment`` fills an :class:`Establishment`; defects then change it
(recording what they did); then each family writer (siecle, sts, edt, pronote, ent,
aaf) writes its files from it. Writers never invent people or structures of their
own: everything they need is here, so that the files agree with each other.

Derived memberships (students of a division or group, guardians of a student) are
computed from the students and links, never stored twice, so that a defect changing a
student cannot leave a stale list behind.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

#: Random draws :meth:`Establishment.pick` tries before filtering the whole list.
PICK_DRAWS = 48


@dataclass
class Mef:
    """A MEF (level/curriculum), with its STS statistics codes."""

    code: str
    formation: str
    label: str
    edition: str
    mefstat11: str
    mefstat4: str
    level: int


@dataclass
class Subject:
    """A subject of the nomenclature (6-character code)."""

    code: str
    gestion: str
    short: str
    long: str
    edition: str
    discipline: str = ""      # STS discipline of its teachers (L0202...)
    discipline_label: str = ""


@dataclass
class Division:
    """A class: code as SIECLE/STS write it (``6A``, ``5 B``, ``301``)."""

    code: str
    label: str
    mef: str
    level: int
    head_teacher: str | None = None

    @property
    def slug(self) -> str:
        """The code without spaces (used to build group codes)."""
        return self.code.replace(" ", "")


@dataclass
class Group:
    """A teaching group: ``lv2``, ``option`` or ``demi`` (half class)."""

    code: str
    label: str
    divisions: list[str]
    kind: str
    subject: str | None = None


@dataclass
class Address:
    id: str
    line1: str
    line2: str
    postal_code: str
    city: str
    insee: str
    dept: str


@dataclass
class Accounts:
    """Identifiers of a person outside SIECLE/STS: PRONOTE, ENT, AAF."""

    idpn: str = ""
    ent_login: str = ""
    ent_uid: str = ""
    ent_code: str = ""
    jointure: str = ""


@dataclass
class Student:
    eleve_id: str
    elenoet: str
    ine: str
    id_etab: str
    last_name: str
    first_name: str
    first_name2: str
    sex: int
    birth_date: dt.date
    birth_commune: tuple[str, str, str, str]
    mef: str
    division: str | None
    groups: list[str]
    entry_date: dt.date
    exit_date: dt.date | None = None
    exit_reason: str = ""
    regime: str = "2"
    status: str = "ST"
    repeating: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    family: int = 0
    previous: tuple[str, str] | None = None  # (MEF, structure) of last year here
    accounts: Accounts = field(default_factory=Accounts)

    @property
    def left(self) -> bool:
        return self.exit_date is not None


@dataclass
class Guardian:
    personne_id: str
    civility: int          # 1 M., 2 MME
    last_name: str
    first_name: str
    phone_home: str
    phone_mobile: str
    email: str
    address_id: str
    profession: str
    espace_parents: bool = True
    accounts: Accounts = field(default_factory=Accounts)


@dataclass
class Link:
    """A RESPONSABLE_ELEVE row (NIVEAU_RESPONSABILITE model)."""

    eleve_id: str
    personne_id: str
    level: int             # 1 légal, 2 en charge, 3 à contacter
    relation: str          # CODE_PARENTE: 10 mère, 20 père, 50 tuteur, 38, 39, 90
    pays: bool = False
    lives_with: bool = True
    priority: bool = False


@dataclass
class Teacher:
    """An STS individual (teacher or other staff: FONCTION ENS, DIR, EDU, DOC)."""

    sts_id: str
    type: str              # epp | local
    sex: int | None
    civility: int
    last_name: str
    birth_name: str
    first_name: str
    birth_date: dt.date | None
    grade: str
    function: str
    discipline: str
    discipline_label: str
    hours: float
    subjects: list[str] = field(default_factory=list)
    accounts: Accounts = field(default_factory=Accounts)


@dataclass
class Service:
    """Teacher × subject × structure with its weekly hours (STS SERVICE)."""

    teacher: str
    structure: str
    structure_type: str    # division | group
    subject: str
    hours: float
    mod: str = "CG"

    @property
    def id(self) -> str:
        return f"{self.teacher}:{self.structure}:{self.subject}:{self.mod}"


@dataclass
class Course:
    """One weekly course of the timetable (EDT)."""

    num: int
    day: int               # 1 = lundi
    start: int             # place number, 0-based
    length: int            # number of places
    weeks: tuple[int, ...]
    subject: str
    teachers: list[str]
    divisions: list[str]
    groups: list[str]
    room: str
    exported: bool = True


@dataclass
class Room:
    code: str
    name: str
    kind: str


@dataclass
class Establishment:
    """Everything generated for one fictional collège."""

    seed: int
    size: int
    uai: str
    name: str
    sigle: str
    denom: str
    academy: tuple[str, str]
    commune: tuple[str, str, str, str]
    street: str
    phone: str
    year: int
    export_date: dt.date
    export_time: str
    mefs: dict[str, Mef] = field(default_factory=dict)
    subjects: dict[str, Subject] = field(default_factory=dict)
    divisions: list[Division] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    students: list[Student] = field(default_factory=list)
    guardians: list[Guardian] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    teachers: list[Teacher] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    courses: list[Course] = field(default_factory=list)
    rooms: list[Room] = field(default_factory=list)
    places: list[tuple[str, str]] = field(default_factory=list)   # (début, fin) by place
    day_places: dict[int, int] = field(default_factory=dict)      # day -> number of places
    week1_monday: dt.date = dt.date(2000, 1, 3)
    school_weeks: tuple[int, ...] = ()
    #: free-form flags set by defects for the writers (name -> value)
    flags: dict[str, Any] = field(default_factory=dict)
    #: entity id -> name of the defect that touched it (defects pick untouched entities)
    touched: dict[str, str] = field(default_factory=dict)
    #: look-up indexes (see :meth:`changed`)
    _indexes: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # -- dates ------------------------------------------------------------------------
    @property
    def start_date(self) -> dt.date:
        return dt.date(self.year, 9, 1)

    @property
    def end_date(self) -> dt.date:
        return dt.date(self.year + 1, 8, 31)

    # -- look-ups ---------------------------------------------------------------------
    # Every look-up reads an index built on first use from the lists above and kept until
    # :meth:`changed` is called. The pipeline calls it before each defect and before the
    # writers (generate.py), so a defect sees the establishment as the previous defects
    # left it; a defect that changes memberships and then reads them again in the same
    # call must call ``est.changed()`` itself. Without indexes each look-up scanned a
    # list, and picking a victim under a condition that looks people up cost n² per
    # defect, n³ in all (docs/performance.md, « Générateur »).
    def changed(self) -> None:
        """Forget the indexes: the lists or the memberships were changed."""
        self._indexes.clear()

    def memo(self, name: str, build: Callable[[], Any]) -> Any:
        found = self._indexes.get(name)
        if found is None:
            found = self._indexes[name] = build()
        return found

    def _by(self, name: str, items: Callable[[], Iterable[Any]], key: Callable[[Any], Any]) -> dict[Any, list[Any]]:
        def build() -> dict[Any, list[Any]]:
            out: dict[Any, list[Any]] = {}
            for item in items():
                for k in key(item):
                    out.setdefault(k, []).append(item)
            return out
        return self.memo(name, build)

    def rng(self, purpose: str) -> random.Random:
        """A random generator of its own for ``purpose`` (stable whatever else runs)."""
        return random.Random(f"{self.seed}:{purpose}")

    def student(self, eleve_id: str) -> Student:
        return self._by("student", lambda: self.students, lambda s: (s.eleve_id,))[eleve_id][0]

    def guardian(self, personne_id: str) -> Guardian:
        return self._by("guardian", lambda: self.guardians, lambda g: (g.personne_id,))[personne_id][0]

    def teacher(self, sts_id: str) -> Teacher:
        return self._by("teacher", lambda: self.teachers, lambda t: (t.sts_id,))[sts_id][0]

    def division(self, code: str) -> Division:
        return self._by("division", lambda: self.divisions, lambda d: (d.code,))[code][0]

    def group(self, code: str) -> Group:
        return self._by("group", lambda: self.groups, lambda g: (g.code,))[code][0]

    def current_students(self) -> list[Student]:
        """Students who have not left."""
        return self.memo("current", lambda: [s for s in self.students if not s.left])

    def students_of(self, structure: str) -> list[Student]:
        """Students (left or not) whose division or one of whose groups is ``structure``."""
        index = self._by("members", lambda: self.students,
                         lambda s: dict.fromkeys([*([s.division] if s.division else []), *s.groups]))
        return list(index.get(structure, ()))

    def current_count(self, structure: str) -> int:
        """How many students who have not left are in ``structure`` (division or group)."""
        index = self._by("current_members", self.current_students,
                         lambda s: dict.fromkeys([*([s.division] if s.division else []), *s.groups]))
        return len(index.get(structure, ()))

    def family_of(self, s: Student) -> list[Student]:
        """The students of ``s``'s family (``s`` included)."""
        return list(self._by("family", lambda: self.students, lambda x: (x.family,)).get(s.family, ()))

    def halves_of(self, division: str) -> list[str]:
        """Codes of the half groups of ``division``."""
        index = self._by("halves", lambda: self.groups,
                         lambda g: (g.divisions[0],) if g.kind == "demi" and len(g.divisions) == 1 else ())
        return [g.code for g in index.get(division, ())]

    def links_of(self, eleve_id: str) -> list[Link]:
        return list(self._by("links", lambda: self.links, lambda lk: (lk.eleve_id,)).get(eleve_id, ()))

    def guardians_of(self, eleve_id: str, legal_only: bool = False) -> list[Guardian]:
        ids = [lk.personne_id for lk in self.links_of(eleve_id) if not legal_only or lk.level == 1]
        return [self.guardian(i) for i in ids]

    def children_of(self, personne_id: str) -> list[Student]:
        links = self._by("children", lambda: self.links, lambda lk: (lk.personne_id,)).get(personne_id, ())
        return [self.student(lk.eleve_id) for lk in links]

    def services_of(self, sts_id: str) -> list[Service]:
        return list(self._by("services", lambda: self.services, lambda s: (s.teacher,)).get(sts_id, ()))

    def courses_of(self, teacher: str, subject: str, structure: str) -> list[Course]:
        """Courses of ``teacher`` in ``subject`` for ``structure`` (a division or group), in order."""
        index = self._by("courses", lambda: self.courses,
                         lambda c: dict.fromkeys((t, c.subject, x) for t in c.teachers for x in (*c.divisions, *c.groups)))
        return list(index.get((teacher, subject, structure), ()))

    def address(self, address_id: str) -> Address:
        return self._by("address", lambda: self.addresses, lambda a: (a.id,))[address_id][0]

    # -- for defects ------------------------------------------------------------------
    def pick(self, rng: random.Random, items: Iterable[Any], key: Callable[[Any], str],
             defect: str, where: Callable[[Any], bool] = lambda _x: True) -> Any | None:
        """Choose an item not touched by another defect, mark it touched by ``defect``.

        Every eligible item is equally likely. Items are first drawn at random until one is
        eligible (a few draws when most are, which is the usual case): filtering the whole
        list at each call made a defect applied once per 300 students cost n², and the
        generator n³ with the conditions' look-ups. Only when :data:`PICK_DRAWS` draws fail
        is the list filtered.
        """
        items = items if isinstance(items, list) else list(items)
        if not items:
            return None

        def eligible(x: Any) -> bool:
            return key(x) not in self.touched and where(x)

        chosen = None
        for _ in range(PICK_DRAWS):
            x = items[rng.randrange(len(items))]
            if eligible(x):
                chosen = x
                break
        else:
            pool = [x for x in items if eligible(x)]
            if not pool:
                return None
            chosen = rng.choice(pool)
        self.touched[key(chosen)] = defect
        return chosen
