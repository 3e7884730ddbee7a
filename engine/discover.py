"""Step 1: find the input files (folders, files, .zip archives), safely.

Archives are extracted into a private temporary folder with limits: no path from the
archive is used on disk (members are written under names of ours), no symbolic link, no
encrypted member, no archive inside an archive beyond one level, a cap on the number of
members, on the total size of every archive of one audit and on the compression ratio
(zip bombs), and a member that grows beyond its announced size is refused. Every refusal
is an :class:`InputError` in ``Discovery.errors``: the other files are still audited.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import struct
import tempfile
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

from .errors import InputError, UsageError

_DECL = re.compile(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", re.S)
_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")


_HELD_SIGNALS = {getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)}


def temp_root() -> str:
    """The temporary folder (``tempfile.gettempdir()``), found with the stop signals held
    back in the calling thread: its first call probes the folder with a file of a random
    name, which a Ctrl-C at that instant would leave behind, out of reach of any cleanup.
    The thread's signal mask is restored before returning (a signal received meanwhile is
    delivered then, once the probe is gone)."""
    block = getattr(signal, "pthread_sigmask", None)
    if block is None:
        return tempfile.gettempdir()
    previous = block(signal.SIG_BLOCK, _HELD_SIGNALS)
    try:
        return tempfile.gettempdir()
    finally:
        block(signal.SIG_SETMASK, previous)


def root_name(head: bytes) -> str | None:
    """Local name of the root element found in ``head`` (UTF-8/Latin-9/UTF-16 bytes), or None."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[1:2] == b"\x00" or head[:1] == b"\x00":
        # UTF-16 (a file re-saved as "Unicode" by Notepad): detect it like the others.
        codec = "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else (
            "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be")
        head = head[: len(head) - len(head) % 2].decode(codec, "ignore").encode("utf-8")
    data = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    pos = 0
    while True:
        m = _DECL.match(data, pos)
        if m is None:
            break
        pos = m.end()
        while pos < len(data) and data[pos:pos + 1] in b" \t\r\n":
            pos += 1
    m = _TAG.match(data, pos)
    return m.group(2).decode("ascii") if m else None

#: Limits for archives (documented in docs/robustness.md).
MAX_ZIP_TOTAL = 512 * 1024 * 1024
MAX_ZIP_MEMBERS = 5000
MAX_ZIP_RATIO = 200
IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
#: Zip-based document formats never opened as archives (an .xlsx is a zip of XML parts).
ZIP_BASED_DOCUMENTS = {".xlsx", ".xlsm", ".docx", ".pptx", ".odt", ".ods", ".odp", ".jar", ".epub"}


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
    """Collects input files; owns the temporary folder of extracted archives.

    ``archives=False``: archives are left out (neither opened nor listed), for a caller
    that only wants to know, early, which plain files an audit will read."""

    def __init__(self, archives: bool = True) -> None:
        self.archives = archives
        self.files: list[InputFile] = []
        self.errors: list[InputError] = []
        self._tmp: str | None = None
        self._extracted = 0  # bytes written from every archive of this discovery
        self._prefix = f"scolint-{os.getpid()}-{os.urandom(4).hex()}-"
        self._started = False

    def __enter__(self) -> "Discovery":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove extracted files (also a folder whose creation a signal interrupted before
        ``mkdtemp`` returned its name: found by this discovery's own prefix)."""
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        if self._started:
            for left in Path(temp_root()).glob(self._prefix + "*"):
                shutil.rmtree(left, ignore_errors=True)

    def add(self, paths: Iterable[str | Path]) -> "Discovery":
        for raw in paths:
            p = Path(raw)
            if not p.exists():
                raise UsageError(f"chemin introuvable : {raw}")
            if p.is_dir():
                self._add_folder(p)
            elif not p.is_file():
                self.errors.append(InputError(shown_name(str(p)), None, _not_regular(p)))
            else:
                self._add_file(p, shown_name(str(p)), shown_name(p.name))
        return self

    def _add_folder(self, root: Path) -> None:
        """Every regular file under ``root``; an unreadable folder or a file that is not a
        regular one (FIFO, socket, device) is an error, never silently skipped."""
        found: list[Path] = []

        def failed(exc: OSError) -> None:
            where = shown_name(str(exc.filename or root))
            self.errors.append(InputError(where, None, f"dossier illisible ({_os_why(exc)}) : son contenu n'est pas audité"))

        for dirpath, dirs, files in os.walk(root, onerror=failed):
            here = Path(dirpath)
            dirs[:] = sorted(d for d in dirs if not _hidden(Path(d)))
            for name in files:
                child = here / name
                if _hidden(child.relative_to(root)) or name in IGNORED_NAMES:
                    continue
                found.append(child)
        for child in sorted(found):
            display = shown_name(str(child))
            try:
                regular = stat.S_ISREG(os.stat(child).st_mode)
            except OSError as exc:
                if child.is_symlink():
                    continue  # a dangling link: nothing to audit
                self.errors.append(InputError(display, None, f"fichier illisible ({_os_why(exc)})"))
                continue
            if not regular:
                self.errors.append(InputError(display, None, _not_regular(child)))
                continue
            self._add_file(child, display, shown_name(child.relative_to(root).as_posix()))

    def _add_file(self, path: Path, display: str, name: str, depth: int = 0) -> None:
        if path.name in IGNORED_NAMES:
            return
        suffix = path.suffix.lower()
        if suffix == ".zip" or (suffix not in ZIP_BASED_DOCUMENTS and _is_zip(path)):
            if not self.archives:
                return
            if depth >= 2:
                self.errors.append(InputError(display, None, "archive imbriquée trop profondément : refusée"))
                return
            self._extract(path, display, name, depth)
            return
        self.files.append(InputFile(path, display, name))

    def _extract(self, path: Path, display: str, name: str, depth: int) -> None:
        if self._tmp is None:
            self._started = True
            self._tmp = tempfile.mkdtemp(prefix=self._prefix, dir=temp_root())
        try:
            if path.stat().st_size > MAX_ZIP_TOTAL:
                self.errors.append(InputError(display, None, "archive trop grosse : refusée"))
                return
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
                struct.error, NotImplementedError) as exc:
            self.errors.append(InputError(display, None, f"archive .zip illisible ou abîmée ({_why(exc)})"))
            return
        with zf:
            infos = [i for i in zf.infolist() if not i.filename.endswith("/")]  # (is_dir() fails on an empty name)
            if len(infos) > MAX_ZIP_MEMBERS:
                self.errors.append(InputError(display, None, f"archive de {len(infos)} fichiers : trop de fichiers (max {MAX_ZIP_MEMBERS})"))  # noqa: E501
                return
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos) or 1
            if (total + self._extracted > MAX_ZIP_TOTAL
                    or total / packed > MAX_ZIP_RATIO and total > 10 * 1024 * 1024):
                self.errors.append(InputError(display, None, "archive suspecte (bombe de décompression) : taille décompressée ou taux de compression excessif, refusée"))  # noqa: E501
                return
            dest = Path(tempfile.mkdtemp(dir=self._tmp))
            for index, info in enumerate(infos):
                shown = f"{display}!{_member_name(info)}"
                reason = _refused_member(info)
                if reason:
                    self.errors.append(InputError(shown, None, reason))
                    continue
                member = PurePosixPath(info.filename.replace("\\", "/"))
                if _hidden(Path(*member.parts)):
                    continue
                # Extracted under a name of ours (index/base name): no path from the
                # archive is ever used on disk, so no clash, no overlong path.
                target = dest / f"{index:05d}" / _safe_name(member.name)
                error = self._copy_member(zf, info, target)
                if error:
                    self.errors.append(InputError(shown, None, error))
                    target.unlink(missing_ok=True)
                    continue
                self._add_file(target, shown, f"{name}!{_member_name(info)}", depth + 1)

    def _copy_member(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> str | None:
        """Copy one member to ``target`` within the limits; return a French error or None."""
        written = 0
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                while True:
                    chunk = src.read(1 << 16)
                    if not chunk:
                        break
                    written += len(chunk)
                    if written > info.file_size:
                        return "taille réelle supérieure à la taille annoncée (archive falsifiée ou abîmée) : fichier refusé"
                    if self._extracted + written > MAX_ZIP_TOTAL:
                        return (f"décompression au-delà de {MAX_ZIP_TOTAL // (1024 * 1024)} Mo "
                                "(bombe de décompression ?) : fichier refusé")
                    out.write(chunk)
        except NotImplementedError:  # (a RuntimeError: caught first)
            return "méthode de compression non prise en charge : fichier refusé (recompressez en .zip standard)"
        except RuntimeError:  # zipfile: "File ... is encrypted, password required"
            return "fichier protégé par un mot de passe dans l'archive : refusé"
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, struct.error) as exc:
            return f"fichier abîmé dans l'archive ({_why(exc)}) : refusé"
        finally:
            self._extracted += written
        return None


_DRIVE = re.compile(r"^[A-Za-z]:")


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author wrote it: without the UTF-8 flag, zipfile reads
    names as CP437, but Windows' own zip writes the OEM code page (CP850 in France)."""
    name = info.filename
    if info.flag_bits & 0x800 or name.isascii():
        return name
    try:
        return name.encode("cp437").decode("cp850")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name


def _refused_member(info: zipfile.ZipInfo) -> str | None:
    """Why an archive member is refused before reading it (None: it may be read)."""
    member = PurePosixPath(info.filename.replace("\\", "/"))
    if member.is_absolute() or ".." in member.parts or (member.parts and _DRIVE.match(member.parts[0])):
        return "chemin hors de l'archive (../ ou absolu) : fichier refusé"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "lien symbolique dans l'archive : refusé"
    if info.flag_bits & 0x1:
        return "fichier protégé par un mot de passe dans l'archive : refusé"
    if not member.name:
        return "nom de fichier vide dans l'archive : refusé"
    return None


def _safe_name(name: str) -> str:
    """``name`` cut to a length every file system accepts, its extension kept."""
    name = "".join(c for c in name if c.isprintable() and c not in ':*?"<>|') or "fichier"
    if len(name.encode("utf-8")) <= 120:
        return name
    suffix = PurePosixPath(name).suffix[:16]
    return name.encode("utf-8")[:100].decode("utf-8", "ignore") + "~" + suffix


def _os_why(exc: OSError) -> str:
    from .outputs import os_error_fr
    return os_error_fr(exc, "")


def _not_regular(path: Path) -> str:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = 0
    kind = ("tube nommé (FIFO)" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode)
            else "périphérique" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "fichier spécial")
    return f"{kind}, ni un dossier ni un fichier ordinaire : non lu"


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return _os_why(exc)
    text = str(exc) or type(exc).__name__
    if text.startswith("Bad CRC-32"):
        return "somme de contrôle fausse : contenu altéré ou falsifié"
    if isinstance(exc, zlib.error):
        return "données compressées abîmées"
    return {"File is not a zip file": "ce n'est pas une archive .zip",
            "Bad magic number for file header": "en-tête de fichier abîmé"}.get(
        text, "archive abîmée ou d'une forme que scolint ne lit pas")  # never zipfile's English text


def shown_name(name: str) -> str:
    """A file name fit for reports: a name that is not UTF-8 (bytes kept by Python as
    surrogates, e.g. ``élèves.xml`` written by Windows in Windows-1252) is read as
    Windows-1252; the file itself is still opened by its real name."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return os.fsencode(name).decode("cp1252", errors="replace")


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


def atomic_write(path: str | Path, data: str | bytes, inputs: Iterable[str | Path] = (),
                 private: bool = False) -> None:
    """Write ``data`` to ``path`` atomically, never over an input nor a non-regular file
    (:func:`scolint.engine.outputs.write_file`)."""
    from .outputs import write_file
    write_file(path, data, inputs, private)


@contextmanager
def inside(folder: Path) -> Iterator[None]:
    """Run the block with ``folder`` as current directory (so reports show short names)."""
    previous = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)
