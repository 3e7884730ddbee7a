"""schemas/rule.schema.json is generated from the check kinds' own declarations."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from scolint.engine.manager import get_plugin_host
from scolint.engine.rules import full_schema

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_rule_schema_is_the_generated_one() -> None:
    host = get_plugin_host(load_entrypoints=False)
    shipped = json.loads((ROOT / "schemas" / "rule.schema.json").read_text("utf-8"))
    assert shipped == full_schema(host.registries), (
        "schemas/rule.schema.json n'est plus à jour : scolint rules schema -o schemas/rule.schema.json")


def test_each_check_kind_brings_its_options_and_they_validate() -> None:
    host = get_plugin_host(load_entrypoints=False)
    schema = full_schema(host.registries)
    for kind in host.registries.checks.values():
        assert schema["properties"][kind.id] == kind.options_schema
        for example in kind.options_schema.get("examples", []):
            jsonschema.validate(example, kind.options_schema)
    rule = {"id": "X-TEST-001", "title": "Un titre de règle", "severity": "error", "for_each": "student",
            "message": "Un message",
            "fix": "Une correction", "unique": {"key": "student.ine", "nope": 1}}
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(rule))
    assert [e.message for e in errors if "nope" in e.message]  # a check kind's options are closed
