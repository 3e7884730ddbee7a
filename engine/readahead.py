"""Validation read-ahead: one more process validates the next XML exports against their
XSD while this one builds the entities of the current one.

Parsing and XSD validation are work for libxml2, building entities is Python's; the XSD
validation of a big establishment's exports is about a sixth of its audit. The ``check``
command (never library code) opens a :class:`ReadAhead` after its arguments are parsed
and gives it to its :class:`~scolint.engine.audit.Auditor` (``auditor.read_ahead``); the
auditor hands it the files it is about to read (after detection, each with its format's
XSD) and reads them in order: a loader's :func:`scolint.engine.xmlsafe.validate` takes
the errors the other process found for that file (the same errors: the same bytes, the
same parser, the same schema), or validates itself when there are none yet to take (not
started), when the other process failed, or for anything not read from its file.

One switch, off by default: ``SCOLINT_VALIDATION=processus`` turns it on (on a machine
with two processors or more and ``fork``); otherwise everything stays in one process, with
the same result. Off by default because the bench (docs/performance.md) measured it slower
on a busy 2-core machine: the other process parses each file again (about +15 % of CPU),
which pays only when a processor is idle. The process is started
by ``fork`` (no new interpreter to start), ignores Ctrl-C (the ``check`` process stops
it), ends with the ``check`` command (``close``) or, if that process is killed, by
itself within a second; it writes nothing.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, Any, Iterator

from . import xmlsafe

if TYPE_CHECKING:  # multiprocessing and concurrent.futures are imported when switched on
    from concurrent.futures import Future, ProcessPoolExecutor

#: ``SCOLINT_VALIDATION=processus``: a read-ahead process (anything else: none).
SWITCH = "SCOLINT_VALIDATION"


def enabled(environ: Any = None) -> bool:
    """Whether to open a read-ahead process: switched on, two processors, ``fork``."""
    environ = os.environ if environ is None else environ
    if environ.get(SWITCH, "").strip().lower() != "processus":
        return False
    if (os.cpu_count() or 1) < 2 or not sys.platform.startswith("linux"):
        return False
    import multiprocessing
    return "fork" in multiprocessing.get_all_start_methods()


class ReadAhead:
    """One worker process validating files in the order they are handed over."""

    def __init__(self) -> None:
        self._executor: ProcessPoolExecutor | None = None
        self._jobs: dict[tuple[str, str], Future[Any]] = {}

    def start(self, files: list[tuple[str, str]]) -> None:
        """Validate ``(path, xsd_name)`` in this order, in the other process. The first
        file is left to the caller (the other process would only be as far as it), and
        fewer than two files are not worth a process."""
        if len(files) < 2:
            return
        if self._executor is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor
            self._executor = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("fork"),
                initializer=_worker_init, initargs=(os.getpid(),))
        for path, xsd_name in files[1:]:
            if (path, xsd_name) not in self._jobs:
                self._jobs[path, xsd_name] = self._executor.submit(xmlsafe.validate_file, path, xsd_name)

    def errors(self, path: str, xsd_name: str) -> list[tuple[int | None, str]] | None:
        """The errors the other process found for this file, or None (validate it here):
        a file not handed over, not started yet (then withdrawn), or whose validation failed."""
        job = self._jobs.pop((path, xsd_name), None)
        if job is None or job.cancel():
            return None
        try:
            return job.result()  # type: ignore[no-any-return]
        except Exception:  # noqa: BLE001 - the process died, was stopped...: validate here
            return None

    def lookup(self) -> contextlib.AbstractContextManager[None]:
        """The block during which loaders take these errors (:func:`xmlsafe.validated_elsewhere`)."""
        return xmlsafe.validated_elsewhere(self.errors)

    def close(self) -> None:
        """Withdraw what is not started, wait for the file being validated, end the process."""
        self._jobs.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


@contextlib.contextmanager
def read_ahead(environ: Any = None) -> Iterator[ReadAhead | None]:
    """A :class:`ReadAhead` for the block (None when :func:`enabled` says no), closed after
    it however it ends (an error, Ctrl-C, SIGTERM)."""
    if not enabled(environ):
        yield None
        return
    ahead = ReadAhead()
    try:
        yield ahead
    finally:
        ahead.close()


def _worker_init(parent: int) -> None:
    """The read-ahead process: Ctrl-C is for the ``check`` process; a stop signal ends it
    at once (it holds nothing to clean); it ends by itself if its parent disappears."""
    import signal
    import threading
    import time
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
