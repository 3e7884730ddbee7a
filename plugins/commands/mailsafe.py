"""Safe pieces of the e-mails ``scolint send`` builds: header values, addresses, templates.

- :func:`header_text` neutralises a value before it goes into a header: control characters
  (CR, LF, TAB, NUL…) become spaces and an RFC 2047 encoded-word opener ``=?`` is broken,
  so that no value (establishment name, folder name, configuration) can add or split a header
  once the standard library's ``email`` policy decodes and folds it;
- :func:`parse_address` parses and validates one address (no display-name trick, no list);
- :class:`Template` is the subject / recipient template: ``{champ}`` or ``{champ:format}``
  with known fields only, no conversion (``!r``), no attribute or index, widths capped,
  the result capped; checked once before any audit, so a bad template is a usage error;
- :func:`check_headers` re-reads the finished message and refuses any header it did not set.
"""

from __future__ import annotations

import re
import string
import unicodedata
from typing import Any, Iterable

from scolint.engine.errors import UsageError

#: Widest field a template may ask for, longest subject or address it may give.
MAX_WIDTH = 200
MAX_RESULT = 900
_SPEC = re.compile(r"^(?:.?[<>^=])?[+\- ]?#?0?(\d{0,3})?[,_]?(?:\.(\d{1,2}))?[sdnxXobeEfFgG%]?$")
_ADDR = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$")


def header_text(value: Any) -> str:
    """``value`` fit for a header: one line, no control or format character, no encoded-word."""
    text = str(value if value is not None else "")
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)
    text = text.replace("=?", "= ?").replace("?=", "? =")
    return " ".join(text.split())[:MAX_RESULT]


def parse_address(raw: str, where: str) -> str:
    """One e-mail address, validated (``where`` names its origin in the French message)."""
    text = str(raw).strip()
    if not _ADDR.match(text):
        shown = "".join(c if c.isprintable() else "?" for c in text)[:80]
        raise UsageError(f"{where} : adresse électronique invalide « {shown} » (une seule adresse "
                         "nom@domaine attendue, sans nom affiché ni caractère spécial)")
    return text


def parse_sender(raw: str, where: str) -> tuple[str, str]:
    """``(display name, address)`` of the ``from`` setting (``Nom <adresse>`` or ``adresse``)."""
    from email.utils import parseaddr
    text = str(raw).strip()
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise UsageError(f"{where} : caractère de contrôle dans l'adresse d'expéditeur")
    name, addr = parseaddr(text)
    if not addr:
        raise UsageError(f"{where} : adresse d'expéditeur invalide")
    return header_text(name), parse_address(addr, where)


class Template:
    """A ``str.format``-like template over known fields only, bounded."""

    def __init__(self, source: str, fields: Iterable[str], where: str) -> None:
        self.source = str(source)
        self.where = where
        self.fields = set(fields)
        if len(self.source) > MAX_RESULT:
            raise UsageError(f"{where} : modèle trop long ({len(self.source)} caractères, maximum {MAX_RESULT})")
        try:
            self.parts = list(string.Formatter().parse(self.source))
        except ValueError:
            raise UsageError(f"{where} : accolades mal appariées dans le modèle « {self.source} » "
                             "(doublez-les, {{ et }}, pour une accolade seule)") from None
        for _text, name, spec, conv in self.parts:
            if name is None:
                continue
            if name not in self.fields:
                raise UsageError(f"{where} : champ inconnu {{{name}}} dans le modèle (champs possibles : "
                                 f"{', '.join('{' + f + '}' for f in sorted(self.fields))})")
            if conv:
                raise UsageError(f"{where} : conversion « !{conv} » interdite dans le modèle")
            m = _SPEC.match(spec or "")
            if "{" in (spec or "") or not m or int(m.group(1) or 0) > MAX_WIDTH or int(m.group(2) or 0) > 20:
                raise UsageError(f"{where} : format « {spec} » refusé pour {{{name}}} (largeur maximale {MAX_WIDTH})")

    def render(self, values: dict[str, Any]) -> str:
        out = []
        for text, name, spec, _conv in self.parts:
            out.append(text)
            if name is not None:
                value = values[name]
                try:
                    out.append(format(value, spec or ""))
                except (ValueError, TypeError):
                    out.append(format(str(value), ""))
        result = "".join(out)
        return result[:MAX_RESULT]


def check_headers(raw: bytes, expected: Iterable[str]) -> None:
    """Refuse a message whose headers are not exactly ``expected`` (case-insensitive)."""
    import email
    from email import policy
    msg = email.message_from_bytes(raw, policy=policy.default)
    allowed = {h.lower() for h in expected}
    seen = [k.lower() for k in msg.keys()]
    extra = sorted(set(seen) - allowed)
    if extra or len(seen) != len(set(seen)):
        raise UsageError("message refusé : en-tête inattendu (" + ", ".join(extra or ["doublon"]) + ")")
