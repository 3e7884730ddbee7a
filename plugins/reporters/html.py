"""HTML reporter: one self-contained page for e-mail (inline styles, tables, no JS).

Webmails (Gmail, Outlook web, Roundcube, Zimbra) drop ``<style>`` blocks, scripts,
external images and sometimes SVG: the layout is made of tables with inline styles
only, at most 600 px wide, and the inline SVG chart always comes with the same
figures as a table.
"""

from __future__ import annotations

import re
from typing import Any

from scolint.engine import hookimpl
from scolint.engine.findings import SEVERITIES, AuditResult, Finding
from scolint.engine.registry import Registries, Reporter
from scolint.plugins.reporters.common import by_rule, fr_datetime, report_context, template_env

#: Colours of the severities (text on white, and a light background).
COLOURS = {"error": ("#b42318", "#fde8e7"), "warning": ("#9a5b00", "#fff4dc"), "info": ("#1f5fa8", "#e6f0fb")}
#: Label of the pseudo-flow of input-file problems.
FLOW_LABELS = {"GENERAL": "Fichiers"}
#: Findings shown per rule before the list is cut (the rest is in the attachment).
DEFAULT_LIMIT = 10
#: Findings shown in all, at most (then fewer per rule, never under MIN_LIMIT): Gmail
#: cuts a message beyond about 100 kB of HTML.
TOTAL_BUDGET, MIN_LIMIT = 50, 3
#: Export files listed before the list is cut.
EXPORTS_LIMIT = 12


def fix_steps(text: str | None) -> list[str]:
    """Split a fix into its steps: a line starting with spaces continues the step above."""
    steps: list[str] = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        if steps and line[:1].isspace():
            steps[-1] += " " + line.strip()
        else:
            steps.append(line.strip())
    return steps


def breakable(text: Any) -> str:
    """Allow long paths and identifiers to wrap (a zero-width space after ``/ _ . ! ,``)."""
    return re.sub(r"([/_.!,])(?=\S)", "\\1\u200b", str(text if text is not None else ""))


def flow_rows(by_flow: dict[str, dict[str, int]], systems: list[str]) -> list[dict[str, Any]]:
    """The flow steps to show: every system always, the file problems when any."""
    rows = []
    for flow, counts in by_flow.items():
        total = sum(counts.values())
        if flow not in systems and not total:
            continue
        rows.append({"flow": flow, "label": FLOW_LABELS.get(flow, flow), "total": total, **counts})
    return rows


def chart(rows: list[dict[str, Any]], width: int = 560, bar: int = 16, gap: int = 8) -> dict[str, Any]:
    """Geometry of the horizontal stacked-bar SVG chart (one bar per flow step)."""
    label_w, count_w = 86, 44
    span = width - label_w - count_w
    top = max([r["total"] for r in rows] + [1])
    bars = []
    for i, row in enumerate(rows):
        y = i * (bar + gap)
        x = label_w
        parts = []
        for sev in SEVERITIES:
            w = round(span * row[sev] / top, 1)
            if w > 0:
                parts.append({"x": x, "w": w, "colour": COLOURS[sev][0]})
                x += w
        bars.append({"y": y, "label": row["label"], "total": row["total"], "parts": parts,
                     "text_y": y + bar - 4, "end": x + 6})
    return {"width": width, "height": len(rows) * (bar + gap), "bar": bar, "label_w": label_w, "bars": bars}


def entities(f: Finding) -> list[str]:
    """The people or structures a finding is about: its entity, then related ones."""
    out = [f.entity_label]
    out.extend(r.get("label") or r.get("id", "") for r in f.related)
    return [e for e in out if e]


def per_rule_limit(sizes: list[int], limit: int = DEFAULT_LIMIT, budget: int = TOTAL_BUDGET) -> int:
    """The largest per-rule limit (from ``limit`` down to :data:`MIN_LIMIT`) showing at most
    ``budget`` findings in all, for rules of ``sizes`` findings."""
    while limit > MIN_LIMIT and sum(min(n, limit) for n in sizes) > budget:
        limit -= 1
    return limit


def html_context(result: AuditResult, options: dict[str, Any]) -> dict[str, Any]:
    """Template variables: the shared report context plus what the HTML page needs."""
    opts = dict(options)
    if "limit" not in opts:
        opts["limit"] = per_rule_limit([len(v) for v in by_rule(result.active()).values()])
    ctx = report_context(result, opts)
    rows = flow_rows(ctx["by_flow"], [f for f in result.flows if f != "GENERAL"])
    exports = sorted(result.exports, key=lambda e: (e.system or "", e.meta.get("display", e.path)))
    ctx.update(
        rows=rows,
        chart=chart(rows),
        COLOURS=COLOURS,
        SEVERITIES=SEVERITIES,
        exports=exports[:EXPORTS_LIMIT],
        exports_more=max(0, len(exports) - EXPORTS_LIMIT),
        attachment=opts.get("attachment") or "le rapport JSON ou Markdown (scolint check --format json)",
        how_to_get=lambda fid: getattr(result.formats.get(fid), "how_to_get", ""),
        pseudonymised=bool(result.meta.get("pseudonymised")),
        export_dates=sorted({fr_datetime(e.exported_at) for e in result.exports if e.exported_at}),
        title=opts.get("title") or "Rapport de contrôle des exports",
        version=_version(),
    )
    return ctx


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("scolint")
    except PackageNotFoundError:
        return "dev"


def html_env() -> Any:
    """The report template environment with the HTML filters."""
    env = template_env()
    env.filters.update(frdate=fr_datetime, steps=fix_steps, breakable=breakable, entities=entities)
    return env


def render_html(result: AuditResult, options: dict[str, Any]) -> str:
    """Render the e-mail-ready HTML report of ``result``.

    :param options: ``limit`` (findings per rule; default 10, fewer when many rules
        fail so that about 50 findings are shown in all), ``attachment`` (name of
        the attached full report, shown where a list is cut), ``title``.
    """
    return html_env().get_template("report.html.j2").render(**html_context(result, options))


@hookimpl
def scolint_register(registries: Registries) -> None:
    registries.reporters.add("html", Reporter(
        "html", "HTML autonome pour la messagerie (styles en ligne, sans JavaScript)", render_html, "html"))
