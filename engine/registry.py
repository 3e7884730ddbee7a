"""Registries filled by plugins through the ``scolint_register`` hook.

Each registry maps an id to a declared object and rejects a duplicate id with a
message naming both plugins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Iterator, TypeVar

from .errors import ScolintError

T = TypeVar("T")


class Registry(Generic[T]):
    """An ordered ``id -> item`` mapping that refuses duplicates."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._items: dict[str, T] = {}
        self._owner: dict[str, str] = {}
        self.current_plugin = "?"

    def add(self, id: str, item: T) -> T:
        """Register ``item`` under ``id``; a second registration of ``id`` is an error."""
        if id in self._items:
            raise ScolintError(
                f"{self.what} « {id} » déclaré deux fois : par le plugin "
                f"« {self._owner[id]} » et par « {self.current_plugin} »"
            )
        self._items[id] = item
        self._owner[id] = self.current_plugin
        return item

    def get(self, id: str) -> T | None:
        return self._items.get(id)

    def __getitem__(self, id: str) -> T:
        return self._items[id]

    def __contains__(self, id: object) -> bool:
        return id in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def items(self) -> list[tuple[str, T]]:
        return list(self._items.items())

    def values(self) -> list[T]:
        return list(self._items.values())

    def owner(self, id: str) -> str:
        return self._owner.get(id, "?")


@dataclass
class FormatInfo:
    """An export format a plugin can detect and load.

    :param id: stable id used by rules' ``requires`` (``siecle-eleves``).
    :param label: French name shown to users (« SIECLE – export élèves (BEE_ELEVES) »).
    :param system: the flow step: SIECLE, STS, EDT, PRONOTE, ENT or AAF.
    :param how_to_get: French instructions to obtain the export (shown for rules
        « non évaluées »).
    :param kinds: the entity kinds its loader may add (None: not declared, any kind);
        lets the Auditor tell which link steps an input set can run (engine/needs.py).
    :param root: local name of the XML root element that identifies the file (detection
        by content); None for CSV formats and formats found by the family's ``detect``.
    :param xsd: the XSD file under ``schemas/xsd/`` the file is validated against.
    :param readable: False for a format no loader reads (declared so that rules can name
        what they would need): a school's report never asks for such an export; the rules
        needing it are listed as checks to make by hand (``how_to_get`` says how).
    """

    id: str
    label: str
    system: str
    how_to_get: str = ""
    kinds: tuple[str, ...] | None = None
    root: str | None = None
    xsd: str | None = None
    readable: bool = True


@dataclass
class Family:
    """An export family (SIECLE, STS-Web, EDT…), declared in one place by its package.

    The engine derives from these declarations the detection of files, the loader to call
    for each format, the order of the link steps and the list of flows shown in reports.

    :param id: short name (``siecle``), used by other families' ``link_after``/``link_before``.
    :param system: the flow step its rules and findings belong to (``SIECLE``, ``EDT``…).
    :param label: French name of the family.
    :param formats: the formats it reads (registered with the family).
    :param load: ``load(path, format_id, graph, options)`` reads one file of its formats.
    :param detect: ``detect(path, head) -> format id | None`` for files its formats' ``root``
        alone cannot tell (several formats under one root, CSV files); None: by root only.
    :param detect_last: ask ``detect`` only after every other family (generic CSV).
    :param link: ``link(graph)``, run once every file is loaded.
    :param link_after: families whose link step (and data) this one needs first; also the
        data flow (SIECLE before STS before EDT…), which orders the flows in reports.
    :param link_before: families that must link after this one.
    :param declare: ``declare(registries)`` adds the family's entity kinds (and anything else).
    :param stamp: ``stamp(path, format_id, head) -> dict | None``: the UAI, export day
        (``date``, ISO), ``time``, school ``year`` and shape ``rank`` of a file, so that
        several exports of one kind for one establishment are not merged: the Auditor reads
        one (the most recent; at equal days the richest shape) and says so (ENTREE-DOUBLON).
        None (or a None answer): the format is not one export a kind (an AAF feed comes in
        several parts, all read).
    """

    id: str
    system: str
    label: str
    formats: tuple[FormatInfo, ...] = ()
    load: Callable[..., Any] | None = None
    detect: Callable[..., Any] | None = None
    detect_last: bool = False
    link: Callable[..., Any] | None = None
    link_after: tuple[str, ...] = ()
    link_before: tuple[str, ...] = ()
    declare: Callable[..., Any] | None = None
    stamp: Callable[..., Any] | None = None


class FamilyRegistry(Registry[Family]):
    """Export families; adding one registers its formats and declares its entity kinds."""

    def __init__(self, what: str, registries: "Registries") -> None:
        super().__init__(what)
        self._registries = registries

    def add(self, id: str, item: Family) -> Family:  # noqa: A002 - the registry's vocabulary
        super().add(id, item)
        for fmt in item.formats:
            self._registries.formats.add(fmt.id, fmt)
        if item.declare is not None:
            item.declare(self._registries)
        return item

    def of_format(self, format_id: str) -> Family | None:
        """The family that reads ``format_id``."""
        for fam in self._items.values():
            if any(f.id == format_id for f in fam.formats):
                return fam
        return None

    def ordered(self) -> list[Family]:
        """Families in link order: every ``link_after``/``link_before`` honoured, ties broken
        by the step at which a family becomes ready, then by id (never registration order).

        A name that is not a registered family is ignored (its package may be disabled);
        a cycle is an error naming the families involved.
        """
        fams = dict(self._items)
        needs: dict[str, set[str]] = {name: set() for name in fams}
        for name, fam in fams.items():
            needs[name] |= {a for a in fam.link_after if a in fams}
            for b in fam.link_before:
                if b in fams:
                    needs[b].add(name)
        out: list[Family] = []
        done: set[str] = set()
        while len(done) < len(fams):
            ready = sorted(n for n in fams if n not in done and needs[n] <= done)
            if not ready:
                left = ", ".join(sorted(set(fams) - done))
                raise ScolintError(f"ordre des rapprochements impossible (dépendances circulaires) : {left}")
            for name in ready:
                out.append(fams[name])
            done.update(ready)
        return out

    def flows(self) -> list[str]:
        """The flow steps in data-flow order (each family's ``system`` once), then GENERAL."""
        out: list[str] = []
        for fam in self.ordered():
            if fam.system not in out and fam.system.isupper():
                out.append(fam.system)
        return out + ["GENERAL"]


@dataclass
class FieldInfo:
    """One field of an entity kind (for rule authors and ``rules lint``)."""

    type: str
    description: str
    #: kinds a derived field is computed from (``edt_teacher.subject_codes`` from its
    #: ``edt_course``): engine/needs.py builds them when a rule reads the field
    needs: tuple[str, ...] = ()


@dataclass
class EntityKind:
    """An entity kind: its French description, its fields and its relations."""

    id: str
    description: str
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    def add_fields(self, **fields: tuple[Any, ...]) -> None:
        """Declare fields as ``name=(type, description)`` or ``name=(type, description,
        kinds it is computed from)``."""
        for name, (typ, desc, *needs) in fields.items():
            self.fields[name] = FieldInfo(typ, desc, tuple(needs[0]) if needs else ())


class EntityRegistry(Registry[EntityKind]):
    """Entity kinds; several plugins may add fields to one kind."""

    def declare(self, id: str, description: str = "", sources: tuple[str, ...] = (),
                **fields: tuple[str, str]) -> EntityKind:
        """Create kind ``id`` or extend it with more fields and sources."""
        kind = self.get(id)
        if kind is None:
            kind = self.add(id, EntityKind(id, description))
        if description and not kind.description:
            kind.description = description
        kind.sources = tuple(dict.fromkeys(kind.sources + sources))
        kind.add_fields(**fields)
        return kind


@dataclass
class CheckKind:
    """A check kind usable in rules under the key ``id`` (``assert``, ``unique``...).

    :param options_schema: JSON Schema of the value under the rule's ``id`` key.
    :param compile: ``compile(rule, env) -> runner``; the runner is called as
        ``runner(entities, ctx)`` and yields ``(entity, message_vars, extra_prov)``.
    :param expressions: names of the option keys that are expressions (for ``lint``).
    :param message_variables: names of the extra variables this check gives to the
        rule's ``message`` (``duplicates``, ``missing``...), so ``rules lint`` and the
        rule catalogue know them.
    :param option_variables: names an option expression may use besides the entity
        (``item`` in the ``key`` of ``compare_sets``), for ``rules lint``.
    """

    id: str
    doc: str
    options_schema: dict[str, Any]
    compile: Callable[..., Any]
    expressions: tuple[str, ...] = ()
    message_variables: tuple[str, ...] = ()
    option_variables: tuple[str, ...] = ()
    #: French description and a YAML example, for the catalogue (docs/catalogue.md)
    doc_fr: str = ""
    example: str = ""


@dataclass
class Reporter:
    """An output format: ``render(result, options) -> str | bytes``."""

    id: str
    description: str
    render: Callable[..., Any]
    extension: str = "txt"


class Registries:
    """All registries of one plugin manager."""

    def __init__(self) -> None:
        self.formats: Registry[FormatInfo] = Registry("format")
        self.entities = EntityRegistry("type d'entité")
        self.checks: Registry[CheckKind] = Registry("type de contrôle")
        self.filters: Registry[Callable[..., Any]] = Registry("filtre")
        #: French description and example of each filter or test: ``name -> (description, example)``
        self.filter_docs: dict[str, tuple[str, str]] = {}
        self.tests: Registry[Callable[..., Any]] = Registry("test")
        self.reporters: Registry[Reporter] = Registry("format de rapport")
        self.families = FamilyRegistry("famille d'exports", self)

    def _all(self) -> list[Registry[Any]]:
        return [self.formats, self.entities, self.checks, self.filters, self.tests, self.reporters,
                self.families]

    def set_plugin(self, name: str) -> None:
        for reg in self._all():
            reg.current_plugin = name
