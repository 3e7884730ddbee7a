"""Findings, severities, rule statuses and the result of one audit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from .model import Provenance

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}
SEVERITY_FR = {"error": "erreur", "warning": "avertissement", "info": "information"}

#: Rule statuses after an audit.
PASSED, FAILED, NOT_EVALUATED, RULE_ERROR = "passed", "failed", "not_evaluated", "error"
STATUS_FR = {PASSED: "respectée", FAILED: "en échec", NOT_EVALUATED: "non évaluée",
             RULE_ERROR: "erreur de règle"}


def fingerprint(rule_id: str, entity_kind: str, entity_source: str, entity_ids: list[str] | tuple[str, ...]) -> str:
    """Return a stable fingerprint built on entity ids (never on line numbers)."""
    raw = "\x1f".join([rule_id, entity_kind, entity_source, *sorted(entity_ids)])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:20]


@dataclass
class Finding:
    """One problem found by a rule on one entity (or a group of entities)."""

    rule_id: str
    severity: str
    title: str
    message: str
    fix: str
    entity_kind: str
    entity_id: str
    entity_source: str
    entity_label: str
    provenance: list[Provenance] = field(default_factory=list)
    flow: str = ""
    tags: list[str] = field(default_factory=list)
    related: list[dict[str, str]] = field(default_factory=list)
    context: dict[str, str] = field(default_factory=dict)
    fingerprint: str = ""
    accepted: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not self.fingerprint:
            ids = [self.entity_id] + [r["id"] for r in self.related]
            self.fingerprint = fingerprint(self.rule_id, self.entity_kind, self.entity_source, ids)

    @property
    def location(self) -> str:
        """The first provenance as ``file:line`` (or empty)."""
        return str(self.provenance[0]) if self.provenance else ""

    def to_dict(self) -> dict[str, Any]:
        """All fields, JSON-ready."""
        return {
            "rule": self.rule_id,
            "severity": self.severity,
            "title": self.title,
            "message": self.message,
            "fix": self.fix,
            "flow": self.flow,
            "tags": list(self.tags),
            "entity": {"kind": self.entity_kind, "id": self.entity_id,
                       "source": self.entity_source, "label": self.entity_label},
            "related": list(self.related),
            "context": dict(self.context),
            "provenance": [{"file": p.file, "line": p.line, "system": p.system}
                           for p in self.provenance],
            "fingerprint": self.fingerprint,
            "accepted": self.accepted,
        }


@dataclass
class RuleOutcome:
    """What happened to one rule: status, findings count, missing exports or error."""

    rule_id: str
    title: str
    severity: str
    flow: str
    status: str
    count: int = 0
    missing: list[str] = field(default_factory=list)
    error: str = ""
    #: why a rule was not evaluated when no export is missing (French), else ""
    reason: str = ""
    #: findings not repeated because a rule that ``supersedes`` this one said the same fact
    superseded: int = 0
    fix: str = ""
    tags: list[str] = field(default_factory=list)
    description: str = ""
    owner: str = ""  #: the rule's ``responsable`` key (who fixes it), empty: from the flow step


@dataclass
class AuditResult:
    """Everything a reporter needs."""

    findings: list[Finding]
    outcomes: list[RuleOutcome]
    exports: list[Any]
    inputs: list[str]
    started_at: str
    uai: str | None = None
    year: int | None = None
    establishment: str | None = None
    fatal_inputs: int = 0
    formats: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    #: The flow steps in data-flow order (from the declared families), then GENERAL.
    flows: list[str] = field(default_factory=lambda: ["GENERAL"])
    #: severity a rule error counts as in the exit code (``rule_errors`` of the project file)
    rule_error_severity: str = "error"
    #: ids and tags of every rule loaded (selected or not), to tell a misspelt rule id
    known_rules: dict[str, list[str]] = field(default_factory=dict, repr=False)
    #: ``has_entity(kind or None, id)``: True when the audited graph holds that record
    has_entity: Any = field(default=None, repr=False, compare=False)

    def counts(self) -> dict[str, int]:
        """Findings by severity (accepted ones excluded)."""
        out = {s: 0 for s in SEVERITIES}
        for f in self.findings:
            if f.accepted is None:
                out[f.severity] = out.get(f.severity, 0) + 1
        return out

    def active(self) -> list[Finding]:
        """Findings not accepted by an exception or a baseline."""
        return [f for f in self.findings if f.accepted is None]

    def nothing_read(self) -> bool:
        """True when not one export could be read (empty folder, only unknown or broken files)."""
        return not any(getattr(e, "readable", True) for e in self.exports)

    def nothing_read_reason(self) -> str:
        """French sentence: what was not read and why (for the standard error)."""
        problems = [f for f in self.findings if f.rule_id.startswith("ENTREE-")]
        if not self.inputs and not problems:
            return "aucun export lu : aucun fichier à lire (dossier ou archive .zip vide, ou seulement des fichiers cachés ?)"
        why = [f"{f.provenance[0].file if f.provenance else f.entity_id} : {f.message}" for f in problems[:5]]
        more = f" (et {len(problems) - 5} autre(s))" if len(problems) > 5 else ""
        return ("aucun export lu, rien n'a été vérifié : " + (" ; ".join(why) + more if why else
                "aucun fichier reconnu"))

    def exit_code(self, fail_on: str) -> int:
        """0 nothing at or above ``fail_on``; 1 findings at or above it; 2 unreadable input
        or no export read at all (never a green light on nothing).

        A rule in error counts as a finding of :attr:`rule_error_severity` (a record a rule
        could not evaluate is already a finding of that severity).
        """
        if self.fatal_inputs or self.nothing_read():
            return 2
        threshold = SEVERITY_RANK[fail_on]
        if any(SEVERITY_RANK[f.severity] >= threshold for f in self.active()):
            return 1
        if SEVERITY_RANK.get(self.rule_error_severity, 0) >= threshold \
                and any(o.status == RULE_ERROR for o in self.outcomes):
            return 1
        return 0
