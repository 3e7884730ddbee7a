"""JUnit XML and SARIF 2.1.0 reports, validated against their schemas."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from scolint.engine.findings import NOT_EVALUATED

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def junit_schema():
    return etree.XMLSchema(etree.parse(str(FIXTURES / "junit.xsd")))


@pytest.fixture(scope="module")
def sarif_validator():
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text("utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def junit(host, result):
    data = host.registries.reporters["junit"].render(result, {})
    assert isinstance(data, bytes) and data.startswith(b"<?xml")
    return etree.fromstring(data)


def test_junit_one_case_per_rule_one_failure_per_finding(host, result, junit_schema):
    result.findings[-1].accepted = {"by": "exception", "reason": "vu avec le chef d'établissement"}
    doc = junit(host, result)
    junit_schema.assertValid(doc)
    cases = {c.get("name").split(" — ")[0]: c for c in doc.iter("testcase")}
    rule_ids = [o.rule_id for o in result.outcomes] + [f.rule_id for f in result.findings if f.rule_id.startswith("ENTREE-")]
    assert sorted(cases) == sorted(set(rule_ids))
    active = Counter(f.rule_id for f in result.active())
    for rule_id, case in cases.items():
        failures = case.findall("failure")
        assert len(failures) == active.get(rule_id, 0)
        messages = sorted(f.get("message") for f in failures)
        assert messages == sorted(f.message for f in result.active() if f.rule_id == rule_id)
    accepted = result.findings[-1]
    out = cases[accepted.rule_id].find("system-out")
    assert out is not None and accepted.message in out.text
    suite = doc.find("testsuite")
    assert int(suite.get("tests")) == len(cases)
    assert int(suite.get("failures")) == sum(1 for c in cases.values() if c.find("failure") is not None)
    assert {p.get("name"): p.get("value") for p in suite.iter("property")}["uai"] == result.uai


def test_junit_failure_text_has_file_and_line(host, result, junit_schema):
    doc = junit(host, result)
    f = next(f for f in result.active() if f.provenance and f.provenance[0].line)
    texts = [x.text for x in doc.iter("failure") if x.get("message") == f.message]
    assert texts and f"Source : {f.provenance[0].file}:{f.provenance[0].line}" in texts[0]


def test_junit_not_evaluated_rules_are_skipped(host, partial_result, junit_schema):
    doc = junit(host, partial_result)
    junit_schema.assertValid(doc)
    missing = {o.rule_id: o for o in partial_result.outcomes if o.status == NOT_EVALUATED}
    assert missing
    skipped = {c.get("name").split(" — ")[0]: c.find("skipped") for c in doc.iter("testcase") if c.find("skipped") is not None}
    assert set(skipped) == set(missing)
    for rule_id, el in skipped.items():
        assert partial_result.formats[missing[rule_id].missing[0]].label in el.get("message")
    assert doc.find("testsuite").get("skipped") == str(len(missing))


def test_junit_refuses_nothing_printable(host, result, junit_schema):
    result.findings[0].message = "caractère de contrôle \x0b et <balise> & « guillemets »"
    doc = junit(host, result)
    junit_schema.assertValid(doc)
    assert any(f.get("message") == "caractère de contrôle  et <balise> & « guillemets »" for f in doc.iter("failure"))


def sarif(host, result):
    return json.loads(host.registries.reporters["sarif"].render(result, {}))


def test_sarif_is_valid_2_1_0(host, result, partial_result, sarif_validator):
    for res in (result, partial_result):
        log = sarif(host, res)
        errors = sorted(sarif_validator.iter_errors(log), key=str)
        assert not errors, errors[0].message
        assert log["version"] == "2.1.0"


def test_sarif_rules_help_is_the_fix(host, result):
    run = sarif(host, result)["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    for o in result.outcomes:
        assert rules[o.rule_id]["shortDescription"]["text"] == o.title
        assert rules[o.rule_id]["help"]["text"] == o.fix.strip()
    levels = {"error": "error", "warning": "warning", "info": "note"}
    assert len(run["results"]) == len(result.findings)
    for f, r in zip(result.findings, run["results"]):
        assert r["ruleId"] == f.rule_id and run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == f.rule_id
        assert r["level"] == levels[f.severity]
        assert r["message"]["text"] == f.message
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == f.provenance[0].file
        if f.provenance[0].line:
            assert loc["region"]["startLine"] == f.provenance[0].line
        assert r["partialFingerprints"]["scolint/v1"] == f.fingerprint


def test_sarif_not_evaluated_and_accepted(host, partial_result, sarif_validator):
    partial_result.findings[0].accepted = {"by": "ligne de base"}
    try:
        log = sarif(host, partial_result)
    finally:
        partial_result.findings[0].accepted = None
    assert not list(sarif_validator.iter_errors(log))
    run = log["runs"][0]
    assert run["results"][0]["suppressions"][0]["status"] == "accepted"
    notes = run["invocations"][0]["toolExecutionNotifications"]
    missing = [o.rule_id for o in partial_result.outcomes if o.status == NOT_EVALUATED]
    assert [n["associatedRule"]["id"] for n in notes] == missing
    assert all("non évaluée" in n["message"]["text"] for n in notes)


def test_sarif_uri_of_a_file_inside_a_zip():
    from scolint.plugins.reporters.sarif import artifact_uri
    assert artifact_uri("exports 2024.zip!STS/sts emp.xml") == "exports%202024.zip!STS/sts%20emp.xml"
    assert artifact_uri("dossier\\Élèves.xml") == "dossier/%C3%89l%C3%A8ves.xml"
