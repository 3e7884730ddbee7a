"""schemas/rule.schema.json is generated from the check kinds' own declarations; a rule
file is refused by the schema check exactly when jsonschema refuses it."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from scolint.engine.errors import RuleFileError
from scolint.engine.expressions import RuleEnvironment
from scolint.engine.manager import get_plugin_host
from scolint.engine.rules import full_schema, parse_rule

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


def _mutants(rule: dict[str, Any], rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Copies of ``rule`` with keys removed, added or given values of other types."""
    values: list[Any] = [None, 1, 1.0, 2.5, True, False, "", "x", "error", "student", "A-B-001", [], ["a"],
                         ["a", "a"], [1, True], [1, 1.0], {}, {"key": "x"}, {"a": 1}, "non_evaluee",
                         ["SIE-INE-001"], "siecle-eleves", "x" * 300, dt.date(2024, 9, 2)]
    out = []
    for _ in range(count):
        data = copy.deepcopy(rule)
        for _step in range(rng.randint(1, 3)):
            target: Any = data
            while isinstance(target, (dict, list)) and target and rng.random() < 0.5:
                key = rng.choice(list(target)) if isinstance(target, dict) else rng.randrange(len(target))
                if not isinstance(target[key], (dict, list)):
                    break
                target = target[key]
            if isinstance(target, dict):
                keys = list(target)
                roll = rng.random()
                if roll < 0.3 and keys:
                    del target[rng.choice(keys)]
                elif roll < 0.6 or not keys:
                    target[rng.choice([*keys, "extra", "where", "tags", "requires", "unique", "assert", 7])] = \
                        rng.choice(values)
                else:
                    target[rng.choice(keys)] = rng.choice(values)
            elif isinstance(target, list):
                if target and rng.random() < 0.5:
                    target[rng.randrange(len(target))] = rng.choice(values)
                else:
                    target.append(rng.choice(values))
        out.append(data)
    return out


def test_a_rule_is_refused_by_its_schema_exactly_when_jsonschema_refuses_it() -> None:
    """Shipped rules and thousands of spoilt copies: a rule file passes the schema check
    when jsonschema accepts it, else it is refused as not conforming to the schema (a
    valid rule is not given to jsonschema, which still words every refusal)."""
    host = get_plugin_host(load_entrypoints=False)
    registries = host.registries
    env = RuleEnvironment()
    validator = jsonschema.Draft202012Validator(full_schema(registries))
    rng = random.Random(15)
    compared = refused = 0
    for path in sorted((ROOT / "rules").rglob("*.yml")):
        rule = yaml.safe_load(path.read_text("utf-8"))
        for data in [rule, *_mutants(rule, rng, 60)]:
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
            try:
                parse_rule(path, text, registries, env, expressions=False)
                code = None
            except RuleFileError as exc:
                code, message = exc.code, str(exc)
            if code == "YAML":  # refused before the schema (a key that is not a text...)
                continue
            errors = list(validator.iter_errors(data))
            if errors:
                refused += 1
                assert code == "SCHEMA", (path.name, data)
            else:
                assert code != "SCHEMA", (path.name, data, message)
            compared += 1
    assert compared > 3000 and compared // 2 < refused < compared


def test_loading_the_shipped_rules_does_not_import_jsonschema() -> None:
    code = ("import sys\nfrom scolint.engine.audit import Auditor\nAuditor()\n"
            "print('jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
