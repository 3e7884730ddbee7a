"""engine/schemacheck.py: a rule it finds certainly valid is one jsonschema finds valid.

The check answers True only when it is sure; anything else goes to jsonschema (which words
the error). So the property is one-sided: ``True`` implies no jsonschema error. Tested on
every shipped rule, on random mutations of them and on random values against small
schemas using each supported keyword; and a start-up (``Auditor()``) with the shipped
rules does not import jsonschema.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scolint.engine.errors import RuleFileError
from scolint.engine.evaluate import make_environment
from scolint.engine.manager import get_plugin_host
from scolint.engine.rules import RuleSchema, full_schema, parse_rule
from scolint.engine.schemacheck import compile_check

HOST = get_plugin_host(load_entrypoints=False)
SCHEMA = full_schema(HOST.registries)
CHECK = compile_check(SCHEMA)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
RULES = [yaml.safe_load(p.read_text("utf-8"))
         for p in sorted(Path(str(resources.files("scolint.rules"))).rglob("*.yml"))]
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False, width=16),
              st.sampled_from(["", "a", "E1", "error", "warning", "non_evaluee", "X-TEST-001", "student",
                               "Un titre", "edt", "EDT", "x" * 130, "Ab", "a-b", "A b"]),
              st.dates()),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.sampled_from(["id", "key", "given", "expect", "a"]),
                                                      st.integers(0, 2)), inner, max_size=4)),
    max_leaves=8)


def test_the_rule_schema_is_supported_and_every_shipped_rule_is_certainly_valid() -> None:
    assert CHECK is not None
    assert RULES
    for rule in RULES:
        assert CHECK(rule) is True, rule.get("id")
        assert not list(VALIDATOR.iter_errors(rule))


def _paths(value: object, here: tuple = ()) -> list[tuple]:
    out = [here]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, here + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, here + (i,))
    return out


@SETTINGS
@given(st.data())
def test_a_mutated_rule_certainly_valid_is_valid_for_jsonschema(data: st.DataObject) -> None:
    rule = copy.deepcopy(data.draw(st.sampled_from(RULES)))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(rule)))
        new = data.draw(VALUES)
        if not path:
            continue
        parent = rule
        for step in path[:-1]:
            parent = parent[step]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = new
        if isinstance(parent, dict) and data.draw(st.booleans()):
            parent[data.draw(st.sampled_from(["extra", "tags", "key", "where", 1]))] = data.draw(VALUES)
    verdict = CHECK(rule)
    errors = list(VALIDATOR.iter_errors(rule))
    if verdict is True:
        assert not errors
    if verdict is False:
        assert errors


SMALL = [
    {"type": "integer"}, {"type": ["string", "integer"]}, {"type": "number"}, {"type": "boolean"},
    {"type": "null"}, {"type": "object"}, {"enum": ["a", "E1"]}, {"const": "non_evaluee"},
    {"pattern": "^[A-Z]"}, {"minLength": 2, "maxLength": 3}, {"minItems": 1, "maxItems": 2},
    {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    {"oneOf": [{"type": "array", "items": {"type": ["string", "integer"]}}, {"const": "non_evaluee"}]},
    {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}},
     "additionalProperties": False},
    {"type": "object", "properties": {"key": {"minLength": 1}}, "additionalProperties": {"type": "integer"}},
]


@SETTINGS
@given(st.sampled_from(SMALL), VALUES)
def test_each_keyword_agrees_with_jsonschema(schema: dict, value: object) -> None:
    verdict = compile_check(schema)(value)  # type: ignore[misc]
    valid = jsonschema.Draft202012Validator(schema).is_valid(value)
    if verdict is not None:
        assert verdict is valid, (schema, value)


def test_an_unsupported_keyword_leaves_every_value_to_jsonschema() -> None:
    assert compile_check({"type": "object", "properties": {"a": {"$ref": "#/x"}}}) is None
    assert compile_check({"anyOf": [{"type": "string"}]}) is None
    assert compile_check({"enum": [1, 2]}) is None


def test_an_invalid_rule_is_still_worded_by_jsonschema() -> None:
    env = make_environment(HOST.registries)
    text = ("id: X-TEST-001\ntitle: Un titre\nseverity: grave\nfor_each: student\nassert: 'true'\n"
            "message: m\nfix: f\n")
    with pytest.raises(RuleFileError) as caught:
        parse_rule("X-TEST-001.yml", text, HOST.registries, env, RuleSchema(HOST.registries))
    assert "severity" in str(caught.value) and "grave" in str(caught.value)


def test_starting_an_audit_with_the_shipped_rules_does_not_import_jsonschema() -> None:
    code = ("import sys\nfrom scolint.engine.audit import Auditor\nAuditor()\n"
            "print('jsonschema' in sys.modules)")
    env = {**os.environ, "SCOLINT_DISABLE_PLUGIN_AUTOLOAD": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"
