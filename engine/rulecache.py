"""A cache of checked rules: unchanged rule files are not parsed, validated and compiled
again at every run.

Reading the thirty default rules costs about 0.1 s (YAML, JSON Schema, compilation of
every expression and message, security checks), a third of the start-up of ``scolint
check``, for files that almost never change. Once a file passed every check, the
resulting :class:`~scolint.engine.rules.Rule` is stored with the exact bytes of the
file; a later run reusing it must read the same bytes at the same path, with the same
*fingerprint*: the same engine code, Python, libraries, rule schema and registered
check kinds, entity kinds, formats, filters and tests (everything the checks depend
on). Only rules that passed are stored: every error is found and worded by the normal
path, exactly as without the cache.

The cache lives in ``$SCOLINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/scolint``, else
``~/.cache/scolint``; ``SCOLINT_NO_CACHE=1`` disables it. It is written atomically
(temporary file, then rename) and ignored when missing, corrupt, unreadable, unwritable
or not private to the user (it holds pickled objects: loading one is running code, so a
file another user could have written is never read).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import stat
import sys
from importlib import util as import_util
from pathlib import Path
from typing import Any, Callable

#: Version of the cache file layout (part of the fingerprint).
CACHE_FORMAT = 1
#: Environment variables: disable the cache; choose its folder.
ENV_DISABLE = "SCOLINT_NO_CACHE"
ENV_DIR = "SCOLINT_CACHE_DIR"
#: Most rule files remembered in one cache file (about 6 KB each): this run's first, then
#: other files that still exist.
MAX_ENTRIES = 300
#: Most cache files kept in the folder (one per fingerprint: older engine versions...).
MAX_FILES = 8
PREFIX = "regles-"
SUFFIX = ".pickle"


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is disabled or no folder can be named."""
    if os.environ.get(ENV_DISABLE, "").strip() not in ("", "0"):
        return None
    chosen = os.environ.get(ENV_DIR, "").strip()
    if chosen:
        return Path(chosen)
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "scolint"
    try:
        return Path.home() / ".cache" / "scolint"
    except (RuntimeError, KeyError, OSError):  # no home folder
        return None


def _stamp(path: str | None) -> list[Any]:
    """Name, size and modification time of a file (or of a missing one)."""
    if not path:
        return [None]
    try:
        st = os.stat(path)
    except OSError:
        return [path, None]
    return [path, st.st_size, st.st_mtime_ns]


def _code_stamps() -> list[Any]:
    """The engine's source files and the libraries that read and check rules (path, size
    and modification time: what Python itself checks before reusing a ``.pyc``)."""
    engine = os.path.dirname(os.path.abspath(__file__))
    stamps: list[Any] = []
    try:
        names = sorted(e.name for e in os.scandir(engine) if e.name.endswith(".py"))
    except OSError:
        names = []
    stamps.extend(_stamp(os.path.join(engine, n)) for n in names)
    for lib in ("yaml", "jsonschema", "jinja2"):
        try:
            spec = import_util.find_spec(lib)
        except (ImportError, ValueError):
            spec = None
        stamps.append(_stamp(spec.origin if spec else None))
    return stamps


def fingerprint(registries: Any, env: Any, schema: dict[str, Any], limits: list[Any]) -> str:
    """What a cached rule's validity depends on, besides its own bytes and path."""
    checks = [[k.id, k.options_schema, k.doc, list(k.expressions)] for k in registries.checks.values()]
    parts = [
        CACHE_FORMAT, sys.version, sys.implementation.cache_tag, _code_stamps(), schema, limits,
        checks, list(registries.entities), [[f.id, f.system] for f in registries.formats.values()],
        type(env).__module__ + "." + type(env).__qualname__, sorted(env.filters), sorted(env.tests),
    ]
    text = json.dumps(parts, sort_keys=True, default=repr, ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:32]


def _private(st: os.stat_result) -> bool:
    """True when only the current user may have written the file or folder."""
    if not hasattr(os, "geteuid"):  # Windows: the profile folder is private
        return True
    return st.st_uid == os.geteuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


class RuleCache:
    """The checked rules of one fingerprint: ``get`` before parsing, ``put`` after,
    ``save`` once at the end of a load."""

    def __init__(self, folder: Path, key: str) -> None:
        self.folder = folder
        self.path = folder / f"{PREFIX}{key}{SUFFIX}"
        self.entries: dict[str, tuple[bytes, bytes]] = {}  # path -> (file bytes, pickled Rule)
        self.used: set[str] = set()
        self.changed = False
        self._read()

    @classmethod
    def open(cls, key_of: Callable[[], str]) -> RuleCache | None:
        """The cache for the fingerprint ``key_of()``, or None when disabled."""
        folder = cache_dir()
        if folder is None:
            return None
        try:
            return cls(folder, key_of())
        except Exception:  # noqa: BLE001 - a cache problem never stops an audit
            return None

    def _read(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return
        try:
            with os.fdopen(fd, "rb") as fh:
                if not (stat.S_ISREG(os.fstat(fh.fileno()).st_mode) and _private(os.fstat(fh.fileno()))
                        and _private(os.stat(self.folder))):
                    return
                data = pickle.load(fh)
        except Exception:  # noqa: BLE001 - corrupt or truncated: start afresh
            return
        if isinstance(data, dict) and data.get("format") == CACHE_FORMAT and isinstance(data.get("entries"), dict):
            self.entries = {k: v for k, v in data["entries"].items()
                            if isinstance(k, str) and isinstance(v, tuple) and len(v) == 2
                            and isinstance(v[0], bytes) and isinstance(v[1], bytes)}

    def get(self, path: str, raw: bytes, rule_type: type) -> Any | None:
        """The rule stored for ``path`` when the file still holds ``raw``, else None."""
        entry = self.entries.get(path)
        if entry is None or entry[0] != raw:
            return None
        try:
            rule = pickle.loads(entry[1])
        except Exception:  # noqa: BLE001
            return None
        if type(rule) is not rule_type or getattr(rule, "path", None) != path:
            return None
        self.used.add(path)
        return rule

    def put(self, path: str, raw: bytes, rule: Any) -> None:
        """Remember ``rule``, read from ``raw`` at ``path`` and checked."""
        try:
            self.entries[path] = (raw, pickle.dumps(rule, protocol=pickle.HIGHEST_PROTOCOL))
        except Exception:  # noqa: BLE001 - an unpicklable value: not cached
            return
        self.used.add(path)
        self.changed = True

    def save(self) -> None:
        """Write the cache file atomically when something new was learnt (errors ignored)."""
        if not self.changed:
            return
        entries = {k: v for k, v in self.entries.items() if k in self.used}
        for k, v in self.entries.items():
            if len(entries) >= MAX_ENTRIES:
                break
            if k not in entries and os.path.isfile(k):  # rule files of a removed folder go
                entries[k] = v
        tmp = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not _private(os.stat(self.folder)):
                return
            import tempfile
            fd, tmp = tempfile.mkstemp(prefix=".regles-", suffix=".tmp", dir=self.folder)
            with os.fdopen(fd, "wb") as fh:
                pickle.dump({"format": CACHE_FORMAT, "entries": entries}, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
            tmp = None
            self._prune()
        except Exception:  # noqa: BLE001 - read-only home, full disk...: no cache, same rules
            pass
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass

    def _prune(self) -> None:
        """Keep the ``MAX_FILES`` most recently written cache files."""
        files = [p for p in self.folder.glob(f"{PREFIX}*{SUFFIX}") if p.is_file()]
        if len(files) <= MAX_FILES:
            return
        files.sort(key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in files[MAX_FILES:]:
            if old != self.path:
                old.unlink(missing_ok=True)
