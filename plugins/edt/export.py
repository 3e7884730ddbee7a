"""Loader of EDT/PRONOTE's timetable export for ENTs, ``ExportEmploiDuTemps`` (clear).

Namespace ``http://www.index-education.com/exportemploidutemps`` (formats.md §4.1),
validated against ``schemas/xsd/export_emploi_du_temps.xsd``. Every reference inside the
file (a course's subject, teachers, classes, parts, groups and rooms; a student's classes
and parts; a group's classes and parts) is resolved here, since it is local to the file.

Decisions (docs/formats-edt.md): ``Semaines`` is a 64-bit mask, bit *n* = week *n*
counted from ``DatePremierJourSemaine1`` (week 1 starts that day); a course's weeks are
the union of its resources' weeks. A membership (Classe / PartieDeClasse of an Eleve) is
*current* unless its ``DateSortie`` is before the end of the school year
(``AnneeScolaire@DateFin``). Course ids follow docs/architecture.md.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from scolint.engine.model import Entity, Export, Graph
from scolint.plugins.common.xmlload import attr, check_schema, iso_date, to_int
from scolint.plugins.edt import people as edt_people
from scolint.plugins.edt.reader import _EMPTY, NS, SOURCE, SYSTEM, _date, _Reader, q  # noqa: F401

FORMAT = "edt-export"
DAYS = {1: "lundi", 2: "mardi", 3: "mercredi", 4: "jeudi", 5: "vendredi", 6: "samedi", 7: "dimanche"}
#: Resource element -> (prefix in course ids, entity kind).
RESOURCES = {"Professeur": ("P", "edt_teacher"), "Classe": ("C", "edt_class"), "Groupe": ("G", "edt_group"),
             "PartieDeClasse": ("K", "edt_class_part"), "Salle": ("S", "edt_room")}


def decode_weeks(mask: str | int | None) -> list[int] | None:
    """Week numbers of a ``Semaines`` mask: bit *n* set = week *n* (``"2"`` -> ``[1]``)."""
    if mask is None or mask == "":
        return None
    bits = _bits(str(mask) if isinstance(mask, int) else mask)
    return None if bits is None else list(bits)


@lru_cache(maxsize=4096)
def _bits(mask: str) -> tuple[int, ...] | None:
    # cached: the courses of a timetable share a few week masks (thousands of courses)
    try:
        value = int(mask)
    except (TypeError, ValueError):
        return None
    if value < 0:
        return None
    return tuple(n for n in range(value.bit_length()) if value >> n & 1)


def week_dates(weeks: list[int] | None, first_monday: dt.date | None) -> list[str]:
    """First day of each week (week 1 starts on ``first_monday``)."""
    if not weeks or first_monday is None:
        return []
    return list(_dates(tuple(weeks), first_monday))


@lru_cache(maxsize=4096)
def _dates(weeks: tuple[int, ...], first_monday: dt.date) -> tuple[str, ...]:
    # cached: one set of date strings per week mask, shared by the courses (memory and time)
    return tuple((first_monday + dt.timedelta(days=7 * (n - 1))).isoformat() for n in weeks)


def _hhmm(label: str | None) -> str | None:
    return label[:5] if label and len(label) >= 5 else label


def _idpn(el: Any) -> str | None:
    return attr(el, "IDPN") or attr(el, "IdPN")




def load_export(tree: Any, graph: Graph, display: str, kinds: frozenset[str] | set[str] | None = None) -> None:
    """Read a parsed ExportEmploiDuTemps into ``graph``.

    ``kinds`` (``options["kinds"]`` of the load hook, None = every kind): when neither
    ``edt_student`` nor ``edt_guardian`` is needed, the students and their guardians are
    not built (the fields ``students`` of classes, parts and groups stay empty lists);
    every other kind is built exactly as without ``kinds``.
    """
    root = tree.getroot()
    check_schema(tree, "export_emploi_du_temps.xsd", graph, display, "EDT (ExportEmploiDuTemps)")
    r = _Reader(root, graph, display)
    uai = attr(root, "UAI")
    graph.add_export(Export(FORMAT, display, SYSTEM, uai=uai.upper() if uai else None,
                            year=r.year_start.year if r.year_start else None,
                            meta={"version": attr(root, "Version")}))
    for el in root.iterfind(f"{q('Matieres')}/{q('Matiere')}"):
        if attr(el, "Ident"):
            code, label = attr(el, "Code"), attr(el, "Libelle")
            r.add("edt_subject", attr(el, "Ident") or "", el, label or code or "?", code=code, label=label, subject=None)
    for el in root.iterfind(f"{q('Salles')}/{q('Salle')}"):
        if attr(el, "Ident"):
            r.add("edt_room", attr(el, "Ident") or "", el, attr(el, "Nom") or "?", name=attr(el, "Nom"), declared=True,
                  courses=[])
    for el in root.iterfind(f"{q('Professeurs')}/{q('Professeur')}"):
        if attr(el, "Ident"):
            fields = _EMPTY["edt_teacher"]()
            fields.update(last_name=attr(el, "Nom"), first_name=attr(el, "Prenom"),
                          birth_date=iso_date(attr(el, "DateNaissance")), postal_code=attr(el, "CodePostal"),
                          sts_id=attr(el, "IDSTS"), idpn=_idpn(el), idcas=attr(el, "IDCAS"))
            label = " ".join(p for p in (fields["last_name"], fields["first_name"]) if p) or attr(el, "Ident")
            r.add("edt_teacher", attr(el, "Ident") or "", el, label or "?", **fields)
    _structures(r)
    if r.has_students:
        if edt_people.people_needed(r, kinds):
            edt_people.read_students(r)
        else:
            edt_people.student_refs(r)
    _courses(r)


def _structures(r: _Reader) -> None:
    for el in r.root.iterfind(f"{q('Classes')}/{q('Classe')}"):
        ident = attr(el, "Ident")
        if not ident:
            continue
        fields = _EMPTY["edt_class"]()
        fields["name"] = attr(el, "Nom")
        cls = r.add("edt_class", ident, el, fields["name"] or ident, **fields)
        for pel in el.iterfind(q("PartieDeClasse")):
            pid = attr(pel, "Ident")
            if pid:
                part = r.add("edt_class_part", pid, pel, f"{cls.label} (partie {pid})", **_EMPTY["edt_class_part"]())
                part.data["edt_class"] = cls
                cls.data["parts"].append(part)
    for el in r.root.iterfind(f"{q('Groupes')}/{q('Groupe')}"):
        ident = attr(el, "Ident")
        if not ident:
            continue
        fields = _EMPTY["edt_group"]()
        fields["name"] = attr(el, "Nom")
        grp = r.add("edt_group", ident, el, fields["name"] or ident, **fields)
        for child in el:
            tag = child.tag.split("}")[-1] if isinstance(child.tag, str) else ""
            if tag == "Classe":
                cls = r.ref("edt_class", attr(child, "Ident"), child)
                if cls is not None and cls not in grp.data["classes"]:
                    grp.data["classes"].append(cls)
                    grp.data["whole_classes"].append(cls)
                    cls.data["groups"].append(grp)
            elif tag == "PartieDeClasse":
                part = r.ref("edt_class_part", attr(child, "Ident"), child)
                if part is None:
                    continue
                grp.data["parts"].append(part)
                part.data["groups"].append(grp)
                owner = part.data.get("edt_class")
                if owner is not None and owner not in grp.data["classes"]:
                    grp.data["classes"].append(owner)
                    owner.data["groups"].append(grp)
        grp.data["class_names"] = [c.data.get("name") or c.id for c in grp.data["classes"]]


def _places(root: Any) -> tuple[dict[int, tuple[str | None, str | None]], int | None]:
    grid = root.find(q("GrilleHoraire"))
    places = {}
    for el in root.iterfind(f"{q('GrilleHoraire')}/{q('PlacesParJour')}/{q('Place')}"):
        num = to_int(attr(el, "Numero"))
        if num is not None:
            places[num] = (_hhmm(attr(el, "LibelleHeureDebut")), _hhmm(attr(el, "LibelleHeureFin")))
    return places, to_int(attr(grid, "DureePlace"))


def _course_weeks(masks: tuple[str | None, ...], first_monday: dt.date | None,
                  cache: dict[tuple[str | None, ...], tuple[tuple[int, ...] | None, tuple[str, ...]]]
                  ) -> tuple[tuple[int, ...] | None, tuple[str, ...]]:
    """The weeks (union of the resources' ``Semaines``; None when none is readable) and
    their first days, cached by the resources' masks (a timetable has few distinct ones)."""
    found = cache.get(masks)
    if found is None:
        weeks: set[int] = set()
        has_weeks = False
        for mask in masks:
            decoded = decode_weeks(mask)
            if decoded is not None:
                has_weeks = True
                weeks.update(decoded)
        week_list = sorted(weeks) if has_weeks else None
        found = (tuple(week_list) if week_list is not None else None,
                 tuple(week_dates(week_list, first_monday)))
        cache[masks] = found
    return found


def _int(value: str | None) -> int | None:
    """:func:`~scolint.plugins.common.xmlload.to_int`, without its exception for plain numbers."""
    return int(value) if value is not None and value.isdecimal() else to_int(value)


def _courses(r: _Reader) -> None:
    places, place_minutes = _places(r.root)
    seen: dict[str, int] = {}
    weeks_cache: dict[tuple[str | None, ...], tuple[tuple[int, ...] | None, tuple[str, ...]]] = {}
    #: (child tag, Ident) -> (slot, entity, reference in course ids or None): each resource
    #: of the timetable is looked up (or created bare, at its first mention) once
    resolved: dict[tuple[Any, str], tuple[int, Entity, str | None]] = {}
    add, prov = r.graph.add, r.prov
    for el in r.root.iterfind(f"{q('Cours')}/{q('Cours')}"):
        get = el.get
        day, first, count = _int(get("Jour")), _int(get("NumeroPlaceDebut")), _int(get("NombrePlaces"))
        slots: tuple[list[Entity], ...] = ([], [], [], [], [])  # teachers, classes, groups, parts, rooms
        refs: list[str] = []
        masks: list[str | None] = []
        subject = None
        for child in el:
            ident = child.get("Ident")
            if ident:
                ident = ident.strip()
            found = resolved.get((child.tag, ident)) if ident else None
            if found is None:
                found = _course_child(r, child, ident, resolved)
                if found is None:
                    if not ident and isinstance(child.tag, str) and child.tag.split("}")[-1] == "Matiere":
                        subject = None  # a Matiere without Ident: the course has no subject
                    continue
            slot, ent, ref = found
            if slot < 0:
                subject = ent
                continue
            slots[slot].append(ent)
            if ref is not None:
                refs.append(ref)
            masks.append(child.get("Semaines"))  # decode_weeks reads it as attr() would give it
        teachers, classes, groups, parts, rooms = slots
        base = f"J{day if day is not None else ''}-P{first if first is not None else ''}-M{subject.id if subject else ''}-" \
               + ",".join(sorted(refs))
        n = seen[base] = seen.get(base, 0) + 1
        cid = base if n == 1 else f"{base}#{n}"
        if first is not None:
            start = places.get(first, _NO_PLACE)[0]
            end = places.get(first + (count or 1) - 1, _NO_PLACE)[1]
        else:
            start = end = None
        week_tuple, dates = _course_weeks(tuple(masks), r.first_monday, weeks_cache)
        names = [e.label for e in classes + groups + parts]
        day_name = DAYS.get(day or 0)
        label = f"{subject.label if subject else 'sans matière'} – {', '.join(names) or 'sans classe'} – " \
                f"{day_name or '?'} {start or '?'}"
        course = add("edt_course", cid, source=SOURCE, prov=prov(el), label=label, day=day, day_name=day_name,
                     start=start, end=end, duration=(count * place_minutes) if count and place_minutes else None,
                     first_place=first, places=count, weeks=list(week_tuple) if week_tuple is not None else None,
                     week_dates=list(dates), alternance=None,
                     teachers=teachers, classes=classes, groups=groups, class_parts=parts, subject=subject,
                     subject_code=subject.data.get("code") if subject else None,
                     rooms=rooms, room=rooms[0] if rooms else None, service=None,
                     exported=None, complex_specified=None)
        for ents in (teachers, classes, groups):
            for ent in ents:
                ent.data.setdefault("courses", []).append(course)


#: Child element of a Cours (local name) -> (slot in the course's resources, prefix in
#: course ids or None); slot -1 for the subject.
_SLOTS: dict[str, tuple[int, str | None]] = {"Matiere": (-1, None), "Professeur": (0, "P"), "Classe": (1, "C"),
                                             "Groupe": (2, "G"), "PartieDeClasse": (3, "K"), "Salle": (4, None)}


def _course_child(r: _Reader, child: Any, ident: str | None,
                  resolved: dict[tuple[Any, str], tuple[int, Entity, str | None]]
                  ) -> tuple[int, Entity, str | None] | None:
    """The slot, entity and id reference of a course's child seen for the first time
    (None for an element that is no resource, or without Ident); remembered in ``resolved``."""
    tag = child.tag
    local = tag.split("}")[-1] if isinstance(tag, str) else ""  # another namespace: read by its local name
    if local not in _SLOTS or not ident:
        return None
    slot, prefix = _SLOTS[local]
    kind = "edt_subject" if slot < 0 else RESOURCES[local][1]
    ent = r.ref(kind, ident, child)
    if ent is None:
        return None
    found = resolved[(tag, ident)] = (slot, ent, f"{prefix}{ent.id}" if prefix else None)
    return found


_NO_PLACE: tuple[None, None] = (None, None)
