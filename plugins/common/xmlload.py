"""Helpers shared by the XML loader plugins (SIECLE, STS...): not a plugin itself.

- :func:`check_schema`: validate a parsed file against its XSD and turn every error into
  an ``ENTREE-SCHEMA`` problem with the file and line, in French;
- small value helpers (:func:`val`, :func:`fields`, :func:`attr`, :func:`fr_date`, :func:`sex_letter`).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from sys import intern
from typing import Any

from lxml import etree

from scolint.engine import xmlsafe
from scolint.engine.discover import root_name  # noqa: F401  (re-exported for the loaders)
from scolint.engine.model import Graph

_FR_DAY = re.compile(r"(\d{2})/(\d{2})/(\d{4})")

#: Most schema errors reported for one file (the rest are summed up in one line).
MAX_SCHEMA_ERRORS = 20


_INVALID_VALUE = re.compile(r"élément « ([^ »]+) » : (?:la valeur|'[^']*' n'est pas une valeur valide)")
_ABSENT_KEY = re.compile(r"valeur obligatoire absente \(contrainte « ([^ »]+) »\)")

_CONSTRAINT_FR = (
    (re.compile(r"Not all fields of (?:key|unique) identity-constraint '([^']+)' evaluate to a node\.?"),
     "valeur obligatoire absente (contrainte « {0} »)."),
    (re.compile(r"Duplicate key-sequence \[([^\]]*)\] in (?:key|unique) identity-constraint '([^']+)'\.?"),
     "valeur en double [{0}] (contrainte « {1} »)."),
    (re.compile(r"No match found for key-sequence \[([^\]]*)\] of keyref '([^']+)'\.?"),
     "la valeur [{0}] ne renvoie à aucun élément du fichier (lien « {1} »)."),
    (re.compile(r"\[facet 'enumeration'\] The value '([^']*)' is not an element of the set.*"),
     "la valeur '{0}' n'est pas permise."),
    (re.compile(r"\[facet 'minLength'\] The value '([^']*)' has a length of '0'.*"),
     "valeur vide alors qu'un code est attendu."),
)


def french(message: str) -> str | None:
    """Finish the French translation of an XSD message (None: a message to drop)."""
    if "No precomputed value available" in message:
        return None
    for pattern, template in _CONSTRAINT_FR:
        m = pattern.search(message)
        if m:
            return message[: m.start()] + template.format(*m.groups())
    return message


def check_schema(tree: Any, xsd_name: str, graph: Graph, display: str, label: str) -> int:
    """Validate ``tree`` against ``schemas/xsd/<xsd_name>``; each error becomes an
    ``ENTREE-SCHEMA`` problem (severity error) naming ``display`` and the line.

    :returns: the number of problems recorded.
    """
    return check_schema_status(tree, xsd_name, graph, display, label)[0]


def check_schema_status(tree: Any, xsd_name: str, graph: Graph, display: str, label: str) -> tuple[int, bool]:
    """:func:`check_schema`, and whether ``tree`` conforms to the schema: a loader may then
    read it by a path that relies on the structure the schema imposes."""
    errors = xmlsafe.validate(tree, xsd_name, max_errors=MAX_SCHEMA_ERRORS + 1)
    count = 0
    fix = (f"Refaites l'export {label} depuis le logiciel d'origine et donnez le fichier tel quel "
           "(sans l'ouvrir ni l'enregistrer dans un tableur ou un éditeur). Si l'erreur persiste, "
           "corrigez la donnée signalée dans le logiciel d'origine.")
    seen: set[int | None] = set()
    # Elements whose value is present but invalid: libxml2 then also says that a key on them
    # has no value ("UAJ_obligatoire"): that is not an absence, the invalid value is reported.
    invalid = {m.group(1) for _l, msg in errors for m in [_INVALID_VALUE.search(msg)] if m}
    for line, msg in errors[:MAX_SCHEMA_ERRORS]:
        text = french(msg)
        if text is None or (line in seen and "valeur obligatoire absente" in text):
            continue  # the missing attribute / invalid value of that line is already reported
        absent = _ABSENT_KEY.search(text)
        if absent and any(absent.group(1).startswith(name + "_") for name in invalid):
            continue
        seen.add(line)
        graph.problem("ENTREE-SCHEMA", f"non conforme au schéma {Path(xsd_name).name} : {text}", display, line,
                      severity="error", fix=fix)
        count += 1
    if len(errors) > MAX_SCHEMA_ERRORS:
        graph.problem("ENTREE-SCHEMA", f"plus de {MAX_SCHEMA_ERRORS} écarts au schéma {Path(xsd_name).name} : "
                      "seuls les premiers sont listés", display, None, severity="error", fix=fix)
        count += 1
    return count + check_values(tree, graph, display, fix), not errors


#: Longest value (text or attribute) expected in an export; longer ones are reported.
MAX_VALUE = 2000
_FR_DATE = re.compile(r"(\d\d)/(\d\d)/(\d{4})(?: \d\d:\d\d(?::\d\d)?)?")
_ISO_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)(?:T[\d:.+\-Z]*)?")


_LONG_TEXT = re.compile(">[^<]{%d}" % (MAX_VALUE + 1))
_LONG_ATTR = re.compile("""=\\s*(?:"[^"<]{%d}|'[^'<]{%d})""" % (MAX_VALUE + 1, MAX_VALUE + 1))
#: Either of the two above implies this (a value holds no ``<`` and follows the ``<`` of
#: its element or of the previous one): one pass, each ``<`` tried up to the next ``<``,
#: instead of one try per ``=`` and ``>`` that reads a whole attribute or text.
_LONG_ANY = re.compile("<[^<]{%d}" % (MAX_VALUE + 1))
# Anchored on the separator (a literal: fast), the day or year read by a look-behind.
# A date of ASCII digits that surely exists (year not 0000; day 01-28, 29-30 outside
# February, or 31 in a month of 31 days) is no candidate: only 29 February, impossible
# dates and dates of other digits (the walk reads any Unicode digit) are returned, then
# checked by :func:`_impossible` (an export full of real dates yields few matches).
_SURE_ISO = (r"(?<=[0-9]{4}-)(?<!0000-)(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
             r"|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)")
_SURE_FR = (r"(?:(?<=(?:0[1-9]|1[0-9]|2[0-8])/)(?:0[1-9]|1[0-2])|(?<=(?:29|30)/)(?:0[13-9]|1[0-2])"
            r"|(?<=31/)(?:0[13578]|1[02]))/(?!0000)[0-9]{4}")
_FR_TEXT = re.compile(r"/(?<=(\d\d)/)(?!" + _SURE_FR + r")(\d\d)/(\d{4})")
_ISO_TEXT = re.compile(r"-(?<=(\d{4})-)(?!" + _SURE_ISO + r")(\d\d)-(\d\d)")

# The same scan on a file's bytes, when they are ASCII or a single-byte Latin encoding
# (no byte but 0-9 is a digit there): each distinct (day, month, year) is checked once.
_LONG_TEXT_BYTES = re.compile(_LONG_TEXT.pattern.encode())
_LONG_ATTR_BYTES = re.compile(_LONG_ATTR.pattern.encode())
_LONG_ANY_BYTES = re.compile(_LONG_ANY.pattern.encode())
_FR_BYTES = re.compile(_FR_TEXT.pattern.replace(r"\d", "[0-9]").encode())
_ISO_BYTES = re.compile(_ISO_TEXT.pattern.replace(r"\d", "[0-9]").encode())
_HIDDEN = (re.compile(rb"&#"), re.compile(rb"!\[CDATA\["))  # a regex finds them faster than ``in``
#: Encodings (lower case, as declared) whose bytes above 127 are letters or signs.
_LATIN = frozenset({"iso-8859-1", "iso-8859-15", "latin1", "latin-1", "latin9", "iso8859-1", "iso8859-15",
                    "windows-1252", "cp1252", "us-ascii", "ascii"})


def check_values(tree: Any, graph: Graph, display: str, fix: str) -> int:
    """Report what an XSD pattern lets through: impossible dates (``31/02/2024``,
    ``2024-02-31``) and values of more than :data:`MAX_VALUE` characters
    (``ENTREE-SCHEMA``, with the line; at most :data:`MAX_SCHEMA_ERRORS`).

    The element-by-element walk costs a Python step per element (half a second on a big
    establishment's exports); it runs only when a scan of the file finds a candidate,
    which is the case of a spoilt file only: the scan reads the bytes the tree was parsed
    from (:func:`bytes_may_have_bad_values`), else the serialised tree
    (:func:`may_have_bad_values`).
    """
    source = xmlsafe.take_source(tree)
    suspect = bytes_may_have_bad_values(*source) if source is not None else None
    del source
    if suspect is None:
        suspect = may_have_bad_values(tree.getroot())
    if not suspect:
        return 0
    return _walk_values(tree, graph, display, fix)


def bytes_may_have_bad_values(data: bytes, encoding: str | None) -> bool | None:
    """:func:`may_have_bad_values` read on the bytes of the file (None: they cannot tell).

    The bytes hold every value as parsed, longer or equal (entities, line ends), unless a
    character reference (``&#51;``) or a CDATA section hides one: those files, and
    encodings other than UTF-8 and Latin ones, are left to the serialised tree.
    """
    if any(pattern.search(data) for pattern in _HIDDEN):
        return None
    if encoding in _LATIN or (encoding == "utf-8" and data.isascii()):
        return _scan(data, _LONG_ANY_BYTES, _LONG_TEXT_BYTES, _LONG_ATTR_BYTES, _FR_BYTES, _ISO_BYTES)
    if encoding == "utf-8":  # other digits than 0-9 may make a date: the scan of the text
        try:
            return _text_may_have_bad_values(data.decode("utf-8"))
        except UnicodeDecodeError:
            return None
    return None


def may_have_bad_values(root: Any) -> bool:
    """False when :func:`check_values` has nothing to report (a cheap superset test).

    The tree is serialised by libxml2 and scanned with regular expressions anchored on a
    literal: a run of more than :data:`MAX_VALUE` characters in a text or an attribute,
    or a ``dd/mm/yyyy`` / ``yyyy-mm-dd`` (any Unicode digits, as the walk) that is not a
    real date. Anything that the walk reports matches one of them.
    """
    return _text_may_have_bad_values(etree.tostring(root, encoding="unicode"))


def _text_may_have_bad_values(data: str) -> bool:
    return _scan(data, _LONG_ANY, _LONG_TEXT, _LONG_ATTR, _FR_TEXT, _ISO_TEXT)


def _scan(data: Any, long_any: Any, long_text: Any, long_attr: Any, fr: Any, iso: Any) -> bool:
    """A too long value, or a French or ISO date (each distinct one checked once) that is
    no real date, in ``data`` (text or bytes, with the patterns of that type)."""
    if (long_any.search(data) is not None
            and (long_text.search(data) is not None or long_attr.search(data) is not None)):
        return True
    seen: set[tuple[Any, Any, Any]] = set()
    for day, month, year in set(fr.findall(data)):
        if _impossible(day, month, year, seen):
            return True
    for year, month, day in set(iso.findall(data)):
        if _impossible(day, month, year, seen):
            return True
    return False


def _impossible(day: Any, month: Any, year: Any, seen: set[tuple[Any, Any, Any]]) -> bool:
    """Whether ``day``/``month``/``year`` (digits, as text or bytes) is no real date."""
    key = (day, month, year)
    if key in seen or not (day.isdigit() and year.isdigit()):
        return False
    seen.add(key)
    try:
        dt.date(int(year), int(month), int(day))
    except ValueError:
        return True
    return False


def _walk_values(tree: Any, graph: Graph, display: str, fix: str) -> int:
    count = 0
    for el in tree.getroot().iter():
        if not isinstance(el.tag, str):
            continue
        values = [(el.tag.split("}")[-1], el.text)] + [(f"@{k}", v) for k, v in el.attrib.items()]
        for name, raw in values:
            value = (raw or "").strip()
            if not value:
                continue
            problem = None
            if len(value) > MAX_VALUE:
                problem = f"valeur de {len(value)} caractères dans {name} (au plus {MAX_VALUE} attendus) : donnée abîmée ?"
            elif len(value) <= 25 and (_FR_DATE.fullmatch(value) or _ISO_DATE.fullmatch(value)):
                m = _FR_DATE.fullmatch(value)
                day, month, year = (m.group(1), m.group(2), m.group(3)) if m else \
                    reversed(_ISO_DATE.fullmatch(value).groups())  # type: ignore[union-attr]
                try:
                    dt.date(int(year), int(month), int(day))
                except ValueError:
                    problem = f"date impossible « {value} » dans {name}"
            if problem:
                graph.problem("ENTREE-SCHEMA", problem, display, el.sourceline, severity="error", fix=fix)
                count += 1
                if count >= MAX_SCHEMA_ERRORS:
                    return count
    return count


def val(el: Any, path: str) -> str | None:
    """Stripped text of child ``path`` of ``el`` (None when absent or blank)."""
    if el is None:
        return None
    return xmlsafe.text(el, path)


def fields(el: Any, wanted: frozenset[str] | None = None) -> dict[str, str]:
    """``{child tag: stripped text}`` of ``el``'s children (first of each tag, blanks left out);
    only the tags of ``wanted`` when given.

    One pass over the children instead of one ``find`` per field: :func:`val` on a record
    of 20 fields walks its children 20 times (a third of a big SIECLE file's load time).
    With ``wanted``, the text of the other children is not even read (a third less).
    """
    out: dict[str, str] = {}
    blank = False
    for child in el:
        tag = child.tag
        if tag in out or (wanted is not None and tag not in wanted) or not isinstance(tag, str):
            continue
        text = child.text
        if text is not None:
            text = text.strip()
            if text:
                out[tag] = intern(text)  # repeated values (first names, codes) stored once
                continue
        out[tag] = ""
        blank = True
    return {k: v for k, v in out.items() if v} if blank else out


def attr(el: Any, name: str) -> str | None:
    """Stripped attribute ``name`` of ``el`` (None when absent or blank)."""
    if el is None:
        return None
    value = el.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def fr_date(value: str | None) -> str | None:
    """``dd/mm/yyyy`` (optionally followed by a time) -> ISO ``yyyy-mm-dd``; None if invalid."""
    if not value:
        return None
    return _fr_date(value)


@lru_cache(maxsize=4096)  # a big export repeats its dates (2 500 pupils born on ~1 200 days)
def _fr_date(value: str) -> str | None:
    head = value.strip()[:10]
    m = _FR_DAY.fullmatch(head)
    try:
        if m is not None:  # fast path (strptime costs 10 µs a date, 10 000 dates a big export)
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1))).isoformat()
        return dt.datetime.strptime(head, "%d/%m/%Y").date().isoformat()
    except ValueError:
        return None


def iso_date(value: str | None) -> str | None:
    """``yyyy-mm-dd`` kept when valid, else None."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        return None


_SEX_LETTERS = {"1": "M", "2": "F"}


def sex_letter(code: str | None) -> str | None:
    """National sex code ``1`` / ``2`` -> ``M`` / ``F`` (None otherwise)."""
    return _SEX_LETTERS.get((code or "").strip())


def to_int(value: str | None) -> int | None:
    """Integer value or None."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def to_float(value: str | None) -> float | None:
    """Decimal value (``2.50`` or ``2,50``) or None."""
    try:
        return float(str(value).strip().replace(",", "."))
    except (TypeError, ValueError):
        return None
