"""The academy's dashboard: every establishment's last audit, its trend, its readiness.

``scolint batch`` records its audits (one transaction) then writes
``tableau-academie.html`` (one self-contained page: inline style, inline SVG charts, a
small inline script that only sorts the table; readable without it, pre-sorted with the
establishments not ready first) and ``tableau-academie.csv`` (the same rows; ``;``,
UTF-8 with BOM, cells that a spreadsheet would take as a formula are neutralised).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scolint.engine.discover import atomic_write

from .store import History, compare

HTML_NAME, CSV_NAME = "tableau-academie.html", "tableau-academie.csv"
READY_FR = {True: "prêt", False: "non prêt", None: "indéterminé"}
CSV_HEADERS = ["uai", "etablissement", "dernier_audit", "erreurs", "avertissements", "informations",
               "remontee_sts", "nouvelles", "corrigees", "toujours", "audits", "evolution_erreurs", "rapport",
               "erreur_dernier_lot"]
#: Readiness of an establishment whose audit failed in the last batch (its exports unreadable).
FAILED_FR = "audit impossible"
#: Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell starting like a formula gets a leading apostrophe (shown as text)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def fr_date(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%d/%m/%Y %H:%M")


@dataclass
class Row:
    """One establishment of the dashboard."""

    uai: str
    name: str
    last: str
    counts: dict[str, int]
    ready: bool | None
    changes: dict[str, int] | None  # None: first audit
    trend: list[tuple[str, int, int, int, bool | None]] = field(default_factory=list)
    report: str = ""
    #: why the last batch could not audit it (its earlier audits, if any, are shown as they were)
    failed: str = ""

    @property
    def ready_fr(self) -> str:
        return FAILED_FR if self.failed else READY_FR[self.ready]

    @property
    def errors_trend(self) -> list[int]:
        return [t[1] for t in self.trend]


def dashboard_rows(history: History, names: dict[str, str] | None = None,
                   reports: dict[str, str] | None = None, failed: dict[str, str] | None = None) -> list[Row]:
    """One row per establishment of the history, and one per establishment the last batch
    could not audit (``failed``: its error), never left out nor shown ready on an older
    audit; those first, then not ready, then most errors."""
    names, reports, failed = names or {}, reports or {}, failed or {}
    rows = []
    for uai in history.establishments():
        last, before = history.last_two(uai)
        assert last is not None
        changes = compare(before, last.findings).counts() if before else None
        rows.append(Row(uai, names.get(uai, ""), last.audited_at, last.counts, last.ready_remontee, changes,
                        history.trend(uai), reports.get(uai, ""), failed.get(uai, "")))
    known = {r.uai for r in rows}
    rows.extend(Row(uai, names.get(uai, ""), "", {"error": 0, "warning": 0, "info": 0}, None, None, failed=why)
                for uai, why in failed.items() if uai not in known)
    order = {False: 0, None: 1, True: 2}
    return sorted(rows, key=lambda r: (not r.failed, order[r.ready], -r.counts["error"], r.uai))


def sparkline(values: list[int], width: int = 140, height: int = 36, pad: int = 4) -> dict[str, Any]:
    """Geometry of a small line chart of ``values`` (one point per audit)."""
    top = max(values + [1])
    n = len(values)
    step = (width - 2 * pad) / (n - 1) if n > 1 else 0
    points = [(round(pad + i * step if n > 1 else width / 2, 1), round(height - pad - (height - 2 * pad) * v / top, 1))
              for i, v in enumerate(values)]
    return {"width": width, "height": height, "points": points,
            "path": " ".join(f"{x},{y}" for x, y in points)}


def csv_text(rows: list[Row]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(CSV_HEADERS)
    for r in rows:
        c = r.changes or {}
        w.writerow([neutralise(v) for v in (
            r.uai, r.name, r.last, r.counts["error"], r.counts["warning"], r.counts["info"], r.ready_fr,
            c.get("nouvelles", ""), c.get("corrigées", ""), c.get("toujours", ""), len(r.trend),
            " > ".join(str(v) for v in r.errors_trend), Path(r.report).name if r.report else "", r.failed)])
    return "\ufeff" + buf.getvalue()


def write_dashboard(history: History, out: Path, names: dict[str, str] | None = None,
                    reports: dict[str, str] | None = None, failed: dict[str, str] | None = None) -> tuple[Path, Path]:
    """Write ``tableau-academie.html`` and ``.csv`` in ``out``; return both paths."""
    from scolint.plugins.reporters.html import COLOURS, html_env
    rows = dashboard_rows(history, names, reports, failed)
    html_path, csv_path = out / HTML_NAME, out / CSV_NAME
    atomic_write(csv_path, csv_text(rows))
    totals = {"ready": sum(1 for r in rows if r.ready and not r.failed),
              "not_ready": sum(1 for r in rows if r.ready is False and not r.failed),
              "unknown": sum(1 for r in rows if r.ready is None and not r.failed),
              "failed": sum(1 for r in rows if r.failed),
              "new": sum((r.changes or {}).get("nouvelles", 0) for r in rows),
              "fixed": sum((r.changes or {}).get("corrigées", 0) for r in rows)}
    env = html_env()
    env.filters["frdate"] = fr_date
    html = env.get_template("tableau.html.j2").render(
        rows=rows, totals=totals, COLOURS=COLOURS, csv_name=CSV_NAME, sparkline=sparkline,
        when=dt.datetime.now().astimezone().strftime("%d/%m/%Y à %H:%M"),
        report_name=lambda r: Path(r.report).name if r.report else "")
    atomic_write(html_path, html)
    return html_path, csv_path


def record_batch(history: History, outcomes: list[Any], out: Path) -> tuple[Path, Path]:
    """Record the audits of a batch (one transaction), write the dashboard, print the
    academy's totals of new and fixed findings on stderr; return the dashboard's paths."""
    import sys
    records = [o.record for o in outcomes if o.record is not None and not o.error]
    pruned = history.record_many(records)
    names = {(o.uai or o.key).upper(): o.establishment or "" for o in outcomes if not o.error}
    reports = {(o.uai or o.key).upper(): o.reports.get("html", "") for o in outcomes if not o.error}
    failed = {(o.uai or o.key).upper(): o.error for o in outcomes if o.error}
    html, csv_path = write_dashboard(history, out, names, reports, failed)
    compared = [o.changes for o in outcomes if o.changes is not None and not o.error]
    new = sum(c["nouvelles"] for c in compared)
    fixed = sum(c["corrigées"] for c in compared)
    print(f"Historique : {len(records)} audit(s) enregistré(s) ({history.where})"
          + (f", {pruned} audit(s) ancien(s) effacé(s)" if pruned else "") + ".", file=sys.stderr)
    if compared:
        print(f"Depuis l'audit précédent de {len(compared)} établissement(s) : {new} nouvelle(s) anomalie(s), "
              f"{fixed} corrigée(s) dans l'académie.", file=sys.stderr)
    else:
        print("Premier audit de ces établissements dans l'historique : rien à comparer.", file=sys.stderr)
    print(f"Tableau de bord de l'académie : {html} et {csv_path}", file=sys.stderr)
    return html, csv_path
