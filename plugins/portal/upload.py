"""Read a ``multipart/form-data`` upload as it arrives, straight into a private folder.

Nothing is buffered beyond one chunk: each file part is written under ``folder/envoi``
with a cleaned name, the request's size and the number of files are checked as the bytes
come, and the CSRF field (placed first in the form) is checked before any file is
written. Every refusal is a :class:`Refused` carrying an HTTP status and a French message.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import IO, Callable

from python_multipart.multipart import MultipartParser, parse_options_header

#: Form fields read (bounded in size); any other field is ignored.
FIELDS = ("csrf",)
MAX_FIELD = 4096

class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

def clean_name(raw: str) -> str:
    """A file name safe on disk: the base name only, printable, at most 120 bytes, no dot first."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if c.isprintable() and c not in ':*?"<>|\x00').strip()
    name = name.lstrip(".") or "fichier"
    if len(name.encode("utf-8")) > 120:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:16] if dot else ""
        name = name.encode("utf-8")[:100].decode("utf-8", "ignore") + ("~." + ext if ext else "~")
    return name

class UploadReader:
    """Feed it the body's chunks with :meth:`feed`, then call :meth:`close`."""

    def __init__(self, content_type: str, folder: Path, max_bytes: int, max_files: int,
                 csrf_ok: Callable[[str], bool], csrf_done: bool) -> None:
        ctype, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if ctype != b"multipart/form-data" or not boundary:
            raise Refused(400, "formulaire d'envoi attendu (multipart/form-data) : utilisez la page d'envoi")
        self.folder = folder
        self.folder.mkdir(mode=0o700)
        self.max_bytes, self.max_files = max_bytes, max_files
        self.csrf_ok, self.csrf_done = csrf_ok, csrf_done
        self.received = 0
        self.files: list[str] = []
        self.fields: dict[str, str] = {}
        self._headers: dict[bytes, bytes] = {}
        self._field = b""
        self._value = b""
        self._name = ""
        self._out: IO[bytes] | None = None
        self._buffer: bytearray | None = None
        self._parser = MultipartParser(boundary, {
            "on_part_begin": self._part_begin, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished, "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }, max_header_count=16)

    # -- callbacks ----------------------------------------------------------------------
    def _part_begin(self) -> None:
        self._headers = {}
        self._field = self._value = b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def _headers_finished(self) -> None:
        _disp, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = params.get(b"name", b"").decode("utf-8", "replace")
        filename = params.get(b"filename")
        self._out, self._buffer = None, None
        if filename is None:
            self._buffer = bytearray() if self._name in FIELDS else None
            return
        if not self.csrf_done:
            raise Refused(403, "formulaire refusé : jeton anti-falsification absent ou faux. Rechargez la page "
                               "d'envoi et recommencez.")
        shown = filename.decode("utf-8", "replace")
        if not shown:  # the browser's empty part when no file was chosen
            return
        if len(self.files) >= self.max_files:
            raise Refused(413, f"trop de fichiers : {self.max_files} au plus par envoi. Regroupez-les dans une "
                               "archive .zip ou envoyez-les en plusieurs fois.")
        name = clean_name(shown)
        taken = {f.lower() for f in self.files}
        if name.lower() in taken:
            stem, dot, ext = name.rpartition(".")
            n = 2
            while f"{stem or name} ({n}){dot}{ext if stem else ''}".lower() in taken:
                n += 1
            name = f"{stem or name} ({n}){dot}{ext if stem else ''}"
        self.files.append(name)
        self._out = open(self.folder / name, "xb")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._out is not None:
            self._out.write(data[start:end])
        elif self._buffer is not None:
            self._buffer += data[start:end]
            if len(self._buffer) > MAX_FIELD:
                raise Refused(400, f"champ « {self._name} » trop long")

    def _part_end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        elif self._buffer is not None:
            value = self._buffer.decode("utf-8", "replace")
            self.fields[self._name] = value
            if self._name == "csrf" and not self.csrf_done:
                if not self.csrf_ok(value):
                    raise Refused(403, "formulaire refusé : jeton anti-falsification faux ou expiré. Rechargez la "
                                       "page d'envoi et recommencez.")
                self.csrf_done = True
            self._buffer = None

    # -- driving ------------------------------------------------------------------------
    def feed(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received > self.max_bytes:
            raise Refused(413, f"envoi trop gros : {self.max_bytes // (1024 * 1024)} Mo au plus. Envoyez les "
                               "exports en plusieurs fois.")
        try:
            self._parser.write(chunk)
        except Refused:
            raise
        except Exception:  # python-multipart's parse errors: a damaged or forged body
            raise Refused(400, "envoi illisible (formulaire abîmé ou interrompu) : recommencez l'envoi") from None

    def close(self) -> None:
        """End of the body: every file must be complete."""
        try:
            self._parser.finalize()
        except Exception:
            raise Refused(400, "envoi incomplet (connexion interrompue ?) : recommencez l'envoi") from None
        if self._out is not None:
            self._out.close()
            raise Refused(400, "envoi incomplet (connexion interrompue ?) : recommencez l'envoi")
        if not self.csrf_done:
            raise Refused(403, "formulaire refusé : jeton anti-falsification absent. Rechargez la page d'envoi.")
        if not self.files:
            raise Refused(400, "aucun fichier reçu : choisissez les exports (ou une archive .zip) à envoyer")

    def abort(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
