"""National identifiers: UAI (establishment) and INE (pupil), as rule filters.

- UAI: 7 digits and a key letter fixed by the digits (../shared/domain.md; the generator
  computes it the same way). Defined in engine/uai.py, whose policy rests on it (an invalid
  UAI is an unknown establishment, never a second one); re-exported here for the filters.
- INE: 11 characters in one of the national forms: 9 digits + 2 letters (INE-RNIE, since
  the 2018 school year), 10 digits + 1 letter (INE-BEA, before), 4 digits + ``A`` +
  5 digits + 1 letter (apprenticeship). No public source gives the algorithm of the key
  character(s), so only the form is checked (docs/formats-siecle-sts.md cites the sources).
"""

from __future__ import annotations

import re
from typing import Any

from scolint.engine.uai import UAI_KEYS, uai_key, uai_problem  # noqa: F401  (the engine owns the establishment identity)

_INE_FORMS = (
    (re.compile(r"^[0-9]{9}[A-Za-z]{2}$"), "INE-RNIE"),
    (re.compile(r"^[0-9]{10}[A-Za-z]$"), "INE-BEA"),
    (re.compile(r"^[0-9]{4}A[0-9]{5}[A-Za-z]$"), "INE apprentissage"),
)


def ine_form(value: Any) -> str | None:
    """The national form ``value`` has (``INE-RNIE``…), or None when it has none."""
    text = str(value or "").strip()
    for pattern, name in _INE_FORMS:
        if pattern.match(text):
            return name
    return None


def ine_problem(value: Any) -> str | None:
    """``absent``, a French description of a malformed INE, or None when well formed."""
    text = str(value or "").strip()
    if not text:
        return "absent"
    if ine_form(text):
        return None
    return (f"« {text} » ({len(text)} caractères) n'a aucune des formes nationales : 9 chiffres et 2 lettres "
            "(INE-RNIE), 10 chiffres et 1 lettre (INE-BEA) ou 4 chiffres, A, 5 chiffres et 1 lettre (apprentissage)")


def phone(value: Any) -> str | None:
    """A phone number reduced to its digits, ``+33``/``0033`` written as ``0``: ``+33 6 12…``
    and ``06.12…`` compare equal (None when there is no digit)."""
    digits = re.sub(r"\D", "", str(value or ""))
    if not digits:
        return None
    for prefix in ("0033", "33"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 9:
            return "0" + digits[len(prefix):]
    return digits


def prefixed(values: Any, prefix: str) -> list[str]:
    """``[prefix + value]`` for each non-empty value (a list, or one value)."""
    items = values if isinstance(values, (list, tuple)) else [values]
    return [f"{prefix}{v}" for v in items if v is not None and str(v) != ""]
