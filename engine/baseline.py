"""Baselines: the findings accepted as they are, so CI fails only on new ones.

A baseline is a JSON file listing finding fingerprints (built on rule and entity ids,
never on line numbers: see :func:`scolint.engine.findings.fingerprint`) with the rule
and entity ids for a human reader. It holds no message and no name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError
from .findings import AuditResult

#: 2: the fingerprint of a reading problem (ENTREE-*) includes what it says; version 1
#: gave every problem of one file one fingerprint (accepting one hid all the others).
BASELINE_VERSION = 2


def baseline_document(result: AuditResult) -> dict[str, Any]:
    """The baseline of ``result``: every finding not already accepted by an exception."""
    entries = []
    seen: set[str] = set()
    for f in result.findings:
        if f.fingerprint in seen or (f.accepted is not None and f.accepted.get("by") != "baseline"):
            continue
        seen.add(f.fingerprint)
        entries.append({"fingerprint": f.fingerprint, "rule": f.rule_id,
                        "entity": {"kind": f.entity_kind, "id": f.entity_id, "source": f.entity_source},
                        "severity": f.severity})
    entries.sort(key=lambda e: (e["rule"], e["entity"]["kind"], e["entity"]["id"], e["fingerprint"]))
    return {"scolint_baseline": BASELINE_VERSION, "uai": result.uai, "year": result.year,
            "count": len(entries), "findings": entries}


def dump_baseline(result: AuditResult) -> str:
    """The baseline file's text (stable order, one entry per line block)."""
    return json.dumps(baseline_document(result), ensure_ascii=False, indent=2) + "\n"


@dataclass
class Baseline:
    """A loaded baseline: ``fingerprint -> entry``."""

    path: str
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: French notes for the user (an old baseline format...)
    notes: list[str] = field(default_factory=list)


def load_baseline(path: str | Path) -> Baseline:
    """Read a baseline file; a French ``file:line:`` error when it is not one."""
    spath = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except FileNotFoundError:
        raise UsageError(f"{spath}: ligne de base introuvable (créez-la avec « scolint baseline »)") from None
    except (OSError, UnicodeDecodeError) as exc:
        from .outputs import read_error_fr
        raise UsageError(f"{spath}: ligne de base illisible ({read_error_fr(exc)})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{spath}:{exc.lineno}: ligne de base invalide : JSON incorrect ({exc.msg})") from None
    except RecursionError:
        raise UsageError(f"{spath}: ligne de base invalide : JSON imbriqué trop profondément") from None
    if not isinstance(doc, dict) or doc.get("scolint_baseline") not in (1, BASELINE_VERSION) \
            or not isinstance(doc.get("findings"), list):
        raise UsageError(f"{spath}:1: ce fichier n'est pas une ligne de base scolint "
                         f"(clé « scolint_baseline »: {BASELINE_VERSION} et liste « findings » attendues)")
    entries: dict[str, dict[str, Any]] = {}
    dropped = 0
    for i, e in enumerate(doc["findings"]):
        if not isinstance(e, dict) or not isinstance(e.get("fingerprint"), str):
            raise UsageError(f"{spath}: ligne de base invalide : l'entrée n°{i + 1} n'a pas d'empreinte « fingerprint »")
        if doc["scolint_baseline"] == 1 and _is_problem(e):
            dropped += 1  # an old file-wide fingerprint: it would hide every problem of the file
            continue
        entries[e["fingerprint"]] = e
    notes = []
    if dropped:
        notes.append(f"{spath} : ligne de base au format 1 : ses {dropped} anomalie(s) de lecture (ENTREE-*) ne "
                     "sont plus reconnues (chaque écart d'un fichier a maintenant sa propre empreinte) et "
                     "comptent de nouveau ; les autres anomalies restent acceptées. Refaites la ligne de base "
                     "avec « scolint baseline ».")
    return Baseline(spath, entries, notes)


def _is_problem(entry: dict[str, Any]) -> bool:
    ent = entry.get("entity") or {}
    return str(entry.get("rule", "")).startswith("ENTREE-") and ent.get("kind") == "file"


@dataclass
class BaselineReport:
    """Findings accepted by the baseline and baseline entries no finding matches any more."""

    accepted: int = 0
    gone: list[dict[str, Any]] = field(default_factory=list)


def apply_baseline(result: AuditResult, baseline: Baseline) -> BaselineReport:
    """Mark the findings of ``result`` present in ``baseline`` as accepted."""
    report = BaselineReport()
    found: set[str] = set()
    for f in result.findings:
        if f.fingerprint in baseline.entries:
            found.add(f.fingerprint)
            if f.accepted is None:
                f.accepted = {"by": "baseline", "file": baseline.path}
                report.accepted += 1
    report.gone = [e for fp, e in baseline.entries.items() if fp not in found]
    return report
