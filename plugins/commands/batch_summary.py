"""The academy summary of ``scolint batch``: a CSV table and an e-mail-safe HTML page."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scolint.engine.discover import atomic_write
from scolint.engine.findings import SEVERITIES

CSV_NAME, HTML_NAME = "synthese-academie.csv", "synthese-academie.html"
#: Column headers of the CSV (French; ``;`` separator and a BOM so that a French
#: spreadsheet opens it with its accents).
@dataclass
class Outcome:
    """What the audit of one establishment gave (small and picklable)."""

    key: str
    uai: str | None = None
    establishment: str | None = None
    error: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    flows: dict[str, int] = field(default_factory=dict)
    worst: list[tuple[str, str, int]] = field(default_factory=list)
    not_evaluated: int = 0
    reports: dict[str, str] = field(default_factory=dict)
    exit_code: int = 0
    #: the establishment's exports are missing, unreadable or another school's: ``send``
    #: mails it which exports to send and how to produce them
    unreadable: bool = False
    #: What the history keeps of this audit (plugins/history), recorded by the driver.
    record: Any = None
    #: ``{"nouvelles": n, "corrigées": n, "toujours": n}`` since the previous audit in the
    #: history; ``None`` without history or for a first audit.
    changes: dict[str, int] | None = None


def headers(flows: list[str]) -> list[str]:
    """Column headers: one column per flow step (the declared families, then GENERAL)."""
    return (["uai", "etablissement", "statut", "erreurs", "avertissements", "informations"]
            + [f"flux_{f.lower()}" for f in flows]
            + ["regles_non_evaluees", "regles_principales", "motif_erreur", "rapports"])


def csv_text(outcomes: list[Outcome], flows: list[str]) -> str:
    """The summary as CSV text (one line per establishment)."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(headers(flows))
    for o in outcomes:
        w.writerow([o.key, o.establishment or "", "erreur" if o.error else "audité",
                    *[o.counts.get(s, "") if not o.error else "" for s in SEVERITIES],
                    *[o.flows.get(f, 0) if not o.error else "" for f in flows],
                    o.not_evaluated if not o.error else "",
                    " | ".join(f"{rule} ({count})" for rule, _, count in o.worst),
                    o.error, " ".join(Path(p).name for p in o.reports.values())])
    return "\ufeff" + buf.getvalue()


def academy_rules(outcomes: list[Outcome], n: int = 10) -> list[dict[str, Any]]:
    """Rules most often among the worst ones of the establishments."""
    seen: dict[str, dict[str, Any]] = {}
    for o in outcomes:
        for rule, title, count in o.worst:
            item = seen.setdefault(rule, {"rule": rule, "title": title, "establishments": 0, "findings": 0})
            item["establishments"] += 1
            item["findings"] += count
    return sorted(seen.values(), key=lambda i: (-i["establishments"], -i["findings"], i["rule"]))[:n]


def write_summary(outcomes: list[Outcome], out: Path, host: Any) -> tuple[Path, Path]:
    """Write ``synthese-academie.csv`` and ``.html`` in ``out``; return both paths."""
    from scolint.plugins.reporters.html import COLOURS, html_env
    csv_path, html_path = out / CSV_NAME, out / HTML_NAME
    atomic_write(csv_path, csv_text(outcomes, host.registries.families.flows()))
    ok = [o for o in outcomes if not o.error]
    totals = {s: sum(o.counts.get(s, 0) for o in ok) for s in SEVERITIES}
    html = html_env().get_template("synthese.html.j2").render(
        outcomes=outcomes, ok=ok, errors=[o for o in outcomes if o.error], totals=totals,
        rules=academy_rules(outcomes), COLOURS=COLOURS, SEVERITIES=SEVERITIES, csv_name=CSV_NAME,
        when=dt.datetime.now().astimezone().strftime("%d/%m/%Y à %H:%M"),
        report_name=lambda o: Path(o.reports["html"]).name if "html" in o.reports else "")
    atomic_write(html_path, html)
    return html_path, csv_path
