"""Cells of every CSV scolint writes (publipostage, academy summary): no live formula.

As OWASP recommends against CSV injection, a text cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading apostrophe, so that a spreadsheet
shows it as text instead of running it (``=HYPERLINK(…)``, ``@SUM(…)``, ``-2+3``…).
Numbers (int, float) are written as numbers.
"""

from __future__ import annotations

from typing import Any, Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` fit for a spreadsheet cell (a formula-looking text is made inert)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in row]
