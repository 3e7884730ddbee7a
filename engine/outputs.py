"""Every file scolint writes goes through here: outputs never touch inputs.

:func:`check_output` refuses (``UsageError``, exit 2, French message) an output path that

- is one of the inputs of the command, or any *existing* file inside an input folder (an
  audited folder or archive), compared after resolving symbolic links and by device and
  inode (hard links included);
- exists and is not a regular file (directory, device, FIFO, socket).

A *new* file inside an audited folder is allowed (``check demo/ -o demo/rapport.md``).
:func:`write_file` writes atomically (temporary file in the same folder, then
``os.replace``): a full disk, a signal or a crash leaves the previous file (or nothing),
never half a file. Files that hold ENT codes (``private=True``) are created ``0600``
whatever the umask; reports follow the umask (``0644`` with the usual ``022``).
Operating-system errors become French sentences (:func:`os_error_fr`).
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Iterable

from .errors import UsageError

#: What a path that is not a regular file is called in messages.
_KINDS = ((stat.S_ISDIR, "un dossier"), (stat.S_ISCHR, "un périphérique"), (stat.S_ISBLK, "un périphérique"),
          (stat.S_ISFIFO, "un tube nommé (FIFO)"), (stat.S_ISSOCK, "une socket"))

_ERRNO_FR = {
    errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota disque dépassé",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENAMETOOLONG: "nom de fichier trop long",
    errno.EISDIR: "c'est un dossier",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EEXIST: "le fichier existe déjà",
    errno.EIO: "erreur d'entrée-sortie du disque",
    errno.EFBIG: "fichier trop gros",
    errno.EMFILE: "trop de fichiers ouverts",
    errno.ELOOP: "trop de liens symboliques",
    errno.EXDEV: "déplacement entre deux disques impossible",
    errno.ENXIO: "périphérique absent",
    errno.ECONNREFUSED: "connexion refusée",
    errno.ETIMEDOUT: "délai dépassé",
    errno.EHOSTUNREACH: "machine injoignable",
    errno.ENETUNREACH: "réseau injoignable",
    errno.ECONNRESET: "connexion interrompue par l'autre partie",
    errno.EPIPE: "connexion ou tube fermé",
}


def os_error_fr(exc: OSError, path: str | Path | None = None) -> str:
    """A French sentence for an operating-system error (no English, no traceback)."""
    import socket
    import ssl
    if isinstance(exc, ssl.SSLError):
        return "échec de la négociation TLS (certificat du serveur non reconnu ou protocole refusé)"
    if isinstance(exc, socket.gaierror):
        return "nom de serveur inconnu"
    if isinstance(exc, TimeoutError) and not exc.errno:
        return "délai dépassé"
    why = _ERRNO_FR.get(exc.errno or 0, f"erreur système n° {exc.errno}" if exc.errno else "erreur système")
    where = path if path is not None else exc.filename
    return f"{where} : {why}" if where else why



def read_error_fr(exc: BaseException) -> str:
    """A French reason why a file of ours (project file, baseline, key, tokens...) could not be
    read: never the exception's English text (docs/decisions.md, « Erreurs internes : aucun
    texte d'exception montré »); the caller names the file."""
    if isinstance(exc, UnicodeDecodeError):
        byte = exc.object[exc.start] if exc.start < len(exc.object) else 0
        return f"texte qui n'est pas en {exc.encoding.upper()} (octet {byte:#04x} à la position {exc.start})"
    if isinstance(exc, OSError):
        return os_error_fr(exc, path="")
    import json
    if isinstance(exc, json.JSONDecodeError):
        return f"JSON incorrect (ligne {exc.lineno}, colonne {exc.colno})"
    if isinstance(exc, RecursionError):
        return "données trop profondément imbriquées"
    return "contenu illisible"

#: Unicode controls that reorder text (bidi overrides, isolates, marks).
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def terminal_text(value: object) -> str:
    """``value`` for a terminal: control characters (escape sequences, CR, BEL…) and bidi
    overrides shown as ``\\x1b``, ``\\u202e``… instead of acting on the terminal; line
    breaks kept only when ``value`` is a multi-line text of ours (never in a value)."""
    text = str(value if value is not None else "")
    if text.isprintable() and not BIDI.intersection(text):
        return text
    return "".join(c if (c.isprintable() and c not in BIDI) or c == " " else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


class Inputs:
    """The files and folders a command reads, to keep its outputs off them."""

    def __init__(self, paths: Iterable[str | Path] = ()) -> None:
        self.folders: list[Path] = []
        self.ids: set[tuple[int, int]] = set()
        for raw in paths:
            self.add(raw)

    def add(self, raw: str | Path | None) -> None:
        if raw is None or str(raw) in ("", "-"):
            return
        p = Path(raw)
        try:
            resolved = p.resolve()
        except (OSError, RuntimeError):
            return
        if resolved.is_dir():
            self.folders.append(resolved)
            ident = _identity(resolved)
            if ident:
                self.ids.add(ident)
            for dirpath, _dirs, files in os.walk(resolved, onerror=lambda e: None):
                for name in files:
                    ident = _identity(Path(dirpath) / name)
                    if ident:
                        self.ids.add(ident)
        else:
            ident = _identity(resolved)
            if ident:
                self.ids.add(ident)

    def inside(self, path: Path) -> bool:
        """True when ``path`` (resolved) is inside one of the input folders."""
        return any(path == f or f in path.parents for f in self.folders)


def check_output(output: str | Path, inputs: Inputs | Iterable[str | Path] = (), what: str = "fichier de sortie") -> Path:
    """The output path, or ``UsageError`` when writing there would destroy something."""
    if not isinstance(inputs, Inputs):
        inputs = Inputs(inputs)
    target = Path(output)
    text = str(output)
    if not text or "\x00" in text:
        raise UsageError(f"{what} : nom de fichier vide ou invalide")
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise UsageError(f"{what} inutilisable : {os_error_fr(exc, text)}") from None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            kind = next((name for test, name in _KINDS if test(st.st_mode)), "un fichier spécial")
            raise UsageError(f"{what} {text} refusé : c'est {kind}, pas un fichier ordinaire "
                             "(donnez le chemin d'un nouveau fichier, ou « - » pour la sortie standard)")
        if (st.st_dev, st.st_ino) in inputs.ids:
            raise UsageError(f"{what} {text} refusé : c'est un fichier d'entrée (ou un lien vers lui) ; "
                             "il serait écrasé. Choisissez un autre nom.")
        try:
            resolved = target.resolve()
        except (OSError, RuntimeError):
            resolved = target.absolute()
        if inputs.inside(resolved):
            raise UsageError(f"{what} {text} refusé : ce fichier existe déjà dans un dossier audité ; "
                             "scolint n'écrase jamais un fichier des données auditées. Choisissez un nouveau nom.")
    return target


def glob_escape(text: str) -> str:
    import glob
    return glob.escape(text)


def _write(fd: int, data: bytes) -> int:
    """The one place bytes reach the disk (tests inject a full disk here)."""
    return os.write(fd, data)


def write_file(output: str | Path, data: str | bytes, inputs: Inputs | Iterable[str | Path] = (),
               private: bool = False, what: str = "fichier de sortie") -> Path:
    """Check ``output`` (:func:`check_output`) and write ``data`` to it atomically.

    ``private``: the file holds codes or secrets; created ``0600`` whatever the umask.
    Any OS error is a ``UsageError`` with a French sentence; the temporary file is removed.
    """
    target = check_output(output, inputs, what)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    prefix = f".{target.name[:100]}.{os.getpid()}-{os.urandom(4).hex()}."
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=str(target.parent))
    except OSError as exc:
        raise UsageError(f"écriture impossible : {os_error_fr(exc, target.parent if exc.filename else target)}") from None
    except BaseException:  # a signal between the creation of the file and mkstemp's return
        for left in target.parent.glob(glob_escape(prefix) + "*.tmp"):
            left.unlink(missing_ok=True)
        raise
    try:
        try:
            if private:
                os.fchmod(fd, 0o600)
            else:
                umask = _umask()
                os.fchmod(fd, 0o666 & ~umask)
            view = memoryview(payload)
            while view:
                n = _write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise UsageError(f"écriture impossible : {os_error_fr(exc, target)}") from None
        raise
    return target


def _umask() -> int:
    """The process's umask, read without changing it when the system allows (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text_or_stdout(output: str | None, data: str | bytes, inputs: Inputs | Iterable[str | Path] = (),
                         private: bool = False, what: str = "fichier de sortie") -> bool:
    """Write to ``output``, or to the standard output for ``None`` / ``-``; True when a file was written."""
    if output is None or output == "-":
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data if data.endswith("\n") else data + "\n")
        return False
    write_file(output, data, inputs, private, what)
    return True


def check_folder(folder: str | Path, inputs: Inputs | Iterable[str | Path] = (), what: str = "dossier de sortie",
                 forbid_inside: Iterable[Path] = ()) -> Path:
    """A folder to write into: not an existing non-folder, not inside one of ``forbid_inside``."""
    if not isinstance(inputs, Inputs):
        inputs = Inputs(inputs)
    target = Path(folder)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise UsageError(f"{what} inutilisable : {os_error_fr(exc, folder)}") from None
    if st is not None and not stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{what} {folder} refusé : ce n'est pas un dossier")
    try:
        resolved = target.resolve()
    except (OSError, RuntimeError):
        resolved = target.absolute()
    for other in forbid_inside:
        o = other.resolve()
        if resolved == o or o in resolved.parents:
            raise UsageError(f"{what} {folder} refusé : il est dans le dossier d'un établissement audité ({other})")
    if st is not None and (st.st_dev, st.st_ino) in inputs.ids and resolved not in inputs.folders:
        raise UsageError(f"{what} {folder} refusé : c'est une entrée")
    return target
