"""Loader of EDT's remontée file to STS-Web (root ``EDT_STS``, formats.md §3).

Validated against ``schemas/xsd/edt_sts.xsd``. Reads the alternances (weeks given as the
first day of each week; an ``edt_alternance`` each, with the bounds of the school year of
PARAMETRES/ANNEE_SCOLAIRE), the rooms (``declared`` when SALLES_COURS lists them, not when
only a course's CODE_SALLE names them), the individuals, the divisions and groups with
their services (a group found inside DIVISIONS is read and marked ``nested``), and the
courses attached to each teacher of a service. Services get the id of
an STS service (``<enseignant>:<structure>:<matière>:<modalité>``) so both files compare
directly. A course of EDT_STS has no id of its own: it is ``<service id>:J<jour>-<HHMM>-
<alternance>`` (``#2``… for an exact duplicate).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from scolint.engine.model import Entity, Export, Graph, Provenance
from scolint.plugins.common.xmlload import attr, check_schema, iso_date, to_float, to_int, val
from scolint.plugins.common.xmlload import fields as child_texts
from scolint.plugins.edt.export import DAYS

FORMAT = "edt-sts"
SOURCE = "edt_sts"
SYSTEM = "EDT"
#: Groups nested in DIVISIONS (a variant seen in OPEN-ENT-NG's fixtures): read, and flagged.
NESTED_GROUPS = ("DONNEES/STRUCTURE/DIVISIONS/GROUPES/GROUPE", "DONNEES/STRUCTURE/DIVISIONS/DIVISION/GROUPES/GROUPE")


def _minutes(hhmm: str | None) -> int | None:
    """``0130`` -> 90 (HHMM); None when not a time."""
    if not hhmm or not hhmm.isdigit():
        return None
    value = int(hhmm)
    return value // 100 * 60 + value % 100


def _clock(minutes: int | None) -> str | None:
    return None if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"


class _Ctx:
    def __init__(self, graph: Graph, display: str) -> None:
        self.graph, self.display = graph, display
        self.weeks: dict[str, list[str]] = {}
        self.seen: dict[str, int] = {}

    def prov(self, el: Any) -> Provenance:
        return Provenance(self.display, el.sourceline, SYSTEM)

    def teacher(self, tid: str, el: Any) -> Entity:
        ent = self.graph.get("edt_teacher", tid, SOURCE)
        if ent is None:
            ent = self.graph.add("edt_teacher", tid, source=SOURCE, prov=self.prov(el), label=f"INDIVIDU {tid}",
                                 last_name=None, first_name=None, birth_date=None, postal_code=None, sts_id=tid,
                                 idpn=None, idcas=None, courses=[], services=[], teacher=None, link=None)
        return ent

    def room(self, code: str | None, el: Any, declared: bool = False) -> Entity | None:
        """The room ``code``; ``declared``: read from SALLES_COURS (else named by a course only)."""
        if not code:
            return None
        ent = self.graph.get("edt_room", code, SOURCE)
        if ent is None:
            ent = self.graph.add("edt_room", code, source=SOURCE, prov=self.prov(el), label=code, name=code,
                                 declared=declared, courses=[])
        elif declared:
            ent.data["declared"] = True
        return ent


def load_edt_sts(tree: Any, graph: Graph, display: str) -> None:
    """Read a parsed EDT_STS file into ``graph``."""
    root = tree.getroot()
    check_schema(tree, "edt_sts.xsd", graph, display, "EDT (remontée vers STS-Web, EDT_STS)")
    params = root.find("PARAMETRES")
    uai = val(params, "UAJ")
    graph.add_export(Export(FORMAT, display, SYSTEM, uai=uai.upper() if uai else None,
                            year=to_int(val(params, "ANNEE_SCOLAIRE")),
                            meta={"application": val(params, "APPLICATION_SOURCE")}))
    ctx = _Ctx(graph, display)
    year = to_int(val(params, "ANNEE_SCOLAIRE"))
    bounds = _school_year(year)
    for el in root.iterfind("DONNEES/ALTERNANCES/ALTERNANCE"):
        code = attr(el, "CODE")
        if code:
            ctx.weeks[code] = [d for d in (iso_date(val(w, ".")) for w in el.iterfind("SEMAINES/DATE_DEBUT_SEMAINE")) if d]
            weeks = ctx.weeks[code]
            graph.add("edt_alternance", code, source=SOURCE, prov=ctx.prov(el),
                      label=f"alternance {code}" + (f" ({val(el, 'LIBELLE_COURT')})" if val(el, "LIBELLE_COURT") else ""),
                      code=code, weeks=weeks, first_week=min(weeks, default=None), last_week=max(weeks, default=None),
                      year=year, **bounds)
    for el in root.iterfind("DONNEES/SALLES_COURS/SALLE_COURS"):
        ctx.room(attr(el, "CODE"), el, declared=True)
    for el in root.iterfind("DONNEES/INDIVIDUS/INDIVIDU"):
        if attr(el, "ID"):
            ctx.teacher(attr(el, "ID") or "", el)
    for kind, path in (("edt_class", "DONNEES/STRUCTURE/DIVISIONS/DIVISION"),
                       ("edt_group", "DONNEES/STRUCTURE/GROUPES/GROUPE")):
        for el in root.iterfind(path):
            _structure(ctx, kind, el)
    for path in NESTED_GROUPS:  # read as groups; rule EDT-REM-003 says where they are
        for el in root.iterfind(path):
            _structure(ctx, "edt_group", el, nested=True)


def _school_year(year: int | None) -> dict[str, str | None]:
    """Bounds of the school year ``year`` (1 September to 31 August) as ISO dates, and the
    earliest week start still in it (a week starting up to 6 days before 1 September)."""
    if year is None or not 1900 < year < 3000:
        return {"year_start": None, "year_end": None, "first_week_start": None}
    start = dt.date(year, 9, 1)
    return {"year_start": start.isoformat(), "year_end": dt.date(year + 1, 8, 31).isoformat(),
            "first_week_start": (start - dt.timedelta(days=6)).isoformat()}


def _structure(ctx: _Ctx, kind: str, el: Any, nested: bool = False) -> None:
    code = attr(el, "CODE")
    if not code:
        return
    fields: dict[str, Any] = {"name": code, "students": None, "courses": [], "services": []}
    if kind == "edt_class":
        fields.update(parts=[], groups=[], division=None)
    else:
        names = [c for c in (attr(d, "CODE") for d in el.iterfind("DIVISIONS_APPARTENANCE/DIVISION_APPARTENANCE")) if c]
        fields.update(classes=[], whole_classes=[], class_names=names, parts=[], group=None, nested=nested)
    structure = ctx.graph.add(kind, code, source=SOURCE, prov=ctx.prov(el), label=code, **fields)
    stype = "division" if kind == "edt_class" else "group"
    for svc in el.iterfind("SERVICES/SERVICE"):
        subject, mod = attr(svc, "CODE_MATIERE"), attr(svc, "CODE_MOD_COURS")
        if not subject:
            continue
        co_ens = (val(svc, "CO_ENS") or "").lower() == "true"
        for ens in svc.iterfind("ENSEIGNANTS/ENSEIGNANT"):
            tid = attr(ens, "ID")
            if not tid:
                continue
            teacher = ctx.teacher(tid, ens)
            hours = to_float(val(ens, "HEURES_AGENT"))
            sid = f"{tid}:{code}:{subject}:{mod or ''}"
            service = ctx.graph.add(
                "edt_service", sid, source=SOURCE, prov=ctx.prov(ens),
                label=f"{subject} {mod or ''} en {code} ({tid})".replace("  ", " "),
                teacher_id=tid, teacher=teacher, structure_code=code, structure_type=stype, structure=structure,
                subject_code=subject, mod=mod, hours=hours if hours is not None else to_float(val(svc, "HEURES_STRUCTURE")),
                co_teaching=co_ens, courses=[], service=None, subject=None)
            teacher.data["services"].append(service)
            structure.data["services"].append(service)
            for cel in ens.iterfind("COURS_RATTACHES/COURS"):
                _course(ctx, cel, service, teacher, structure, kind, subject)


def _course(ctx: _Ctx, el: Any, service: Entity, teacher: Entity, structure: Entity, kind: str, subject: str) -> None:
    f = child_texts(el)  # one pass over the children (``val`` would walk them once per field)
    day = to_int(f.get("JOUR"))
    start = _minutes(f.get("HEURE_DEBUT"))
    duration = _minutes(f.get("DUREE"))
    alt = f.get("CODE_ALTERNANCE")
    base = f"{service.id}:J{day if day is not None else ''}-{f.get('HEURE_DEBUT') or ''}-{alt or ''}"
    ctx.seen[base] = ctx.seen.get(base, 0) + 1
    cid = base if ctx.seen[base] == 1 else f"{base}#{ctx.seen[base]}"
    room = ctx.room(f.get("CODE_SALLE"), el)
    course = ctx.graph.add(
        "edt_course", cid, source=SOURCE, prov=ctx.prov(el),
        label=f"{subject} – {structure.id} – {DAYS.get(day or 0, '?')} {_clock(start) or '?'}",
        day=day, day_name=DAYS.get(day or 0), start=_clock(start),
        end=_clock(start + duration) if start is not None and duration is not None else None,
        duration=duration, first_place=None, places=None, weeks=None, week_dates=ctx.weeks.get(alt or "", []),
        alternance=alt, teachers=[teacher], classes=[structure] if kind == "edt_class" else [],
        groups=[structure] if kind == "edt_group" else [], class_parts=[], subject=None, subject_code=subject,
        rooms=[room] if room else [], room=room, service=service, exported=True, complex_specified=None)
    service.data["courses"].append(course)
    teacher.data["courses"].append(course)
    structure.data["courses"].append(course)
    if room is not None:
        room.data["courses"].append(course)
