"""Command-line glue for the project file, profiles, exceptions and baselines.

Used by ``scolint check`` (plugins/commands/check.py), ``scolint baseline`` and ``scolint explain``.
Options: ``--config FICHIER``, ``--sans-config``, ``--profil-regles NOM`` (not
``--profile``, which chooses a CSV layout), ``--baseline FICHIER``, ``--strict``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from scolint.engine.baseline import load_baseline
from scolint.engine.cli import SEVERITY_METAVAR, severity_choice, split_multi
from scolint.engine.config import ProjectConfig, Settings, find_config, load_config
from scolint.engine.findings import AuditResult
from scolint.engine.policy import decide
from scolint.engine.selection import Selection

#: Profiles available without any project file; a project file may redefine them.
BUILTIN_PROFILES: dict[str, dict[str, Any]] = {
    "rentree": {
        "description": "Rentrée : cohérence des exports SIECLE, STS et EDT avant les imports dans EDT, PRONOTE et l'ENT.",
        "select": ["general", "siecle", "sts", "edt", "rentree"],
    },
    "avant-remontee-sts": {
        "description": "Avant la remontée des services d'EDT vers STSWEB : ce qui bloque ou fausse la remontée.",
        "select": ["remontee-sts"],
        "fail_on": "error",
    },
    "publipostage": {
        "description": "Avant la distribution des identifiants ENT et PRONOTE (publipostage).",
        "select": ["publipostage", "ent", "pronote", "aaf"],
    },
}


def add_project_options(p: argparse.ArgumentParser, baseline: bool = True) -> None:
    """Add the project-file options to a command that runs rules."""
    g = p.add_argument_group("fichier de projet (.scolint.yaml)")
    g.add_argument("--config", metavar="FICHIER",
                   help="fichier de projet (défaut : .scolint.yaml du dossier courant ou d'un dossier parent)")
    g.add_argument("--sans-config", dest="no_config", action="store_true",
                   help="ignorer tout fichier .scolint.yaml")
    g.add_argument("--profil-regles", dest="rules_profile", metavar="NOM",
                   help="profil de règles : rentree, avant-remontee-sts, publipostage ou un profil du fichier de projet")
    g.add_argument("--erreurs-de-regle", dest="rule_errors", choices=["error", "warning", "info"],
                   type=severity_choice, metavar=SEVERITY_METAVAR,
                   help="gravité d'une erreur de règle dans le code de sortie (défaut : error, ou rule_errors "
                        "du fichier de projet)")
    if baseline:
        g.add_argument("--baseline", metavar="FICHIER",
                       help="ligne de base (scolint baseline) : seules les anomalies absentes de ce fichier comptent")
        g.add_argument("--strict", action="store_true",
                       help="échouer aussi quand une anomalie acceptée (ligne de base ou exception) a disparu")


def project_from_args(args: argparse.Namespace) -> ProjectConfig:
    """The project file named by ``--config`` or found from the current folder."""
    cached = getattr(args, "_project", None)
    if cached is not None:
        return cached
    path: Path | None = None
    if getattr(args, "config", None):
        path = Path(args.config)
    elif not getattr(args, "no_config", False):
        path = find_config()
    project = load_config(path, BUILTIN_PROFILES)
    args._project = project
    return project


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Project file and profile, then the command-line options on top."""
    settings = project_from_args(args).resolve(getattr(args, "rules_profile", None))
    ignore = split_multi(getattr(args, "ignore", []))
    sel = settings.selection
    settings.selection = Selection(
        tags=split_multi(getattr(args, "tags", [])), ids=split_multi(getattr(args, "select", [])),
        exclude_ids=sel.exclude_ids + ignore, exclude_tags=sel.exclude_tags + ignore, any_of=sel.any_of)
    settings.rule_paths = settings.rule_paths + [Path(p) for p in getattr(args, "rules", [])]
    if getattr(args, "no_default_rules", False):
        settings.use_default_rules = False
    if getattr(args, "fail_on", None):
        settings.fail_on = args.fail_on
    if getattr(args, "rule_errors", None):
        settings.rule_errors = args.rule_errors
    settings.fail_on = settings.fail_on or "error"
    return settings


def _close(name: str, options: Any) -> str:
    import difflib
    close = difflib.get_close_matches(name, list(options), n=1)
    return f" (vouliez-vous dire « {close[0]} » ?)" if close else ""


def unknown_names(args: argparse.Namespace, result: AuditResult, project: ProjectConfig) -> list[str]:
    """The rule ids or tags named by the project file (select, ignore, severity, profiles)
    or the command line (--select, --ignore) that no loaded rule has."""
    known = result.known_rules
    if not known:
        return []
    tags = {t for ts in known.values() for t in ts}
    names = set(known) | tags
    out: list[str] = []
    where = str(project.path) if project.path else "fichier de projet"
    places: list[tuple[str, list[str]]] = [
        ("select", list(project.data.get("select", []))), ("ignore", list(project.data.get("ignore", []))),
        ("severity", list(project.data.get("severity", {})))]
    profile = getattr(args, "rules_profile", None)
    if profile and profile in project.profiles:
        prof = project.profiles[profile]
        for key in ("select", "ignore", "severity"):
            places.append((f"profil « {profile} », {key}", list(prof.get(key, []))))
    for label, items in places:
        for name in items:
            if str(name) not in names:
                out.append(f"{where} : {label} : règle ou étiquette inconnue « {name} »{_close(str(name), names)}")
    for opt, label in (("select", "--select"), ("ignore", "--ignore")):
        for name in split_multi(getattr(args, opt, None) or []):
            if name not in names:
                out.append(f"{label} : règle ou étiquette inconnue « {name} »{_close(name, names)}")
    return out


def entity_lookups(args: argparse.Namespace) -> list[tuple[str | None, str]]:
    """The records named by the project's exceptions and by ``--baseline``'s entries, which
    the audit is asked to look for (« enregistrement introuvable »)."""
    out: list[tuple[str | None, str]] = [(e.kind, e.entity) for e in project_from_args(args).exceptions]
    if getattr(args, "baseline", None):
        try:
            entries = load_baseline(args.baseline).entries.values()
        except Exception:  # noqa: BLE001 - read (and its error worded) again after the audit
            entries = []
        for e in entries:
            ent = e.get("entity") or {}
            if ent.get("id") is not None:
                out.append((ent.get("kind"), str(ent["id"])))
    return out


def accept_and_exit_code(args: argparse.Namespace, result: AuditResult, fail_on: str,
                         today: dt.date | None = None) -> int:
    """Apply exceptions and ``--baseline`` to ``result`` (engine/policy.py decides the exit
    code); print its notes to stderr and return the code."""
    project = project_from_args(args)
    for line in unknown_names(args, result, project):
        print(f"scolint : {line}", file=sys.stderr)
    baseline = getattr(args, "baseline", None)
    verdict = decide(result, fail_on, project.exceptions_for(result.uai),
                     load_baseline(baseline) if baseline else None, str(baseline or ""),
                     bool(getattr(args, "strict", False)), today)
    for note in verdict.notes:
        print(f"scolint : {note}", file=sys.stderr)
    return verdict.code
