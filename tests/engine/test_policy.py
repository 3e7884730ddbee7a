"""The exit-code policy (engine/policy.py): fail-on, exceptions, baseline, strict."""

from __future__ import annotations

import datetime as dt

from scolint.engine.config import AcceptedFinding
from scolint.engine.findings import AuditResult, Finding
from scolint.engine.policy import decide


def _finding(rule: str, severity: str, entity: str) -> Finding:
    return Finding(rule, severity, "titre", "message", "correction", "student", entity, "siecle", entity)


def _result(*findings: Finding, fatal: int = 0) -> AuditResult:
    return AuditResult(findings=list(findings), outcomes=[], exports=[], inputs=[], started_at="",
                       uai="0310040A", year=2024, fatal_inputs=fatal)


def _exception(rule: str, entity: str, expires: dt.date) -> AcceptedFinding:
    return AcceptedFinding("0310040A", rule, entity, "raison", "pôle d'appui", expires, where=".scolint.yaml:3")


def test_fail_on_sets_the_threshold() -> None:
    result = _result(_finding("SIE-RESP-002", "warning", "1"))
    assert decide(result, "error").code == 0
    assert decide(_result(_finding("SIE-RESP-002", "warning", "1")), "warning").code == 1
    assert decide(_result(_finding("SIE-RESP-002", "warning", "1")), "info").code == 1


def test_an_unreadable_input_is_2_whatever_the_findings() -> None:
    assert decide(_result(fatal=1), "error").code == 2


def test_an_exception_accepts_a_finding_until_it_expires() -> None:
    today = dt.date(2026, 12, 7)
    kept = decide(_result(_finding("SIE-RESP-001", "error", "1")), "error",
                  [_exception("SIE-RESP-001", "1", dt.date(2027, 1, 1))], today=today)
    assert kept.code == 0 and any("acceptée" in n for n in kept.notes)
    expired = decide(_result(_finding("SIE-RESP-001", "error", "1")), "error",
                     [_exception("SIE-RESP-001", "1", dt.date(2026, 1, 1))], today=today)
    assert expired.code == 1 and any("expirée" in n for n in expired.notes)


def test_strict_fails_when_an_accepted_finding_has_disappeared() -> None:
    exc = [_exception("SIE-RESP-001", "999", dt.date(2027, 1, 1))]
    assert decide(_result(), "error", exc, today=dt.date(2026, 12, 7)).code == 0
    strict = decide(_result(), "error", exc, strict=True, today=dt.date(2026, 12, 7))
    assert strict.code == 1 and any("--strict" in n for n in strict.notes)
