"""The project file ``.scolint.yaml``: rule packs, selection, severities, profiles and
accepted exceptions.

YAML (not TOML) because rule authors already write YAML, PyYAML is a dependency
while ``tomllib`` only exists from Python 3.11 (``requires-python >= 3.10``), and
keys keep their line so every error reads ``file:line: CONFIG: ...``.
This module names no export format: default profiles are given by the caller.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from .errors import UsageError
from .findings import AuditResult
from .selection import Selection

# jsonschema and PyYAML are imported when a project file is actually read
# (most runs have none).

#: File name looked for in the current folder and its parents.
CONFIG_NAME = ".scolint.yaml"


@lru_cache(maxsize=1)
def config_schema() -> dict[str, Any]:
    """The JSON Schema of the project file (schemas/config.schema.json)."""
    text = resources.files("scolint.schemas").joinpath("config.schema.json").read_text("utf-8")
    return json.loads(text)


@dataclass
class AcceptedFinding:
    """One accepted finding of one establishment (``exceptions:`` of the project file)."""

    uai: str
    rule: str
    entity: str
    reason: str
    author: str
    expires: dt.date
    kind: str | None = None
    where: str = ""

    def matches(self, finding: Any) -> bool:
        return (finding.rule_id == self.rule and finding.entity_id == self.entity
                and (self.kind is None or finding.entity_kind == self.kind))

    def describe(self) -> str:
        return (f"{self.rule} sur « {self.entity} » ({self.uai}, accordée par {self.author}, "
                f"jusqu'au {self.expires.isoformat()} : {self.reason})")


@dataclass
class Settings:
    """What a profile resolves to: the arguments of :class:`~scolint.engine.audit.Auditor`."""

    rule_paths: list[Path] = field(default_factory=list)
    use_default_rules: bool = True
    selection: Selection = field(default_factory=Selection)
    severity_overrides: dict[str, str] = field(default_factory=dict)
    fail_on: str | None = None
    profile: str | None = None
    rule_errors: str = "error"


@dataclass
class ProjectConfig:
    """A parsed project file (or the defaults when there is none)."""

    path: Path | None = None
    data: dict[str, Any] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    exceptions: list[AcceptedFinding] = field(default_factory=list)

    @property
    def base(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def resolve(self, profile: str | None = None) -> Settings:
        """Merge the file's top level with ``profile``: a profile's ``select`` replaces
        the file's, ``ignore``, ``packs`` and ``severity`` add to it, ``fail_on`` wins."""
        d = self.data
        prof: dict[str, Any] = {}
        if profile:
            if profile not in self.profiles:
                known = ", ".join(sorted(self.profiles)) or "aucun"
                raise UsageError(f"profil de règles inconnu « {profile} » (connus : {known})")
            prof = self.profiles[profile]
        packs = [self._path(p) for p in [*d.get("packs", []), *prof.get("packs", [])]]
        select = prof["select"] if "select" in prof else d.get("select", [])
        ignore = [*d.get("ignore", []), *prof.get("ignore", [])]
        severity = {**d.get("severity", {}), **prof.get("severity", {})}
        return Settings(
            rule_paths=packs, use_default_rules=d.get("default_rules", True),
            selection=Selection(any_of=list(select), exclude_ids=list(ignore), exclude_tags=list(ignore)),
            severity_overrides=severity, fail_on=prof.get("fail_on") or d.get("fail_on"), profile=profile,
            rule_errors=d.get("rule_errors", "error"))

    def _path(self, raw: str) -> Path:
        p = Path(raw).expanduser()
        p = p if p.is_absolute() else self.base / p
        if not p.exists():
            where = f"{self.path}: " if self.path else ""
            raise UsageError(f"{where}CONFIG: dossier de règles introuvable : {raw}")
        return p

    def exceptions_for(self, uai: str | None) -> list[AcceptedFinding]:
        """The exceptions recorded for establishment ``uai``."""
        key = (uai or "").upper()
        return [e for e in self.exceptions if e.uai == key]


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``.scolint.yaml`` in ``start`` (default: current folder) or a parent."""
    cur = (start or Path.cwd()).resolve()
    for folder in (cur, *cur.parents):
        cand = folder / CONFIG_NAME
        if cand.is_file():
            return cand
    return None


def _dates_to_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _dates_to_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_to_text(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def load_config(path: Path | None, default_profiles: Mapping[str, dict[str, Any]] | None = None) -> ProjectConfig:
    """Read and check the project file ``path`` (None: defaults only).

    :param default_profiles: profiles available even without a file (a file's profile
        of the same name replaces it).
    :raises UsageError: ``file:line: CONFIG: ...`` for any mistake.
    """
    profiles = {k: dict(v) for k, v in (default_profiles or {}).items()}
    if path is None:
        return ProjectConfig(None, {}, profiles, [])
    import jsonschema
    import yaml

    from .yamlines import load_with_lines
    spath = str(path)
    try:
        text = Path(path).read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        from .outputs import read_error_fr
        raise UsageError(f"{spath}: CONFIG: fichier de projet illisible ({read_error_fr(exc)})") from None
    try:
        data, lines, dups = load_with_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{spath}:{mark.line + 1}" if mark else spath
        raise UsageError(f"{where}: CONFIG: YAML invalide : {getattr(exc, 'problem', exc)}") from None
    if dups:
        raise UsageError(f"{spath}:{dups[0][1]}: CONFIG: clé « {dups[0][0]} » répétée")
    data = _dates_to_text(data if data is not None else {})
    if not isinstance(data, dict):
        raise UsageError(f"{spath}:1: CONFIG: le fichier de projet doit être un dictionnaire YAML")
    from .rules import _first_error, _schema_error
    err = _first_error(jsonschema.Draft202012Validator(config_schema()), data)
    if err is not None:
        rerr = _schema_error(spath, lines, err)
        where = f"{spath}:{rerr.line}" if rerr.line else spath
        raise UsageError(f"{where}: CONFIG: {rerr.detail}")
    profiles.update(data.get("profiles", {}))
    excs: list[AcceptedFinding] = []
    for uai, items in data.get("exceptions", {}).items():
        for i, item in enumerate(items):
            line = lines.get(("exceptions", uai, i))
            try:
                expires = dt.date.fromisoformat(item["expires"])
            except ValueError:
                raise UsageError(f"{spath}:{line}: CONFIG: date d'expiration invalide « {item['expires']} » "
                                 "(attendu AAAA-MM-JJ)") from None
            excs.append(AcceptedFinding(uai.upper(), item["rule"], str(item["entity"]), item["reason"],
                                   item["author"], expires, item.get("kind"), f"{spath}:{line}"))
    return ProjectConfig(Path(path), data, profiles, excs)


@dataclass
class ExceptionReport:
    """What the exceptions did: findings accepted, expired ones, ones matching nothing."""

    accepted: int = 0
    expired: list[AcceptedFinding] = field(default_factory=list)
    unused: list[AcceptedFinding] = field(default_factory=list)


def apply_exceptions(result: AuditResult, exceptions: list[AcceptedFinding],
                     today: dt.date | None = None) -> ExceptionReport:
    """Mark the findings of ``result`` covered by a valid exception of its UAI as accepted.

    An expired exception accepts nothing (the finding counts again) and is reported.
    """
    today = today or dt.date.today()
    report = ExceptionReport()
    for exc in exceptions:
        if result.uai is None or exc.uai != result.uai.upper():
            continue
        hits = [f for f in result.findings if exc.matches(f)]
        if exc.expires < today:
            if hits:
                report.expired.append(exc)
            continue
        if not hits:
            report.unused.append(exc)
        for f in hits:
            if f.accepted is None:
                f.accepted = {"by": "exception", "reason": exc.reason, "author": exc.author,
                              "expires": exc.expires.isoformat(), "where": exc.where}
                report.accepted += 1
    return report
