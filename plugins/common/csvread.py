"""Reading the CSV exports (ENT identifiers, PRONOTE files) through YAML layout profiles.

Not a plugin: the ENT and PRONOTE plugins and the ``publipostage`` command share it.

- :func:`decode`: bytes -> text, encoding sniffed (UTF-8 with or without BOM, else
  Windows-1252 / ISO-8859-15, told apart by the bytes they use);
- :func:`sniff_delimiter`: ``;`` or ``,`` from the first lines;
- :class:`~scolint.plugins.common.csvprofile.Profile` (re-exported here): a column layout, see
  :mod:`scolint.plugins.common.csvprofile` and docs/profils-csv.md;
- :func:`read_table` / :func:`match_profile` / :func:`rows`: the rows of a file mapped to
  the family's canonical fields, each checked against ``schemas/csv/<famille>.schema.json``.

Secret columns (the ENT code / password) are never put in a mapped row unless the caller
asks for them (``with_secrets=True``, only the publipostage does), and a value of a
secret column never appears in an error message.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from sys import intern
from typing import Any, Iterable

from scolint.engine.errors import InputError
from scolint.engine.model import Graph
from scolint.plugins.common import csvcheck
from scolint.plugins.common.csvcheck import family_schema
from scolint.plugins.common.csvprofile import (
    Column,
    Profile,
    all_profiles,
    builtin_profiles,
    fold,
    load_profile_file,
    parse_profile,
)

__all__ = ["Column", "Profile", "Table", "Row", "Mapped", "all_profiles", "builtin_profiles", "decode", "fold",
           "iso_date", "joined", "load_profile_file", "map_rows", "match_profile", "matches", "parse_profile",
           "read_table", "rows_of", "sniff_delimiter"]

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
    head = text[:65536].splitlines()  # the first lines, without splitting a big file
    if len(head) <= 20:  # the 20th line may be cut: split it all
        head = text.splitlines()
    lines = [ln for ln in head[:20] if ln.strip()][:10]
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


def read_table(path: Path | str, display: str | None = None, data: bytes | None = None,
               detecting: bool = False) -> Table:
    """Read and split a CSV file (no profile yet); :class:`InputError` when unreadable.

    ``detecting``: only the head is read to recognise the layout; a quote left open there
    is not refused (the file is refused when it is read)."""
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
    start = 1
    # Only a quoted field can hold a line break (outside quotes, one ends the row): a file
    # without the quote character needs no look into each cell for one.
    quoted = not detecting and '"' in text
    try:
        for row in reader:
            line = reader.line_num
            if quoted and any("\n" in c or "\r" in c for c in row):
                # An unbalanced quote: the following lines (or the end of the file) were read
                # as one field. Refused (the rows after it would be silently lost), lines named.
                total = text.count("\n") + (0 if text.endswith("\n") else 1)
                span = (f"les lignes {start} à {line} sont lues comme un seul champ ({line - start} ligne(s) "
                        "avalée(s))" if line > start else f"la fin de la ligne {start} est lue comme un seul champ")
                raise InputError(shown, start, f"guillemet non fermé : {span} ; {len(out)} ligne(s) lue(s) "
                                 f"correctement sur {total} : fichier refusé")
            cells = [intern(c.strip()) for c in row]  # repeated values (names, codes, UAI) stored once
            if any(cells):
                out.append((line, cells))
            start = line + 1
    except csv.Error as exc:
        why = (f"champ de plus de {csv.field_size_limit()} caractères : donnée abîmée ?"
               if "field larger" in str(exc) else "guillemets ou séparateurs incohérents")
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


def map_rows(profile: Profile, table: Table, with_secrets: bool = False) -> Mapped:
    """Map every data row of ``table`` to the canonical fields of ``profile`` and check it.

    Rows are mapped and checked column by column (:mod:`scolint.plugins.common.csvcheck`);
    jsonschema only words the problems of the rows that fail.
    """
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
    if header and profile.family == "ent-identifiants":
        # A row with a column missing has its values shifted:
        # its code would land in another column (and the next person's column in its code).
        width = len(table.rows[0][1])
        fitting = []
        for line, cells in data_rows:
            # (Extra filled cells are allowed: Kosmos appends the child's names to parent rows.)
            if len(cells) >= profile.min_columns and len(cells) < width:
                problems.append((line, None, f"{len(cells)} champ(s) au lieu de {width} (en-tête) : colonnes "
                                 "décalées, ligne ignorée"))
                continue
            fitting.append((line, cells))
        data_rows = fitting
    kept = [cells for _line, cells in data_rows if len(cells) >= profile.min_columns]
    columns = _columns(profile, where, kept, with_secrets)
    checked = {k: col for k, (col, _kind) in columns.items() if not k.endswith(("_present", "_changed"))}
    checks = csvcheck.row_checks(profile.family, tuple((k, kind) for k, (_col, kind) in columns.items()
                                                       if k in checked))
    failing = (checks.failing_rows(checked, len(kept)) if checks is not None else set(range(len(kept))))
    names = list(columns)
    values_of = ([dict(zip(names, vals)) for vals in zip(*(col for col, _kind in columns.values()))]
                 if names else [{} for _ in kept])
    validator = csvcheck.validator(schema) if failing else None
    out: list[Row] = []
    position = -1
    for line, cells in data_rows:
        if len(cells) < profile.min_columns:
            problems.append((line, None, f"{len(cells)} champ(s) au lieu d'au moins {profile.min_columns} : "
                             "ligne tronquée ou séparateur changé"))
            continue
        position += 1
        values = values_of[position]
        if position not in failing:  # valid: jsonschema would find nothing
            out.append(Row(line, values))
            continue
        row_checked = {k: v for k, v in values.items() if not k.endswith(("_present", "_changed"))}
        assert validator is not None  # built when some row fails
        errors = sorted(validator.iter_errors(row_checked), key=lambda e: list(e.absolute_path))
        bad = False
        for err in errors:
            fname = str(err.absolute_path[0]) if err.absolute_path else None
            if err.validator == "required":
                fname = str(err.message.split("'")[1]) if "'" in err.message else fname
            # In a file that holds codes any cell may be a shifted code: no value is quoted.
            secret = (profile.family == "ent-identifiants"
                      or fname is not None and profile.columns.get(fname, Column()).secret)
            problems.append((line, shown.get(fname or "", fname), csvcheck.french(err, secret)))
            bad = bad or fname in schema.get("required", [])
        if not bad:
            out.append(Row(line, values))
    return Mapped(out, problems, header, shown)


def _columns(profile: Profile, where: dict[str, list[int]], rows: list[list[str]],
             with_secrets: bool) -> dict[str, tuple[list[Any], str]]:
    """Each mapped field's column over ``rows``, with the kind of its values (csvcheck).

    Every row has at least ``profile.min_columns`` cells (shorter rows are reported).
    """
    out: dict[str, tuple[list[Any], str]] = {}
    for fname, idxs in where.items():
        col = profile.columns[fname]
        raw = _cells(rows, idxs[0], profile.min_columns)
        if col.secret and not with_secrets:
            out[fname + "_present"] = ([bool(v) for v in raw], csvcheck.ANY)
            out[fname + "_changed"] = ([bool(v) and profile.code_changed(v) for v in raw], csvcheck.ANY)
        elif col.many or col.split:
            values: list[Any] = _lists(profile, fname, col, idxs, rows, raw)
            plain = all(isinstance(x, str) for v in values for x in v)
            out[fname] = (values, csvcheck.LIST if plain else csvcheck.ANY)
        elif profile.values.get(fname):  # few distinct raw values: map each once
            canon: dict[str | None, Any] = {v: profile.canonical(fname, v) for v in set(raw) if v is not None}
            plain = all(isinstance(v, str) for v in canon.values())
            canon[None] = ""  # a missing cell is empty, never mapped
            out[fname] = ([canon[v] for v in raw], csvcheck.TEXT if plain else csvcheck.ANY)
        else:
            out[fname] = ([v or "" for v in raw] if idxs[0] >= profile.min_columns else raw, csvcheck.TEXT)
    return out


def _cells(rows: list[list[str]], index: int, min_columns: int) -> list[Any]:
    """Column ``index`` of ``rows``: None where a row is too short to have it."""
    if index < min_columns:  # every row has it
        return list(map(itemgetter(index), rows))
    return [cells[index] if index < len(cells) else None for cells in rows]


def _lists(profile: Profile, fname: str, col: Column, idxs: list[int], rows: list[list[str]],
           first: list[Any]) -> list[list[Any]]:
    """The list values of a multi-column or split field (``first``: its first column):
    the non-empty items of its cells (each cell cut at ``col.split`` when set), in order."""
    cols = [first] + [_cells(rows, i, profile.min_columns) for i in idxs[1:]]
    sep = col.split
    if sep:
        out = [[p.strip() for v in vals if v for p in v.split(sep) if p.strip()] for vals in zip(*cols)]
    else:
        out = [[v.strip() for v in vals if v and v.strip()] for vals in zip(*cols)]
    if profile.values.get(fname):
        canon = {v: profile.canonical(fname, v) for v in {x for items in out for x in items}}
        out = [[canon[x] for x in items] for items in out]
    return out


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


def joined(first: Any, second: Any) -> str:
    """``"first second"``, an empty part left out (as ``" ".join`` of the non-empty parts)."""
    if first and second:
        return f"{first} {second}"
    return str(first or second or "")


_DMY = re.compile(r"[0-9]{2}/[0-9]{2}/[0-9]{4}")
_YMD = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_date(value: Any) -> str | None:
    """A date cell as ISO ``AAAA-MM-JJ`` (from ``jj/mm/aaaa`` or ISO), None otherwise."""
    if not value:
        return None
    text = str(value).strip()
    if _DMY.fullmatch(text):
        return f"{text[6:]}-{text[3:5]}-{text[:2]}"
    return text if _YMD.fullmatch(text) else None


#: Most row problems reported for one CSV file (the rest are summed up).
MAX_PROBLEMS = 20


def report_problems(graph: Graph, display: str, mapped: Mapped, prof: Profile) -> None:
    """Row problems -> ``ENTREE-SCHEMA`` findings (file, line, column, in French)."""
    fix = (f"Refaites l'export et donnez le fichier tel quel (sans l'ouvrir ni l'enregistrer dans un tableur). "
           f"Si la disposition des colonnes a changé, adaptez le profil « {prof.id} » ou donnez le vôtre "
           "avec --profile (docs/profils-csv.md).")
    for line, column, msg in mapped.problems[:MAX_PROBLEMS]:
        where = f"colonne « {column} » : " if column else ""
        graph.problem("ENTREE-SCHEMA", f"{where}{msg} (profil {prof.id})", display, line, severity="error", fix=fix)
    if len(mapped.problems) > MAX_PROBLEMS:
        graph.problem("ENTREE-SCHEMA", f"plus de {MAX_PROBLEMS} lignes non conformes : seules les premières sont "
                      "listées", display, None, severity="error", fix=fix)
