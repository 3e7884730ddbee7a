"""HTML reporter: one self-contained page for e-mail (inline styles, no JS), organised
as an action plan (reporters/plan.py): what to fix first, then the work of each person.

Webmails (Gmail, Outlook web, Roundcube, Zimbra) drop ``<style>`` blocks, scripts,
external images and sometimes SVG: styles are inline only, the page is at most 600 px
wide, and the inline SVG chart always comes with a legend and the same figures as a
table. The page is made of real headings, lists and table headers, so that it reads
well with CSS off and with a screen reader. Its size, encoded as a mail part, stays
under :data:`MAX_BYTES` whatever the school's size (:func:`render_html`).
"""

from __future__ import annotations

import re
from typing import Any

from scolint.engine import hookimpl
from scolint.engine.findings import SEVERITIES, AuditResult
from scolint.engine.registry import Registries, Reporter
from scolint.plugins.reporters.common import fr_datetime, report_context, template_env  # noqa: F401
from scolint.plugins.reporters.plan import Plan, build_plan, file_words, fix_steps, limit_plan, where_words  # noqa: F401

#: Colours of the severities (text on white, and a light background).
COLOURS = {"error": ("#b42318", "#fde8e7"), "warning": ("#9a5b00", "#fff4dc"), "info": ("#1f5fa8", "#e6f0fb")}
#: Label of the pseudo-flow of input-file problems.
FLOW_LABELS = {"GENERAL": "Fichiers"}
#: Largest HTML part of a mail, in bytes as encoded in the message: Gmail clips a message
#: whose HTML passes about 102 kB; 95,000 keeps a margin under the 100 kB promised.
MAX_BYTES = 95_000
#: Where the full list is, named where a list is cut (``send`` names its attachment).
DEFAULT_ATTACHMENT = "le tableur des anomalies (scolint check … --format tableur -o anomalies.xlsx)"
#: Export files listed before the list is cut.
EXPORTS_LIMIT = 12


def breakable(text: Any) -> Any:
    """Let long file names and identifiers wrap: a ``<wbr>`` after ``/ _ . ! ,`` (an
    element, not an invisible character: a copied name stays exactly the name)."""
    from markupsafe import Markup, escape
    return Markup(re.sub(r"([/_.!,])(?=\S)", "\\1<wbr>", str(escape(text if text is not None else ""))))


def flow_rows(by_flow: dict[str, dict[str, int]], systems: list[str]) -> list[dict[str, Any]]:
    """The flow steps to show: every system always, the file problems when any."""
    rows = []
    for flow, counts in by_flow.items():
        total = sum(counts.values())
        if flow not in systems and not total:
            continue
        rows.append({"flow": flow, "label": FLOW_LABELS.get(flow, flow), "total": total, **counts})
    return rows


def chart(rows: list[dict[str, Any]], width: int = 340, bar: int = 18, gap: int = 8, font: int = 14) -> dict[str, Any]:
    """Geometry of the horizontal stacked-bar SVG chart (one bar per flow step).

    Drawn 340 units wide and shown at most 340 px wide: on a 390 px phone the labels keep
    their 14 px (a wider drawing would be scaled down, and its text with it)."""
    label_w, count_w = 78, 40
    span = width - label_w - count_w
    top = max([r["total"] for r in rows] + [1])
    bars = []
    for i, row in enumerate(rows):
        y = i * (bar + gap)
        x = float(label_w)
        parts = []
        for sev in SEVERITIES:
            w = round(span * row[sev] / top, 1)
            if w > 0:
                parts.append({"x": round(x, 1), "w": w, "colour": COLOURS[sev][0]})
                x += w
        bars.append({"y": y, "label": row["label"], "total": row["total"], "parts": parts,
                     "text_y": y + bar - 4, "end": round(x + 6, 1)})
    return {"width": width, "height": max(1, len(rows) * (bar + gap)), "bar": bar, "label_w": label_w,
            "span": span, "font": font, "bars": bars}


def html_context(result: AuditResult, options: dict[str, Any], plan: Plan | None = None) -> dict[str, Any]:
    """Template variables: the shared report context plus the action plan."""
    ctx = report_context(result, dict(options, limit=0))
    rows = flow_rows(ctx["by_flow"], [f for f in result.flows if f != "GENERAL"])
    exports = sorted(result.exports, key=lambda e: (e.system or "", e.meta.get("display", e.path)))
    ctx.update(
        plan=plan if plan is not None else build_plan(result, options.get("previous"), options.get("changes")),
        rows=rows,
        chart=chart(rows),
        COLOURS=COLOURS,
        SEVERITIES=SEVERITIES,
        exports=exports[:EXPORTS_LIMIT],
        exports_more=max(0, len(exports) - EXPORTS_LIMIT),
        evaluated=sum(1 for o in result.outcomes if o.status in ("passed", "failed")),
        attachment=options.get("attachment") or DEFAULT_ATTACHMENT,
        pseudonymised=bool(result.meta.get("pseudonymised")),
        export_dates=sorted({fr_datetime(e.exported_at) for e in result.exports if e.exported_at}),
        title=options.get("title") or "Rapport de contrôle des exports",
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
    """The report template environment with the HTML filters; every value printed keeps
    French guillemets with their content (:func:`guillemets`)."""
    env = template_env()
    env.filters.update(frdate=fr_datetime, breakable=breakable, where=where_words, filename=file_words)
    env.finalize = guillemets  # set before any template is compiled: each ``{{ }}`` goes through it
    return env


def guillemets(value: Any) -> Any:
    """``« 6EATELIE »`` with no-break spaces inside the guillemets: a narrow phone screen
    never leaves « or » alone at the start or end of a line (French typography)."""
    if isinstance(value, str) and ("« " in value or " »" in value):
        return value.replace("« ", "«\u00a0").replace(" »", "\u00a0»")
    return value


def mail_part_size(text: str, subtype: str = "html") -> int:
    """Bytes of ``text`` as a ``text/<subtype>`` part of a message (headers and transfer
    encoding included, exactly as ``scolint send`` adds it): what a webmail counts."""
    from email.message import EmailMessage
    part = EmailMessage()
    part.set_content(text, subtype=subtype)
    return len(part.as_bytes())


def render_html(result: AuditResult, options: dict[str, Any]) -> str:
    """Render the e-mail-ready HTML report of ``result``.

    :param options: ``max_bytes`` (largest HTML part of a mail, encoded; default
        :data:`MAX_BYTES`; None: no limit), ``limit`` (findings listed in all, at most),
        ``attachment`` (where the full list is, named where a list is cut), ``previous``
        (fingerprints of the previous audit: « ce qui a changé »), ``title``.

    Findings are listed by rule, as many per rule as fit: the largest number whose page,
    encoded as a mail part, stays under ``max_bytes`` (found by halving); the others are
    counted by rule and sent to the attachment.
    """
    return render_planned(result, options, "report.html.j2", "html")


def render_text(result: AuditResult, options: dict[str, Any]) -> str:
    """The plain-text report (the text part of the mail): the same plan, groups and fix
    steps as :func:`render_html`, under the same byte budget."""
    return render_planned(result, options, "report.txt.j2", "plain")


def render_planned(result: AuditResult, options: dict[str, Any], template_name: str, subtype: str) -> str:
    """Render ``template_name`` with the action plan, listing as many findings as fit in
    ``options["max_bytes"]`` once encoded as a ``text/<subtype>`` mail part."""
    template = html_env().get_template(template_name)
    plan = build_plan(result, options.get("previous"), options.get("changes"))
    ctx = html_context(result, options, plan)
    max_bytes = options.get("max_bytes", MAX_BYTES)
    total = sum(len(b.findings) for b in plan.blocks)
    cap = options.get("limit")
    high = total if cap is None else min(total, int(cap))

    def page(budget: int) -> str:
        limit_plan(plan, budget)
        return template.render(**ctx)

    text = page(high)
    if max_bytes is None or mail_part_size(text, subtype) <= max_bytes:
        return text
    low = 0
    while low < high:  # the largest number of listed findings that fits
        mid = (low + high + 1) // 2
        if mail_part_size(page(mid), subtype) <= max_bytes:
            low = mid
        else:
            high = mid - 1
    return page(low)


@hookimpl
def scolint_register(registries: Registries) -> None:
    registries.reporters.add("html", Reporter(
        "html", "HTML autonome pour la messagerie (styles en ligne, sans JavaScript)", render_html, "html"))
    registries.reporters.add("texte", Reporter(
        "texte", "texte brut pour la messagerie (le même plan d'action que le HTML)", render_text, "txt"))
