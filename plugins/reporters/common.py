"""Built-in reporters: console (grouped by severity then rule), JSON, Markdown."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections import OrderedDict
from importlib import resources
from typing import Any

from scolint.engine import hookimpl
from scolint.engine.findings import NOT_EVALUATED, RULE_ERROR, SEVERITIES, SEVERITY_FR, STATUS_FR, AuditResult, Finding
from scolint.engine.outputs import BIDI, terminal_text
from scolint.engine.registry import Registries, Reporter

SEVERITY_TITLE = {"error": "Erreurs", "warning": "Avertissements", "info": "Informations"}


def grouped(findings: list[Finding]) -> "OrderedDict[str, OrderedDict[str, list[Finding]]]":
    """``{severity: {rule_id: [findings]}}`` ordered by severity, then rule id."""
    out: OrderedDict[str, OrderedDict[str, list[Finding]]] = OrderedDict()
    for sev in SEVERITIES:
        rules: dict[str, list[Finding]] = {}
        for f in findings:
            if f.severity == sev:
                rules.setdefault(f.rule_id, []).append(f)
        if rules:
            out[sev] = OrderedDict(sorted(rules.items()))
    return out


def by_rule(findings: list[Finding]) -> "OrderedDict[str, list[Finding]]":
    """``{rule_id: [findings]}``, errors first, then warnings, then infos."""
    out: OrderedDict[str, list[Finding]] = OrderedDict()
    for rules in grouped(findings).values():
        out.update(rules)
    return out


def by_flow(result: AuditResult) -> dict[str, dict[str, int]]:
    """``{flow: {severity: count}}`` of active findings."""
    out: dict[str, dict[str, int]] = {flow: {s: 0 for s in SEVERITIES} for flow in result.flows}
    for f in result.active():
        out.setdefault(f.flow or "GENERAL", {s: 0 for s in SEVERITIES})[f.severity] += 1
    return out


def summary_line(result: AuditResult) -> str:
    c = result.counts()
    return (f"{c['error']} erreur(s), {c['warning']} avertissement(s), {c['info']} information(s) ; "
            f"{sum(1 for o in result.outcomes if o.status == NOT_EVALUATED)} règle(s) non évaluée(s)")


def render_console(result: AuditResult, options: dict[str, Any]) -> str:
    color = options.get("color", False)
    paint = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"} if color else {}
    reset = "\033[0m" if color else ""
    c = console_safe
    lines = [f"scolint — établissement {c(result.uai or 'inconnu')}"
             + (f", année {result.year}-{result.year + 1}" if result.year else ""), ""]
    for sev, rules in grouped(result.active()).items():
        total = sum(len(v) for v in rules.values())
        lines.append(f"{paint.get(sev, '')}== {SEVERITY_TITLE[sev]} ({total}){reset}")
        for rule_id, items in rules.items():
            lines.append(f"  [{c(rule_id)}] {c(items[0].title)} ({len(items)})")
            for f in items:
                where = f" ({c(f.location)})" if f.location else ""
                lines.append(f"    - {c(f.message)}{where}")
        lines.append("")
    not_eval, by_hand, other = split_not_evaluated(result)
    if not_eval:
        lines.append("== Règles non évaluées (export manquant)")
        for o in not_eval:
            names = ", ".join(_format_label(result, m) for m in o.missing)
            lines.append(f"  [{c(o.rule_id)}] {c(o.title)} — à fournir : {c(names)}")
        lines.append("")
    if other:
        lines.append("== Règles non évaluées sur ces exports")
        for o in other:
            lines.append(f"  [{o.rule_id}] {o.title} — {o.reason}")
        lines.append("")
    if by_hand:
        lines.append("== À vérifier dans le logiciel (export que scolint ne lit pas)")
        for o in by_hand:
            hows = " ".join(_how_to_get(result, m) for m in o.missing if not _readable(result, m))
            lines.append(f"  [{o.rule_id}] {o.title} — {hows}")
        lines.append("")
    errors = [o for o in result.outcomes if o.status == RULE_ERROR]
    if errors:
        lines.append("== Règles en erreur")
        for o in errors:
            lines.append(f"  [{c(o.rule_id)}] {c(o.error)}")
        lines.append("")
    lines.extend(_console_changes(options.get("changes")))
    accepted = [f for f in result.findings if f.accepted is not None]
    if accepted:
        lines.append(f"({len(accepted)} anomalie(s) acceptée(s) non affichée(s))")
    lines.append("Bilan : " + summary_line(result))
    return "\n".join(lines) + "\n"


def _readable(result: AuditResult, fmt_id: str) -> bool:
    return getattr(result.formats.get(fmt_id), "readable", True)


def _how_to_get(result: AuditResult, fmt_id: str) -> str:
    return getattr(result.formats.get(fmt_id), "how_to_get", "") or ""


def split_not_evaluated(result: AuditResult) -> tuple[list[Any], list[Any], list[Any]]:
    """Rules « non évaluées », for a school's report: (an export to provide, a check to make
    by hand because the export they need is one scolint cannot read, another reason such as
    a partial export or exports of different establishments). Technical outputs (JSON,
    SARIF, JUnit) list them all as « non évaluée », never as passed."""
    provide, by_hand, other = [], [], []
    for o in result.outcomes:
        if o.status != NOT_EVALUATED:
            continue
        if o.missing and not all(_readable(result, m) for m in o.missing):
            by_hand.append(o)
        elif o.missing:
            provide.append(o)
        else:
            other.append(o)
    return provide, by_hand, other
def _console_changes(changes: dict[str, Any] | None) -> list[str]:
    """The "what changed" lines of the text report (empty without history)."""
    if changes is None:
        return []
    if not changes.get("depuis"):
        return ["== Ce qui a changé : premier audit de l'établissement dans l'historique", ""]
    new, fixed, still = changes["nouvelles"], changes["corrigées"], changes["toujours"]
    lines = [f"== Ce qui a changé depuis l'audit du {fr_datetime(changes['depuis'])} : {len(new)} nouvelle(s), "
             f"{len(fixed)} corrigée(s), {len(still)} toujours là"]
    for f in new:
        lines.append(f"  + [{f.rule_id}] {f.message}")
    for item in _fixed_by_rule(fixed):
        lines.append(f"  - [{item['rule_id']}] {item['title']} : {item['count']} corrigée(s)")
    lines.append("")
    return lines


def _format_label(result: AuditResult, fmt_id: str) -> str:
    info = result.formats.get(fmt_id)
    return info.label if info else fmt_id


def result_dict(result: AuditResult) -> dict[str, Any]:
    """The JSON document: every finding field, outcomes, exports, counts."""
    return {
        "scolint": 1,
        "uai": result.uai,
        "annee_scolaire": result.year,
        "etablissement": result.establishment,
        "execute_le": result.started_at,
        "bilan": result.counts(),
        "fichiers": result.inputs,
        "exports": [{"format": e.format_id, "fichier": e.meta.get("display", e.path), "systeme": e.system,
                     "uai": e.uai, "annee": e.year, "date_export": e.exported_at, "lisible": e.readable}
                    for e in result.exports],
        "regles": [{"id": o.rule_id, "titre": o.title, "gravite": o.severity, "flux": o.flow,
                    "statut": o.status, "statut_fr": STATUS_FR[o.status], "anomalies": o.count,
                    "exports_manquants": o.missing, "erreur": o.error or None,
                    "raison": o.reason or None, "non_repetees": o.superseded, "etiquettes": o.tags}
                   for o in result.outcomes],
        "anomalies": [f.to_dict() for f in result.findings],
    }


def render_json(result: AuditResult, options: dict[str, Any]) -> str:
    doc = result_dict(result)
    if options.get("changes") is not None:
        from scolint.plugins.history.changes import changes_json
        doc["changements"] = changes_json(options["changes"])
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def template_env() -> Any:
    """A Jinja2 environment over ``scolint.reports.templates`` (report templates are
    trusted code of scolint; data is escaped where the format needs it: autoescape is on
    for ``*.html.j2`` and ``*.xml.j2`` templates)."""
    from jinja2 import Environment, FunctionLoader, StrictUndefined, select_autoescape

    def load(name: str) -> str | None:
        ref = resources.files("scolint.reports.templates").joinpath(name)
        return ref.read_text("utf-8") if ref.is_file() else None

    env = Environment(loader=FunctionLoader(load), undefined=StrictUndefined,
                      autoescape=select_autoescape(("html.j2", "xml.j2"), default_for_string=False),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["md"] = _md_escape
    env.filters["md_block"] = _md_block
    env.filters["frdate"] = fr_datetime
    env.globals.update(SEVERITY_FR=SEVERITY_FR, SEVERITY_TITLE=SEVERITY_TITLE, STATUS_FR=STATUS_FR)
    return env


def fr_datetime(value: str | None) -> str:
    """``2026-11-29T03:40:12+01:00`` -> ``29/11/2026 à 03:40``; a date alone -> ``29/11/2026``."""
    if not value:
        return ""
    text = str(value)
    try:
        if "T" in text or " " in text.strip():
            moment = dt.datetime.fromisoformat(text.strip())
            return moment.strftime("%d/%m/%Y à %H:%M")
        return dt.date.fromisoformat(text[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return text


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()<>#+!|~&"})


def _md_escape(value: Any) -> str:
    """A value as inert Markdown text on one line: CR, LF and other control characters
    become spaces; backticks, HTML, link and emphasis syntax are backslash-escaped."""
    text = str(value if value is not None else "")
    text = "".join(" " if (unicodedata.category(c) == "Cc" or c in BIDI or c in "\u2028\u2029") else c
                   for c in text)
    return text.translate(_MD_SPECIAL)


_LIST_ITEM = re.compile(r"^(\s{0,6})(\d{1,3}[.)]|[-*•])\s+(.*)$")


def _md_block(value: Any) -> str:
    """A multi-line text (a rule's ``fix``) as inert Markdown that keeps its numbered and
    bulleted lists: each line is escaped, its list marker kept."""
    lines = []
    for line in str(value if value is not None else "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        m = _LIST_ITEM.match(line)
        if m:
            indent, marker, rest = m.groups()
            marker = "-" if marker in ("*", "•") else marker
            lines.append(f"{indent}{marker} {_md_escape(rest)}")
        else:
            lines.append(_md_escape(line.strip()))
    return "\n".join(lines)


def console_safe(value: Any) -> str:
    """A value for the terminal: control characters and bidi overrides shown escaped."""
    return terminal_text(value)


def report_context(result: AuditResult, options: dict[str, Any]) -> dict[str, Any]:
    """Variables shared by the templated reports."""
    limit = int(options.get("limit", 50))
    rules = by_rule(result.active())
    return {
        "r": result,
        "counts": result.counts(),
        "by_rule": rules,
        "by_flow": by_flow(result),
        "limit": limit,
        "not_evaluated": split_not_evaluated(result)[0],
        "by_hand": split_not_evaluated(result)[1],
        "not_evaluated_other": split_not_evaluated(result)[2],
        "how_to_get": lambda fid: _how_to_get(result, fid),
        "readable": lambda fid: _readable(result, fid),
        "rule_errors": [o for o in result.outcomes if o.status == RULE_ERROR],
        "format_label": lambda fid: _format_label(result, fid),
        "accepted": [f for f in result.findings if f.accepted is not None],
        "summary": summary_line(result),
        # What changed since the previous audit: {"depuis", "nouvelles", "corrigées", "toujours"}
        # (plugins/history/changes.py), or None.
        "changes": options.get("changes"),
        "fixed_by_rule": _fixed_by_rule,
    }


def _fixed_by_rule(fixed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from scolint.plugins.history.changes import fixed_by_rule
    return fixed_by_rule(fixed)


def render_markdown(result: AuditResult, options: dict[str, Any]) -> str:
    return template_env().get_template("report.md.j2").render(**report_context(result, options))


@hookimpl
def scolint_register(registries: Registries) -> None:
    rep = registries.reporters
    rep.add("console", Reporter("console", "texte pour le terminal", render_console, "txt"))
    rep.add("json", Reporter("json", "JSON (toutes les données des anomalies)", render_json, "json"))
    rep.add("markdown", Reporter("markdown", "Markdown", render_markdown, "md"))
