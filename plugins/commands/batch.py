"""``scolint batch DIR``: audit every establishment of an academy, in parallel.

``DIR`` holds one sub-folder or one ``.zip`` per establishment (its name gives the UAI).
Each worker process builds one :class:`~scolint.engine.audit.Auditor` (plugins and
rules loaded once) and audits establishments one after the other; an establishment
whose files cannot be read is marked in error with the reason and the others go on.
One report per UAI (formats chosen with ``--formats``) and the academy summary
(``synthese-academie.html`` and ``.csv``) are written in the output folder.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from scolint.engine.discover import inside
from scolint.engine.errors import UsageError, internal_error
from scolint.engine.findings import SEVERITY_RANK
from scolint.plugins.commands.batch_summary import Outcome, write_summary

UAI_RE = re.compile(r"(?<![0-9A-Za-z])(\d{7}[A-Za-z])(?![0-9A-Za-z])")
#: Input-problem codes that mean a file could not be read at all (their messages give the
#: reason of an establishment in error).
FATAL_CODES = ("ENTREE-ARCHIVE", "ENTREE-LECTURE", "ENTREE-FICHIER", "ENTREE-CHARGEUR")


@dataclass
class Entry:
    """One establishment to audit: its key (UAI from the name) and its folder or zip."""

    key: str
    path: Path


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during a batch: the outcomes of the establishments done so far."""

    def __init__(self, outcomes: list[Outcome]) -> None:
        super().__init__()
        self.outcomes = outcomes


def find_entries(folder: Path, exclude: list[Path] | None = None) -> list[Entry]:
    """The sub-folders and ``.zip`` files of ``folder``, sorted by name (``exclude``: a report
    folder written there by an earlier run is not an establishment)."""
    from scolint.engine.discover import shown_name  # a name that is not UTF-8 stays printable
    from scolint.engine.outputs import os_error_fr
    if not folder.is_dir():
        raise UsageError(f"{folder} n'est pas un dossier")
    skip = {p.resolve() for p in exclude or []}
    entries = []
    try:
        children = sorted(folder.iterdir())
    except OSError as exc:
        raise UsageError(f"dossier illisible : {os_error_fr(exc, folder)}") from None
    for child in children:
        if child.name.startswith(".") or child.resolve() in skip:
            continue
        if child.is_dir() or (child.is_file() and child.suffix.lower() == ".zip"):
            m = UAI_RE.search(child.stem if child.is_file() else child.name)
            entries.append(Entry(m.group(1).upper() if m else shown_name(child.stem), child))
    keys = [e.key for e in entries]
    doubles = sorted({k for k in keys if keys.count(k) > 1})
    if doubles:
        raise UsageError(f"{folder} : plusieurs dossiers ou archives pour l'UAI {', '.join(doubles)}")
    if not entries:
        raise UsageError(f"{folder} ne contient aucun sous-dossier ni archive .zip d'établissement")
    return entries


# -- worker side ---------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def init_worker(config: dict[str, Any]) -> None:
    """Build the worker's Auditor once (plugins and rules), keep the job settings."""
    _WORKER.clear()
    # the history's settings stay in ``config``: ``_WORKER["history"]`` is only ever the open history
    _WORKER.update((k, v) for k, v in config.items() if k != "history")
    _WORKER["auditor"] = build_auditor(config)
    # The batch's processes already use every core: no XML read-ahead thread besides.
    if config.get("secret"):
        from scolint.plugins.reporters.pseudonymise import Pseudonymiser
        Pseudonymiser(config["secret"])  # refuse a bad secret before the first audit
    if config.get("history") is not None:
        _WORKER["history"] = config["history"].open()  # read only here: the driver records


def build_auditor(config: dict[str, Any]) -> Any:
    """The Auditor of a batch's settings (plugins and rules read and checked):
    :class:`~scolint.engine.errors.RuleFileError` for a broken or missing rule."""
    from scolint.engine.audit import Auditor
    from scolint.engine.manager import get_plugin_host
    host = get_plugin_host(disabled=config.get("disabled", ()), load_entrypoints=config.get("entrypoints", True))
    s = config["settings"]
    return Auditor(rule_paths=s.rule_paths, selection=s.selection, host=host, rule_errors=s.rule_errors,
                   use_default_rules=s.use_default_rules, severity_overrides=s.severity_overrides,
                   rule_time_limit=config.get("rule_time_limit"))


def audit_entry(entry: Entry) -> Outcome:
    """Audit one establishment in this worker and write its reports, then free its graph.

    The entities of an audit point at each other (relations both ways): once its reports
    are written, the graph is cyclic garbage that only a collection frees, and with the
    command line's collector thresholds (engine/cli.py) a full collection almost never
    comes by itself. So the batch empties the graph once its reports are written
    (:meth:`~scolint.engine.model.Graph.release`: reference counting frees it, without a
    collection walking every entity), then collects what little cyclic garbage is left
    (test_batch_memory.py).
    """
    try:
        return _audit_entry(entry)
    except UsageError as exc:  # a report that cannot be written (disk full…): in French
        return Outcome(entry.key, error=str(exc))
    except OSError as exc:
        from scolint.engine.outputs import os_error_fr
        return Outcome(entry.key, error=os_error_fr(exc))
    except Exception as exc:  # one establishment must never stop the batch; its text is shown to nobody
        internal_error(exc)
        return Outcome(entry.key, error="erreur interne : l'audit de cet établissement s'est arrêté (relancez-le "
                                        "avec SCOLINT_DEBUG=1 pour obtenir le détail technique)")
    finally:
        gc.collect()


def _audit_entry(entry: Entry) -> Outcome:
    from scolint.plugins.reporters.pseudonymise import audit_with_graph
    auditor = _WORKER["auditor"]
    folder, target = (entry.path, ".") if entry.path.is_dir() else (entry.path.parent, entry.path.name)
    with inside(folder):
        result, graph = audit_with_graph(auditor, [target])
    try:
        return _report_entry(entry, auditor, result, graph)
    finally:
        graph.release()  # freed by reference counting: the collection after it has little to do


def _report_entry(entry: Entry, auditor: Any, result: Any, graph: Any) -> Outcome:
    """The outcome of one establishment's audit, its reports written."""
    from scolint.engine.config import apply_exceptions
    from scolint.engine.discover import atomic_write
    from scolint.plugins.reporters.common import by_flow
    from scolint.plugins.reporters.pseudonymise import Pseudonymiser
    out = Outcome(entry.key, uai=result.uai, establishment=result.establishment)
    if result.fatal_inputs or not result.exports:
        fatal = [f for f in result.findings if f.rule_id in FATAL_CODES]
        reasons = [f"{f.provenance[0] if f.provenance else entry.path.name} : {f.message}" for f in fatal]
        out.error = " ; ".join(reasons) or ("fichier illisible" if result.fatal_inputs else
                                            "aucun export reconnu dans ce dossier ou cette archive")
        out.unreadable = True
        return out
    if result.uai and result.uai.upper() != entry.key.upper() and UAI_RE.fullmatch(entry.key):
        out.error = f"les exports concernent l'UAI {result.uai}, pas {entry.key}"
        out.unreadable = True
        return out
    apply_exceptions(result, _WORKER.get("exceptions", {}).get((result.uai or entry.key).upper(), []))
    changes = None
    if _WORKER.get("history") is not None:
        from scolint.plugins.history.changes import audit_changes
        out.record, changes = audit_changes(_WORKER["history"], result, result.uai or entry.key)
        if changes["depuis"]:
            out.changes = {k: len(changes[k]) for k in ("nouvelles", "corrigées", "toujours")}
    if _WORKER.get("secret"):
        Pseudonymiser(_WORKER["secret"]).apply(result, graph)
    out.counts = result.counts()
    out.flows = {flow: sum(c.values()) for flow, c in by_flow(result).items()}
    out.not_evaluated = sum(1 for o in result.outcomes if o.status == "not_evaluated")
    out.worst = worst_rules(result)
    out.exit_code = result.exit_code(_WORKER.get("fail_on", "error"))
    reporters = auditor.host.registries.reporters
    options = dict(_WORKER.get("report_options", {}), **_attachment(entry.key))
    if _WORKER.get("previous_dir"):  # « ce qui a changé depuis le dernier audit »
        from scolint.plugins.reporters.plan import previous_fingerprints
        before = Path(_WORKER["previous_dir"]) / f"rapport-{entry.key}.json"
        if before.is_file():
            try:
                options["previous"] = previous_fingerprints(before)
            except UsageError:  # a damaged previous report: this report just says nothing of changes
                pass
    if changes is not None:  # the history's comparison (plugins/history)
        options["changes"] = changes
    for fmt in _WORKER["formats"]:
        rep = reporters[fmt]
        path = Path(_WORKER["out"]) / f"rapport-{entry.key}.{rep.extension}"
        atomic_write(path, rep.render(result, options))
        out.reports[fmt] = str(path)
    return out


def _attachment(key: str) -> dict[str, str]:
    """Where the full list is, in the words of the report's reader."""
    if _WORKER.get("mail"):  # scolint send: attached to the mail
        return {"attachment": f"la pièce jointe rapport-{key}.xlsx (tableur)"}
    if "tableur" in _WORKER.get("formats", ()):
        return {"attachment": f"le tableur rapport-{key}.xlsx"}
    return {"attachment": "le tableur des anomalies (scolint batch … --formats html,tableur)"}


def worst_rules(result: Any, n: int = 3) -> list[tuple[str, str, int]]:
    """The ``n`` rules with the most serious and most numerous active findings."""
    counts: dict[str, list[Any]] = {}
    for f in result.active():
        counts.setdefault(f.rule_id, [f.severity, f.title, 0])[2] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-SEVERITY_RANK[kv[1][0]], -kv[1][2], kv[0]))
    return [(rule, title, count) for rule, (_, title, count) in ranked[:n]]


# -- driver side ---------------------------------------------------------------------
class Progress:
    """A progress bar on stderr (one line per establishment when stderr is not a terminal)."""

    def __init__(self, total: int, stream: Any = None, width: int = 30) -> None:
        self.total, self.done, self.width = total, 0, width
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def step(self, label: str) -> None:
        self.done += 1
        filled = self.width * self.done // self.total
        bar = f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} {label}"
        if self.tty:
            self.stream.write("\r" + bar.ljust(self.width + 40))
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(bar + "\n")
        self.stream.flush()


def run_batch(entries: list[Entry], config: dict[str, Any], jobs: int,
              progress: Callable[[str], None] | None = None) -> list[Outcome]:
    """Audit ``entries`` with ``jobs`` worker processes; outcomes in the entries' order.

    Ctrl-C (``KeyboardInterrupt``) stops the workers (pending audits cancelled, running ones
    stopped by SIGTERM so that they remove what they extracted) and raises :class:`Interrupted`
    with the outcomes done so far."""
    from scolint.engine.outputs import os_error_fr
    try:
        Path(config["out"]).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"dossier des rapports impossible à créer : {os_error_fr(exc, config['out'])}") from None
    results: dict[str, Outcome] = {}

    def done(outcome: Outcome) -> None:
        results[outcome.key] = outcome
        if progress:
            progress(f"{outcome.key}{' : en erreur' if outcome.error else ''}")

    if jobs <= 1:
        try:
            init_worker(config)
            for entry in entries:
                done(audit_entry(entry))
        except KeyboardInterrupt:
            raise Interrupted([results[e.key] for e in entries if e.key in results]) from None
        finally:
            if _WORKER.get("history") is not None:
                _WORKER.pop("history").close()
    else:
        import concurrent.futures as cf  # imported here: registering ``batch`` stays cheap
        import multiprocessing

        # A broken or missing rule would stop every worker at its start, and each
        # establishment would read as "interrupted": checked here first, said in French.
        build_auditor(config)

        from scolint.engine.cli import batch_worker_init
        ctx = multiprocessing.get_context("spawn")
        pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=batch_worker_init,
                                      initargs=(init_worker, config))
        try:
            futures = {pool.submit(audit_entry, e): e for e in entries}
            for fut in cf.as_completed(futures):
                entry = futures[fut]
                try:
                    done(fut.result())
                except Exception:  # a worker that died (memory, signal)
                    done(Outcome(entry.key, error="processus d'audit interrompu (mémoire épuisée ou signal ?)"))
        except KeyboardInterrupt:
            _stop_pool(pool)
            raise Interrupted([results[e.key] for e in entries if e.key in results]) from None
        pool.shutdown(wait=True)
    return [results[e.key] for e in entries]


def _stop_pool(pool: Any) -> None:
    """Cancel what has not started, stop the running workers with SIGTERM (their audit
    ends through ``finally``: extracted files removed) and wait for them."""
    processes = list(getattr(pool, "_processes", {}).values())  # the executor has no public way
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        try:
            proc.terminate()
        except (OSError, ValueError, AttributeError):
            pass
    for proc in processes:
        try:
            proc.join(60)  # a loaded machine may take a while to remove what was extracted
            if proc.is_alive():
                proc.kill()
                proc.join(10)
        except (OSError, ValueError, AttributeError, AssertionError):
            pass
    # What a worker stopped in the middle of an extraction could not remove (killed, or
    # stopped between creating its folder and entering its ``finally``): its discovery
    # folders are named after its process id (engine/discover.py), so the parent removes them.
    import shutil

    from scolint.engine.discover import temp_root
    for proc in processes:
        pid = getattr(proc, "pid", None)
        if pid:
            for leftover in Path(temp_root()).glob(f"scolint-{pid}-*"):
                shutil.rmtree(leftover, ignore_errors=True)


def config_from_args(args: argparse.Namespace, formats: list[str]) -> dict[str, Any]:
    """What every worker needs, from the command line and the project file."""
    from scolint.plugins.commands.project import project_from_args, settings_from_args
    from scolint.plugins.history.settings import history_settings
    from scolint.plugins.reporters import pseudonymise
    settings = settings_from_args(args)
    project = project_from_args(args)
    exceptions: dict[str, list[Any]] = {}
    for exc in project.exceptions:
        exceptions.setdefault(exc.uai, []).append(exc)
    pseudo = pseudonymise.from_args(args)
    sel = settings.selection
    if sel.ids or sel.tags or sel.exclude_ids or sel.exclude_tags:  # refused here, not in every worker
        from scolint.engine.audit import Auditor
        Auditor(rule_paths=settings.rule_paths, selection=sel, host=args.host,
                use_default_rules=settings.use_default_rules)
    known = list(args.host.registries.reporters)
    for fmt in formats:
        if fmt not in known or fmt == "console":
            raise UsageError(f"format de rapport inconnu « {fmt} » (connus : {', '.join(k for k in known if k != 'console')})")
    return {"settings": settings, "exceptions": exceptions, "formats": formats, "out": str(Path(args.out).resolve()),
            "secret": pseudo.secret if pseudo else None, "fail_on": settings.fail_on or "error",
            "history": history_settings(args, project),
            "disabled": list(getattr(args, "disable_plugins", []) or []),
            "previous_dir": _previous_dir(args),
            "rule_time_limit": getattr(args, "rule_time_limit", None),
            "entrypoints": os.environ.get("SCOLINT_DISABLE_PLUGIN_AUTOLOAD") is None}


def _previous_dir(args: argparse.Namespace) -> str | None:
    """``--precedent DOSSIER``: the reports folder of the previous batch (its rapport-UAI.json)."""
    folder = getattr(args, "precedent", None)
    if not folder:
        return None
    if not Path(folder).is_dir():
        raise UsageError(f"{folder} : dossier des rapports précédents introuvable (--precedent)")
    return str(Path(folder).resolve())


def cmd_batch(args: argparse.Namespace) -> int:
    from scolint.engine.cli import split_multi
    from scolint.engine.outputs import check_folder
    entries = find_entries(Path(args.dossier), exclude=[Path(args.out)])
    check_folder(args.out, (), "dossier des rapports", [e.path for e in entries if e.path.is_dir()])
    config = config_from_args(args, split_multi(args.formats) or ["html"])
    jobs = max(1, min(args.jobs or (os.cpu_count() or 1), len(entries)))
    history = config["history"].open() if config.get("history") else None  # migrated, key checked
    bar = Progress(len(entries))
    print(f"Audit de {len(entries)} établissement(s) avec {jobs} processus…", file=sys.stderr)
    try:
        outcomes = run_batch(entries, config, jobs, bar.step)
    except Interrupted as stop:
        done = [o.key for o in stop.outcomes]
        print(f"\nscolint : interrompu ; {len(done)} établissement(s) audité(s) sur {len(entries)} "
              f"({', '.join(done) or 'aucun'}), rapports dans {config['out']} ; pas de synthèse académique.",
              file=sys.stderr)
        if history is not None:
            history.close()
        return 130
    try:
        html, csv = write_summary(outcomes, Path(config["out"]), args.host)
        errors = [o for o in outcomes if o.error]
        for o in errors:
            print(f"scolint : {o.key} en erreur : {o.error}", file=sys.stderr)
        print(f"{len(outcomes) - len(errors)} rapport(s) écrit(s) dans {config['out']}, {len(errors)} établissement(s) "
              f"en erreur ; synthèse : {html} et {csv}", file=sys.stderr)
        if history is not None:
            from scolint.plugins.history.dashboard import record_batch
            record_batch(history, outcomes, Path(config["out"]))
    finally:
        if history is not None:
            history.close()
    if errors:
        return 2
    return max([o.exit_code for o in outcomes] + [0])
