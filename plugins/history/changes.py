"""What changed since an establishment's previous audit, as the reports show it.

The report context gets ``changes``: ``{"depuis": date or None, "nouvelles": [Finding],
"corrigées": [{"rule_id", "severity", "title"}], "toujours": [Finding]}``. New and
still-there findings are today's findings (with their messages); a fixed finding is known
only by its keyed fingerprint, its rule and severity (the history keeps nothing else).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from scolint.engine.findings import SEVERITY_RANK

from .store import AuditRecord, Changes, History, compare, fingerprint_hmac


def report_changes(changes: Changes, result: Any, secret: bytes) -> dict[str, Any]:
    """The ``changes`` structure of the report context (see the module docstring)."""
    by_fp = {fingerprint_hmac(secret, f.fingerprint): f for f in result.active()}
    titles = {o.rule_id: o.title for o in result.outcomes}
    fixed = []
    for rule, (sev, count) in sorted(changes.fixed_rules.items(), key=lambda kv: (-SEVERITY_RANK.get(kv[1][0], 0), kv[0])):
        # "rule" too: the key the action plan of the reports (issue 18) reads for a fixed finding
        fixed.extend({"rule_id": rule, "rule": rule, "severity": sev, "title": titles.get(rule, rule)}
                     for _ in range(count))
    order = {f.fingerprint: i for i, f in enumerate(result.active())}

    def findings(fps: list[str]) -> list[Any]:
        return sorted((by_fp[fp] for fp in fps if fp in by_fp), key=lambda f: (-SEVERITY_RANK.get(f.severity, 0),
                                                                            f.rule_id, order.get(f.fingerprint, 0)))

    since = changes.since
    if since:  # stored in UTC; shown in local time like the audit's own date
        since = dt.datetime.fromisoformat(since).astimezone().isoformat(timespec="seconds")
    return {"depuis": since, "nouvelles": findings(changes.new), "corrigées": fixed,
            "toujours": findings(changes.still)}


def changes_json(changes: dict[str, Any] | None) -> dict[str, Any] | None:
    """The ``changements`` member of the JSON report."""
    if changes is None:
        return None
    return {
        "depuis": changes.get("depuis"),
        "bilan": {k: len(changes.get(k) or []) for k in ("nouvelles", "corrigées", "toujours")},
        "nouvelles": [f.fingerprint for f in changes.get("nouvelles") or []],
        "corrigées": [{"regle": c["rule_id"], "gravite": c["severity"], "titre": c["title"]}
                      for c in changes.get("corrigées") or []],
        "toujours": [f.fingerprint for f in changes.get("toujours") or []],
    }


def fixed_by_rule(fixed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``[{"rule_id", "severity", "title", "count"}]`` from the list of fixed findings."""
    out: dict[str, dict[str, Any]] = {}
    for c in fixed:
        item = out.setdefault(c["rule_id"], dict(c, count=0))
        item["count"] += 1
    return list(out.values())


def audit_changes(history: History, result: Any, uai: str, source: str = "batch"
                  ) -> tuple[AuditRecord, dict[str, Any]]:
    """The record of ``result`` and what changed since the last recorded audit of ``uai``
    (``depuis`` is ``None`` and the lists empty when the history has no audit of it yet)."""
    record = AuditRecord.from_result(result, uai, history.secret, source)
    previous = history.previous(uai)
    if previous is None:
        return record, {"depuis": None, "nouvelles": [], "corrigées": [], "toujours": []}
    return record, report_changes(compare(previous, record.findings), result, history.secret)
