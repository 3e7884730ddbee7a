"""The graph model: entities with provenance, the exports they came from, and the graph.

The engine knows no export format: plugins create entities of named *kinds*
(``student``, ``course``...) with a ``source`` system (``siecle``, ``edt``...).
Entities are looked up by ``(kind, source, id)``; every entity keeps where it was read
(file, line, system) so that each finding can point the user at the right line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a record was read: file path, 1-based line (or None) and source system."""

    file: str
    line: int | None
    system: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


class Entity:
    """One record of the graph (a student, a course, an ENT account...).

    ``kind``, ``id``, ``source``, ``label`` and ``prov`` are attributes; every other
    field lives in ``data`` and is read by rule expressions as ``student.birth_date``
    (the sandbox falls back on ``__getitem__``). Related entities are stored in ``data``
    as Entity objects or lists of them, so ``student.division.label`` works.
    """

    __slots__ = ("kind", "id", "source", "label", "prov", "data")

    def __init__(
        self,
        kind: str,
        id: str,
        source: str,
        prov: Iterable[Provenance] = (),
        label: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.id = str(id)
        self.source = source
        self.prov: list[Provenance] = list(prov)
        self.label = label if label is not None else str(id)
        self.data: dict[str, Any] = data if data is not None else {}

    def __getitem__(self, name: str) -> Any:
        return self.data[name]

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def get(self, name: str, default: Any = None) -> Any:
        """Return field ``name`` or ``default``."""
        return self.data.get(name, default)

    def __repr__(self) -> str:
        return f"<Entity {self.kind}:{self.source}:{self.id}>"

    def __str__(self) -> str:
        return self.label

    @property
    def key(self) -> tuple[str, str, str]:
        """The unique key of the entity in its graph."""
        return (self.kind, self.source, self.id)


@dataclass
class Export:
    """One export file that was recognised and read.

    :param format_id: the format id given by the detecting plugin (``siecle-eleves``...).
    :param uai: the establishment the file says it belongs to (may be None).
    :param year: the school year's first calendar year (2019 for 2019-2020), or None.
    :param exported_at: export date as written in the file (ISO when known), or None.
    """

    format_id: str
    path: str
    system: str
    uai: str | None = None
    year: int | None = None
    exported_at: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    readable: bool = True


@dataclass
class Problem:
    """A problem met while reading an input (schema, encoding, truncation...).

    Problems become findings of the pseudo-rule given by ``code`` (e.g. ``ENTREE-XML``).
    ``fatal`` means the file could not be read at all (exit code 2).
    """

    code: str
    severity: str
    message: str
    file: str
    line: int | None = None
    fix: str = ""
    fatal: bool = False


_new_entity = object.__new__


class Graph:
    """All entities of one audit, indexed by kind and by (kind, source, id)."""

    def __init__(self) -> None:
        self._by_kind: dict[str, list[Entity]] = {}
        self._by_key: dict[tuple[str, str, str], Entity] = {}
        self._first: dict[str, dict[str, Entity]] = {}  # kind -> id -> first added, any source
        self._sources: dict[str, tuple[int, set[str]]] = {}  # kind -> (entities seen, their sources)
        self._indexes: dict[tuple[str, str | None, str], dict[Any, list[Entity]]] = {}
        self.exports: list[Export] = []
        self.problems: list[Problem] = []
        self._shared: dict[str, Any] = {}

    def shared(self, name: str, build: Callable[[Graph], Any]) -> Any:
        """A value built once per graph and shared by the link steps of several families
        (for example the index of people that the ENT, PRONOTE and AAF links read): the
        first call builds it with ``build(graph)``, later calls get the same object.
        Build it after loading, when the entities it indexes are all there."""
        if name not in self._shared:
            self._shared[name] = build(self)
        return self._shared[name]

    def links_done(self) -> None:
        """The link steps have run: drop what only they read (the shared values and the
        indexes built meanwhile), so that it does not stay in memory during the
        evaluation of the rules (an index a rule asks for is built again, once)."""
        self._shared.clear()
        self._indexes.clear()

    def release(self) -> None:
        """Empty the graph and the fields of its entities, for a caller done with it (a
        batch, between two establishments). Entities refer to each other in their fields
        (relations both ways): left as it is, a graph is cyclic garbage that only a full
        collection frees, walking every entity (a third of a second for a big
        establishment); with the fields emptied, reference counting frees it at once. An
        entity still referred to elsewhere keeps its kind, id, label and provenance."""
        for ents in self._by_kind.values():
            for ent in ents:
                ent.data = {}
        for table in (self._by_kind, self._by_key, self._first, self._sources, self._indexes, self._shared):
            table.clear()
        self.exports.clear()
        self.problems.clear()

    # -- building -----------------------------------------------------------------
    def add(
        self,
        kind: str,
        id: str,
        *,
        source: str,
        prov: Provenance | Iterable[Provenance] | None = None,
        label: str | None = None,
        **fields: Any,
    ) -> Entity:
        """Add an entity, or merge ``fields`` into the existing one with the same key."""
        # Every loader calls this for each record: no call or copy that can be saved
        # (``fields`` is already a new dict; tests/engine/test_model.py).
        if type(id) is not str:
            id = str(id)
        key = (kind, source, id)
        if prov is None:
            provs = []
        elif isinstance(prov, Provenance):
            provs = [prov]
        else:
            provs = list(prov)
        ent = self._by_key.get(key)
        if ent is not None:
            ent.data.update(fields)
            ent.prov.extend(p for p in provs if p not in ent.prov)
            if label is not None:
                ent.label = label
            return ent
        ent = _new_entity(Entity)
        ent.kind, ent.id, ent.source, ent.prov, ent.data = kind, id, source, provs, fields
        ent.label = id if label is None else label
        self._by_key[key] = ent
        first = self._first.get(kind)
        if first is None:
            self._first[kind] = {id: ent}
            self._by_kind[kind] = [ent]
        else:
            if id not in first:
                first[id] = ent
            self._by_kind[kind].append(ent)
        if self._indexes:
            self._indexes.clear()
        return ent

    def add_export(self, export: Export) -> Export:
        """Record that an export file was read."""
        self.exports.append(export)
        return export

    def problem(
        self,
        code: str,
        message: str,
        file: str,
        line: int | None = None,
        *,
        severity: str = "error",
        fix: str = "",
        fatal: bool = False,
    ) -> Problem:
        """Record a problem met while reading ``file``."""
        pb = Problem(code, severity, message, str(file), line, fix, fatal)
        self.problems.append(pb)
        return pb

    # -- reading ------------------------------------------------------------------
    def get(self, kind: str, id: str, source: str | None = None) -> Entity | None:
        """Return the entity of ``kind`` and ``id`` (from ``source`` if given)."""
        if source is not None:
            return self._by_key.get((kind, source, str(id)))
        return self._first.get(kind, {}).get(str(id))

    def all(self, kind: str, source: str | None = None) -> list[Entity]:
        """Return the entities of ``kind`` (only from ``source`` if given), in load order."""
        ents = self._by_kind.get(kind, [])
        if source is None:
            return ents
        sources = self._kind_sources(kind, ents)
        if source not in sources:
            return []
        if len(sources) == 1:
            return ents[:]  # every entity of the kind is from ``source`` (the usual case)
        return [e for e in ents if e.source == source]

    def _kind_sources(self, kind: str, ents: list[Entity]) -> set[str]:
        """The sources of the entities of ``kind``, brought up to date with the entities
        added since the last call (entities are only ever appended to a kind's list)."""
        seen = self._sources.get(kind)
        if seen is None:
            seen = self._sources[kind] = (0, set())
        count, sources = seen
        if count < len(ents):
            sources.update(e.source for e in ents[count:])
            self._sources[kind] = (len(ents), sources)
        return sources

    def kinds(self) -> list[str]:
        """Return the kinds present in the graph."""
        return list(self._by_kind)

    def __iter__(self) -> Iterator[Entity]:
        for ents in self._by_kind.values():
            yield from ents

    def __len__(self) -> int:
        return len(self._by_key)

    def index(self, kind: str, field_name: str, source: str | None = None) -> dict[Any, list[Entity]]:
        """Return (and cache) ``{value: [entities]}`` for ``field_name`` of ``kind``.

        Used by linkers and check kinds so joins are dictionary look-ups, never scans.
        The cache is dropped whenever an entity is added.
        """
        ikey = (kind, source, field_name)
        idx = self._indexes.get(ikey)
        if idx is None:
            idx = {}
            for ent in self.all(kind, source):
                if field_name == "id":
                    value: Any = ent.id
                else:
                    value = ent.data.get(field_name)
                if value is None or value == "":
                    continue
                idx.setdefault(value, []).append(ent)
            self._indexes[ikey] = idx
        return idx

    def formats(self) -> set[str]:
        """Return the format ids of the exports read successfully, with the formats an
        export also provides (``meta["provides"]``, set by a plugin: an EDT export that
        carries the PRONOTE identifiers provides ``pronote-identifiants``)."""
        return {f for e in self.exports if e.readable for f in (e.format_id, *e.meta.get("provides", ()))}
