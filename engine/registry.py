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
    :param readable: False for a format no loader reads (declared so that rules can name
        what they would need): a school's report never asks for such an export; the rules
        needing it are listed as checks to make by hand (``how_to_get`` says how).
    """

    id: str
    label: str
    system: str
    how_to_get: str = ""
    kinds: tuple[str, ...] | None = None
    readable: bool = True


@dataclass
class FieldInfo:
    """One field of an entity kind (for rule authors and ``rules lint``)."""

    type: str
    description: str


@dataclass
class EntityKind:
    """An entity kind: its French description, its fields and its relations."""

    id: str
    description: str
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    def add_fields(self, **fields: tuple[str, str]) -> None:
        """Declare fields as ``name=(type, description)``."""
        for name, (typ, desc) in fields.items():
            self.fields[name] = FieldInfo(typ, desc)


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
        self.tests: Registry[Callable[..., Any]] = Registry("test")
        self.reporters: Registry[Reporter] = Registry("format de rapport")

    def _all(self) -> list[Registry[Any]]:
        return [self.formats, self.entities, self.checks, self.filters, self.tests, self.reporters]

    def set_plugin(self, name: str) -> None:
        for reg in self._all():
            reg.current_plugin = name
