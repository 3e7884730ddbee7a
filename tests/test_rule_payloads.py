"""Template-injection payloads in rule expressions and messages never execute.

Each payload of tests/fixtures/rule_payloads.yaml is put in a rule (its ``assert`` or its
``message``); the rule is either refused when loaded (``file:line: CODE: French``) or
loads and ends as a rule error at run time (status ``error``, French reason) while the
other rules of the audit still run. No payload may create its sentinel file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scolint.engine.errors import RuleFileError
from scolint.engine.evaluate import Evaluator
from scolint.engine.findings import FAILED, PASSED, RULE_ERROR
from scolint.engine.model import Graph, Provenance
from scolint.engine.rules import parse_rule

CORPUS = Path(__file__).parent / "fixtures" / "rule_payloads.yaml"
PAYLOADS = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))

GOOD_ASSERT = "student.last_name != 'ZZZ'"
GOOD_MESSAGE = "L'élève {{ student.label }} ({{ student.group_codes | join(', ') }})."


def rule_text(rule_id: str, assert_: str = GOOD_ASSERT, message: str = GOOD_MESSAGE) -> str:
    return yaml.safe_dump({
        "id": rule_id, "title": "Charge hostile", "severity": "error", "for_each": "student",
        "assert": assert_, "message": message, "fix": "Rien à faire.",
    }, allow_unicode=True, sort_keys=False)


def graph() -> Graph:
    g = Graph()
    for i, name in enumerate(["ZZZ", "DUPONT", "MARTIN"]):
        g.add("student", f"E{i}", source="siecle", prov=Provenance("eleves.xml", 10 + i, "SIECLE"),
              label=f"{name} Léa", last_name=name, group_codes=["3A", "LV2"], groups=[])
    return g


def with_sentinel(payload: str, tmp_path: Path) -> tuple[str, Path]:
    sentinel = tmp_path / "sentinel"
    return payload.replace("SENTINEL", str(sentinel)), sentinel


@pytest.mark.parametrize("case", PAYLOADS, ids=[f"{c['where']}-{i}" for i, c in enumerate(PAYLOADS)])
def test_payload_refused_or_contained(case, host, env, tmp_path):
    payload, sentinel = with_sentinel(case["payload"], tmp_path)
    text = rule_text("TST-PAY-001", **({"assert_": payload} if case["where"] == "assert" else {"message": payload}))
    if case["expect"] == "load":
        with pytest.raises(RuleFileError) as exc:
            parse_rule("TST-PAY-001.yml", text, host.registries, env)
        msg = str(exc.value)
        line = 5 if case["where"] == "assert" else 6
        assert msg.startswith(f"TST-PAY-001.yml:{line}: "), msg
        assert exc.value.code in ("SECURITE", "EXPRESSION"), msg
        assert "\n" not in msg
    else:
        bad = parse_rule("TST-PAY-001.yml", text, host.registries, env)
        good = parse_rule("TST-BON-001.yml", rule_text("TST-BON-001"), host.registries, env)
        findings, outcomes, _ctx = Evaluator([bad, good], host.registries, env).run(graph(), {})
        by_id = {o.rule_id: o for o in outcomes}
        assert by_id["TST-PAY-001"].status == RULE_ERROR, by_id["TST-PAY-001"]
        assert by_id["TST-PAY-001"].error and "Traceback" not in by_id["TST-PAY-001"].error
        # The other rule of the same audit still ran, with its normal result.
        assert by_id["TST-BON-001"].status == FAILED
        assert [f.entity_id for f in findings] == ["E0"]
        assert findings[0].message == "L'élève ZZZ Léa (3A, LV2)."
    assert not sentinel.exists()


def test_corpus_covers_both_places_and_both_outcomes():
    kinds = {(c["where"], c["expect"]) for c in PAYLOADS}
    assert kinds == {("assert", "load"), ("assert", "run"), ("message", "load"), ("message", "run")}


def test_run_errors_say_why_in_french(host, env):
    cases = {
        "range(1000000000) | length": "range() trop grand",
        "'a' | center(1000000000)": "trop grand",
        "student[('_' ~ '_class__')]": "accès interdit à l'attribut « __class__ »",
        "student.data.pop('last_name')": "opération interdite",
    }
    for payload, words in cases.items():
        rule = parse_rule("TST-PAY-001.yml", rule_text("TST-PAY-001", assert_=payload), host.registries, env)
        _f, outcomes, _c = Evaluator([rule], host.registries, env).run(graph(), {})
        assert outcomes[0].status == RULE_ERROR and words in outcomes[0].error, (payload, outcomes[0].error)


def test_budget_stops_nested_loops_but_not_normal_loops(host, env):
    heavy = "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}"
    normal = "{% for c in student.group_codes %}{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}"
    rules = [parse_rule("TST-PAY-001.yml", rule_text("TST-PAY-001", message=heavy), host.registries, env),
             parse_rule("TST-BON-001.yml", rule_text("TST-BON-001", message=normal), host.registries, env)]
    findings, outcomes, _c = Evaluator(rules, host.registries, env).run(graph(), {})
    assert outcomes[0].status == RULE_ERROR and "opérations" in outcomes[0].error
    assert outcomes[1].status == FAILED and findings[0].message == "3A, LV2"


@pytest.mark.parametrize("direct_code", [True, False])
def test_budget_stops_filter_chains_over_a_long_list(host, direct_code):
    """select/map over a long list: stopped by the budget by both evaluators, while the
    same chain over a short list is evaluated (and the other rules still run)."""
    from scolint.engine.evaluate import make_environment
    env = make_environment(host.registries, direct_code=direct_code)
    g = graph()
    students = list(g.all("student"))
    other = students[1]
    for i, student in enumerate(students):
        # five reads for each item; the first pupil's list is 60 000 items long
        student.data["many"] = [other] * (60_000 if i == 0 else 3)
        student.data["few"] = [other] * i
    chain = "| selectattr('many.0.many.0.last_name') | map(attribute='id') | list | length"
    rules = [parse_rule("TST-PAY-001.yml", rule_text("TST-PAY-001", assert_=f"student.many {chain} < 5"),
                        host.registries, env),
             parse_rule("TST-BON-001.yml", rule_text("TST-BON-001", assert_=f"student.few {chain} < 1"),
                        host.registries, env)]
    assert (env.expression(f"student.many {chain} < 5").fast is not None) is direct_code
    findings, outcomes, _c = Evaluator(rules, host.registries, env).run(g, {})
    by_id = {o.rule_id: o for o in outcomes}
    assert by_id["TST-PAY-001"].status == RULE_ERROR
    assert "règle trop coûteuse : plus de 200000 opérations" in by_id["TST-PAY-001"].error
    assert by_id["TST-BON-001"].status == FAILED
    assert sorted(f.entity_id for f in findings) == ["E1", "E2"]


def test_data_unchanged_after_mutation_attempts(host, env):
    g = graph()
    before = [(e.id, dict(e.data), list(e.prov)) for e in g]
    for payload in ("student.data.update({'last_name': 'X'})", "student.prov.append(1)",
                    "student.group_codes.extend(['X'])", "student.data.clear()"):
        rule = parse_rule("TST-PAY-001.yml", rule_text("TST-PAY-001", assert_=payload), host.registries, env)
        Evaluator([rule], host.registries, env).run(g, {})
    assert [(e.id, dict(e.data), list(e.prov)) for e in g] == before


def test_expressions_still_work_normally(host, env):
    rule = parse_rule("TST-BON-001.yml", rule_text(
        "TST-BON-001", assert_="student.last_name | length < 5 or (student.group_codes | join('-')) * 2 == '3A-LV23A-LV2'"),
        host.registries, env)
    _f, outcomes, _c = Evaluator([rule], host.registries, env).run(graph(), {})
    assert outcomes[0].status == PASSED


@pytest.mark.parametrize("text, words", [
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)),
     "alias"),
    ("a: " + "[" * 3000 + "]" * 3000 + "\n", "imbriqué"),
    ("!!python/object/apply:os.system ['touch SENTINEL']\n", "règle"),
    ("id: !!python/name:os.system\n", "YAML invalide"),
    ("a: &a [*a]\n", ""),
])
def test_hostile_rule_yaml_is_a_located_error(text, words, host, env, tmp_path):
    text, sentinel = with_sentinel(text, tmp_path)
    with pytest.raises(RuleFileError) as exc:
        parse_rule("X.yml", text, host.registries, env)
    assert str(exc.value).startswith("X.yml"), exc.value
    assert words in str(exc.value)
    assert not sentinel.exists()


@pytest.mark.parametrize("text, words", [
    ("a: " + "[" * 3000 + "]" * 3000 + "\n", "imbriqué"),
    ("a: &a [*a]\n", "imbriqué"),
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)), "alias"),
])
def test_hostile_project_file_is_a_located_error(text, words, tmp_path, capsys):
    from scolint.engine.cli import main
    cfg = tmp_path / ".scolint.yaml"
    cfg.write_text(text, encoding="utf-8")
    (tmp_path / "vide").mkdir()
    assert main(["check", "--config", str(cfg), str(tmp_path / "vide")]) == 2
    err = capsys.readouterr().err
    assert f"{cfg}" in err and "CONFIG" in err and words in err and "erreur interne" not in err


def test_alias_bomb_in_a_csv_profile_is_refused(tmp_path, capsys):
    """A CSV layout profile (``--profile``) is YAML too: an alias chain stops at once."""
    from scolint.engine.cli import main
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(7))
    bomb += "id: p\nfamille: ent-identifiants\nlibelle: x\nentete: oui\nreconnaissance:\n  entete: *h\n"
    profile = tmp_path / "profil.yaml"
    profile.write_text(bomb, encoding="utf-8")
    (tmp_path / "vide").mkdir()
    assert main(["check", "--profile", str(profile), str(tmp_path / "vide")]) == 2
    err = capsys.readouterr().err
    assert str(profile) in err and "YAML" in err and "erreur interne" not in err


def test_baseline_nested_too_deep_is_a_clear_error(tmp_path, capsys):
    from scolint.engine.cli import main
    base = tmp_path / "base.json"
    base.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (tmp_path / "vide").mkdir()
    assert main(["check", "--baseline", str(base), str(tmp_path / "vide")]) == 2
    err = capsys.readouterr().err
    assert f"{base}: ligne de base invalide" in err and "erreur interne" not in err
