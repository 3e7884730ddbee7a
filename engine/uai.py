"""The establishment's identity (UAI): 7 digits and a key letter fixed by the digits.

The letter is the 7-digit number modulo 23 as an index in ``ABCDEFGHJKLMNPRSTUVWXYZ`` (no I,
O, Q): ``0310040A`` is right, ``0134567A`` is not (the 7 digits call for ``U``). The engine
owns it because its policy rests on it: exports of different establishments are never
joined, and an invalid UAI is an unknown establishment, not a second one (the rule
X-UAI-002 reports it; rules read it through the ``uai_problem`` filter).
"""

from __future__ import annotations

import re
from typing import Any

UAI_KEYS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_UAI = re.compile(r"^[0-9]{7}[A-Za-z]$")


def uai_key(value: Any) -> str | None:
    """The key letter the 7 digits of ``value`` call for (None when they are not 7 digits)."""
    text = str(value or "").strip()
    if len(text) < 7 or not text[:7].isascii() or not text[:7].isdigit():
        return None
    return UAI_KEYS[int(text[:7]) % 23]


def uai_problem(value: Any) -> str | None:
    """None for a right UAI; else what is wrong with it, in French."""
    text = str(value or "").strip()
    if not text:
        return None
    if not _UAI.match(text):
        return "un UAI s'écrit avec 7 chiffres suivis d'une lettre clé"
    key = uai_key(text)
    if text[7].upper() != key:
        return f"la lettre clé ne correspond pas aux 7 chiffres (attendu : {text[:7]}{key})"
    return None

