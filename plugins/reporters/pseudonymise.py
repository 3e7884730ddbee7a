"""Pseudonymisation of an audit result, for reports that leave the establishment.

Names, identifiers, e-mail addresses, phone numbers, birth dates and addresses of the
people of the graph (students, guardians, staff, accounts) are replaced in every
finding by *stable* pseudonyms: ``NOM-3F9A2C`` is the same name in every report made
with the same secret (HMAC-SHA256 keyed by the academy's secret), so a support team can
follow a case across runs and establishments without seeing who it is. The result is
changed before rendering: every reporter (HTML, JSON, SARIF...) benefits.

What is personal is read from the entities' fields (see :data:`FIELD_CATEGORIES`), so
the loaders of other exports are covered when they use the names of the entity
contract (``last_name``, ``first_name``, ``email``, ``login``...).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import re
import secrets
import sys
from pathlib import Path
from typing import Any, Iterable

from scolint.engine.errors import UsageError
from scolint.engine.findings import AuditResult, fingerprint
from scolint.engine.model import Entity, Graph

SECRET_ENV = "SCOLINT_SECRET_PSEUDONYMES"
SECRET_FILE_ENV = "SCOLINT_SECRET_PSEUDONYMES_FICHIER"
DEFAULT_SECRET_FILE = Path("~/.config/scolint/secret-pseudonymes")
MIN_SECRET = 16

#: Field name -> category of personal data (a field ending like a key counts too).
FIELD_CATEGORIES: dict[str, str] = {
    "password": "secret", "mot_de_passe": "secret", "initial_password": "secret",
    "email": "courriel", "mail": "courriel", "courriel": "courriel",
    "ine": "id", "elenoet": "id", "id_etab": "id", "login": "id", "identifiant": "id",
    "uid": "id", "jointure": "id", "ent_id": "id", "pronote_id": "id",
    "phone": "tel", "phone_mobile": "tel", "phone_home": "tel", "phone_work": "tel",
    "birth_date": "date", "address": "adresse",
    "last_name": "nom", "usage_name": "nom", "birth_name": "nom",
    "first_name": "prenom",
}
#: The categories that make an entity a person (its id and label are then personal too).
PERSON_MARKERS = ("nom", "prenom", "courriel", "date", "secret")
#: When one value is in several categories, the first one here wins.
PRIORITY = ("secret", "courriel", "id", "tel", "date", "adresse", "nom", "prenom")
PREFIX = {"id": "ID", "tel": "TEL", "date": "DATE", "adresse": "ADRESSE", "nom": "NOM", "prenom": "Prénom"}
#: Longest value looked for, in words (an address has several).
MAX_WORDS = 14

_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")


def _category(field: str) -> str | None:
    key = field.lower()
    if key in FIELD_CATEGORIES:
        return FIELD_CATEGORIES[key]
    for suffix, cat in (("_password", "secret"), ("_email", "courriel"), ("_mail", "courriel"),
                        ("_login", "id"), ("_phone", "tel"), ("_last_name", "nom"), ("_first_name", "prenom")):
        if key.endswith(suffix):
            return cat
    return None


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text.strip()).casefold()


def _texts(value: Any) -> list[str]:
    """The string forms of a field value (a date also as ``JJ/MM/AAAA``)."""
    if value is None or isinstance(value, (bool, Entity)):
        return []
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _texts(v)]
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    out = [text]
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if m:
        out.append(f"{m.group(3)}/{m.group(2)}/{m.group(1)}")
    return out


class Pseudonymiser:
    """Replaces the personal values of a graph by keyed, stable pseudonyms."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET:
            raise UsageError(f"secret de pseudonymisation trop court ({len(secret)} caractères, "
                             f"au moins {MIN_SECRET} attendus)")
        self.secret = secret
        self.table: dict[str, str] = {}
        self._cat: dict[str, str] = {}

    def pseudonym(self, value: str, category: str) -> str:
        """The pseudonym of ``value`` (case and spaces do not matter)."""
        digest = hmac.new(self.secret, _norm(value).encode("utf-8"), hashlib.sha256).hexdigest()[:6].upper()
        if category == "courriel":
            return f"courriel-{digest.lower()}@pseudonyme.invalid"
        if category == "secret":
            return "••••••"
        return f"{PREFIX[category]}-{digest}"

    def add(self, value: Any, category: str) -> None:
        for text in _texts(value):
            key = _norm(text)
            if len(key) < 2:
                continue
            old = self._cat.get(key)
            if old is None or PRIORITY.index(category) < PRIORITY.index(old):
                self._cat[key] = category
                self.table[key] = self.pseudonym(text, category)

    def learn(self, graph: Graph) -> "Pseudonymiser":
        """Collect the personal values of every entity of ``graph``."""
        for ent in graph:
            cats = [(name, _category(name)) for name in ent.data]
            found = [(name, cat) for name, cat in cats if cat]
            if not found:
                continue
            for name, cat in found:
                self.add(ent.data[name], cat)
            if any(cat in PERSON_MARKERS for _, cat in found):
                self.add(ent.id, "id")
        return self

    def text(self, value: str) -> str:
        """``value`` with every personal value replaced (longest match, whole words)."""
        if not value or not self.table:
            return value
        words = list(_WORD.finditer(value))
        out: list[str] = []
        pos = i = 0
        while i < len(words):
            start = words[i].start()
            match = None
            for j in range(min(len(words), i + MAX_WORDS) - 1, i - 1, -1):
                key = _norm(value[start:words[j].end()])
                if key in self.table:
                    match = (j, self.table[key])
                    break
            if match is None:
                i += 1
                continue
            out.append(value[pos:start])
            out.append(match[1])
            pos = words[match[0]].end()
            i = match[0] + 1
        out.append(value[pos:])
        return "".join(out)

    def apply(self, result: AuditResult, graph: Graph | None = None) -> AuditResult:
        """Pseudonymise ``result`` in place (learning ``graph`` first) and return it."""
        if graph is not None:
            self.learn(graph)
        t = self.text
        for f in result.findings:
            f.message = t(f.message)
            f.entity_label = t(f.entity_label)
            f.entity_id = t(f.entity_id)
            f.related = [{k: t(v) if k in ("id", "label") else v for k, v in r.items()} for r in f.related]
            f.context = {k: t(v) for k, v in f.context.items()}
            f.fingerprint = fingerprint(f.rule_id, f.entity_kind, f.entity_source,
                                        [f.entity_id] + [r["id"] for r in f.related])
        result.meta["pseudonymised"] = True
        return result


# -- secret and command line ------------------------------------------------------------
def load_secret(path: str | None = None, create_default: bool = True) -> bytes:
    """The academy's secret: ``path``, else ``$SCOLINT_SECRET_PSEUDONYMES``, else the file
    named by ``$SCOLINT_SECRET_PSEUDONYMES_FICHIER``, else ``~/.config/scolint/secret-pseudonymes``
    (created with a random secret, readable by its owner only, when absent)."""
    if not path and os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV].strip().encode("utf-8")
    chosen = path or os.environ.get(SECRET_FILE_ENV)
    file = Path(chosen).expanduser() if chosen else DEFAULT_SECRET_FILE.expanduser()
    if not file.exists():
        if chosen or not create_default:
            raise UsageError(f"fichier du secret de pseudonymisation introuvable : {file}")
        file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        print(f"scolint : secret de pseudonymisation créé dans {file} ; partagez ce fichier au sein de "
              "l'équipe académique pour obtenir les mêmes pseudonymes.", file=sys.stderr)
    try:
        return file.read_text("utf-8").strip().encode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        from scolint.engine.outputs import read_error_fr
        raise UsageError(f"secret de pseudonymisation illisible : {file} ({read_error_fr(exc)})") from None


def add_options(p: argparse.ArgumentParser) -> None:
    """``--pseudonymise`` and ``--secret-pseudonymes`` for a command that writes reports."""
    p.add_argument("--pseudonymise", "--pseudonymiser", dest="pseudonymise", action="store_true",
                   help="remplacer noms et identifiants des personnes par des pseudonymes stables "
                        "(rapports destinés à sortir de l'établissement)")
    p.add_argument("--secret-pseudonymes", dest="pseudo_secret", metavar="FICHIER",
                   help=f"fichier du secret de pseudonymisation (défaut : ${SECRET_ENV}, "
                        f"${SECRET_FILE_ENV} ou {DEFAULT_SECRET_FILE})")


def from_args(args: argparse.Namespace) -> Pseudonymiser | None:
    """A pseudonymiser when ``--pseudonymise`` was given (the secret is read now)."""
    if not getattr(args, "pseudonymise", False):
        return None
    return Pseudonymiser(load_secret(getattr(args, "pseudo_secret", None)))


def audit_with_graph(auditor: Any, inputs: Iterable[str | Path]) -> tuple[AuditResult, Graph]:
    """Like ``Auditor.audit`` but also return the graph (for :meth:`Pseudonymiser.learn`)."""
    import datetime as dt
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    graph, shown = auditor.load(list(inputs))
    return auditor.evaluate(graph, shown, started), graph
