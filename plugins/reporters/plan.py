"""The action plan of a report: what to fix first, by whom, in the flow's order.

Shared by the reports a school reads (HTML page and mail, plain text, spreadsheet):

- **root causes first**: problems of the exports themselves (an export of another
  establishment or year, X-UAI-001; a file that cannot be read, ``ENTREE-*``) and the
  exports missing for some rules: « corrigez d'abord ceci, puis renvoyez les exports »;
- then one group per person who fixes things (secrétariat / SIECLE, emploi du temps /
  EDT-STS-PRONOTE, référent ENT), derived from the rule's flow step or from the rule's
  optional ``responsable`` key, the rules in the flow's order SIECLE → STS → EDT →
  PRONOTE → ENT → AAF;
- each finding worded in the school's words (:func:`record_words`, :func:`file_words`):
  the export's file name, never the auditor's path, and the record as the school knows
  it (élève NOM Prénom, classe 3A, cours MATHS 3A lundi 8 h, compte ENT login); XML line
  numbers stay in the technical formats (JSON, SARIF, Code Quality, JUnit);
- what changed since a previous audit (:func:`changes_since`), from the fingerprints of
  the previous result, whoever keeps them (a result file, a baseline, a history base).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Mapping

from scolint.engine.errors import UsageError
from scolint.engine.findings import NOT_EVALUATED, SEVERITIES, SEVERITY_RANK, AuditResult, Finding

#: The flow's order (root causes, then the systems from SIECLE to the ENT).
FLOW_ORDER = ("GENERAL", "SIECLE", "STS", "EDT", "PRONOTE", "ENT", "AAF")
#: Who fixes what: key -> (group title, who, what to do first).
OWNERS: dict[str, tuple[str, str]] = {
    "exports": ("D'abord : les exports eux-mêmes",
                "Corrigez d'abord ceci, puis renvoyez les exports : les autres résultats en dépendent."),
    "secretariat": ("Secrétariat (SIECLE)",
                    "Corrections à faire dans SIECLE (Base élèves), puis refaire les exports SIECLE."),
    "emploi-du-temps": ("Emploi du temps (EDT, STS-Web, PRONOTE)",
                        "Corrections à faire dans EDT, STS-Web ou PRONOTE, puis refaire les exports."),
    "referent-ent": ("Référent ENT",
                     "Corrections à faire dans la console d'administration de l'ENT (comptes, rattachements)."),
}
#: The group of a rule from its flow step (a rule's ``responsable`` key overrides it).
FLOW_OWNER = {"GENERAL": "exports", "SIECLE": "secretariat", "STS": "emploi-du-temps", "EDT": "emploi-du-temps",
              "PRONOTE": "emploi-du-temps", "ENT": "referent-ent", "AAF": "referent-ent"}
OWNER_ORDER = tuple(OWNERS)

#: How the school names a record, by entity kind.
KIND_WORDS = {
    "student": "élève", "edt_student": "élève", "aaf_student": "élève (annuaire ENT)",
    "guardian": "responsable", "edt_guardian": "responsable", "pronote_guardian": "responsable",
    "aaf_guardian": "responsable (annuaire ENT)",
    "teacher": "enseignant", "edt_teacher": "professeur", "aaf_teacher": "enseignant (annuaire ENT)",
    "division": "classe", "edt_class": "classe", "edt_class_part": "partie de classe",
    "group": "groupe", "edt_group": "groupe", "edt_course": "cours", "edt_room": "salle",
    "edt_subject": "matière", "subject": "matière", "edt_service": "service", "service": "service",
    "ent_account": "compte ENT", "pronote_identifier": "identifiant PRONOTE", "mef": "MEF",
    "export": "fichier", "aaf_establishment": "établissement (annuaire ENT)",
}


def owner_of(flow: str, override: str = "") -> str:
    """The group key of a rule: its ``responsable`` key, else from its flow step."""
    if override in OWNERS:
        return override
    return FLOW_OWNER.get(flow or "GENERAL", "emploi-du-temps")


def file_words(path: str) -> str:
    """An export's file name as the school saw it: no folder, the archive named apart.

    ``/srv/audit/ExportEmploiDuTemps.xml`` -> ``ExportEmploiDuTemps.xml``;
    ``/srv/a/ExportXML_Eleves.zip!ExportXML/Eleves.xml`` -> ``Eleves.xml (dans ExportXML_Eleves.zip)``.
    """
    text = str(path or "").replace("\\", "/")
    if "!" in text:
        outer, inner = text.split("!", 1)
        return f"{PurePosixPath(inner).name or inner} (dans {PurePosixPath(outer).name})"
    return PurePosixPath(text).name or text


def _hours(text: str) -> str:
    """``lundi 08:00`` -> ``lundi 8 h``, ``13:30`` -> ``13 h 30``."""
    def repl(m: re.Match[str]) -> str:
        h, mnt = int(m.group(1)), m.group(2)
        return f"{h} h" if mnt == "00" else f"{h} h {mnt}"
    return re.sub(r"\b(\d{1,2}):(\d{2})\b", repl, text)


def record_words(f: Finding) -> str:
    """The record a finding is about, as the school knows it (« élève DUPONT Léa, classe 3A »)."""
    label = _hours(f.entity_label or f.entity_id or "")
    word = KIND_WORDS.get(f.entity_kind, "")
    if f.entity_kind == "edt_course":
        label = label.replace(" – ", " ")
    if f.entity_kind == "export":
        label = file_words(f.entity_id or label)
    text = f"{word} {label}".strip() if word and not label.lower().startswith(word.lower()) else label
    if f.context.get("classe") and f.entity_kind in ("student", "edt_student", "aaf_student"):
        text += f", classe {f.context['classe']}"
    return text


def where_words(f: Finding) -> str:
    """Where to look, in the school's words: the record, then the export's file name."""
    parts = [record_words(f)] if (f.entity_label or f.entity_id) else []
    files = []
    for p in f.provenance:
        name = file_words(p.file)
        if name and name not in files:
            files.append(name)
    if files and f.entity_kind != "export":
        parts.append("fichier " + ", ".join(files[:2]) + (" …" if len(files) > 2 else ""))
    return " — ".join(p for p in parts if p)


def fix_steps(text: str | None) -> list[str]:
    """A fix split into its steps (a line starting with spaces continues the step above),
    the « 1. » numbering removed (lists number them)."""
    steps: list[str] = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        if steps and line[:1].isspace():
            steps[-1] += " " + line.strip()
        else:
            steps.append(line.strip())
    return [re.sub(r"^\d+[.)]\s+", "", s) for s in steps]


@dataclass
class RuleBlock:
    """The active findings of one rule, with what a reader needs."""

    rule_id: str
    title: str
    severity: str
    flow: str
    owner: str
    fix: str
    findings: list[Finding]
    description: str = ""
    shown: int = 0  #: findings listed (the others are counted and in the spreadsheet)

    @property
    def anchor(self) -> str:
        return "regle-" + self.rule_id.lower()

    @property
    def steps(self) -> list[str]:
        return fix_steps(self.fix)

    @property
    def more(self) -> int:
        return max(0, len(self.findings) - self.shown)


@dataclass
class Group:
    """The work of one person (or the root causes)."""

    key: str
    title: str
    intro: str
    blocks: list[RuleBlock] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return "groupe-" + self.key

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in SEVERITIES}
        for b in self.blocks:
            out[b.severity] += len(b.findings)
        return out

    @property
    def total(self) -> int:
        return sum(len(b.findings) for b in self.blocks)


@dataclass
class MissingExport:
    """An export some rules need and the audit did not get."""

    format_id: str
    label: str
    how_to_get: str
    rules: list[str]


@dataclass
class Changes:
    """What changed since a previous audit (by finding fingerprint)."""

    new: list[Finding]
    still: list[Finding]
    fixed: list[dict[str, Any]]  #: previous entries (at least ``fingerprint``; ``rule``, ``title`` when known)
    since: str | None = None  #: date of the previous audit, when known
    first: bool = False  #: no previous audit to compare with (first audit in the history)

    def by_rule(self) -> list[dict[str, Any]]:
        """One line per rule: ``{rule, title, new, still, fixed}``, most new first."""
        rows: dict[str, dict[str, Any]] = {}

        def row(rule: str, title: str) -> dict[str, Any]:
            r = rows.setdefault(rule, {"rule": rule, "title": title, "new": 0, "still": 0, "fixed": 0})
            r["title"] = r["title"] or title
            return r
        for f in self.new:
            row(f.rule_id, f.title)["new"] += 1
        for f in self.still:
            row(f.rule_id, f.title)["still"] += 1
        for e in self.fixed:
            row(str(e.get("rule") or "?"), str(e.get("title") or ""))["fixed"] += 1
        return sorted(rows.values(), key=lambda r: (-r["new"], -r["fixed"], r["rule"]))


def changes_since(previous: Mapping[str, Mapping[str, Any]] | Iterable[str], findings: Iterable[Finding]) -> Changes:
    """Compare this audit's findings with the fingerprints of a previous one.

    :param previous: the previous audit's fingerprints, either as an iterable of
        fingerprints or as ``{fingerprint: {"rule": …, "title": …}}`` (what a result file,
        a baseline or the history base knows about each); ``fixed`` entries carry it.
    :param findings: this audit's findings to compare (accepted exceptions left out).
    """
    prev: dict[str, dict[str, Any]] = {}
    if isinstance(previous, Mapping):
        prev = {str(k): dict(v or {}) for k, v in previous.items()}
    else:
        prev = {str(k): {} for k in previous}
    current = list(findings)
    seen = {f.fingerprint for f in current}
    new = [f for f in current if f.fingerprint not in prev]
    still = [f for f in current if f.fingerprint in prev]
    fixed = [dict(v, fingerprint=k) for k, v in prev.items() if k not in seen]
    return Changes(new, still, fixed)


def changes_from_history(changes: Mapping[str, Any] | None) -> Changes | None:
    """The history's comparison (plugins/history/changes.py: ``{"depuis", "nouvelles",
    "corrigées", "toujours"}``) as :class:`Changes`; None when there is none."""
    if changes is None:
        return None
    fixed = [{"rule": c.get("rule_id"), "title": c.get("title")} for c in changes.get("corrigées") or []]
    return Changes(list(changes.get("nouvelles") or []), list(changes.get("toujours") or []), fixed,
                   since=changes.get("depuis"), first=not changes.get("depuis"))


def previous_fingerprints(path: str | Path) -> dict[str, dict[str, Any]]:
    """The fingerprints of a previous audit: a scolint JSON result (``--format json``) or a
    baseline (``scolint baseline``); a French error when the file is neither."""
    spath = str(path)
    try:
        doc = json.loads(Path(path).read_text("utf-8-sig"))
    except FileNotFoundError:
        raise UsageError(f"{spath} : résultat précédent introuvable") from None
    except (OSError, UnicodeDecodeError) as exc:
        from scolint.engine.outputs import read_error_fr
        raise UsageError(f"{spath} : résultat précédent illisible ({read_error_fr(exc)})") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{spath}:{exc.lineno}: JSON invalide ({exc.msg})") from None
    except RecursionError:
        raise UsageError(f"{spath} : JSON invalide (listes ou objets imbriqués trop profondément)") from None
    if isinstance(doc, dict) and isinstance(doc.get("anomalies"), list):  # scolint check --format json
        return {str(a["fingerprint"]): {"rule": a.get("rule"), "title": a.get("title")}
                for a in doc["anomalies"] if isinstance(a, dict) and a.get("fingerprint")
                and not (a.get("accepted") or {}).get("by") == "exception"}
    if isinstance(doc, dict) and isinstance(doc.get("findings"), list):  # scolint baseline
        return {str(e["fingerprint"]): {"rule": e.get("rule")} for e in doc["findings"]
                if isinstance(e, dict) and e.get("fingerprint")}
    raise UsageError(f"{spath} : ni un résultat JSON de scolint (scolint check --format json) ni une ligne de base")


@dataclass
class Plan:
    """Everything the readable reports show, in reading order."""

    root: Group
    groups: list[Group]
    missing: list[MissingExport]
    unreadable_formats: list[MissingExport]  #: needed by rules, but scolint cannot read them
    changes: Changes | None = None

    @property
    def all_groups(self) -> list[Group]:
        """The non-empty groups, root causes first."""
        return [g for g in [self.root, *self.groups] if g.blocks]

    @property
    def blocks(self) -> list[RuleBlock]:
        return [b for g in self.all_groups for b in g.blocks]

    @property
    def clean(self) -> bool:
        """Nothing to do: no active finding and no export to send."""
        return not self.blocks and not self.missing

    @property
    def first_steps(self) -> bool:
        """Whether there are root causes to fix first."""
        return bool(self.root.blocks or self.missing)


def _rule_info(result: AuditResult) -> dict[str, Any]:
    return {o.rule_id: o for o in result.outcomes}


def build_plan(result: AuditResult, previous: Mapping[str, Mapping[str, Any]] | Iterable[str] | None = None,
               history: Mapping[str, Any] | None = None) -> Plan:
    """The action plan of ``result`` (all findings listed: see :func:`limit_plan`).

    :param previous: the previous audit's fingerprints (:func:`changes_since`);
    :param history: else the history's comparison (:func:`changes_from_history`)."""
    info = _rule_info(result)
    per_rule: dict[str, list[Finding]] = {}
    for f in result.active():
        per_rule.setdefault(f.rule_id, []).append(f)
    blocks = []
    for rule_id, items in per_rule.items():
        o = info.get(rule_id)
        flow = (o.flow if o else items[0].flow) or "GENERAL"
        owner = owner_of(flow, getattr(o, "owner", "") if o else "")
        blocks.append(RuleBlock(rule_id, items[0].title, items[0].severity, flow, owner,
                                (o.fix if o else items[0].fix) or items[0].fix, items,
                                getattr(o, "description", "") if o else "", shown=len(items)))
    # The flow's order (SIECLE → STS → EDT → PRONOTE → ENT → AAF), then any other declared family.
    order = [*FLOW_ORDER, *[f for f in getattr(result, "flows", ()) if f not in FLOW_ORDER]]
    flow_rank = {f: i for i, f in enumerate(order)}
    blocks.sort(key=lambda b: (flow_rank.get(b.flow, len(FLOW_ORDER)), -SEVERITY_RANK[b.severity], b.rule_id))
    root = Group("exports", *OWNERS["exports"])
    groups = [Group(k, *OWNERS[k]) for k in OWNER_ORDER if k != "exports"]
    by_key = {g.key: g for g in [root, *groups]}
    for b in blocks:
        by_key[b.owner].blocks.append(b)
    # Blocks of root causes: errors first (an export of the wrong year before an encoding note).
    root.blocks.sort(key=lambda b: (-SEVERITY_RANK[b.severity], b.rule_id))
    missing: dict[str, MissingExport] = {}
    unreadable: dict[str, MissingExport] = {}
    for o in result.outcomes:
        if o.status != NOT_EVALUATED:
            continue
        for fid in o.missing:
            fmt = result.formats.get(fid)
            target = unreadable if fmt is not None and getattr(fmt, "kinds", None) == () else missing
            entry = target.setdefault(fid, MissingExport(fid, getattr(fmt, "label", fid),
                                                         getattr(fmt, "how_to_get", ""), []))
            entry.rules.append(o.rule_id)
    plan = Plan(root, groups, sorted(missing.values(), key=lambda m: _flow_of(result, m.format_id, flow_rank)),
                list(unreadable.values()))
    if previous is not None:
        current = [f for f in result.findings if f.accepted is None or f.accepted.get("by") == "baseline"]
        plan.changes = changes_since(previous, current)
    elif history is not None:
        plan.changes = changes_from_history(history)
    return plan


def _flow_of(result: AuditResult, fid: str, rank: dict[str, int]) -> tuple[int, str]:
    fmt = result.formats.get(fid)
    return (rank.get(getattr(fmt, "system", ""), len(rank)), fid)


def limit_plan(plan: Plan, budget: int | None) -> None:
    """List at most ``budget`` findings in all (None: every one): the same number per rule
    (the largest that fits), root causes always listed in full when they fit."""
    blocks = plan.blocks
    if budget is None:
        for b in blocks:
            b.shown = len(b.findings)
        return
    sizes = [len(b.findings) for b in blocks]
    low, high = 0, max(sizes + [0])
    while low < high:  # the largest per-rule cap whose total fits
        mid = (low + high + 1) // 2
        if sum(min(n, mid) for n in sizes) <= budget:
            low = mid
        else:
            high = mid - 1
    left = budget - sum(min(n, low) for n in sizes)
    for b in blocks:
        b.shown = min(len(b.findings), low)
        extra = min(left, len(b.findings) - b.shown)  # what is left goes to the first rules
        b.shown += extra
        left -= extra
