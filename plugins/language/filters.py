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
- ``days_between``, ``latest``, ``earliest``: days from one date to another, the latest /
  earliest date of a list (empty values ignored; None when nothing to compare).

Every filter is safe on an empty value (None, ''): it gives an empty result, never an
error. French descriptions and examples (``DOCS``) feed docs/catalogue.md.
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


def read_from(entities: Iterable[Any], file: Any) -> list[Any]:
    """The entities of a list read from the file ``file`` (an export's ``file``)."""
    wanted = str(file or "")
    return [e for e in (entities or []) if any(p.file == wanted for p in (getattr(e, "prov", None) or ()))]


def well_formed_ines(numbers: Iterable[Any]) -> list[Any]:
    """The values of a list that have a national INE form."""
    return [n for n in (numbers or []) if n not in (None, "") and identity.ine_problem(n) is None]


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


_FR_DATE = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")
_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")


def to_date(value: Any) -> dt.date | None:
    """Parse ``dd/mm/yyyy`` or ``yyyy-mm-dd`` (a time after it is ignored: ``2024-10-28T09:38``,
    ``28/10/2024 09:38``); None when empty or invalid."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "")
    m = _FR_DATE.match(text)
    try:
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        m = _ISO_DATE.match(text)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:  # 31/02/2024
        return None
    return None


def days_between(start: Any, end: Any) -> int | None:
    """Days from ``start`` to ``end`` (dates or texts); None when either is empty or invalid."""
    a, b = to_date(start), to_date(end)
    if a is None or b is None:
        return None
    return (b - a).days


def _dates(values: Any) -> list[dt.date]:
    if values is None or isinstance(values, (str, dt.date)):
        values = [values]
    out = []
    for v in values or []:
        d = to_date(v)
        if d is not None:
            out.append(d)
    return out


def latest(values: Any) -> dt.date | None:
    """The latest date of a list of dates or texts (empty values ignored), or None."""
    dates = _dates(values)
    return max(dates) if dates else None


def earliest(values: Any) -> dt.date | None:
    """The earliest date of a list of dates or texts (empty values ignored), or None."""
    dates = _dates(values)
    return min(dates) if dates else None


#: French description and example of each filter (docs/catalogue.md).
DOCS: dict[str, tuple[str, str]] = {
    "read_from": ("Les entités d'une liste lues dans le fichier donné (le `file` d'un export).",
                  "audit.entities.edt_student | read_from(export.file) | length"),
    "well_formed_ines": ("Les valeurs d'une liste qui ont une forme nationale d'INE (voir `ine_problem`).",
                         "audit.entities.edt_student | values('ine') | well_formed_ines | length"),
    "values": ("Le champ donné, non vide, de chaque entité d'une liste ; une valeur vide donne une liste vide.",
               "guardian.students | values('address_id')"),
    "uai_problem": ("Ce qui ne va pas dans un UAI (forme : 7 chiffres et une lettre ; lettre clé = nombre modulo 23 "
                    "dans ABCDEFGHJKLMNPRSTUVWXYZ), ou rien s'il est juste ou vide.",
                    "not (export.uai | uai_problem)"),
    "uai_key": ("La lettre clé que les 7 chiffres d'un UAI appellent (rien si ce ne sont pas 7 chiffres).",
                "export.uai | uai_key"),
    "ine_problem": ("« absent », ou ce qui ne va pas dans la forme d'un INE (9 chiffres + 2 lettres, 10 chiffres + "
                    "1 lettre, ou 4 chiffres, A, 5 chiffres et 1 lettre), ou rien s'il a une forme nationale.",
                    "not (student.ine | ine_problem)"),
    "phone": ("Les chiffres d'un numéro de téléphone, +33 lu 0 (rien sans chiffre).", "guardian.phone_mobile | phone"),
    "prefixed": ("Le texte donné devant chaque valeur non vide (une liste, ou une valeur).",
                 "guardian.address_id | prefixed('ADRESSE_ID ')"),
    "fold": ("Replie accents, casse, espaces, tirets et apostrophes pour comparer deux noms ; "
             "une valeur vide donne un texte vide.",
             "student.last_name | fold == edt_student.last_name | fold"),
    "sts_clean": ("Retire les caractères que STSWEB refuse dans un code de groupe (accents repliés), sans "
                  "couper ; second argument facultatif : les caractères permis.",
                  "edt_group.name | sts_clean != edt_group.name"),
    "sts_group_name": ("Le nom de groupe tel qu'EDT l'envoie à STSWEB : nettoyé puis coupé à la longueur "
                       "donnée (8 par défaut).",
                       "edt_group.name | sts_group_name(8, 'A-Za-z0-9 _-')"),
    "ids": ("Les identifiants (`id`) d'une liste d'entités ; une valeur vide donne une liste vide.",
            "student.guardians | ids"),
    "codes": ("Le champ `code` de chaque entité d'une liste (à défaut son `id`).",
              "student.divisions | codes | length > 1"),
    "date": ("Lit une date écrite JJ/MM/AAAA ou AAAA-MM-JJ ; rien (vide) si la valeur est vide ou invalide : "
             "jamais d'erreur.",
             "(student.birth_date | date).year"),
    "days_between": ("Nombre de jours de la première date à la seconde (textes ou dates) ; vide si l'une "
                     "des deux est vide ou invalide.",
                     "export.exported_at | days_between(audit.exports | map(attribute='exported_at') | latest) > 30"),
    "latest": ("La date la plus récente d'une liste de dates ou de textes (valeurs vides ignorées), ou vide.",
               "audit.exports | map(attribute='exported_at') | latest"),
    "earliest": ("La date la plus ancienne d'une liste de dates ou de textes (valeurs vides ignorées), ou vide.",
                 "audit.exports | map(attribute='exported_at') | earliest"),
}


@hookimpl
def scolint_register(registries: Registries) -> None:
    for name, fn in (("fold", fold), ("sts_clean", sts_clean), ("sts_group_name", sts_group_name),
                     ("ids", ids), ("codes", codes), ("values", values), ("read_from", read_from),
                     ("well_formed_ines", well_formed_ines), ("date", to_date),
                     ("days_between", days_between), ("latest", latest), ("earliest", earliest),
                     ("uai_problem", identity.uai_problem), ("uai_key", identity.uai_key),
                     ("ine_problem", identity.ine_problem), ("phone", identity.phone),
                     ("prefixed", identity.prefixed)):
        registries.filters.add(name, fn)
        registries.filter_docs[name] = DOCS[name]
