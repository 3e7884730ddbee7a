"""Access tokens of the portal: one per establishment, academy tokens for the dashboard.

A token is 32 random bytes (``secrets.token_urlsafe``), shown once when it is created and
stored only as its SHA-256 digest in ``jetons.json`` of the data folder (mode 0600). A
random 256-bit token cannot be guessed nor found from its digest by a dictionary: a slow
password hash (bcrypt, scrypt) would only slow down every request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from scolint.engine.errors import UsageError

TOKENS_FILE = "jetons.json"
UAI_RE = re.compile(r"^\d{7}[A-Z]$")
#: Role of an establishment's token and of an academy token.
SCHOOL, ACADEMY = "etablissement", "academie"


@dataclass(frozen=True)
class Principal:
    """Who is asking: an establishment (its UAI) or the academy team (``label``)."""

    role: str
    key: str  # the UAI of an establishment, the label of an academy token

    @property
    def is_academy(self) -> bool:
        return self.role == ACADEMY


def digest(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_uai(raw: str) -> str:
    uai = raw.strip().upper()
    if not UAI_RE.match(uai):
        raise UsageError(f"UAI invalide « {raw} » : 7 chiffres et une lettre attendus (ex. 0312201Z)")
    return uai


class TokenStore:
    """``jetons.json`` of a data folder: read at each check (a revoked token stops at once)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / TOKENS_FILE

    def _read(self) -> list[dict[str, str]]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            from scolint.engine.outputs import read_error_fr
            raise UsageError(f"{self.path} : fichier des jetons illisible ({read_error_fr(exc)})") from None
        entries = data.get("jetons") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise UsageError(f"{self.path} : clé « jetons » (liste) attendue")
        return [e for e in entries if isinstance(e, dict)]

    def _write(self, entries: list[dict[str, str]]) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{TOKENS_FILE}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"jetons": entries}, fh, ensure_ascii=False, indent=2)
                fh.write("\n")
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def create(self, role: str, key: str) -> str:
        """A new token for ``key`` (an establishment's UAI or an academy label); returned once."""
        token = secrets.token_urlsafe(32)
        entries = self._read()
        entries.append({"role": role, "cle": key, "empreinte": digest(token),
                        "cree_le": dt.datetime.now().astimezone().isoformat(timespec="seconds")})
        self._write(entries)
        return token

    def revoke(self, key: str) -> int:
        """Remove every token of ``key``; the number removed."""
        entries = self._read()
        kept = [e for e in entries if e.get("cle") != key]
        if len(kept) != len(entries):
            self._write(kept)
        return len(entries) - len(kept)

    def entries(self) -> list[dict[str, str]]:
        """Role, key and creation date of every token (never a digest)."""
        return [{"role": e.get("role", ""), "cle": e.get("cle", ""), "cree_le": e.get("cree_le", "")}
                for e in self._read()]

    def check(self, token: str) -> Principal | None:
        """The principal of ``token``, or None (compared in constant time)."""
        if not token or len(token) > 200:
            return None
        wanted = digest(token.strip())
        found = None
        for e in self._read():
            if hmac.compare_digest(str(e.get("empreinte", "")), wanted) and e.get("role") in (SCHOOL, ACADEMY):
                found = Principal(str(e["role"]), str(e.get("cle", "")))
        return found
