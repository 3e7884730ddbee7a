"""Core plugin: the generic entity kinds and the ``scolint check`` command."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from scolint.engine import hookimpl
from scolint.engine.audit import Auditor
from scolint.engine.cli import add_rule_options
from scolint.engine.discover import atomic_write
from scolint.engine.errors import UsageError
from scolint.engine.findings import AuditResult
from scolint.engine.registry import Registries


@hookimpl
def scolint_register(registries: Registries) -> None:
    registries.entities.declare(
        "export", "Un fichier d'export lu par scolint (un par fichier).", ("scolint",),
        format=("texte", "identifiant du format (siecle-eleves, sts-emp, edt-export...)"),
        system=("texte", "système d'origine : SIECLE, STS, EDT, PRONOTE, ENT ou AAF"),
        uai=("texte", "UAI de l'établissement indiqué dans le fichier"),
        year=("entier", "année scolaire (première année : 2019 pour 2019-2020)"),
        exported_at=("texte", "date d'export indiquée dans le fichier"),
        file=("texte", "chemin du fichier"),
        readable=("booléen", "le fichier a pu être lu"),
    )


def auditor_from_args(args: argparse.Namespace, **kwargs: Any) -> Auditor:
    """An Auditor from the rule options, the project file (.scolint.yaml) and its profile."""
    from scolint.plugins.commands.project import settings_from_args
    s = settings_from_args(args)
    kwargs.setdefault("severity_overrides", s.severity_overrides)
    if getattr(args, "csv_profiles", None):  # --profile: CSV layouts, checked before the audit
        from scolint.plugins.common.csvread import load_profile_file
        kwargs.setdefault("options", {})["profiles"] = [load_profile_file(f) for f in args.csv_profiles]
    return Auditor(rule_paths=s.rule_paths, selection=s.selection,
                   host=args.host, use_default_rules=s.use_default_rules, **kwargs)


def render(host: Any, result: AuditResult, fmt: str, options: dict[str, Any] | None = None) -> str | bytes:
    reporter = host.registries.reporters.get(fmt)
    if reporter is None:
        raise UsageError(f"format de rapport inconnu « {fmt} » (connus : {', '.join(host.registries.reporters)})")
    return reporter.render(result, options or {})


def write_output(text: str | bytes, output: str | None) -> None:
    if output and output != "-":
        atomic_write(output, text)
    else:
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")


def cmd_check(args: argparse.Namespace) -> int:
    from scolint.plugins.commands.project import accept_and_exit_code, settings_from_args
    from scolint.plugins.reporters import pseudonymise
    pseudo = pseudonymise.from_args(args)  # reads the secret before the audit
    auditor = auditor_from_args(args)
    if pseudo is None:  # the loaders build only the kinds of entities the selected rules read
        result = auditor.audit(args.paths)
    else:  # the pseudonymiser learns the names of every person of the graph
        result, graph = pseudonymise.audit_with_graph(auditor, args.paths)
    code = accept_and_exit_code(args, result, settings_from_args(args).fail_on or "error")
    if pseudo is not None:
        pseudo.apply(result, graph)
    text = render(args.host, result, args.format, {"color": args.output in (None, "-") and sys.stdout.isatty()})
    write_output(text, args.output)
    if args.output and args.output != "-":
        counts = result.counts()
        print(f"Rapport écrit dans {args.output} : {counts['error']} erreur(s), "
              f"{counts['warning']} avertissement(s), {counts['info']} information(s).", file=sys.stderr)
    return code


@hookimpl
def scolint_cli_commands(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "check", help="audite des exports (dossier, fichiers ou .zip)",
        description="Audite les exports donnés et écrit le rapport des anomalies avec leurs corrections.")
    p.add_argument("paths", nargs="+", metavar="CHEMIN", help="dossier, fichier(s) ou archive .zip")
    p.add_argument("--format", default="console", metavar="FORMAT",
                   help="format du rapport : console (défaut), json, markdown, html, junit, sarif")
    p.add_argument("-o", "--output", metavar="FICHIER", help="fichier du rapport (défaut : la sortie standard)")
    p.add_argument("--fail-on", choices=["error", "warning", "info"], default=None,
                   help="gravité à partir de laquelle le code de sortie est 1 (défaut : error, "
                        "ou fail_on du fichier de projet)")
    add_rule_options(p)
    from scolint.plugins.commands.project import add_project_options
    add_project_options(p)
    from scolint.plugins.reporters.pseudonymise import add_options as add_pseudonymise_options
    add_pseudonymise_options(p)
    p.add_argument("--profile", dest="csv_profiles", action="append", metavar="FICHIER.yaml",
                   help="profil de colonnes d'un export CSV (ENT, PRONOTE) à essayer avant les profils fournis ; "
                        "répétable (voir docs/profils-csv.md)")
    p.set_defaults(handler=cmd_check)
