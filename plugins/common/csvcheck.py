"""Checking mapped CSV rows against their family's JSON Schema, column by column.

Not a plugin: :func:`scolint.plugins.common.csvread.map_rows` uses it. A row schema
(``schemas/csv/<famille>.schema.json``) is compiled once per set of mapped fields into
one check per column: each column of a file (all its values at once) is first tested
with built-in functions working in C (``all(map(regex.search, column))``, ``max(map(len,
column))``...); only a column that fails is scanned value by value, with the exact
per-value checker :func:`fast_validator`, to find the failing rows. A row with no
failing value is valid: jsonschema would find nothing. jsonschema (imported lazily)
only words the errors of the other rows, in French.

Supported keywords (those of the shipped row schemas): ``type``, ``properties``,
``required``, ``pattern``, ``minLength``, ``maxLength``, ``enum`` of strings, ``items``,
annotations. A schema using anything else gets no compiled check (every row then goes
through jsonschema, as before this module).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import chain
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    import jsonschema

#: The Python type of a mapped column's values: ``text`` (all str), ``list`` (lists of
#: str) or ``any`` (a profile's value table gave something else: no whole-column test).
TEXT, LIST, ANY = "text", "list", "any"

_ANNOTATIONS = frozenset({"description", "title", "$id", "$schema", "$comment", "examples", "default"})
_SUPPORTED = frozenset({"type", "properties", "required", "pattern", "minLength", "maxLength", "enum", "items"})
_PY_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str), "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict), "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
ColumnTest = Callable[[list[Any]], bool]


def fast_validator(schema: dict[str, Any]) -> Callable[[Any], bool] | None:
    """An exact ``is_valid`` for one value of a simple schema (see the module's keywords),
    or None when ``schema`` uses anything else. The reference for the column tests.
    """
    if not isinstance(schema, dict) or set(schema) - _ANNOTATIONS - _SUPPORTED:
        return None
    checks: list[Callable[[Any], bool]] = []
    kind = schema.get("type")
    if kind is not None:
        kinds = [kind] if isinstance(kind, str) else kind
        if not isinstance(kinds, list) or any(k not in _PY_TYPES for k in kinds):
            return None
        tests = [_PY_TYPES[k] for k in kinds]
        checks.append(lambda v: any(t(v) for t in tests))
    if "pattern" in schema:
        rx = re.compile(schema["pattern"])
        checks.append(lambda v: not isinstance(v, str) or rx.search(v) is not None)
    if "minLength" in schema:
        low = schema["minLength"]
        checks.append(lambda v: not isinstance(v, str) or len(v) >= low)
    if "maxLength" in schema:
        high = schema["maxLength"]
        checks.append(lambda v: not isinstance(v, str) or len(v) <= high)
    if "enum" in schema:
        allowed = schema["enum"]
        if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
            return None
        checks.append(lambda v: isinstance(v, str) and v in allowed)
    if "items" in schema:
        item = fast_validator(schema["items"])
        if item is None:
            return None
        checks.append(lambda v: not isinstance(v, list) or all(item(x) for x in v))
    if "properties" in schema or "required" in schema:
        props = {}
        for name, sub in (schema.get("properties") or {}).items():
            fn = fast_validator(sub)
            if fn is None:
                return None
            props[name] = fn
        required = list(schema.get("required") or [])

        def obj(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            return all(r in v for r in required) and all(fn(v[k]) for k, fn in props.items() if k in v)
        checks.append(obj)
    return lambda v: all(c(v) for c in checks)


def _never_all(column: list[Any]) -> bool:
    return not column


def _all_pass(schema: dict[str, Any], kind: str) -> ColumnTest:
    """A test of a whole column of ``kind`` values, True only if every value is valid.

    Sound, not complete: False sends the column to the exact per-value scan.
    """
    if kind == ANY:
        return _never_all
    tests: list[ColumnTest] = []
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if ("string" if kind == TEXT else "array") not in names:
            return _never_all  # every value has the wrong type
    if kind == TEXT:
        if "pattern" in schema:
            search = re.compile(schema["pattern"]).search
            tests.append(lambda col: all(map(search, col)))
        if "minLength" in schema:
            low = schema["minLength"]
            tests.append(lambda col: min(map(len, col), default=low) >= low)
        if "maxLength" in schema:
            high = schema["maxLength"]
            tests.append(lambda col: max(map(len, col), default=0) <= high)
        if "enum" in schema:
            allowed = frozenset(schema["enum"])
            tests.append(lambda col: allowed.issuperset(col))
    else:
        if "enum" in schema:
            return _never_all  # a list never equals a string of the enum
        if "items" in schema:
            inner = _all_pass(schema["items"], TEXT)
            tests.append(lambda col: inner(list(chain.from_iterable(col))))
    if len(tests) == 1:
        return tests[0]
    return lambda col: all(t(col) for t in tests)


@dataclass
class ColumnCheck:
    """The check of one mapped field: a whole-column test, and the exact per-value one."""

    name: str
    all_pass: ColumnTest
    valid: Callable[[Any], bool]

    def failing(self, column: list[Any]) -> list[int]:
        """Positions of the invalid values of ``column`` (none: one pass in C)."""
        if self.all_pass(column):
            return []
        valid = self.valid
        return [i for i, v in enumerate(column) if not valid(v)]


@dataclass
class RowChecks:
    """The compiled row schema for one set of mapped fields."""

    columns: list[ColumnCheck]
    missing_required: bool  # a required field is never mapped: every row is invalid

    def failing_rows(self, columns: dict[str, list[Any]], count: int) -> set[int]:
        """Positions (0-based, among ``count`` rows) of the rows jsonschema would reject."""
        if self.missing_required:
            return set(range(count))
        bad: set[int] = set()
        for check in self.columns:
            if check.name in columns:
                bad.update(check.failing(columns[check.name]))
        return bad


def compile_rows(schema: dict[str, Any], fields: tuple[tuple[str, str], ...]) -> RowChecks | None:
    """Compile ``schema`` for rows holding ``fields`` (``(name, TEXT, LIST or ANY)`` each), or None.

    None when the schema uses an unsupported keyword (then rows go through jsonschema).
    """
    if not isinstance(schema, dict) or set(schema) - _ANNOTATIONS - {"type", "properties", "required"}:
        return None
    kind = schema.get("type")
    if kind is not None and kind != "object" and not (isinstance(kind, list) and "object" in kind):
        return None
    if fast_validator(schema) is None:
        return None
    props = schema.get("properties") or {}
    mapped = dict(fields)
    checks = [ColumnCheck(name, _all_pass(props[name], kind_), fast_validator(props[name]))  # type: ignore[arg-type]
              for name, kind_ in mapped.items() if name in props]
    missing = any(r not in mapped for r in schema.get("required") or [])
    return RowChecks(checks, missing)


@lru_cache(maxsize=64)
def row_checks(family: str, fields: tuple[tuple[str, str], ...]) -> RowChecks | None:
    """The compiled checks of ``family``'s shipped row schema for these mapped fields (cached)."""
    return compile_rows(family_schema(family), fields)


def validator(schema: dict[str, Any]) -> "jsonschema.Draft7Validator":
    """A jsonschema validator, imported only when a row must be worded."""
    import jsonschema
    return jsonschema.Draft7Validator(schema)


def french(err: "jsonschema.ValidationError", secret: bool) -> str:
    """A French message for a JSON Schema error (never quoting a secret value)."""
    value = "" if secret or isinstance(err.instance, (dict, list)) else f" « {err.instance} »"
    kind = err.validator
    if kind == "required":
        return "valeur obligatoire absente"
    if kind == "minLength":
        return "valeur obligatoire vide"
    if kind == "maxLength":
        return f"valeur{value} trop longue (au plus {err.validator_value} caractères)"
    if kind == "pattern":
        hint = (err.schema or {}).get("description", "format attendu non respecté")
        return f"valeur{value} invalide : {hint}"
    if kind == "enum":
        return f"valeur{value} inconnue (attendu : {', '.join(map(str, err.validator_value))})"
    if kind == "format":
        return f"valeur{value} invalide (format {err.validator_value})"
    return f"valeur{value} non conforme au schéma ({kind})"


@lru_cache(maxsize=None)
def family_schema(family: str) -> dict[str, Any]:
    """The JSON Schema of a mapped row of ``family`` (``schemas/csv/<famille>.schema.json``)."""
    ref = resources.files("scolint.schemas").joinpath("csv", f"{family}.schema.json")
    return json.loads(ref.read_text("utf-8"))
