"""Read the next XML export while the loaders build entities from the current one.

libxml2 parses and validates without holding Python's global lock, but the loaders that
turn a tree into entities are Python and hold it. An audit reads its files one after the
other, so one core parses while the other sits idle. :class:`XmlPrefetcher` runs, in one
background thread, :func:`xmlsafe.parse <scolint.engine.xmlsafe.parse>` of the XML files
of the audit in the order they will be loaded, at most ``ahead`` files in advance, and
validates each tree against the XSD that declares its root element (the mapping comes
from the shipped schemas themselves, so the engine still names no format).

When a loader asks :func:`~scolint.engine.xmlsafe.parse` for a file, the prefetched tree
is handed over (waiting for it if its parse is under way); the notes the parse wrote
(``xmlsafe.notes``) are written again in the loader's context, and a parse error is raised
there, so the audit is the same with or without the thread. A validation the loader asks
for is answered from the thread's result when the schema is the one guessed, else done
again. A file the thread has not started yet when the loader wants it is parsed by the
loader itself (files may be loaded in any order: nothing waits on the thread's queue).
"""

from __future__ import annotations

import contextlib
import os
import threading
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

#: Validation errors kept per prefetched tree; a loader asking for more validates again.
ERROR_CAP = 200

_PENDING, _RUNNING, _DONE, _TAKEN = "pending", "running", "done", "taken"


@lru_cache(maxsize=1)
def schema_roots() -> dict[tuple[str | None, str], str]:
    """``(namespace, root element) -> XSD file name`` from the global elements of
    ``schemas/xsd/*.xsd`` (the first schema in name order wins)."""
    from lxml import etree

    xs = "{http://www.w3.org/2001/XMLSchema}"
    out: dict[tuple[str | None, str], str] = {}
    folder = resources.files("scolint.schemas").joinpath("xsd")
    for ref in sorted(folder.iterdir(), key=lambda r: r.name):
        if not ref.name.endswith(".xsd"):
            continue
        root = etree.fromstring(ref.read_bytes(), etree.XMLParser(resolve_entities=False, no_network=True))
        namespace = root.get("targetNamespace")
        for element in root.iterchildren(f"{xs}element"):
            if element.get("name"):
                out.setdefault((namespace, element.get("name")), ref.name)
    return out


class XmlPrefetcher:
    """Parse and validate ``paths`` in a background thread, ``ahead`` files in advance.

    :param parse: the real parse function ``parse(path) -> tree`` (raises on bad input).
    :param validate: the real validation ``validate(tree, xsd_name, max_errors) -> errors``.
    :param notes: a context manager factory collecting the notes a parse writes.
    :param replay: writes one collected note again in the caller's context.
    """

    def __init__(self, paths: Iterable[Path | str], parse: Callable[[Any], Any],
                 validate: Callable[[Any, str, int], list[Any]], notes: Callable[[], Any],
                 replay: Callable[..., None], ahead: int = 1) -> None:
        self._order = list(dict.fromkeys(str(p) for p in paths))
        self._rank = {p: i for i, p in enumerate(self._order)}
        self._parse, self._validate, self._notes, self._replay = parse, validate, notes, replay
        self._ahead = max(1, ahead)
        self._state = {p: _PENDING for p in self._order}
        self._results: dict[str, tuple[Any, BaseException | None, list[Any], Any]] = {}
        #: The validation of the tree last handed over: ``(tree, xsd name, errors)``.
        self._validated: tuple[Any, str, list[Any]] | None = None
        self._cond = threading.Condition()
        self._closed = False
        self._passed = -1  # rank of the furthest file the audit asked for
        self._thread: threading.Thread | None = None
        #: Files whose tree came from the thread / that the caller had to parse itself.
        self.hits = 0
        self.misses = 0
        #: Validations answered from the thread's work.
        self.validation_hits = 0
        #: Serialises libxml2 validations: an XMLSchema's error log is per object.
        self.validation_lock = threading.Lock()

    # -- the thread -------------------------------------------------------------------
    def start(self) -> XmlPrefetcher:
        if self._order and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="scolint-prefetch", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        for path in self._order:
            with self._cond:
                while not self._closed and sum(1 for s in self._state.values() if s == _DONE) >= self._ahead:
                    self._cond.wait()
                if self._closed:
                    return
                if self._state[path] != _PENDING or self._rank[path] < self._passed:
                    self._state[path] = _TAKEN  # the loader took it over, or went past it
                    continue
                self._state[path] = _RUNNING
            result = self._read(path)
            with self._cond:
                if self._rank[path] < self._passed:  # the audit went past it meanwhile
                    self._state[path] = _TAKEN
                else:
                    self._results[path] = result
                    self._state[path] = _DONE
                self._cond.notify_all()
            del result  # the tree now belongs to the audit: hold no reference to it

    def _read(self, path: str) -> tuple[Any, BaseException | None, list[Any], Any]:
        collected: list[Any] = []
        try:
            with self._notes() as sink:
                tree = self._parse(path)
            collected = list(sink)
        except Exception as exc:  # replayed in the loader, as if it had parsed the file
            return None, exc, collected, None
        validated = None
        try:
            root = tree.getroot()
            tag = root.tag if isinstance(root.tag, str) else ""
            namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else (None, "", tag)
            xsd = schema_roots().get((namespace, local))
            if xsd is not None:
                with self.validation_lock:
                    validated = (tree, xsd, self._validate(tree, xsd, ERROR_CAP))
        except Exception:  # a failed guess costs nothing: the loader validates itself
            pass
        return tree, None, collected, validated

    # -- the loader's side ------------------------------------------------------------
    def take(self, path: Path | str) -> Any | None:
        """The prefetched tree of ``path`` (raising its parse error), or None when the
        caller must parse the file itself."""
        key = str(path)
        with self._cond:
            self._validated = None
            state = self._state.get(key)
            if state is None or state == _TAKEN:
                return None
            self._passed = max(self._passed, self._rank[key])
            self._drop_before(self._rank[key])
            if state == _PENDING:
                self._state[key] = _TAKEN
                self.misses += 1
                return None
            while self._state[key] == _RUNNING:
                self._cond.wait()
            tree, exc, collected, validated = self._results.pop(key)
            self._validated = validated
            self._state[key] = _TAKEN
            self.hits += 1
            self._cond.notify_all()
        for note in collected:
            self._replay(*note)
        if exc is not None:
            raise exc
        return tree

    def wait(self, path: Path | str, timeout: float | None = None) -> bool:
        """Wait until the thread has read ``path`` (or will not); True when it has."""
        key = str(path)
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._state.get(key) not in (_PENDING, _RUNNING)
                                or key not in self._state, timeout)
            return self._state.get(key) == _DONE

    def _drop_before(self, rank: int) -> None:
        """Files before ``rank`` were passed by the audit (not an XML export after all):
        free their trees and their place in the read-ahead window."""
        for other in self._order[:rank]:
            if self._state[other] == _DONE:
                self._results.pop(other, None)
                self._state[other] = _TAKEN
                self._cond.notify_all()

    def validation(self, tree: Any, xsd_name: str, max_errors: int) -> list[Any] | None:
        """The thread's validation of ``tree`` against ``xsd_name``, or None."""
        found = self._validated
        if found is None or found[0] is not tree or found[1] != xsd_name or max_errors > ERROR_CAP:
            return None
        self._validated = None
        self.validation_hits += 1
        return found[2][:max_errors]

    def close(self, wait: bool = False) -> None:
        """Stop the thread (it ends after its current file) and drop what it read ahead."""
        with self._cond:
            self._closed = True
            self._results.clear()
            self._validated = None
            self._cond.notify_all()
        if wait and self._thread is not None:
            self._thread.join()



@lru_cache(maxsize=1)
def _one_malloc_arena() -> None:
    """Make threads share the C allocator's main arena (glibc only; elsewhere a no-op).

    glibc gives a thread that allocates its own arena, whose freed memory the main thread
    never reuses: the trees the read-ahead thread builds would raise the audit's peak
    memory by some ten megabytes for no gain.
    """
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return
        import ctypes

        ctypes.CDLL(None).mallopt(-8, 1)  # M_ARENA_MAX = 1
    except (OSError, ValueError, AttributeError):
        pass


def looks_xml(head: bytes) -> bool:
    """True when a file starting with ``head`` is XML (UTF-8 or UTF-16)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    return head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<")


@contextlib.contextmanager
def reading(paths: Iterable[Path | str], enabled: bool = True) -> Iterator[XmlPrefetcher | None]:
    """While the block runs, :func:`xmlsafe.parse <scolint.engine.xmlsafe.parse>` and
    ``validate`` are answered by a read-ahead thread over ``paths`` (XML files, in the
    order they will be loaded). Nothing happens when disabled or already reading."""
    from . import xmlsafe

    global _early
    early, _early = _early, None
    if early is not None:  # started by the command line before the plugins and rules
        if enabled and xmlsafe._prefetcher is None:
            xmlsafe._prefetcher = early
            try:
                yield early
            finally:
                xmlsafe._prefetcher = None
                early.close()
            return
        early.close()
    paths = list(paths)
    if not enabled or len(paths) < 2 or xmlsafe._prefetcher is not None:  # one file: nothing to overlap
        yield None
        return
    _one_malloc_arena()
    pf = XmlPrefetcher(paths, xmlsafe._parse, xmlsafe._validate, xmlsafe.notes, xmlsafe._note).start()
    xmlsafe._prefetcher = pf
    try:
        yield pf
    finally:
        xmlsafe._prefetcher = None
        pf.close()


#: A read-ahead started by :func:`start_early`, waiting for the audit to adopt it.
_early: XmlPrefetcher | None = None


def start_early(arguments: Iterable[str]) -> XmlPrefetcher | None:
    """Start reading the XML files named on a command line before the plugins and the rules
    are loaded: the parse and validation of the first file then overlap the start-up.

    ``arguments`` are a command's arguments; a word that follows an option is taken for
    that option's value and skipped. Files and the files under folders (in the order the
    audit reads them) whose first bytes are XML are read; the next :func:`reading` adopts
    the thread, whatever the files it loads (one it did not name is parsed by its loader,
    one it never asks for is dropped). Bad paths are ignored here: the audit reports them.
    """
    global _early
    if _early is not None:
        return None
    words = list(arguments)
    files: list[Path] = []
    for i, word in enumerate(words):
        if word.startswith("-") or (i and words[i - 1].startswith("-") and "=" not in words[i - 1]):
            continue
        try:
            path = Path(word)
            if path.is_dir():
                files.extend(child for child in sorted(path.rglob("*")) if child.is_file())
            elif path.is_file():
                files.append(path)
        except OSError:
            continue
    xml = []
    for path in files:
        try:
            with open(path, "rb") as fh:
                if looks_xml(fh.read(64)):
                    xml.append(path)
        except OSError:
            continue
    if not xml:
        return None
    from . import xmlsafe

    if len(xml) > 1:
        _one_malloc_arena()
    _early = XmlPrefetcher(xml, xmlsafe._parse, xmlsafe._validate, xmlsafe.notes, xmlsafe._note).start()
    return _early


def stop_early() -> None:
    """Stop a read-ahead that no audit adopted (a command that ended before its audit)."""
    global _early
    early, _early = _early, None
    if early is not None:
        early.close()
