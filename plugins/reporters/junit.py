"""JUnit XML reporter for CI servers: one test case per rule, one failure per finding.

Rules not evaluated (missing export) are ``skipped``, rules that could not run are
``error``; input-file problems (``ENTREE-*``) are test cases of their own. Accepted
findings (exception, baseline) are not failures: they are listed in ``system-out``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lxml import etree

from scolint.engine import hookimpl
from scolint.engine.findings import NOT_EVALUATED, RULE_ERROR, SEVERITY_FR, AuditResult, Finding
from scolint.engine.registry import Registries, Reporter
from scolint.plugins.reporters.plan import record_words


def _clean(text: Any) -> str:
    """XML 1.0 refuses most control characters: drop them."""
    return "".join(ch for ch in str(text if text is not None else "")
                   if ch in "\t\n\r" or ord(ch) >= 0x20)


def _failure_text(f: Finding) -> str:
    lines = [f.message, f"Concerne : {record_words(f)}"]
    lines.extend(f"Source : {p}" for p in f.provenance)
    if f.fix:
        lines.append("Correction :\n" + f.fix.strip())
    lines.append(f"Empreinte : {f.fingerprint}")
    return "\n".join(lines)


def _suite(parent: etree._Element, name: str, file: str | None = None) -> etree._Element:
    suite = etree.SubElement(parent, "testsuite", name=_clean(name))
    if file:
        suite.set("file", _clean(file))
    return suite


def _count(suite: etree._Element) -> tuple[int, int, int, int]:
    cases = suite.findall("testcase")
    failures = sum(1 for c in cases if c.find("failure") is not None)
    errors = sum(1 for c in cases if c.find("error") is not None)
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    return len(cases), failures, errors, skipped


def render_junit(result: AuditResult, options: dict[str, Any]) -> bytes:
    """The JUnit XML document (UTF-8 bytes)."""
    started = result.started_at or dt.datetime.now().astimezone().isoformat(timespec="seconds")
    import socket  # here: the other commands need not import it

    root = etree.Element("testsuites", name="scolint")
    top = _suite(root, f"scolint {result.uai or 'établissement inconnu'}")
    top.set("timestamp", started[:19])
    top.set("hostname", socket.gethostname() or "localhost")
    props = etree.SubElement(top, "properties")
    for key, value in (("uai", result.uai), ("etablissement", result.establishment),
                       ("annee_scolaire", f"{result.year}-{result.year + 1}" if result.year else None),
                       ("execute_le", result.started_at)):
        if value:
            etree.SubElement(props, "property", name=key, value=_clean(value))
    # One test case per finding, in a suite per export file (Jenkins' schema has ``file``
    # on test suites only); findings without a file go in a suite of their own.
    files: dict[str, etree._Element] = {}
    names: dict[tuple[str, str], int] = {}
    failing: set[str] = set()
    for f in result.findings:
        path = f.provenance[0].file if f.provenance else ""
        if path not in files:
            files[path] = _suite(top, path or "sans fichier", path or None)
        record = record_words(f) or f.fingerprint
        n = names[(f.rule_id, record)] = names.get((f.rule_id, record), 0) + 1
        case = etree.SubElement(files[path], "testcase", classname=_clean(f.rule_id),
                                name=_clean(record if n == 1 else f"{record} ({n})"), time="0")
        if f.accepted is None:
            failing.add(f.rule_id)
            fail = etree.SubElement(case, "failure", message=_clean(f.message), type=SEVERITY_FR[f.severity])
            fail.text = _clean(_failure_text(f))
        else:
            acc = f.accepted or {}
            etree.SubElement(case, "skipped", message=_clean(
                f"acceptée ({acc.get('by', '?')}) : {acc.get('reason') or f.message}"))
    # The rules without a failing finding: passed, not evaluated (skipped) or in error.
    rules = _suite(top, "règles")
    for o in result.outcomes:
        if o.rule_id in failing:
            continue
        case = etree.SubElement(rules, "testcase", classname=_clean(o.rule_id), name=_clean(o.title), time="0")
        if o.status == NOT_EVALUATED:
            labels = [getattr(result.formats.get(m), "label", m) for m in o.missing]
            etree.SubElement(case, "skipped", message=_clean("non évaluée, export manquant : " + ", ".join(labels)))
        elif o.status == RULE_ERROR:
            err = etree.SubElement(case, "error", message=_clean(o.error), type="erreur de règle")
            err.text = _clean(o.error)
    totals = [0, 0, 0, 0]
    for suite in top.findall("testsuite"):
        counts = _count(suite)
        for key, value in zip(("tests", "failures", "errors", "skipped"), counts):
            suite.set(key, str(value))
        suite.set("time", "0")
        totals = [a + b for a, b in zip(totals, counts)]
    for el in (root, top):
        el.set("tests", str(totals[0]))
        el.set("failures", str(totals[1]))
        el.set("errors", str(totals[2]))
        el.set("time", "0")
    top.set("skipped", str(totals[3]))  # Jenkins' schema knows it on testsuite only
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@hookimpl
def scolint_register(registries: Registries) -> None:
    registries.reporters.add("junit", Reporter(
        "junit", "JUnit XML pour l'intégration continue (un cas de test par anomalie)", render_junit, "xml"))
