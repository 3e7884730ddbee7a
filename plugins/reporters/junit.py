"""JUnit XML reporter for CI servers: one test case per rule, one failure per finding.

Rules not evaluated (missing export) are ``skipped``, rules that could not run are
``error``; input-file problems (``ENTREE-*``) are test cases of their own. Accepted
findings (exception, baseline) are not failures: they are listed in ``system-out``.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from typing import Any

from lxml import etree

from scolint.engine import hookimpl
from scolint.engine.findings import NOT_EVALUATED, RULE_ERROR, SEVERITY_FR, AuditResult, Finding, RuleOutcome
from scolint.engine.registry import Registries, Reporter


def _clean(text: Any) -> str:
    """XML 1.0 refuses most control characters: drop them."""
    return "".join(ch for ch in str(text if text is not None else "")
                   if ch in "\t\n\r" or ord(ch) >= 0x20)


def _failure_text(f: Finding) -> str:
    lines = [f.message]
    if f.entity_label:
        lines.append(f"Concerne : {f.entity_label}" + (f" (classe {f.context['classe']})" if f.context.get("classe") else ""))
    lines.extend(f"Source : {p}" for p in f.provenance)
    lines.append(f"Empreinte : {f.fingerprint}")
    return "\n".join(lines)


def _cases(result: AuditResult) -> "OrderedDict[str, tuple[RuleOutcome | None, list[Finding]]]":
    """``{rule_id: (outcome, findings)}``: input problems first, then the rules in order."""
    findings: dict[str, list[Finding]] = {}
    for f in result.findings:
        findings.setdefault(f.rule_id, []).append(f)
    known = {o.rule_id for o in result.outcomes}
    out: OrderedDict[str, tuple[RuleOutcome | None, list[Finding]]] = OrderedDict()
    for rule_id in sorted(r for r in findings if r not in known):
        out[rule_id] = (None, findings[rule_id])
    for o in result.outcomes:
        out[o.rule_id] = (o, findings.get(o.rule_id, []))
    return out


def render_junit(result: AuditResult, options: dict[str, Any]) -> bytes:
    """The JUnit XML document (UTF-8 bytes)."""
    started = result.started_at or dt.datetime.now().astimezone().isoformat(timespec="seconds")
    name = f"scolint {result.uai or 'établissement inconnu'}"
    import socket  # here: the other commands need not import it

    root = etree.Element("testsuites", name="scolint")
    suite = etree.SubElement(root, "testsuite", name=name, timestamp=started[:19],
                             hostname=socket.gethostname() or "localhost", time="0")
    props = etree.SubElement(suite, "properties")
    for key, value in (("uai", result.uai), ("etablissement", result.establishment),
                       ("annee_scolaire", f"{result.year}-{result.year + 1}" if result.year else None),
                       ("execute_le", result.started_at)):
        if value:
            etree.SubElement(props, "property", name=key, value=_clean(value))
    tests = failures = errors = skipped = 0
    for rule_id, (outcome, items) in _cases(result).items():
        title = outcome.title if outcome else (items[0].title if items else rule_id)
        flow = (outcome.flow if outcome else items[0].flow) or "GENERAL"
        case = etree.SubElement(suite, "testcase", classname=f"scolint.{flow}", name=_clean(f"{rule_id} — {title}"),
                                time="0")
        tests += 1
        active = [f for f in items if f.accepted is None]
        if outcome is not None and outcome.status == NOT_EVALUATED:
            skipped += 1
            labels = [getattr(result.formats.get(m), "label", m) for m in outcome.missing]
            etree.SubElement(case, "skipped", message=_clean("non évaluée, export manquant : " + ", ".join(labels)))
        elif outcome is not None and outcome.status == RULE_ERROR:
            errors += 1
            err = etree.SubElement(case, "error", message=_clean(outcome.error), type="erreur de règle")
            err.text = _clean(outcome.error)
        for f in active:
            fail = etree.SubElement(case, "failure", message=_clean(f.message), type=SEVERITY_FR[f.severity])
            fail.text = _clean(_failure_text(f))
        if active:
            failures += 1
        accepted = [f for f in items if f.accepted is not None]
        if accepted:
            out = etree.SubElement(case, "system-out")
            out.text = _clean("\n".join(f"acceptée ({(f.accepted or {}).get('by', '?')}) : {f.message}" for f in accepted))
    for el in (root, suite):
        el.set("tests", str(tests))
        el.set("failures", str(failures))
        el.set("errors", str(errors))
    suite.set("skipped", str(skipped))  # the usual JUnit schemas know it on testsuite only
    root.set("time", "0")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@hookimpl
def scolint_register(registries: Registries) -> None:
    registries.reporters.add("junit", Reporter(
        "junit", "JUnit XML pour l'intégration continue (un cas de test par règle)", render_junit, "xml"))
