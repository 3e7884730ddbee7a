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

from scolint.engine.audit import Selection
from scolint.engine.baseline import load_baseline
from scolint.engine.cli import split_multi
from scolint.engine.config import ProjectConfig, Settings, find_config, load_config
from scolint.engine.findings import AuditResult
from scolint.engine.policy import decide

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
    settings.fail_on = settings.fail_on or "error"
    return settings


def accept_and_exit_code(args: argparse.Namespace, result: AuditResult, fail_on: str,
                         today: dt.date | None = None) -> int:
    """Apply exceptions and ``--baseline`` to ``result`` (engine/policy.py decides the exit
    code); print its notes to stderr and return the code."""
    project = project_from_args(args)
    baseline = getattr(args, "baseline", None)
    verdict = decide(result, fail_on, project.exceptions_for(result.uai),
                     load_baseline(baseline) if baseline else None, str(baseline or ""),
                     bool(getattr(args, "strict", False)), today)
    for note in verdict.notes:
        print(f"scolint : {note}", file=sys.stderr)
    return verdict.code
