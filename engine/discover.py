"""Step 1: find the input files (folders, files, .zip archives), safely.

Archives are extracted into a private temporary folder with limits: no path outside
it, no archive inside an archive beyond one level, a cap on the total size and on the
compression ratio (zip bombs).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable

from .errors import InputError, UsageError

#: Limits for archives (documented in docs/robustesse.md).
MAX_ZIP_TOTAL = 512 * 1024 * 1024
MAX_ZIP_MEMBERS = 5000
MAX_ZIP_RATIO = 200
IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass
class InputFile:
    """A file to detect and load.

    ``display`` is what the user sees (the path as given, ``a.zip!b.xml`` inside an
    archive); ``name`` is the path relative to the input given (stable whatever the
    folder the audit ran from: used as the id of the ``export`` entity).
    """

    path: Path
    display: str
    name: str = ""


class Discovery:
    """Collects input files; owns the temporary folder of extracted archives."""

    def __init__(self) -> None:
        self.files: list[InputFile] = []
        self.errors: list[InputError] = []
        self._tmp: str | None = None

    def __enter__(self) -> "Discovery":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove extracted files."""
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def add(self, paths: Iterable[str | Path]) -> "Discovery":
        for raw in paths:
            p = Path(raw)
            if not p.exists():
                raise UsageError(f"chemin introuvable : {raw}")
            if p.is_dir():
                for child in sorted(p.rglob("*")):
                    if child.is_file() and not _hidden(child.relative_to(p)):
                        self._add_file(child, str(child), child.relative_to(p).as_posix())
            else:
                self._add_file(p, str(p), p.name)
        return self

    def _add_file(self, path: Path, display: str, name: str, depth: int = 0) -> None:
        if path.name in IGNORED_NAMES:
            return
        if path.suffix.lower() == ".zip" or _is_zip(path):
            if depth >= 2:
                self.errors.append(InputError(display, None, "archive imbriquée trop profondément : refusée"))
                return
            self._extract(path, display, name, depth)
            return
        self.files.append(InputFile(path, display, name))

    def _extract(self, path: Path, display: str, name: str, depth: int) -> None:
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="scolint-")
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            self.errors.append(InputError(display, None, f"archive .zip illisible ({exc})"))
            return
        with zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if len(infos) > MAX_ZIP_MEMBERS:
                self.errors.append(InputError(display, None, f"archive de {len(infos)} fichiers : trop de fichiers (max {MAX_ZIP_MEMBERS})"))
                return
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos) or 1
            if total > MAX_ZIP_TOTAL or total / packed > MAX_ZIP_RATIO and total > 10 * 1024 * 1024:
                self.errors.append(InputError(display, None, "archive suspecte (bombe de décompression) : taille décompressée ou taux de compression excessif, refusée"))
                return
            dest = Path(tempfile.mkdtemp(dir=self._tmp))
            for info in infos:
                member = PurePosixPath(info.filename.replace("\\", "/"))
                if member.is_absolute() or ".." in member.parts or (member.parts and ":" in member.parts[0]):
                    self.errors.append(InputError(f"{display}!{info.filename}", None, "chemin hors de l'archive (../ ou absolu) : fichier refusé"))
                    continue
                if _hidden(Path(*member.parts)):
                    continue
                target = dest.joinpath(*member.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                written = 0
                with zf.open(info) as src, open(target, "wb") as out:
                    while True:
                        chunk = src.read(1 << 16)
                        if not chunk:
                            break
                        written += len(chunk)
                        if written > info.file_size or written > MAX_ZIP_TOTAL:
                            break
                        out.write(chunk)
                self._add_file(target, f"{display}!{info.filename}", f"{name}!{info.filename}", depth + 1)


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in rel.parts)


def _is_zip(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def read_head(path: Path, size: int = 8192) -> bytes:
    """First ``size`` bytes of ``path``."""
    with open(path, "rb") as fh:
        return fh.read(size)


def atomic_write(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, then rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=str(target.parent))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
