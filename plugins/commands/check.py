"""Core plugin: the generic entity kinds and the ``scolint check`` command."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from scolint.engine import hookimpl
from scolint.engine.cli import SEVERITY_METAVAR, add_rule_options, severity_choice
from scolint.engine.errors import UsageError
from scolint.engine.findings import AuditResult
from scolint.engine.registry import Registries

if TYPE_CHECKING:  # the rule engine (and Jinja) is imported when the command runs
    from scolint.engine.audit import Auditor


@hookimpl
def scolint_register(registries: Registries) -> None:
    registries.entities.declare(
        "export", "Un fichier d'export lu par scolint (un par fichier).", ("scolint",),
        format=("texte", "identifiant du format (siecle-eleves, sts-emp, edt-export...)"),
        format_id=("texte", "le même identifiant, lisible dans une expression (« format » y est un nom réservé) : "
                   "export.format_id == 'siecle-nomenclature'"),
        system=("texte", "système d'origine : SIECLE, STS, EDT, PRONOTE, ENT ou AAF"),
        uai=("texte", "UAI de l'établissement indiqué dans le fichier"),
        year=("entier", "année scolaire (première année : 2019 pour 2019-2020)"),
        exported_at=("texte", "date d'export indiquée dans le fichier"),
        file=("texte", "chemin du fichier"),
        readable=("booléen", "le fichier a pu être lu"),
    )


def auditor_from_args(args: argparse.Namespace, **kwargs: Any) -> Auditor:
    """An Auditor from the rule options, the project file (.scolint.yaml) and its profile."""
    from scolint.engine.audit import Auditor
    from scolint.plugins.commands.project import settings_from_args
    s = settings_from_args(args)
    kwargs.setdefault("severity_overrides", s.severity_overrides)
    kwargs.setdefault("rule_errors", s.rule_errors)
    if getattr(args, "csv_profiles", None):  # --profile: CSV layouts, checked before the audit
        from scolint.plugins.common.csvread import load_profile_file
        kwargs.setdefault("options", {})["profiles"] = [load_profile_file(f) for f in args.csv_profiles]
    kwargs.setdefault("rule_time_limit", getattr(args, "rule_time_limit", None))
    return Auditor(rule_paths=s.rule_paths, selection=s.selection,
                   host=args.host, use_default_rules=s.use_default_rules, **kwargs)


#: Extensions of reports that are not text: written to a file, never to the terminal.
BINARY_EXTENSIONS = ("xlsx",)


def check_format(host: Any, fmt: str) -> Any:
    """The reporter of ``fmt``; a usage error naming the known formats when there is none."""
    reporter = host.registries.reporters.get(fmt)
    if reporter is None:
        raise UsageError(f"format de rapport inconnu « {fmt} » (connus : {', '.join(host.registries.reporters)})")
    return reporter


def render(host: Any, result: AuditResult, fmt: str, options: dict[str, Any] | None = None) -> str | bytes:
    return check_format(host, fmt).render(result, options or {})


def command_inputs(args: argparse.Namespace) -> Any:
    """Every file or folder the command reads (its outputs must stay off them)."""
    from scolint.engine.outputs import Inputs
    paths = list(getattr(args, "paths", None) or [])
    paths += list(getattr(args, "rules", None) or []) + list(getattr(args, "csv_profiles", None) or [])
    for name in ("baseline", "config", "pseudo_secret"):
        if getattr(args, name, None):
            paths.append(getattr(args, name))
    return Inputs(paths)


def write_output(text: str | bytes, output: str | None, inputs: Any = ()) -> None:
    """The report to ``output`` (never over an input), or to the standard output."""
    from scolint.engine.outputs import write_text_or_stdout
    write_text_or_stdout(output, text, inputs, what="fichier du rapport")


def use_color(output: str | None, stream: Any = None) -> bool:
    """Colours only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    import os
    stream = stream or sys.stdout
    return output in (None, "-") and bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def previous_from_args(args: argparse.Namespace) -> dict[str, Any] | None:
    """The previous audit's fingerprints: ``--precedent`` (a JSON result or a baseline),
    else the ``--baseline`` in use; None when neither is given."""
    from scolint.plugins.reporters.plan import previous_fingerprints
    if getattr(args, "precedent", None):
        return previous_fingerprints(args.precedent)
    if getattr(args, "baseline", None):  # read by the baseline's own loader (same errors)
        from scolint.engine.baseline import load_baseline
        return {fp: {"rule": e.get("rule")} for fp, e in load_baseline(args.baseline).entries.items()}
    return None


def cmd_check(args: argparse.Namespace) -> int:
    from scolint.plugins.commands.project import accept_and_exit_code, settings_from_args
    from scolint.plugins.reporters import pseudonymise
    reporter = check_format(args.host, args.format)  # an unknown format is refused before any audit
    if reporter.extension in BINARY_EXTENSIONS and args.output in (None, "-"):
        raise UsageError(f"le format {args.format} s'écrit dans un fichier : ajoutez --sortie "
                         f"anomalies.{reporter.extension}")
    previous = previous_from_args(args)
    pseudo = pseudonymise.from_args(args)  # reads the secret before the audit
    inputs = command_inputs(args)
    if args.output and args.output != "-":  # refused before the audit, not after
        from scolint.engine.outputs import check_output
        check_output(args.output, inputs, "fichier du rapport")
    from scolint.engine.readahead import read_ahead, xml_exports
    with read_ahead() as ahead:  # a thread parses and validates the next XML file (engine/readahead.py)
        if ahead is not None:  # the first XML export is read while the rules are loaded
            ahead.start(xml_exports(args.paths, args.host.xsd_of))
        auditor = auditor_from_args(args)
        from scolint.plugins.commands.project import entity_lookups
        auditor.lookups = entity_lookups(args)
        auditor.read_ahead = ahead
        if pseudo is None:  # the loaders build only the kinds of entities the selected rules read
            result = auditor.audit(args.paths)
        else:  # the pseudonymiser learns the names of every person of the graph
            result, graph = pseudonymise.audit_with_graph(auditor, args.paths)
    code = accept_and_exit_code(args, result, settings_from_args(args).fail_on or "error")
    if pseudo is not None:
        pseudo.apply(result, graph)
    options: dict[str, Any] = {"color": use_color(args.output)}
    if previous is not None:
        options["previous"] = previous
    text = render(args.host, result, args.format, options)
    write_output(text, args.output, inputs)
    if result.nothing_read():
        from scolint.engine.outputs import terminal_text
        print(f"scolint : {terminal_text(result.nothing_read_reason())}", file=sys.stderr)
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
                   help="format du rapport : console (défaut), texte, html, tableur (.xlsx), markdown, json, "
                        "junit, sarif, codequality (GitLab)")
    p.add_argument("--precedent", metavar="FICHIER.json",
                   help="résultat d'un audit précédent (scolint check --format json) ou ligne de base : les "
                        "rapports html, texte et tableur disent ce qui a changé depuis")
    p.add_argument("-o", "--output", metavar="FICHIER", help="fichier du rapport (défaut : la sortie standard)")
    p.add_argument("--fail-on", choices=["error", "warning", "info"], default=None, type=severity_choice,
                   metavar=SEVERITY_METAVAR,
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
