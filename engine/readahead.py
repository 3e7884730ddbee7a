"""Read-ahead: one thread parses and validates the next XML export while the loaders build
the entities of the current one.

Parsing and XSD validation are libxml2's work, done without Python's global lock; building
entities is Python's. Read one after the other, a big establishment's exports keep one
processor busy and the other idle (parsing and validation are about a third of its audit).
The ``check`` command (never library code) opens a :class:`ReadAhead` **after its
arguments are parsed** and gives it to its :class:`~scolint.engine.audit.Auditor`
(``auditor.read_ahead``); the auditor hands it the XML files it is about to load, in the
order it loads them, each with its format's XSD (:meth:`ReadAhead.start`). The thread reads
**one file ahead**: when a loader's :func:`scolint.engine.xmlsafe.parse` takes the tree of
file *n* (waiting for it if the thread is on it), the thread starts on file *n + 1*; the
loader's :func:`~scolint.engine.xmlsafe.validate` of that tree gets the thread's errors.
The same functions, bytes and schema give the same tree, notes (replayed in the loader's
context) and errors; a file the thread cannot parse raises the same :class:`InputError`
in the loader. Anything not handed over (bytes given to ``parse``, another XSD, a file
not in the list) is read by the loader itself, as without a read-ahead.

One switch, on by default: ``SCOLINT_VALIDATION=sur-place`` reads every file in the
command's own thread (the result is the same); so does a machine with one processor.
Nothing process-wide changes: no allocator setting, no thread before the command line is
read, and the thread ends with the block that opened it (:func:`read_ahead`), however it
ends (an error, Ctrl-C: the file being read is finished, the others are withdrawn).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from . import xmlsafe
from .discover import Discovery, read_head
from .errors import UsageError

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

#: ``SCOLINT_VALIDATION=sur-place``: no read-ahead thread (anything else: one).
SWITCH = "SCOLINT_VALIDATION"
_OFF = frozenset({"sur-place", "surplace", "non", "aucune", "0"})


def enabled(environ: Any = None) -> bool:
    """Whether to open a read-ahead thread: not switched off, and two processors."""
    environ = os.environ if environ is None else environ
    if environ.get(SWITCH, "").strip().lower() in _OFF:
        return False
    return (os.cpu_count() or 1) >= 2


class ReadAhead:
    """One thread parsing and validating XML files, one ahead of the loaders."""

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._order: list[tuple[str, str]] = []  # (path, xsd name), in loading order
        self._rank: dict[str, int] = {}
        self._jobs: dict[str, Future[Any]] = {}  # at most one: the file being read ahead
        self._next = 0  # rank of the next file for the thread
        #: the file whose tree was last handed over, with its XSD and errors
        self._taken: tuple[str, str, Any] | None = None

    def start(self, files: list[tuple[str, str]]) -> None:
        """Read ``(path, xsd_name)`` in this order, one file ahead of the loaders: the
        first one at once (the caller has other work before it: rules, other files).
        Called again (the auditor, after :func:`xml_exports` gave the first list), it
        adds the files not yet known, after the others."""
        for path, xsd_name in files:
            if path not in self._rank:
                self._rank[path] = len(self._order)
                self._order.append((path, xsd_name))
        if not self._jobs:
            self._submit()

    def _submit(self) -> None:
        if self._next >= len(self._order):
            return
        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scolint-lecture")
        path, xsd_name = self._order[self._next]
        self._next += 1
        self._jobs[path] = self._executor.submit(xmlsafe.read_file, path, xsd_name)

    def parsed(self, path: str) -> Any:
        """The tree the thread read for ``path`` (raising its parse error, its notes
        written again here), or None: the caller parses the file itself."""
        rank = self._rank.get(path)
        if rank is None:
            return None
        self._taken = None
        for earlier in [p for p in self._jobs if self._rank[p] < rank]:  # not read after all
            self._jobs.pop(earlier).cancel()
        job = self._jobs.pop(path, None)
        if job is None:  # not started: read here, the thread goes on after it
            self._next = max(self._next, rank + 1)
        if not self._jobs:
            self._submit()
        if job is None or job.cancelled():
            return None
        try:
            tree, written, errors = job.result()
        except Exception:  # noqa: BLE001 - out of memory in the thread...: read it here
            return None
        for note in written:
            xmlsafe._note(*note)
        if isinstance(tree, xmlsafe.InputError):
            raise tree
        self._taken = (path, self._order[rank][1], errors)
        return tree

    def validated(self, path: str, xsd_name: str) -> list[tuple[int | None, str]] | None:
        """The thread's errors for the tree of ``path`` just handed over, against
        ``xsd_name``; None (validate it here) for another file or another schema."""
        taken = self._taken
        if taken is None or taken[0] != path or taken[1] != xsd_name:
            return None
        self._taken = None
        return taken[2]  # type: ignore[no-any-return]

    def lookup(self) -> contextlib.AbstractContextManager[None]:
        """The block during which :func:`xmlsafe.parse` and ``validate`` ask this read-ahead."""
        return xmlsafe.read_elsewhere(self)

    def close(self) -> None:
        """Withdraw what is not started, wait for the file being read, end the thread."""
        jobs, self._jobs, self._taken = self._jobs, {}, None
        self._next = len(self._order)
        for job in jobs.values():
            job.cancel()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def xml_exports(inputs: Iterable[str | Path], xsd_of: Callable[[Path, bytes], str | None]) -> list[tuple[str, str]]:
    """The XML exports among ``inputs`` (files and folders; archives are left out: their
    members are known once extracted, by the audit) with their XSD (``xsd_of(path,
    head)``), in the order the audit reads them: what a command can hand to a
    :class:`ReadAhead` before loading its rules. Nothing is reported here (a path that
    cannot be read is the audit's to report)."""
    out: list[tuple[str, str]] = []
    try:
        with Discovery(archives=False) as disc:
            disc.add(inputs)
            for item in disc.files:
                try:
                    xsd_name = xsd_of(item.path, read_head(item.path))
                except OSError:
                    continue
                if xsd_name:
                    out.append((str(item.path), xsd_name))
    except (UsageError, OSError):
        return []
    return out


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
