"""Built-in expression filters and tests for rule authors.

- ``fold``: removes accents, case and extra spaces/hyphens/apostrophes, so that
  « Dupont-Lefèvre » and « DUPONT LEFEVRE » compare equal.
- ``sts_group_name``: the name EDT sends to STSWEB for a group (cleaned, truncated).
- ``sts_clean``: the name with the characters STSWEB refuses removed (not truncated).
- ``ids``: the ids of a list of entities; ``codes``: the ``code`` field of each;
  ``values(name)``: the non-empty field ``name`` of each.
- ``date``: parses dd/mm/yyyy or yyyy-mm-dd into a date (None when empty/invalid).
- ``uai_problem`` / ``uai_key`` / ``ine_problem``: national identifier checks
  (plugins/common/identity.py): what is wrong with a UAI or an INE, or None.
- ``phone``: a phone number's digits (``+33`` as ``0``); ``prefixed(p)``: ``p`` before each value.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any, Iterable

from scolint.engine import hookimpl
from scolint.engine.memo import BoundedMemo
from scolint.engine.registry import Registries
from scolint.plugins.common import identity

_SPACES = re.compile(r"[\s\-'’_.]+")

#: STSWEB limits for group codes. The tutorial says EDT truncates group names over
#: 8 characters and removes refused characters; which characters are refused is not
#: publicly documented (formats.md §11): the default below keeps letters, digits,
#: space, "_" and "-". Both are filter arguments, passed explicitly by the rules
#: (``sts_group_name(8, 'A-Za-z0-9 _-')``) so a rule pack can change them (docs/formats-edt.md).
STS_GROUP_MAX = 8
STS_GROUP_ALLOWED = r"A-Za-z0-9 _\-"


def fold(value: Any) -> str:
    """Fold accents, case and separators: ``fold("  Lefèvre-Éloïse ")`` -> ``"lefevre eloise"``."""
    if type(value) is str:
        return _FOLDED[value]
    if value is None:
        return ""
    return _fold(str(value))


def _fold(text: str) -> str:
    if not text.isascii():  # ASCII text (most codes, addresses, e-mails) has nothing to fold
        text = unicodedata.normalize("NFKD", text)
        text = "".join([c for c in text if not _combining(c)])
        text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    return _SPACES.sub(" ", text).strip().casefold()


#: Folded texts by text: rules fold the same names and addresses again and again (one key
#: per guardian, per ENT account...).
_FOLDED = BoundedMemo(_fold)

_combining = unicodedata.combining


def sts_clean(value: Any, allowed: str = STS_GROUP_ALLOWED) -> str:
    """Remove the characters STSWEB refuses (accents are folded first)."""
    text = unicodedata.normalize("NFKD", str(value or ""))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(f"[^{allowed}]", "", text)


def sts_group_name(value: Any, length: int = STS_GROUP_MAX, allowed: str = STS_GROUP_ALLOWED) -> str:
    """The group name as EDT exports it to STSWEB: cleaned, then cut to ``length``."""
    return sts_clean(value, allowed)[:length]


def ids(entities: Iterable[Any]) -> list[str]:
    """The ``id`` of each entity of a list."""
    return [getattr(e, "id", e) for e in (entities or [])]


def values(entities: Iterable[Any], name: str) -> list[Any]:
    """The non-empty field ``name`` of each entity of a list (``students | values('address_id')``)."""
    out = []
    for e in entities or []:
        value = e.get(name) if hasattr(e, "get") else None
        if value not in (None, "", []):
            out.append(value)
    return out


def codes(entities: Iterable[Any]) -> list[str]:
    """The ``code`` field of each entity of a list."""
    out = []
    for e in entities or []:
        try:
            out.append(e["code"])
        except (KeyError, TypeError):
            out.append(getattr(e, "id", e))
    return out


def to_date(value: Any) -> dt.date | None:
    """Parse ``dd/mm/yyyy`` or ``yyyy-mm-dd``; None when empty or invalid."""
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


@hookimpl
def scolint_register(registries: Registries) -> None:
    for name, fn in (("fold", fold), ("sts_clean", sts_clean), ("sts_group_name", sts_group_name),
                     ("ids", ids), ("codes", codes), ("values", values), ("date", to_date),
                     ("uai_problem", identity.uai_problem), ("uai_key", identity.uai_key),
                     ("ine_problem", identity.ine_problem), ("phone", identity.phone),
                     ("prefixed", identity.prefixed)):
        registries.filters.add(name, fn)
