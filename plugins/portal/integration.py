"""The portal's seams with the reports and history work (one module, small functions).

Everything the portal needs from the spreadsheet writer and the history database goes
through these functions, so that pointing the portal at them is a change of this module
only. Today: the downloads are the spreadsheet (reporter ``tableur`` of the reports work),
the JSON report and the HTML report (the e-mail's); every upload is recorded in
the history of the data folder (plugins/history) and the report says what changed; the
academy dashboard shows what this server process saw since it started (counts only).

Where each runs: :func:`downloads`, :func:`report_options` and :func:`record_audit` in the
audit worker process (they get the whole :class:`AuditResult`); :func:`dashboard` in the
server process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scolint.engine.findings import AuditResult


@dataclass
class Download:
    """One file offered for download: its name, its media type and its bytes."""

    filename: str
    media_type: str
    data: bytes
    label: str  # French, for the link: « Tableur (.xlsx) »


def downloads(result: AuditResult, host: Any, key: str, html: str,
              options: dict[str, Any] | None = None) -> list[Download]:
    """The files a school can download after an audit, spreadsheet first.

    ``key`` is the establishment's UAI (or the academy label) used in the file names;
    ``html`` the HTML report already rendered for the page (the e-mail's report).
    """
    reporters = host.registries.reporters
    out: list[Download] = []
    # The spreadsheet of the reports work goes here, first: its reporter when it exists.
    for fmt, label in (("tableur", "Tableur (.xlsx)"), ("xlsx", "Tableur (.xlsx)"), ("ods", "Tableur (.ods)")):
        rep = reporters.get(fmt)
        if rep is not None:
            data = rep.render(result, dict(options or {}))
            out.append(Download(f"rapport-{key}.{rep.extension}", _media(rep.extension),
                                data if isinstance(data, bytes) else data.encode("utf-8"), label))
            break
    text = reporters["json"].render(result, dict(options or {}))
    out.append(Download(f"rapport-{key}.json", "application/json",
                        text.encode("utf-8") if isinstance(text, str) else text, "Rapport complet (.json)"))
    out.append(Download(f"rapport-{key}.html", "text/html; charset=utf-8", html.encode("utf-8"),
                        "Rapport (.html, celui du courriel)"))
    return out


def _media(ext: str) -> str:
    return {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "ods": "application/vnd.oasis.opendocument.spreadsheet",
            "csv": "text/csv; charset=utf-8"}.get(ext, "application/octet-stream")


def report_options(result: AuditResult, key: str, data_dir: Path | None) -> dict[str, Any]:
    """Extra options of the HTML reporter for this audit (the history's "what changed").

    Today: only the attachment wording. With the history: the previous audit of
    ``result.uai`` as the reports work's reporter expects it (its ``precedent`` option).
    """
    return {"attachment": f"le fichier rapport-{key}.json à télécharger sur cette page"}


def record_audit(result: AuditResult, key: str, data_dir: Path | None) -> dict[str, Any] | None:
    """Record the audit in the history database of the data folder (nothing personal: the
    history keeps counts and keyed fingerprints) and return what changed since the
    establishment's previous audit, as the reporters' ``changes`` option; None without a
    data folder or when the history is turned off (``SCOLINT_HISTORIQUE`` settings)."""
    if data_dir is None:
        return None
    from scolint.plugins.history.changes import audit_changes
    from scolint.plugins.history.settings import open_history
    history = open_history(data_dir=str(data_dir))
    if history is None:
        return None
    with history:
        record, changes = audit_changes(history, result, (result.uai or key).upper(), source="portail")
        history.record_many([record])
    return changes


def dashboard(recent: list[dict[str, Any]], tokens: list[dict[str, str]], data_dir: Path | None) -> dict[str, Any]:
    """What the academy dashboard shows.

    ``recent``: the last audit of each establishment seen by this server process (UAI,
    name, date, counts per severity); ``tokens``: the establishments that have a token.
    Returns ``{"rows": [...], "source": French text}``; with the history, the rows come
    from the database (its last audit, trend and readiness for the remontée).
    """
    last = {r["uai"]: r for r in recent}
    past = _history_rows(data_dir)
    if past is not None:  # the history: every establishment's last audit, trend and readiness
        for row in past:
            seen = last.get(row.uai, {})
            last[row.uai] = dict(seen, uai=row.uai, date=row.last, counts=row.counts,
                                 establishment=seen.get("establishment") or row.name, ready=row.ready_fr,
                                 changes=row.changes, evolution=[e for _d, e, *_r in row.trend][-8:])
    rows = []
    for t in tokens:
        if t["role"] != "etablissement" or any(r["uai"] == t["cle"] for r in rows):
            continue
        rows.append(dict(last.get(t["cle"], {}), uai=t["cle"], jeton_cree_le=t["cree_le"]))
    for uai, r in last.items():
        if not any(row["uai"] == uai for row in rows):
            rows.append(dict(r))
    rows.sort(key=lambda r: (-(r.get("counts") or {}).get("error", -1), r["uai"]))
    if past is not None:
        return {"rows": rows, "source": "historique des audits de l'académie (envois du portail et scolint batch)"}
    return {"rows": rows, "source": "envois reçus depuis le démarrage du portail (aucun historique conservé)"}


def _history_rows(data_dir: Path | None) -> list[Any] | None:
    """The history's dashboard rows (plugins/history), or None without a usable history."""
    if data_dir is None:
        return None
    from scolint.plugins.history.dashboard import dashboard_rows
    from scolint.plugins.history.settings import open_history
    try:
        history = open_history(data_dir=str(data_dir))
        if history is None:
            return None
        with history:
            return dashboard_rows(history)
    except Exception as exc:  # noqa: BLE001 - the dashboard still shows this server's uploads
        import sys

        from scolint.engine.errors import internal_error
        print(f"scolint serve : historique illisible pour le tableau de bord ({internal_error(exc)})", file=sys.stderr)
        return None
