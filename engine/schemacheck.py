"""Is a value certainly valid against a simple JSON Schema? Without importing jsonschema.

The rule schema (the shared keys plus each check kind's options) is checked for every
rule file at every start. Importing jsonschema and building its validator costs more
than reading and checking all the rules, and a shipped rule is valid. :func:`compile_check`
turns a schema into a function answering ``True`` only when the value is valid by
jsonschema's own semantics (Draft 2020-12, default type checker); ``False`` (invalid) or
``None`` (not sure: a YAML date, a list of numbers to compare...) send the caller to
jsonschema, which finds and words the error as before. So this module never decides that
a rule is wrong, and a rule it accepts is one jsonschema accepts (property test:
tests/engine/test_schemacheck.py).

Supported keywords: ``type``, ``properties``, ``required``, ``additionalProperties``,
``enum`` and ``const`` of strings, ``pattern``, ``minLength``, ``maxLength``, ``items``
(one schema), ``uniqueItems``, ``minItems``, ``maxItems``, ``oneOf``, boolean schemas and
annotations. A schema using anything else anywhere gets no check (:func:`compile_check`
returns None: every value goes through jsonschema).
"""

from __future__ import annotations

import re
from typing import Any, Callable

Check = Callable[[Any], "bool | None"]

_ANNOTATIONS = frozenset({"description", "title", "$id", "$schema", "$comment", "examples", "default",
                          "deprecated", "readOnly", "writeOnly"})
_SUPPORTED = frozenset({"type", "properties", "required", "additionalProperties", "enum", "const",
                        "pattern", "minLength", "maxLength", "items", "uniqueItems", "minItems",
                        "maxItems", "oneOf"})
#: the Python types whose JSON type is known for certain (anything else: not sure)
_PLAIN = (str, bool, int, float, type(None), list, dict)


def _json_type(value: Any, name: str) -> bool | None:
    """jsonschema's ``is_type`` for a plain value; None for another Python type."""
    if type(value) not in _PLAIN:
        return None
    if name == "string":
        return isinstance(value, str)
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if name == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return None


def _all(checks: list[Check]) -> Check:
    """Valid when every check says valid; invalid as soon as one says invalid."""
    def check(value: Any) -> bool | None:
        unsure = False
        for one in checks:
            verdict = one(value)
            if verdict is False:
                return False
            if verdict is None:
                unsure = True
        return None if unsure else True
    return check


def compile_check(schema: Any) -> Check | None:
    """The certainly-valid check of ``schema`` (see the module), or None when the schema
    uses a keyword this module does not support."""
    if schema is True:
        return lambda value: True
    if schema is False:
        return lambda value: False
    if not isinstance(schema, dict) or set(schema) - _ANNOTATIONS - _SUPPORTED:
        return None
    checks: list[Check] = []
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not all(isinstance(n, str) for n in names):
            return None

        def of_type(value: Any) -> bool | None:
            verdicts = [_json_type(value, n) for n in names]
            if True in verdicts:
                return True
            return None if None in verdicts else False
        checks.append(of_type)
    for key in ("enum", "const"):
        if key in schema:
            allowed = schema["enum"] if key == "enum" else [schema["const"]]
            if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                return None
            choices = frozenset(allowed)
            # jsonschema's ``equal``: a string equals only an equal string
            checks.append(lambda value, choices=choices: isinstance(value, str) and value in choices)
    if "pattern" in schema:
        if not isinstance(schema["pattern"], str):
            return None
        search = re.compile(schema["pattern"]).search
        checks.append(lambda value: not isinstance(value, str) or search(value) is not None)
    for key, test in (("minLength", lambda n, low: n >= low), ("maxLength", lambda n, high: n <= high)):
        if key in schema:
            bound = schema[key]
            if type(bound) is not int:
                return None
            checks.append(lambda value, bound=bound, test=test:
                          not isinstance(value, str) or test(len(value), bound))
    for key, test in (("minItems", lambda n, low: n >= low), ("maxItems", lambda n, high: n <= high)):
        if key in schema:
            bound = schema[key]
            if type(bound) is not int:
                return None
            checks.append(lambda value, bound=bound, test=test:
                          not isinstance(value, list) or test(len(value), bound))
    if "uniqueItems" in schema:
        if schema["uniqueItems"] is True:
            checks.append(_unique_items)
        elif schema["uniqueItems"] is not False:
            return None
    if "items" in schema:
        item = compile_check(schema["items"])
        if item is None:
            return None
        every = _all([item])

        def items(value: Any) -> bool | None:
            if not isinstance(value, list):
                return True
            unsure = False
            for x in value:
                verdict = every(x)
                if verdict is False:
                    return False
                if verdict is None:
                    unsure = True
            return None if unsure else True
        checks.append(items)
    object_check = _object_check(schema)
    if object_check is False:
        return None
    if object_check is not None:
        checks.append(object_check)
    if "oneOf" in schema:
        subs = schema["oneOf"]
        if not isinstance(subs, list) or not subs:
            return None
        branches = [compile_check(s) for s in subs]
        if any(b is None for b in branches):
            return None

        def one_of(value: Any) -> bool | None:
            verdicts = [b(value) for b in branches]  # type: ignore[misc]
            if None in verdicts:
                return None
            return verdicts.count(True) == 1
        checks.append(one_of)
    return _all(checks)


def _unique_items(value: Any) -> bool | None:
    if not isinstance(value, list):
        return True
    if all(isinstance(x, str) for x in value):
        return len(set(value)) == len(value)
    return None  # jsonschema's own equality (1 and True differ...): let it decide


def _object_check(schema: dict[str, Any]) -> Check | None | bool:
    """The check of ``properties``/``required``/``additionalProperties``; None when the
    schema has none of them, False when one of them is not supported."""
    if not {"properties", "required", "additionalProperties"} & set(schema):
        return None
    props = schema.get("properties", {})
    required = schema.get("required", [])
    extra = schema.get("additionalProperties", True)
    if not isinstance(props, dict) or not isinstance(required, list):
        return False
    subs: dict[str, Check] = {}
    for name, sub in props.items():
        compiled = compile_check(sub)
        if compiled is None:
            return False
        subs[name] = compiled
    extra_check = compile_check(extra)
    if extra_check is None:
        return False

    def check(value: Any) -> bool | None:
        if not isinstance(value, dict):
            return True
        unsure = False
        for name in required:
            if name not in value:
                return False
        for key, item in value.items():
            sub = subs.get(key) if isinstance(key, str) else None
            verdict = sub(item) if sub is not None else extra_check(item)  # type: ignore[misc]
            if verdict is False:
                return False
            if verdict is None:
                unsure = True
        return None if unsure else True
    return check
