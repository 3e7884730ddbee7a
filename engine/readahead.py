"""Read-ahead: one thread parses and validates the next XML export while the loaders build
the entities of the current one.

Parsing and XSD validation are libxml2's work, done without Python's global lock; building
entities is Python's. Read one after the other, a big establishment's exports keep one
processor busy and the other idle (parsing and validation are about a third of its audit).
The ``check`` command (never library code) opens a :class:`ReadAhead` **after its
arguments are parsed**, hands it the XML exports of its inputs (:func:`xml_exports`: the
first one is read while the rules are loaded) and gives it to its
:class:`~scolint.engine.audit.Auditor` (``auditor.read_ahead``), which hands it the files it
is about to load, in the order it loads them, each with its format's XSD
(:meth:`ReadAhead.start`). The thread reads **ahead of the loaders by one file**, or by a
few small ones (:data:`AHEAD_BYTES`) when no loader holds a tree it built: when a loader's
:func:`scolint.engine.xmlsafe.parse` takes the tree of file *n* (waiting for it if the
thread is on it), the thread goes on with file *n + 1*; the loader's
:func:`~scolint.engine.xmlsafe.validate` of that tree gets the thread's errors.
The same functions, bytes and schema give the same tree, notes (replayed in the loader's
context) and errors; a file the thread cannot parse raises the same :class:`InputError`
in the loader. Anything not handed over (bytes given to ``parse``, another XSD, a file
not in the list) is read by the loader itself, as without a read-ahead.

Memory: what the thread allocates stays in its own allocator arena, which the command's
thread never reuses and which is returned to the system only when it is empty. So
everything long-lived is made outside the thread (the XSD schemas are compiled in the
command's thread, by :meth:`ReadAhead.start`); the thread frees the trees it built (the
auditor says when a file's loader is done: :meth:`ReadAhead.release`), so that their
memory serves its next file (a tree freed by the command's thread would leave some of its
blocks to that thread, whose long-lived objects would then pin the arena); it holds at
most the tree being loaded and the next one (no second file is started while a loader
holds one of its trees); and it ends with the loading (the block of
:meth:`ReadAhead.lookup`), its arena then empty. Measured in docs/performance.md
(« Mémoire avec la lecture anticipée »), decided in docs/decisions.md.

One switch, on by default: ``SCOLINT_VALIDATION=sur-place`` reads every file in the
command's own thread (the result is the same); so does a machine with one processor.
Nothing process-wide changes: no allocator setting, no thread before the command line is
read, and the thread ends with the loading, at the latest with the block that opened it
(:func:`read_ahead`), however it ends (an error, Ctrl-C: the file being read is finished,
the others are withdrawn).
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from . import xmlsafe
from .discover import Discovery, read_head
from .errors import UsageError

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

#: Bytes of files read ahead and not yet taken by the loaders beyond which the thread waits
#: (it always reads at least the next file, and more only while no loader holds a tree it
#: built): the memory of the trees kept waiting is bounded.
AHEAD_BYTES = 1024 * 1024

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
    """One thread parsing and validating XML files ahead of the loaders."""

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._order: list[tuple[str, str]] = []  # (path, xsd name), in loading order
        self._rank: dict[str, int] = {}
        self._jobs: dict[str, Future[Any]] = {}  # files handed to the thread, not taken yet
        self._size: dict[str, int] = {}  # bytes of each file
        self._next = 0  # rank of the next file for the thread
        #: the file whose tree was last handed over, with its XSD and errors
        self._taken: tuple[str, str, Any] | None = None
        self._handed: list[Any] = []  # trees handed to a loader that is not done yet
        self._to_free: list[Any] = []  # what the thread is to free (trees, their jobs)
        self._lock = threading.Lock()  # guards _to_free

    def start(self, files: list[tuple[str, str]]) -> None:
        """Read ``(path, xsd_name)`` in this order, ahead of the loaders: the
        first one at once (the caller has other work before it: rules, other files).
        Called again (the auditor, after :func:`xml_exports` gave the first list), it
        adds the files not yet known, after the others. Their XSD schemas are compiled
        here, in the caller's thread, before the thread starts: they live as long as the
        process and must not sit in the thread's memory."""
        for path, xsd_name in files:
            if path not in self._rank:
                self._rank[path] = len(self._order)
                self._order.append((path, xsd_name))
                try:
                    self._size[path] = os.stat(path).st_size
                except OSError:
                    self._size[path] = 0
                try:
                    xmlsafe.schema(xsd_name)
                except Exception:  # noqa: BLE001 - a broken XSD: the validation reports it, as without a read-ahead
                    pass
        self._fill()

    def _fill(self, taking: bool = False) -> None:
        """Hand the next file to the thread (at least one waiting for the loaders), and
        more while those waiting weigh less than :data:`AHEAD_BYTES` and no loader holds a
        tree from the thread: small exports (a nomenclature, a list of establishments) do
        not keep the thread idle before the next big one, but the thread never builds a
        big tree while it has two others alive. ``taking``: a loader is taking a tree."""
        holding = taking or bool(self._handed)
        while self._next < len(self._order) and (
                not self._jobs or (not holding and sum(self._size[p] for p in self._jobs) < AHEAD_BYTES)):
            if self._executor is None:
                from concurrent.futures import ThreadPoolExecutor
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scolint-lecture")
            path, xsd_name = self._order[self._next]
            self._next += 1
            self._jobs[path] = self._executor.submit(self._read, path, xsd_name)

    def _read(self, path: str, xsd_name: str) -> Any:
        """In the thread: free what the loaders are done with, then read ``path``."""
        self._free()
        return xmlsafe.read_file(path, xsd_name)

    def _free(self) -> None:
        """In the thread: drop the references to what the loaders are done with (the
        last ones, unless a loader kept a tree): its memory is the thread's to reuse."""
        with self._lock:
            done, self._to_free = self._to_free, []
        done.clear()

    def parsed(self, path: str) -> Any:
        """The tree the thread read for ``path`` (raising its parse error, its notes
        written again here), or None: the caller parses the file itself."""
        rank = self._rank.get(path)
        if rank is None:
            return None
        self._taken = None
        earlier = [p for p in self._jobs if self._rank[p] < rank]  # not asked for after all:
        # withdrawn, or (started) its tree is dropped by the thread
        self._hand_back([j for j in (self._jobs.pop(p) for p in earlier) if not j.cancel()])
        job = self._jobs.pop(path, None)
        if job is None:  # not started: read here, the thread goes on after it
            self._next = max(self._next, rank + 1)
        self._fill(taking=job is not None)
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
        self._handed.append(tree)
        return tree

    def release(self) -> None:
        """The loader of the file last read is done: the thread frees the trees it handed
        over (now, or before its next file if it is reading one) and may read further."""
        if self._handed:
            self._hand_back(self._handed)
            self._handed = []
            if self._executor is not None:
                self._executor.submit(self._free)
        self._fill()

    def _hand_back(self, done: Iterable[Any]) -> None:
        with self._lock:
            self._to_free.extend(done)

    def validated(self, path: str, xsd_name: str) -> list[tuple[int | None, str]] | None:
        """The thread's errors for the tree of ``path`` just handed over, against
        ``xsd_name``; None (validate it here) for another file or another schema."""
        taken = self._taken
        if taken is None or taken[0] != path or taken[1] != xsd_name:
            return None
        self._taken = None
        return taken[2]  # type: ignore[no-any-return]

    @contextlib.contextmanager
    def lookup(self) -> Iterator[None]:
        """The block during which :func:`xmlsafe.parse` and ``validate`` ask this
        read-ahead (the loading); it is closed when the block ends, however it ends."""
        try:
            with xmlsafe.read_elsewhere(self):
                yield
        finally:
            self.close()

    def close(self) -> None:
        """Withdraw what is not started, wait for the file being read; the thread frees
        the trees it built (handed over or never asked for) and ends. The trees a loader
        still holds stay valid."""
        jobs, self._jobs, self._taken = self._jobs, {}, None
        self._next = len(self._order)
        # a job started (or done) keeps its tree: the thread drops it after reading it
        self._hand_back([*self._handed, *(job for job in jobs.values() if not job.cancel())])
        self._handed = []
        jobs.clear()
        if self._executor is not None:
            with contextlib.suppress(RuntimeError):  # the interpreter is ending: freed below
                self._executor.submit(self._free)
            self._executor.shutdown(wait=True)
            self._executor = None
        self._free()  # what is left (no thread, or it could not take it): here


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
