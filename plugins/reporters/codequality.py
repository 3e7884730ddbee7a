"""GitLab Code Quality reporter (``--format codequality``): the JSON array GitLab's
merge-request widget and pipeline « Code Quality » tab read (artifacts:reports:codequality).

One entry per active finding, with every field GitLab documents: ``description``,
``check_name`` (the rule id), ``fingerprint`` (stable across runs: built on the rule and
entity ids, never on line numbers; unique within the report), ``severity`` (GitLab's
scale: an error is ``major``, a warning ``minor``, an information ``info``) and
``location.path`` (relative to the working folder when inside it, as GitLab wants a path
of the repository) with ``location.lines.begin`` (1 when the line is unknown). Accepted
findings (exceptions, baseline) are left out: GitLab has no notion of an accepted
degradation. Input-problem findings (``ENTREE-*``) are entries too.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from scolint.engine import hookimpl
from scolint.engine.findings import AuditResult, Finding
from scolint.engine.registry import Registries, Reporter

SEVERITIES = {"error": "major", "warning": "minor", "info": "info"}


def repo_path(path: str, base: str | None = None) -> str:
    """``path`` relative to ``base`` (default: the working folder) when it lies inside it,
    with ``/`` separators; otherwise unchanged. An archive member ``a.zip!b.xml`` is
    the archive's path (the file of the repository)."""
    outer = str(path).split("!", 1)[0]
    try:
        here = Path(base or os.getcwd()).resolve()
        target = Path(outer)
        if target.is_absolute():
            rel = target.resolve().relative_to(here)
            return rel.as_posix()
    except (ValueError, OSError):
        pass
    return outer.replace("\\", "/")


def _entry(f: Finding, fingerprint: str, fallback_path: str) -> dict[str, Any]:
    prov = f.provenance[0] if f.provenance else None
    path = repo_path(prov.file) if prov else fallback_path
    member = prov.file.split("!", 1)[1] if prov and "!" in prov.file else ""
    text = f.message or f.title
    if member:
        text += f" (fichier {member} de l'archive)"
    return {
        "type": "issue",
        "check_name": f.rule_id,
        "description": text,
        "categories": ["Bug Risk"] if f.severity == "error" else ["Clarity"],
        "severity": SEVERITIES.get(f.severity, "minor"),
        "fingerprint": fingerprint,
        "location": {"path": path, "lines": {"begin": int(prov.line) if prov and prov.line else 1}},
    }


def codequality_entries(result: AuditResult) -> list[dict[str, Any]]:
    """The report's entries, in the audit's order."""
    fallback = repo_path(result.inputs[0]) if result.inputs else "."
    seen: dict[str, int] = {}
    entries = []
    for f in result.active():
        n = seen.get(f.fingerprint, 0)
        seen[f.fingerprint] = n + 1
        # GitLab wants each fingerprint once: a second finding on the same entities gets
        # a fingerprint of its own, still stable (the same order gives the same number).
        fp = f.fingerprint if n == 0 else hashlib.sha256(f"{f.fingerprint}\x1f{n}".encode()).hexdigest()[:20]
        entries.append(_entry(f, fp, fallback))
    return entries


def render_codequality(result: AuditResult, options: dict[str, Any]) -> str:
    return json.dumps(codequality_entries(result), ensure_ascii=False, indent=2) + "\n"


@hookimpl
def scolint_register(registries: Registries) -> None:
    registries.reporters.add("codequality", Reporter(
        "codequality", "GitLab Code Quality (JSON lu par les merge requests de GitLab)", render_codequality, "json"))
