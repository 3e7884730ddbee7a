"""Spreadsheet reporter: every finding, one row each, as a real Excel workbook (.xlsx).

Written with XlsxWriter (docs/decisions.md: why a workbook rather than a CSV). Opens as
it is in Excel and LibreOffice on a school's PC, accents included (a workbook carries
its encoding; a CSV depends on the PC's settings). Every cell is written as **text**
(``write_string``, never guessed: a code ``0310040A`` or a date stays what the export
said) and a text that a spreadsheet would take for a formula (starting with ``= + - @``,
a tab or a carriage return) gets Excel's « quote prefix »: it stays text even when the
cell is edited, copied or saved again as CSV and reopened.

Rows follow the action plan (reporters/plan.py): root causes first, then by who fixes
it, in the flow's order; columns: gravité, qui corrige, règle, titre, quoi, où (in the
school's words: record and file name), comment corriger.
"""

from __future__ import annotations

import io
from typing import Any

from scolint.engine import hookimpl
from scolint.engine.findings import SEVERITY_FR, AuditResult
from scolint.engine.registry import Registries, Reporter
from scolint.plugins.reporters.plan import build_plan, fix_steps, where_words

#: Characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Columns: header, width (characters).
COLUMNS = (("Gravité", 14), ("Qui corrige", 24), ("Règle", 14), ("Titre", 34), ("Quoi", 70),
           ("Où", 42), ("Comment corriger", 80))
#: Longest text of a cell (Excel's limit is 32,767 characters).
MAX_CELL = 32_000


def _text(value: Any) -> str:
    text = "" if value is None else str(value)
    text = "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)  # XML 1.0 refuses the others
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def rows(result: AuditResult, previous: Any = None, history: Any = None) -> list[list[str]]:
    """The table (header first): one row per active finding, in the plan's order."""
    plan = build_plan(result, previous, history)
    new = {f.fingerprint for f in plan.changes.new} if plan.changes else set()
    out = [[c for c, _ in COLUMNS] + (["Depuis le dernier audit"] if plan.changes else [])]
    for g in plan.all_groups:
        for b in g.blocks:
            fix = "\n".join(f"{i}. {s}" for i, s in enumerate(fix_steps(b.fix), 1))
            for f in b.findings:
                row = [SEVERITY_FR[f.severity], g.title, f.rule_id, f.title, f.message, where_words(f), fix]
                if plan.changes:
                    row.append("nouvelle" if f.fingerprint in new else "toujours là")
                out.append(row)
    for m in plan.missing:
        row = [SEVERITY_FR["warning"], plan.root.title, ", ".join(m.rules), "Export manquant",
               f"Export à envoyer : {m.label}", "", m.how_to_get]
        out.append(row + ([""] if plan.changes else []))
    return out


def render_xlsx(result: AuditResult, options: dict[str, Any]) -> bytes:
    """The workbook (bytes of a .xlsx file)."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    book.set_properties({"title": f"Anomalies des exports — {result.establishment or result.uai or ''}".strip(" —"),
                         "author": "scolint", "comments": "Liste complète des anomalies trouvées par scolint"})
    wrap = book.add_format({"text_wrap": True, "valign": "top", "num_format": "@"})
    quoted = book.add_format({"text_wrap": True, "valign": "top", "num_format": "@", "quote_prefix": True})
    head = book.add_format({"bold": True, "bg_color": "#243B53", "font_color": "#FFFFFF", "valign": "top",
                            "num_format": "@"})
    sheet = book.add_worksheet("Anomalies")
    table = rows(result, options.get("previous"), options.get("changes"))
    for col, (_, width) in enumerate(COLUMNS + (("", 18),)):
        sheet.set_column(col, col, width, wrap)
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            text = _text(value)
            fmt = head if r == 0 else (quoted if text.startswith(FORMULA_STARTS) else wrap)
            sheet.write_string(r, c, text, fmt)
    sheet.freeze_panes(1, 0)
    if len(table) > 1:
        sheet.autofilter(0, 0, len(table) - 1, len(table[0]) - 1)
    book.close()
    return buffer.getvalue()


@hookimpl
def scolint_register(registries: Registries) -> None:
    registries.reporters.add("tableur", Reporter(
        "tableur", "tableur Excel/LibreOffice (.xlsx) : une ligne par anomalie, à trier et filtrer",
        render_xlsx, "xlsx"))
