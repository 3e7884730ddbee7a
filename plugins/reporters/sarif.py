"""SARIF 2.1.0 reporter (code-scanning dashboards, CI annotations).

Each rule becomes a ``reportingDescriptor`` (short description: its title; full
description: its description; help: the French fix); each finding a ``result`` with its
file and line (``physicalLocation``). File URIs are relative to the folder scolint ran
in (``uriBaseId`` SRCROOT, given in ``originalUriBaseIds``); a member of a ``.zip`` is an
artifact nested in the archive's (``parentIndex``). Accepted findings
carry a ``suppression``; rules not evaluated or in error are tool notifications.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from scolint.engine import hookimpl
from scolint.engine.findings import NOT_EVALUATED, RULE_ERROR, AuditResult, Finding
from scolint.engine.model import Provenance
from scolint.engine.registry import Registries, Reporter

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


#: The base of the artifacts' relative URIs: the folder scolint ran in (``originalUriBaseIds``).
BASE_ID = "SRCROOT"


def artifact_uri(path: str) -> str:
    """A relative URI reference for a file name (percent-encoded, ``/`` separators)."""
    return quote(path.replace("\\", "/"), safe="/:@-._~")


class Artifacts:
    """The run's ``artifacts``: one per file, an archive member nested in its archive
    (``parentIndex``, its ``uri`` relative to the archive's root, as SARIF §3.24 wants)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.items: list[dict[str, Any]] = []
        self.index: dict[str, int] = {}

    def _location(self, path: str) -> dict[str, Any]:
        p = Path(path)
        if p.is_absolute():
            try:
                return {"uri": artifact_uri(p.resolve().relative_to(self.base).as_posix()), "uriBaseId": BASE_ID}
            except (ValueError, OSError):
                return {"uri": p.as_uri()}
        return {"uri": artifact_uri(path), "uriBaseId": BASE_ID}

    def add(self, path: str) -> int:
        """The index of ``path`` (``archive.zip!member.xml`` for a member), added if new."""
        if path in self.index:
            return self.index[path]
        if "!" in path:
            outer, inner = path.split("!", 1)
            parent = self.add(outer)
            item: dict[str, Any] = {"location": {"uri": "/" + artifact_uri(inner.lstrip("/"))}, "parentIndex": parent}
        else:
            item = {"location": self._location(path)}
        self.items.append(item)
        self.index[path] = len(self.items) - 1
        return self.index[path]

    def location(self, path: str) -> dict[str, Any]:
        """An ``artifactLocation`` pointing at ``path``'s artifact."""
        i = self.add(path)
        return dict(self.items[i]["location"], index=i)


def utc(value: str | None) -> str | None:
    """An ISO date-time as SARIF wants it (UTC, ``Z``)."""
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _location(p: Provenance, artifacts: Artifacts) -> dict[str, Any]:
    loc: dict[str, Any] = {"artifactLocation": artifacts.location(p.file)}
    if p.line:
        loc["region"] = {"startLine": int(p.line)}
    return {"physicalLocation": loc}


def _rules(result: AuditResult) -> list[dict[str, Any]]:
    """One descriptor per rule of the audit, then per input-problem code met."""
    rules: dict[str, dict[str, Any]] = {}
    for o in result.outcomes:
        rules[o.rule_id] = _descriptor(o.rule_id, o.title, o.fix, o.severity, o.flow, o.tags, o.description)
    for f in result.findings:
        if f.rule_id not in rules:
            rules[f.rule_id] = _descriptor(f.rule_id, f.title, f.fix, f.severity, f.flow, f.tags, "")
    return list(rules.values())


def _descriptor(rule_id: str, title: str, fix: str, severity: str, flow: str, tags: list[str],
                description: str) -> dict[str, Any]:
    desc: dict[str, Any] = {
        "id": rule_id,
        "name": rule_id,
        "shortDescription": {"text": title or rule_id},
        "fullDescription": {"text": " ".join((description or title or rule_id).split())},
        "defaultConfiguration": {"level": LEVELS.get(severity, "warning")},
        "properties": {"tags": list(tags), "flux": flow or "GENERAL"},
    }
    if fix:
        desc["help"] = {"text": fix.strip(), "markdown": fix.strip()}
    return desc


def _result(f: Finding, index: dict[str, int], artifacts: Artifacts) -> dict[str, Any]:
    res: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index[f.rule_id],
        "level": LEVELS.get(f.severity, "warning"),
        "message": {"text": f.message or f.title},
        "partialFingerprints": {"scolint/v1": f.fingerprint},
        "properties": {"entity": {"kind": f.entity_kind, "id": f.entity_id, "source": f.entity_source,
                                  "label": f.entity_label}, **({"classe": f.context["classe"]} if f.context.get("classe") else {})},  # noqa: E501
    }
    if f.provenance:
        res["locations"] = [_location(p, artifacts) for p in f.provenance]
    if f.accepted is not None:
        res["suppressions"] = [{"kind": "external", "status": "accepted",
                                "justification": str(f.accepted.get("reason") or f.accepted.get("by") or "acceptée")}]
    return res


def sarif_dict(result: AuditResult) -> dict[str, Any]:
    """The SARIF log as a dictionary."""
    from scolint.plugins.reporters.html import _version
    rules = _rules(result)
    index = {r["id"]: i for i, r in enumerate(rules)}
    notes: list[dict[str, Any]] = []
    for o in result.outcomes:
        if o.status == NOT_EVALUATED:
            labels = [getattr(result.formats.get(m), "label", m) for m in o.missing]
            notes.append({"level": "note", "associatedRule": {"id": o.rule_id, "index": index[o.rule_id]},
                          "message": {"text": f"Règle {o.rule_id} non évaluée : export manquant ({', '.join(labels)})."}})
        elif o.status == RULE_ERROR:
            notes.append({"level": "error", "associatedRule": {"id": o.rule_id, "index": index[o.rule_id]},
                          "message": {"text": f"Règle {o.rule_id} en erreur : {o.error}"}})
    invocation: dict[str, Any] = {"executionSuccessful": not result.fatal_inputs}
    start = utc(result.started_at)
    if start:
        invocation["startTimeUtc"] = start
    if notes:
        invocation["toolExecutionNotifications"] = notes
    base = Path(os.getcwd()).resolve()
    artifacts = Artifacts(base)
    for e in result.exports:
        artifacts.add(e.meta.get("display", e.path))
    results = [_result(f, index, artifacts) for f in result.findings]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "scolint", "version": _version(), "language": "fr-FR", "rules": rules}},
        "invocations": [invocation],
        "originalUriBaseIds": {BASE_ID: {"uri": base.as_uri().rstrip("/") + "/",
                                         "description": {"text": "Dossier où scolint a été lancé"}}},
        "results": results,
        "properties": {"uai": result.uai, "etablissement": result.establishment, "annee": result.year},
    }
    if artifacts.items:
        run["artifacts"] = artifacts.items
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render_sarif(result: AuditResult, options: dict[str, Any]) -> str:
    return json.dumps(sarif_dict(result), ensure_ascii=False, indent=2) + "\n"


@hookimpl
def scolint_register(registries: Registries) -> None:
    registries.reporters.add("sarif", Reporter(
        "sarif", "SARIF 2.1.0 (tableaux de bord d'analyse, annotations d'intégration continue)", render_sarif, "sarif"))
