"""CSV layout profiles (plugins/common/profiles/*.yaml or ``--profile FICHIER``) and name folding.

A :class:`Profile` says which header names (or 1-based positions) give which canonical field
of a CSV family, which raw values mean which canonical value, which columns are secret and
how a changed ENT code is recognised. Documented for academies in docs/profils-csv.md;
read by :mod:`scolint.plugins.common.csvread`. Messages never quote the profile file's content
(a CSV given by mistake as a profile holds codes).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from scolint.engine.errors import UsageError
from scolint.engine.memo import BoundedMemo


def fast_loader() -> Any:
    """libyaml's safe loader when PyYAML has it (shipped profiles only: a user's profile
    goes through the budgeted reader); same data as ``yaml.safe_load``.
    PyYAML is imported here, when a profile is read: an audit
    without CSV file (or a link step using :func:`fold`) does not pay its import."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SEP_FOLD = re.compile(r"[\s\-'’_.()]+")


def fold(value: Any) -> str:
    """Accents, case and separators folded (``"Clé de jointure"`` -> ``"cle de jointure"``)."""
    return _FOLDED[value if type(value) is str else str(value or "")]


def _fold_text(text: str) -> str:
    if text.isascii():  # nothing to normalise (most names, logins, codes)
        return _SEP_FOLD.sub(" ", text).strip().casefold()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    return _SEP_FOLD.sub(" ", text).strip().casefold()


#: Folded texts by text: the linkers and loaders fold the same names, logins and values
#: again and again.
_FOLDED = BoundedMemo(_fold_text)


@dataclass
class Column:
    """Where a canonical field is read: header names (any of) or 1-based positions."""

    names: list[str] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    many: bool = False
    secret: bool = False
    split: str | None = None


@dataclass
class Profile:
    """A CSV layout (one YAML file of plugins/common/profiles/ or given with --profile)."""

    id: str
    family: str
    label: str
    status: str
    source: str
    header: str
    min_columns: int
    detect_header: list[str]
    detect_column: int | None
    detect_values: list[str]
    columns: dict[str, Column]
    values: dict[str, dict[str, str]]
    changed_prefixes: list[str]
    changed_contains: list[str]
    path: str = ""
    _contains_folded: tuple[str, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        self._contains_folded = tuple(fold(c) for c in self.changed_contains)

    def canonical(self, field_name: str, raw: str) -> str:
        """Map a raw cell to its canonical value (``Elève`` -> ``eleve``) when declared."""
        table = self.values.get(field_name)
        if not table:
            return raw
        return table.get(fold(raw), raw)

    def code_changed(self, code: str) -> bool:
        """Whether an ENT code cell says the user changed it ({SHA}, « modifié par… »), or
        holds any password hash (:func:`hash_scheme`): never a code to send."""
        if code.startswith(tuple(self.changed_prefixes)) or hash_scheme(code):
            return True
        if not self._contains_folded:
            return False
        # codes are all different: folded without the memo (it would only fill it up)
        folded = _fold_text(code) if type(code) is str else fold(code)
        return any(c in folded for c in self._contains_folded)


_SCHEME = re.compile(r"^\s*\{([A-Za-z0-9][A-Za-z0-9._+-]{0,30})\}")
_CRYPT = re.compile(r"^\$(?:1|2[abxy]?|5|6|7|y|gy|md5|sha1|apr1|argon2(?:id|i|d)|pbkdf2(?:-sha\d+)?|scrypt)\$")
_HEX = re.compile(r"^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})$")


def hash_scheme(value: str) -> str | None:
    """The kind of password hash ``value`` is (``{SHA256}``, ``$2b$``, a hex digest…), else None.

    Any ``{SCHEME}`` prefix counts, whatever its case (SHA, SSHA, SHA256, SSHA512, MD5, SMD5,
    CRYPT, PBKDF2, BCRYPT…), as do crypt(3) strings and bare hex digests of the usual sizes."""
    text = str(value or "").strip()
    m = _SCHEME.match(text)
    if m:
        return "{" + m.group(1).upper() + "}"
    m2 = _CRYPT.match(text)
    if m2:
        return m2.group(0)
    if _HEX.match(text):
        return f"empreinte hexadécimale de {len(text)} caractères"
    return None


_PROFILE_SCHEMA = {
    "type": "object",
    "required": ["id", "famille", "libelle", "colonnes"],
    "properties": {
        "id": {"type": "string"}, "famille": {"type": "string"}, "libelle": {"type": "string"},
        "statut": {"enum": ["connu", "suppose"]}, "source": {"type": "string"},
        "entete": {"enum": ["oui", "non", "auto"]}, "colonnes_min": {"type": "integer", "minimum": 1},
        "reconnaissance": {"type": "object"},
        "colonnes": {"type": "object", "additionalProperties": {"type": "object"}},
        "valeurs": {"type": "object"}, "code_modifie": {"type": "object"},
    },
}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _plainly_valid(data: Any) -> bool:
    """True only for data that ``_PROFILE_SCHEMA`` accepts (jsonschema, imported only to
    word an error, is not needed then); False for anything unusual, valid or not."""
    if not isinstance(data, dict) or any(k not in data for k in ("id", "famille", "libelle", "colonnes")):
        return False
    if any(k in data and not isinstance(data[k], str) for k in ("id", "famille", "libelle", "source")):
        return False
    if data.get("statut", "connu") not in ("connu", "suppose"):
        return False
    if data.get("entete", "oui") not in ("oui", "non", "auto"):
        return False
    if "colonnes_min" in data and not (type(data["colonnes_min"]) is int and data["colonnes_min"] >= 1):
        return False
    if any(k in data and not isinstance(data[k], dict) for k in ("reconnaissance", "valeurs", "code_modifie")):
        return False
    return isinstance(data["colonnes"], dict) and all(isinstance(v, dict) for v in data["colonnes"].values())


def _check(data: Any, where: str) -> None:
    """:class:`UsageError` in French when ``data`` is not a valid profile (jsonschema)."""
    if _plainly_valid(data):
        return
    import jsonschema  # only here: start-up does not pay for it
    try:
        jsonschema.validate(data, _PROFILE_SCHEMA)
    except jsonschema.ValidationError as exc:
        # never exc.message: it quotes the value, and a CSV given by mistake holds codes
        loc = "/".join(str(p) for p in exc.absolute_path) or "racine"
        what = {"required": "clé obligatoire absente (id, famille, libelle, colonnes)",
                "type": "type de valeur inattendu (un profil est un dictionnaire YAML)",
                "enum": "valeur non permise (voir docs/profils-csv.md)"}.get(str(exc.validator), "valeur invalide")
        raise UsageError(f"{where} : profil CSV invalide ({loc}) : {what}") from None


def parse_profile(data: Any, where: str) -> Profile:
    """Build a :class:`Profile` from its YAML data; :class:`UsageError` in French if invalid."""
    _check(data, where)
    cols: dict[str, Column] = {}
    for name, spec in data["colonnes"].items():
        names = _as_list(spec.get("entete")) + _as_list(spec.get("entetes"))
        positions = [int(p) for p in _as_list(spec.get("position")) + _as_list(spec.get("positions"))]
        many = bool(spec.get("liste")) or "entetes" in spec or len(positions) > 1
        cols[name] = Column([fold(n) for n in names], positions, many,
                            bool(spec.get("secret")), spec.get("separateur"))
    values = {f: {fold(raw): canon for canon, raws in table.items() for raw in _as_list(raws) + [canon]}
              for f, table in (data.get("valeurs") or {}).items()}
    rec = data.get("reconnaissance") or {}
    changed = data.get("code_modifie") or {}
    return Profile(
        id=data["id"], family=data["famille"], label=data["libelle"], status=data.get("statut", "suppose"),
        source=data.get("source", ""), header=data.get("entete", "oui"),
        min_columns=int(data.get("colonnes_min", 1)),
        detect_header=[fold(n) for n in _as_list(rec.get("entete"))],
        detect_column=rec.get("colonne"), detect_values=[fold(v) for v in _as_list(rec.get("valeurs"))],
        columns=cols, values=values,
        changed_prefixes=[str(p) for p in _as_list(changed.get("commence_par"))],
        changed_contains=[str(c) for c in _as_list(changed.get("contient"))], path=where)


def load_profile_file(path: str | Path) -> Profile:
    """Read one profile file (``--profile FICHIER``)."""
    import yaml

    from scolint.engine.yamlines import load_with_lines

    try:
        # Budgeted reader: an alias chain ("billion laughs") stops with a YAML error.
        data = load_with_lines(Path(path).read_text("utf-8"))[0]
    except FileNotFoundError:
        raise UsageError(f"{path} : profil CSV introuvable") from None
    except OSError as exc:
        raise UsageError(f"{path} : profil CSV illisible ({exc.strerror})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)  # never the YAML message: it quotes the line
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise UsageError(f"{where} : profil CSV qui n'est pas du YAML valide") from None
    return parse_profile(data, str(path))


@lru_cache(maxsize=1)
def builtin_profiles() -> tuple[Profile, ...]:
    """The profiles shipped in ``scolint.plugins/common/profiles`` (sorted by file name)."""
    import yaml

    root = resources.files("scolint.plugins.common").joinpath("profiles")
    loader = fast_loader()
    out = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            out.append(parse_profile(yaml.load(entry.read_text("utf-8"), Loader=loader), f"profiles/{entry.name}"))
    return tuple(out)


def all_profiles(options: dict[str, Any] | None = None) -> list[Profile]:
    """User profiles (``options["profiles"]``: paths or Profile objects) first, then built-ins."""
    user: list[Profile] = []
    for item in _as_list((options or {}).get("profiles")):
        user.append(item if isinstance(item, Profile) else load_profile_file(item))
    return user + list(builtin_profiles())
