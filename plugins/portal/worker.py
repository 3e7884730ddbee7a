"""The audit worker: a process of its own that audits one upload at a time.

The server process never audits: the pipeline sets process-wide garbage-collector
state, an audit is CPU-bound, and a worker that exceeds its time limit or memory is
killed without harm to the others. Messages on the pipe (worker -> server):
``("pret",)``, ``("etape", text)``, ``("fini", payload)``, ``("erreur", french text)``.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from scolint.engine.errors import internal_error

#: Input problems meaning a file could not be read at all (as ``scolint batch``).
FATAL_CODES = ("ENTREE-ARCHIVE", "ENTREE-LECTURE", "ENTREE-FICHIER", "ENTREE-CHARGEUR")


def main(conn: Any, options: dict[str, Any]) -> None:
    """Process entry point: build one Auditor, then audit the jobs sent on ``conn``."""
    if options.get("memory_mb"):
        import resource
        limit = int(options["memory_mb"]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from scolint.engine.audit import Auditor
    auditor = Auditor()
    conn.send(("pret",))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            conn.send(("fini", audit_job(auditor, job, lambda text: conn.send(("etape", text)))))
        except MemoryError:
            conn.send(("erreur", "mémoire insuffisante pour analyser ces fichiers : envoyez-les en plusieurs fois "
                                 "ou prévenez l'équipe académique."))
        except Exception as exc:  # the page says it in French; the server's log says where, never the text
            print(f"scolint-portail : erreur interne pendant une analyse ({internal_error(exc)}) ; "
                  "SCOLINT_DEBUG=1 au lancement du serveur donne le détail.", file=sys.stderr, flush=True)
            conn.send(("erreur", "erreur interne pendant l'analyse : les fichiers n'ont pas pu être audités. "
                                 "Prévenez l'équipe académique."))


def audit_job(auditor: Any, job: dict[str, Any], step: Any) -> dict[str, Any]:
    """Audit the files of ``job["folder"]`` and render the page's report and downloads."""
    from scolint.engine.discover import inside
    from scolint.plugins.reporters.html import render_html

    from . import integration
    folder = Path(job["folder"])
    key, expected_uai = job["key"], job.get("uai")
    data_dir = Path(job["data_dir"]) if job.get("data_dir") else None
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    # Archives are extracted under the upload's own folder: removed with it, even if this
    # process is killed on a time limit.
    previous_tmp = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        step("Lecture et vérification des fichiers")
        with inside(folder / "envoi"):
            graph, shown = auditor.load(["."], for_rules=True)
        step(f"Application des règles ({len(auditor.rules)} règles)")
        result = auditor.evaluate(graph, shown, started)
        graph.release()  # freed now by reference counting, not left to a full collection
        del graph
    finally:
        tempfile.tempdir = previous_tmp
    summary = {"uai": result.uai, "establishment": result.establishment, "counts": result.counts(),
               "exports": len(result.exports), "date": started}
    if not result.exports:
        reasons = [f"{f.entity_label} : {f.message}" for f in result.findings
                   if f.rule_id in FATAL_CODES or f.rule_id == "ENTREE-INCONNU"]
        return {"refused": ["aucun export reconnu parmi les fichiers envoyés (SIECLE, STS-Web, EDT, PRONOTE, ENT ou "
                            "AAF attendus)", *reasons], "summary": summary}
    if expected_uai and result.uai and result.uai.upper() != expected_uai.upper():
        return {"refused": [f"ces exports concernent l'établissement {result.uai}, pas le vôtre ({expected_uai}) : "
                            "envoyez les exports de votre établissement"], "summary": summary}
    step("Rédaction du rapport")
    name = key if re.fullmatch(r"[0-9A-Za-z_-]{1,40}", key or "") else "etablissement"
    try:
        changes = integration.record_audit(result, key, data_dir)
    except Exception as exc:  # the school still gets its report; the server's log says where, never the text
        print(f"scolint serve : historique non enregistré ({internal_error(exc)})", file=sys.stderr)
        changes = None
    options = integration.report_options(result, name, data_dir)
    if changes is not None:
        options["changes"] = changes
    html = render_html(result, options)
    files = integration.downloads(result, auditor.host, name, html, options)
    return {"html": html, "downloads": [(d.filename, d.media_type, d.data, d.label) for d in files],
            "summary": summary}
