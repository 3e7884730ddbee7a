"""JUnit XML, SARIF 2.1.0 and GitLab Code Quality reports, validated against the official
schemas read in place in ../shared/schemas (Jenkins' junit-10.xsd, OASIS' SARIF schema,
GitLab's Code Quality validator)."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from scolint.engine.audit import Auditor
from scolint.engine.findings import NOT_EVALUATED
from scolint.plugins.gen.generate import generate
from scolint.plugins.reporters.plan import record_words


@pytest.fixture(scope="module")
def junit_schema(schemas):
    return etree.XMLSchema(etree.parse(str(schemas / "junit-10.xsd")))


@pytest.fixture(scope="module")
def sarif_validator(schemas):
    schema = json.loads((schemas / "sarif-schema-2.1.0.json").read_text("utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def codequality_validator(schemas):
    schema = json.loads((schemas / "gitlab-codequality.json").read_text("utf-8"))
    return jsonschema.Draft7Validator(schema)


def junit(host, result):
    data = host.registries.reporters["junit"].render(result, {})
    assert isinstance(data, bytes) and data.startswith(b"<?xml")
    return etree.fromstring(data)


def test_junit_one_case_per_finding_valid_for_jenkins(host, result, junit_schema):
    result.findings[-1].accepted = {"by": "exception", "reason": "vu avec le chef d'établissement"}
    doc = junit(host, result)
    junit_schema.assertValid(doc)
    failures = [c for c in doc.iter("testcase") if c.find("failure") is not None]
    assert len(failures) == len(result.active()) > 20
    # classname = the rule, name = the record; one failure each, with the finding's message
    got = Counter((c.get("classname"), c.find("failure").get("message")) for c in failures)
    assert got == Counter((f.rule_id, f.message) for f in result.active())
    names = {c.get("name") for c in failures}
    for f in result.active():
        assert any(n.startswith(record_words(f)) for n in names)
    # each case sits in the suite of its export file (Jenkins has ``file`` on suites only)
    for suite in doc.iter("testsuite"):
        for case in suite.findall("testcase"):
            if case.find("failure") is None:
                continue
            f = next(f for f in result.active() if f.message == case.find("failure").get("message")
                     and f.rule_id == case.get("classname"))
            assert suite.get("file") == (f.provenance[0].file if f.provenance else None)
    # the accepted finding is a skipped case, not a failure
    accepted = result.findings[-1]
    skipped = [c for c in doc.iter("testcase") if c.find("skipped") is not None
               and "vu avec le chef" in c.find("skipped").get("message")]
    assert len(skipped) == 1 and skipped[0].get("classname") == accepted.rule_id
    top = doc.find("testsuite")
    assert int(top.get("failures")) == len(result.active())
    assert int(doc.get("tests")) == len(list(doc.iter("testcase")))
    assert {p.get("name"): p.get("value") for p in top.iter("property")}["uai"] == result.uai


def test_junit_failure_text_has_file_line_and_fix(host, result, junit_schema):
    doc = junit(host, result)
    f = next(f for f in result.active() if f.provenance and f.provenance[0].line)
    texts = [x.text for x in doc.iter("failure") if x.get("message") == f.message]
    assert texts and f"Source : {f.provenance[0].file}:{f.provenance[0].line}" in texts[0]
    assert f.fix.strip().splitlines()[0] in texts[0]


def test_junit_not_evaluated_rules_are_skipped(host, partial_result, junit_schema):
    doc = junit(host, partial_result)
    junit_schema.assertValid(doc)
    missing = {o.rule_id: o for o in partial_result.outcomes if o.status == NOT_EVALUATED}
    assert missing
    skipped = {c.get("classname"): c.find("skipped") for c in doc.iter("testcase") if c.find("skipped") is not None}
    assert set(skipped) == set(missing)
    for rule_id, el in skipped.items():
        assert partial_result.formats[missing[rule_id].missing[0]].label in el.get("message")
    assert doc.find("testsuite").get("skipped") == str(len(missing))
    passed = [o for o in partial_result.outcomes if o.status == "passed"]
    cases = {c.get("classname") for c in doc.iter("testcase") if not len(c)}
    assert {o.rule_id for o in passed} <= cases


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


def test_sarif_rules_help_is_the_fix(host, result, generated, monkeypatch):
    monkeypatch.chdir(generated.parent)  # the audited folder lies under the working folder
    run = sarif(host, result)["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    for o in result.outcomes:
        assert rules[o.rule_id]["shortDescription"]["text"] == o.title
        assert rules[o.rule_id]["fullDescription"]["text"] == " ".join(o.description.split()) and o.description
        assert rules[o.rule_id]["help"]["text"] == o.fix.strip()
    levels = {"error": "error", "warning": "warning", "info": "note"}
    assert len(run["results"]) == len(result.findings)
    for f, r in zip(result.findings, run["results"]):
        assert r["ruleId"] == f.rule_id and run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == f.rule_id
        assert r["level"] == levels[f.severity]
        assert r["message"]["text"] == f.message
        loc = r["locations"][0]["physicalLocation"]
        artifact = run["artifacts"][loc["artifactLocation"]["index"]]["location"]
        assert loc["artifactLocation"]["uriBaseId"] == artifact["uriBaseId"] == "SRCROOT"
        base = run["originalUriBaseIds"]["SRCROOT"]["uri"]
        assert base == Path.cwd().resolve().as_uri() + "/"
        assert Path(f.provenance[0].file).resolve() == Path.cwd().resolve() / artifact["uri"]
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


def test_sarif_file_outside_the_working_folder_is_an_absolute_uri(host, result, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = sarif(host, result)["runs"][0]
    f = next(f for f in result.findings if f.provenance)
    r = next(r for r in run["results"] if r["partialFingerprints"]["scolint/v1"] == f.fingerprint)
    loc = r["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc["uri"] == Path(f.provenance[0].file).resolve().as_uri() and "uriBaseId" not in loc


@pytest.fixture(scope="module")
def zipped(session_host, tmp_path_factory):
    """A collège whose SIECLE exports are delivered in their .zip, audited from its folder."""
    out = tmp_path_factory.mktemp("archives")
    generate(out / "exports", 120, 11, archives=True)
    here = os.getcwd()
    os.chdir(out)
    try:
        return out, Auditor(host=session_host).audit(["exports"])
    finally:
        os.chdir(here)


def test_sarif_zip_members_are_nested_artifacts(host, zipped, sarif_validator, monkeypatch):
    out, res = zipped
    monkeypatch.chdir(out)
    log = sarif(host, res)
    assert not list(sarif_validator.iter_errors(log))
    run = log["runs"][0]
    arts = run["artifacts"]
    members = [a for a in arts if "parentIndex" in a]
    assert members, "aucun membre d'archive"
    for m in members:
        parent = arts[m["parentIndex"]]
        assert parent["location"]["uri"].endswith(".zip") and parent["location"]["uriBaseId"] == "SRCROOT"
        assert (out / parent["location"]["uri"]).is_file()
        assert m["location"]["uri"].startswith("/") and m["location"]["uri"].endswith(".xml")
        assert "!" not in m["location"]["uri"] and "uriBaseId" not in m["location"]
    in_zip = [f for f in res.findings if f.provenance and "!" in f.provenance[0].file]
    assert in_zip
    for f in in_zip:
        r = next(r for r in run["results"] if r["partialFingerprints"]["scolint/v1"] == f.fingerprint)
        art = arts[r["locations"][0]["physicalLocation"]["artifactLocation"]["index"]]
        assert "parentIndex" in art and f.provenance[0].file.endswith(art["location"]["uri"].lstrip("/"))


def test_codequality_valid_and_documented_fields(host, zipped, codequality_validator, monkeypatch):
    out, res = zipped
    monkeypatch.chdir(out)
    text = host.registries.reporters["codequality"].render(res, {})
    entries = json.loads(text)
    assert isinstance(entries, list) and len(entries) == len(res.active()) > 10
    for e in entries:
        assert not list(codequality_validator.iter_errors(e))
        # GitLab's documentation asks for more than its validator checks
        assert e["description"] and e["check_name"] and e["fingerprint"]
        assert e["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert isinstance(e["location"]["lines"]["begin"], int) and e["location"]["lines"]["begin"] >= 1
        path = e["location"]["path"]
        assert not Path(path).is_absolute() and "!" not in path and (out / path).is_file(), path
    assert len({e["fingerprint"] for e in entries}) == len(entries)
    assert Counter(e["check_name"] for e in entries) == Counter(f.rule_id for f in res.active())
    sev = {"error": "major", "warning": "minor", "info": "info"}
    assert Counter(e["severity"] for e in entries) == Counter(sev[f.severity] for f in res.active())
    # stable: the same audit gives the same fingerprints, whatever the lines
    again = json.loads(host.registries.reporters["codequality"].render(res, {}))
    assert [e["fingerprint"] for e in again] == [e["fingerprint"] for e in entries]
    line = next(f for f in res.active() if f.provenance and f.provenance[0].line)
    assert any(e["location"]["lines"]["begin"] == line.provenance[0].line and e["check_name"] == line.rule_id
               for e in entries)


def test_codequality_two_findings_on_the_same_entities_keep_unique_fingerprints(host, result):
    import copy
    twin = copy.deepcopy(result.active()[0])
    twin.message += " (bis)"
    result.findings.append(twin)
    entries = json.loads(host.registries.reporters["codequality"].render(result, {}))
    assert len({e["fingerprint"] for e in entries}) == len(entries) == len(result.active())
