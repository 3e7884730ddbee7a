"""Reading the CSV exports (ENT identifiers, PRONOTE files) through YAML layout profiles.

Not a plugin: the ENT and PRONOTE plugins and the ``publipostage`` command share it.

- :func:`decode`: bytes -> text, encoding sniffed (UTF-8 with or without BOM, else
  Windows-1252 / ISO-8859-15, told apart by the bytes they use);
- :func:`sniff_delimiter`: ``;`` or ``,`` from the first lines;
- :class:`~scolint.plugins.csvprofile.Profile` (re-exported here): a column layout, see
  :mod:`scolint.plugins.csvprofile` and docs/profils-csv.md;
- :func:`read_table` / :func:`match_profile` / :func:`rows`: the rows of a file mapped to
  the family's canonical fields, each checked against ``schemas/csv/<famille>.schema.json``.

Secret columns (the ENT code / password) are never put in a mapped row unless the caller
asks for them (``with_secrets=True``, only the publipostage does), and a value of a
secret column never appears in an error message.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable

import jsonschema

from scolint.engine.errors import InputError
from scolint.plugins.csvprofile import (Column, Profile, all_profiles, builtin_profiles, fold,
                                        load_profile_file, parse_profile)

__all__ = ["Column", "Profile", "Table", "Row", "Mapped", "all_profiles", "builtin_profiles", "decode", "fold",
           "load_profile_file", "map_rows", "match_profile", "matches", "parse_profile", "read_table", "rows_of",
           "sniff_delimiter"]

#: Largest CSV file read (bytes): a big school's identifier file is under 5 MB.
MAX_BYTES = 64 * 1024 * 1024
_CP1252_ONLY = re.compile(rb"[\x80-\x9f]")


def decode(data: bytes) -> tuple[str, str]:
    """Decode a CSV file: ``(text, encoding name)``.

    UTF-8 (BOM removed) when the bytes are valid UTF-8; otherwise Windows-1252 when bytes
    0x80-0x9F occur (they are control characters in ISO-8859-15), else ISO-8859-15.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        try:
            return data.decode("utf-8"), "UTF-8 (avec BOM)"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    if _CP1252_ONLY.search(data):
        return data.decode("cp1252", errors="replace"), "Windows-1252"
    return data.decode("iso-8859-15"), "ISO-8859-15"


def sniff_delimiter(text: str) -> str:
    """``;`` or ``,``: the one that splits the first non-empty lines most consistently."""
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()][:10]
    best, best_score = ";", -1
    for sep in (";", ","):
        counts = []
        try:
            for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=sep):
                counts.append(len(row))
        except csv.Error:  # e.g. a field over csv.field_size_limit(): read_table reports it
            continue
        if not counts or max(counts) < 2:
            continue
        score = sum(1 for c in counts if c == counts[0] and c > 1) * 100 + counts[0]
        if score > best_score:
            best, best_score = sep, score
    return best


@dataclass
class Table:
    """A decoded CSV file: rows with their 1-based line numbers."""

    rows: list[tuple[int, list[str]]]
    delimiter: str
    encoding: str


def read_table(path: Path | str, display: str | None = None, data: bytes | None = None) -> Table:
    """Read and split a CSV file (no profile yet); :class:`InputError` when unreadable."""
    shown = display or str(path)
    if data is None:
        try:
            size = Path(path).stat().st_size
            if size > MAX_BYTES:
                raise InputError(shown, None, f"fichier CSV de {size // (1024 * 1024)} Mo : trop gros, refusé")
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(shown, None, f"fichier illisible : {exc.strerror}") from None
    if b"\x00" in data[:4096]:
        raise InputError(shown, None, "fichier binaire (octets nuls) : ce n'est pas un fichier CSV")
    text, encoding = decode(data)
    delimiter = sniff_delimiter(text)
    out: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            line = reader.line_num
            if any(cell.strip() for cell in row):
                out.append((line, [cell.strip() for cell in row]))
    except csv.Error as exc:
        why = (f"champ de plus de {csv.field_size_limit()} caractères : donnée abîmée ?"
               if "field larger" in str(exc) else str(exc))
        raise InputError(shown, reader.line_num, f"ligne CSV mal formée ({why})") from None
    return Table(out, delimiter, encoding)


def _header_index(header: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        index.setdefault(fold(name), i)
    return index


def matches(profile: Profile, table: Table) -> bool:
    """Whether ``table`` has ``profile``'s layout (by header names, or by a column's values)."""
    if not table.rows:
        return False
    first = table.rows[0][1]
    if profile.detect_header and profile.header != "non":
        names = set(_header_index(first))
        if all(n in names for n in profile.detect_header):
            return True
    if profile.detect_column and profile.header != "oui":
        for _line, row in table.rows[:5]:
            if len(row) >= profile.min_columns and fold(row[profile.detect_column - 1]) in profile.detect_values:
                return True
    return False


def match_profile(table: Table, profiles: Iterable[Profile], family: str | None = None) -> Profile | None:
    """The first profile (user profiles come first) whose layout ``table`` has."""
    for prof in profiles:
        if (family is None or prof.family == family) and matches(prof, table):
            return prof
    return None


@dataclass
class Row:
    """One data row mapped to canonical fields (secrets only on request)."""

    line: int
    fields: dict[str, Any]


@dataclass
class Mapped:
    """The result of mapping a table: rows, and problems ``(line, column, French message)``."""

    rows: list[Row]
    problems: list[tuple[int | None, str | None, str]]
    has_header: bool
    columns: dict[str, str]   # canonical field -> column shown in messages


def _has_header(profile: Profile, table: Table) -> bool:
    if profile.header in ("oui", "non"):
        return profile.header == "oui"
    names = set(_header_index(table.rows[0][1]))
    return any(n in names for col in profile.columns.values() for n in col.names)


@lru_cache(maxsize=None)
def family_schema(family: str) -> dict[str, Any]:
    """The JSON Schema of a mapped row of ``family`` (``schemas/csv/<famille>.schema.json``)."""
    ref = resources.files("scolint.schemas").joinpath("csv", f"{family}.schema.json")
    return json.loads(ref.read_text("utf-8"))


def map_rows(profile: Profile, table: Table, with_secrets: bool = False) -> Mapped:
    """Map every data row of ``table`` to the canonical fields of ``profile`` and check it."""
    header = _has_header(profile, table)
    where: dict[str, list[int]] = {}
    shown: dict[str, str] = {}
    problems: list[tuple[int | None, str | None, str]] = []
    if header:
        line0, names = table.rows[0]
        index = _header_index(names)
        for fname, col in profile.columns.items():
            found = [index[n] for n in col.names if n in index]
            if not found and not col.names:
                found = [p - 1 for p in col.positions]
            if found:
                where[fname] = found if col.many else found[:1]
                shown[fname] = names[found[0]] if found[0] < len(names) else f"colonne {found[0] + 1}"
        data_rows = table.rows[1:]
    else:
        for fname, col in profile.columns.items():
            if col.positions:
                where[fname] = [p - 1 for p in col.positions] if col.many else [col.positions[0] - 1]
                shown[fname] = f"colonne {col.positions[0]}"
        data_rows = table.rows
    schema = family_schema(profile.family)
    for required in schema.get("required", []):
        if required not in where:
            problems.append((table.rows[0][0], None, f"colonne « {required} » introuvable avec le profil "
                             f"« {profile.id} » : vérifiez l'en-tête ou choisissez un autre profil (--profile)"))
    if any(p[1] is None for p in problems):
        return Mapped([], problems, header, shown)
    validator = jsonschema.Draft7Validator(schema)
    quick = fast_validator(schema)
    out: list[Row] = []
    for line, cells in data_rows:
        if len(cells) < profile.min_columns:
            problems.append((line, None, f"{len(cells)} champ(s) au lieu d'au moins {profile.min_columns} : "
                             "ligne tronquée ou séparateur changé"))
            continue
        values: dict[str, Any] = {}
        for fname, idxs in where.items():
            col = profile.columns[fname]
            if col.secret and not with_secrets:
                raw = cells[idxs[0]] if idxs[0] < len(cells) else ""
                values[fname + "_present"] = bool(raw)
                values[fname + "_changed"] = bool(raw) and profile.code_changed(raw)
                continue
            picked = [cells[i] for i in idxs if i < len(cells)]
            if col.many or col.split:
                items = [p for cell in picked for p in (cell.split(col.split) if col.split else [cell])]
                values[fname] = [profile.canonical(fname, v.strip()) for v in items if v.strip()]
            else:
                values[fname] = profile.canonical(fname, picked[0]) if picked else ""
        checked = {k: v for k, v in values.items() if not k.endswith(("_present", "_changed"))}
        if quick is not None and quick(checked):  # valid: jsonschema would find nothing
            out.append(Row(line, values))
            continue
        errors = sorted(validator.iter_errors(checked), key=lambda e: list(e.absolute_path))
        bad = False
        for err in errors:
            fname = str(err.absolute_path[0]) if err.absolute_path else None
            if err.validator == "required":
                fname = str(err.message.split("'")[1]) if "'" in err.message else fname
            secret = fname is not None and profile.columns.get(fname, Column()).secret
            problems.append((line, shown.get(fname or "", fname), _french(err, secret)))
            bad = bad or fname in schema.get("required", [])
        if not bad:
            out.append(Row(line, values))
    return Mapped(out, problems, header, shown)


_ANNOTATIONS = frozenset({"description", "title", "$id", "$schema", "$comment", "examples", "default"})
_PY_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str), "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict), "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def fast_validator(schema: dict[str, Any]) -> Callable[[Any], bool] | None:
    """An exact ``is_valid`` for the simple row schemas (type, properties, required, pattern,
    minLength, maxLength, enum of strings, items), or None when ``schema`` uses anything
    else. jsonschema costs tens of µs a row (seconds for an ENT file); rows it would
    accept are accepted here without it, the others still go through it for the messages.
    """
    if not isinstance(schema, dict) or set(schema) - _ANNOTATIONS - {
            "type", "properties", "required", "pattern", "minLength", "maxLength", "enum", "items"}:
        return None
    checks: list[Callable[[Any], bool]] = []
    kind = schema.get("type")
    if kind is not None:
        kinds = [kind] if isinstance(kind, str) else kind
        if not isinstance(kinds, list) or any(k not in _PY_TYPES for k in kinds):
            return None
        tests = [_PY_TYPES[k] for k in kinds]
        checks.append(lambda v: any(t(v) for t in tests))
    if "pattern" in schema:
        rx = re.compile(schema["pattern"])
        checks.append(lambda v: not isinstance(v, str) or rx.search(v) is not None)
    if "minLength" in schema:
        low = schema["minLength"]
        checks.append(lambda v: not isinstance(v, str) or len(v) >= low)
    if "maxLength" in schema:
        high = schema["maxLength"]
        checks.append(lambda v: not isinstance(v, str) or len(v) <= high)
    if "enum" in schema:
        allowed = schema["enum"]
        if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
            return None
        checks.append(lambda v: isinstance(v, str) and v in allowed)
    if "items" in schema:
        item = fast_validator(schema["items"])
        if item is None:
            return None
        checks.append(lambda v: not isinstance(v, list) or all(item(x) for x in v))
    if "properties" in schema or "required" in schema:
        props = {}
        for name, sub in (schema.get("properties") or {}).items():
            fn = fast_validator(sub)
            if fn is None:
                return None
            props[name] = fn
        required = list(schema.get("required") or [])

        def obj(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            return all(r in v for r in required) and all(fn(v[k]) for k, fn in props.items() if k in v)
        checks.append(obj)
    return lambda v: all(c(v) for c in checks)


def _french(err: jsonschema.ValidationError, secret: bool) -> str:
    """A French message for a JSON Schema error (never quoting a secret value)."""
    value = "" if secret or isinstance(err.instance, (dict, list)) else f" « {err.instance} »"
    kind = err.validator
    if kind == "required":
        return "valeur obligatoire absente"
    if kind == "minLength":
        return "valeur obligatoire vide"
    if kind == "maxLength":
        return f"valeur{value} trop longue (au plus {err.validator_value} caractères)"
    if kind == "pattern":
        hint = (err.schema or {}).get("description", "format attendu non respecté")
        return f"valeur{value} invalide : {hint}"
    if kind == "enum":
        return f"valeur{value} inconnue (attendu : {', '.join(map(str, err.validator_value))})"
    if kind == "format":
        return f"valeur{value} invalide (format {err.validator_value})"
    return f"valeur{value} non conforme au schéma ({kind})"


def rows_of(path: Path | str, family: str | None, options: dict[str, Any] | None = None,
            display: str | None = None, with_secrets: bool = False) -> tuple[Profile, Table, Mapped]:
    """Read ``path``, pick its profile (``family`` or any) and map its rows.

    :raises InputError: unreadable file, or no profile matches (French message).
    """
    shown = display or str(path)
    table = read_table(path, shown)
    prof = match_profile(table, all_profiles(options), family)
    if prof is None:
        raise InputError(shown, table.rows[0][0] if table.rows else None,
                         "disposition des colonnes non reconnue : aucun profil CSV ne correspond à l'en-tête "
                         "(ajoutez un profil avec --profile, voir docs/profils-csv.md)")
    return prof, table, map_rows(prof, table, with_secrets)

