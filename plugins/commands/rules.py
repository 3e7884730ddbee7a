"""Rule authoring kit: ``scolint rules list|show|lint|test|new|doc|schema``,
``scolint entities``, ``scolint explain`` and ``scolint baseline``."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scolint.engine import hookimpl
from scolint.engine.cli import add_rule_options
from scolint.engine.errors import RuleFileError, ScolintError, UsageError, internal_error
from scolint.engine.findings import SEVERITY_FR
from scolint.plugins.commands.output import write_output
from scolint.plugins.commands.project import add_project_options, settings_from_args

if TYPE_CHECKING:  # the rule engine (and Jinja) is imported when a command runs
    from scolint.engine.rules import Rule

# The rule linter, the rule tests and the catalogue (engine/rulelint.py, engine/testing.py,
# ruleskit_doc.py) are imported by the commands that use them: registering the commands
# must not cost every ``scolint check`` their import.

ID_RE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-[0-9]{3}$")


def _paths(args: argparse.Namespace) -> list[Path]:
    s = settings_from_args(args)
    return (list(args.host.rule_paths()) if s.use_default_rules else []) + s.rule_paths


def _load(args: argparse.Namespace) -> tuple[list[Rule], list[Path]]:
    from scolint.engine.evaluate import make_environment
    from scolint.engine.rules import load_rules
    reg = args.host.registries
    paths = _paths(args)
    return load_rules(paths, reg, make_environment(reg)), paths


# -- list / show / doc / schema / new ------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    rules, _ = _load(args)
    sel = settings_from_args(args).selection
    rows = [(r.id, SEVERITY_FR.get(r.severity, r.severity), ", ".join(r.tags), r.title)
            for r in sorted(rules, key=lambda r: r.id) if sel.accepts(r)]
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(("RÈGLE", "GRAVITÉ", "ÉTIQUETTES"))]
    lines = [f"{'RÈGLE'.ljust(widths[0])}  {'GRAVITÉ'.ljust(widths[1])}  {'ÉTIQUETTES'.ljust(widths[2])}  TITRE"]
    lines += [f"{a.ljust(widths[0])}  {b.ljust(widths[1])}  {c.ljust(widths[2])}  {d}" for a, b, c, d in rows]
    lines.append(f"{len(rows)} règle(s).")
    write_output("\n".join(lines), None)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    rules, _ = _load(args)
    rule = next((r for r in rules if r.id == args.rule_id.upper()), None)
    if rule is None:
        import difflib
        close = difflib.get_close_matches(args.rule_id.upper(), [r.id for r in rules], n=3)
        raise UsageError(f"règle inconnue « {args.rule_id} »" + (f" (vouliez-vous dire {', '.join(close)} ?)" if close else ""))
    import yaml
    out = [f"{rule.id} — {rule.title}", f"Fichier : {rule.path}",
           f"Gravité : {SEVERITY_FR.get(rule.severity, rule.severity)} · Flux : {rule.flow} · "
           f"Étiquettes : {', '.join(rule.tags) or 'aucune'}",
           f"Exports requis : {', '.join(rule.requires) or 'aucun'}",
           f"Examine : chaque « {rule.for_each} »" + (f" tel que {rule.where.strip()}" if rule.where else "")]
    if rule.description:
        out += ["", "Description :", "  " + " ".join(rule.description.split())]
    opts = rule.options if isinstance(rule.options, str) else yaml.safe_dump(rule.options, allow_unicode=True).strip()
    out += ["", f"Contrôle {rule.check} :", *("  " + x for x in str(opts).strip().splitlines()),
            "", "Message :", *("  " + x for x in rule.message.strip().splitlines()),
            "", "Correction :", *("  " + x for x in rule.fix.strip().splitlines())]
    if rule.references:
        out += ["", "Références :", *(f"  - {r}" for r in rule.references)]
    out += ["", f"Tests ({len(rule.tests)}) :"]
    if rule.tests:
        out += ["  " + x for x in yaml.safe_dump(rule.tests, allow_unicode=True, sort_keys=False).splitlines()]
    write_output("\n".join(out), None)
    return 0


def cmd_doc(args: argparse.Namespace) -> int:
    from scolint.plugins.commands.doc import catalogue_markdown
    rules, paths = _load(args)
    write_output(catalogue_markdown(rules, args.host.registries, paths), args.output, paths)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from scolint.engine.config import config_schema
    from scolint.engine.rules import full_schema
    schema = config_schema() if args.project else full_schema(args.host.registries)
    write_output(json.dumps(schema, ensure_ascii=False, indent=2), args.output)
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from scolint.engine.rules import full_schema
    from scolint.plugins.commands.doc import skeleton
    rule_id = args.rule_id.upper()
    if not ID_RE.match(rule_id):
        raise UsageError(f"identifiant « {args.rule_id} » invalide : FLUX-SUJET-NNN attendu (ex. ACA-ELEVE-001)")
    reg = args.host.registries
    if args.kind not in reg.entities:
        raise UsageError(f"type d'entité inconnu « {args.kind} » (voir scolint entities)")
    folder = Path(args.folder)
    target = folder / f"{rule_id}.yml"
    if target.exists() and not args.force:
        raise UsageError(f"{target} existe déjà (--force pour l'écraser)")
    folder.mkdir(parents=True, exist_ok=True)
    from scolint.engine.outputs import write_file
    write_file(target, skeleton(rule_id, args.kind, reg), what="fichier de règle")
    print(f"Règle créée : {target}")
    schema = folder / "rule.schema.json"
    if not schema.exists():
        write_file(schema, json.dumps(full_schema(reg), ensure_ascii=False, indent=2) + "\n")
        print(f"Schéma des règles (complétion dans l'éditeur) : {schema}")
    return 0


# -- lint / test ------------------------------------------------------------------------
def cmd_lint(args: argparse.Namespace) -> int:
    from scolint.engine.evaluate import make_environment
    from scolint.engine.rulelint import lint_paths
    from scolint.engine.rules import load_rule_file, rule_files
    reg = args.host.registries
    env = make_environment(reg)
    paths = [Path(p) for p in args.paths] or _paths(args)
    for p in paths:
        if not p.exists():
            raise UsageError(f"chemin introuvable : {p}")
    others: dict[str, str] = {}
    if args.paths:  # ids of the other loaded rules must not be reused
        for f in rule_files(_paths(args)):
            with contextlib.suppress(RuleFileError):
                others.setdefault(load_rule_file(f, reg, env).id, str(f))
    rules, problems = lint_paths(paths, reg, env, [Path(c) for c in args.cases], others)
    for pb in problems:
        print(pb)
    print(f"{len(rule_files(paths))} fichier(s), {len(rules)} règle(s) chargée(s), {len(problems)} problème(s).")
    return 1 if problems else 0


def cmd_test(args: argparse.Namespace) -> int:
    from scolint.engine.evaluate import make_environment
    from scolint.engine.expressions import french_reason
    from scolint.engine.rulelint import LintProblem, is_case_file
    from scolint.engine.rules import load_rule_file, rule_files
    from scolint.engine.testing import load_case_file, run_rule_tests
    reg = args.host.registries
    env = make_environment(reg, direct_code=False)  # rule tests: Jinja, the reference
    paths = [Path(p) for p in args.paths] or _paths(args)
    files = rule_files(paths)
    case_files = [f for f in files if is_case_file(f)] + rule_files(Path(c) for c in args.cases)
    rules: list[Rule] = []
    errors = 0
    for f in files:
        if f in case_files:
            continue
        try:
            rules.append(load_rule_file(f, reg, env))
        except RuleFileError as exc:
            print(exc)
            errors += 1
    cases = []
    for f in case_files:
        try:
            cases.extend(load_case_file(f))
        except Exception as exc:  # report, go on with the other files
            print(LintProblem(str(f), None, "CAS", "fichier de cas illisible : "
                               f"{getattr(exc, 'detail', None) or french_reason(exc)}"))
            errors += 1
    if not args.paths:  # all loaded rules: --tags / --select / profiles narrow them
        sel = settings_from_args(args).selection
        rules = [r for r in rules if sel.accepts(r)]
    results = run_rule_tests(rules, reg, env, cases)
    failed = [r for r in results if not r.ok]
    for r in failed:
        c = r.case
        where = f"{c.path}:{c.line}" if c.line else c.path
        detail = f" ; erreur : {r.error}" if r.error else ""
        print(f"{where}: ÉCHEC: {c.rule_id} « {c.name} » : attendu {r.expected}, trouvé {r.found}{detail}")
    if not args.no_demo:
        for line in demo_warnings(args, rules):
            print(line)
    print(f"{len(rules)} règle(s), {len(results)} cas : {len(results) - len(failed)} réussi(s), "
          f"{len(failed)} en échec.")
    return 1 if failed or errors else 0


def _generate_demo(args: argparse.Namespace, out: Path) -> bool:
    from scolint.engine.cli import build_parser
    parser = build_parser(args.host)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            ns = parser.parse_args(["generate", "--students", "60", "--seed", "1", "--out", str(out)])
            ns.host = args.host
            ns.handler(ns)
    except SystemExit:  # no generator installed
        return False
    return True


def demo_warnings(args: argparse.Namespace, rules: list[Rule]) -> list[str]:
    """Warnings for rules that examine no entity at all on the demo establishment."""
    from scolint.engine.audit import Auditor
    from scolint.engine.evaluate import EvalContext, audit_facts
    with tempfile.TemporaryDirectory(prefix="scolint-demo-") as tmp:
        data = Path(args.demo) if args.demo else Path(tmp)
        if not args.demo and not _generate_demo(args, data):
            return ["AVERTISSEMENT : générateur de démonstration absent, vérification sur la démo ignorée."]
        auditor = Auditor(host=args.host, use_default_rules=False)
        graph, _ = auditor.load([data])
        audit = auditor.audit_vars(graph)
    formats = graph.formats()
    ctx = EvalContext(graph, auditor.env, audit_facts(graph, audit))
    out = []
    for rule in rules:
        where = f"{rule.path}:{rule.line('for_each')}"
        missing = [f for f in rule.requires if f not in formats]
        if missing:
            out.append(f"{where}: DEMO: {rule.id} non évaluée sur les données de démonstration "
                       f"(export(s) absent(s) : {', '.join(missing)})")
            continue
        ents = graph.all(rule.for_each)
        try:
            if rule.where:
                fn = auditor.env.expression(rule.where)
                ents = [e for e, keep in ctx.each(fn, rule, ents) if keep]
        except Exception as exc:  # shown (in French: never an exception's own text), the test run goes on
            if isinstance(exc, ScolintError):
                why = str(exc)
            else:
                internal_error(exc)
                why = "erreur interne (SCOLINT_DEBUG=1 pour le détail)"
            out.append(f"{where}: DEMO: {rule.id} : erreur sur les données de démonstration : {why}")
            continue
        if not ents:
            out.append(f"{where}: DEMO: {rule.id} ne s'applique à aucune entité des données de démonstration "
                       f"(for_each: {rule.for_each}{', where: ' + rule.where.strip() if rule.where else ''}) : "
                       "vérifiez le type d'entité et le filtre, sinon la règle ne se déclenchera jamais")
    return out


@hookimpl
def scolint_cli_commands(subparsers: Any) -> None:
    from scolint.plugins.commands.explain import add_other_commands

    p = subparsers.add_parser("rules", help="écrire, vérifier, tester et documenter des règles",
                              description="Outils pour les auteurs de règles : liste, fiche, vérification, "
                                          "tests, squelette, catalogue.")
    sub = p.add_subparsers(dest="rules_command", metavar="ACTION", parser_class=type(p))
    p.set_defaults(handler=lambda a: (p.print_help(), 2)[1])

    def rule_opts(sp: argparse.ArgumentParser) -> None:
        add_rule_options(sp)
        add_project_options(sp, baseline=False)

    sp = sub.add_parser("list", help="liste les règles (identifiant, gravité, étiquettes, titre)")
    rule_opts(sp)
    sp.set_defaults(handler=cmd_list)
    sp = sub.add_parser("show", help="affiche une règle entière : contrôle, message, correction, tests")
    sp.add_argument("rule_id", metavar="RÈGLE")
    rule_opts(sp)
    sp.set_defaults(handler=cmd_show)
    sp = sub.add_parser("lint", help="vérifie des fichiers de règles (schéma, expressions, variables, tests)")
    sp.add_argument("paths", nargs="*", metavar="CHEMIN", help="dossiers ou fichiers de règles (défaut : toutes)")
    sp.add_argument("--cases", action="append", default=[], metavar="DOSSIER",
                    help="fichiers de cas de test (rule:/cases:) à prendre en compte (répétable)")
    rule_opts(sp)
    sp.set_defaults(handler=cmd_lint)
    sp = sub.add_parser("test", help="lance les cas de test des règles et vérifie qu'elles s'appliquent à la démo")
    sp.add_argument("paths", nargs="*", metavar="CHEMIN", help="dossiers ou fichiers de règles (défaut : toutes)")
    sp.add_argument("--cases", action="append", default=[], metavar="DOSSIER",
                    help="fichiers de cas de test (rule:/cases:) en plus des tests: des règles (répétable)")
    sp.add_argument("--demo", metavar="DOSSIER", help="données à utiliser au lieu de l'établissement de démonstration")
    sp.add_argument("--sans-demo", dest="no_demo", action="store_true",
                    help="ne pas vérifier les règles sur les données de démonstration")
    rule_opts(sp)
    sp.set_defaults(handler=cmd_test)
    sp = sub.add_parser("new", help="écrit le squelette commenté d'une nouvelle règle")
    sp.add_argument("rule_id", metavar="IDENTIFIANT", help="ex. ACA-ELEVE-001")
    sp.add_argument("--pour", dest="kind", default="student", metavar="TYPE",
                    help="type d'entité examiné (défaut : student ; voir scolint entities)")
    sp.add_argument("--dossier", dest="folder", default=".", metavar="DOSSIER", help="dossier où écrire la règle")
    sp.add_argument("--force", action="store_true", help="écraser le fichier s'il existe")
    sp.set_defaults(handler=cmd_new)
    sp = sub.add_parser("doc", help="écrit le catalogue des règles (Markdown)")
    sp.add_argument("-o", "--output", metavar="FICHIER", help="fichier à écrire (défaut : sortie standard)")
    rule_opts(sp)
    sp.set_defaults(handler=cmd_doc)
    sp = sub.add_parser("schema", help="écrit le schéma JSON des règles (avec les contrôles des plugins)")
    sp.add_argument("-o", "--output", metavar="FICHIER", help="fichier à écrire (défaut : sortie standard)")
    sp.add_argument("--projet", dest="project", action="store_true",
                    help="schéma du fichier de projet .scolint.yaml au lieu de celui des règles")
    sp.set_defaults(handler=cmd_schema)
    add_other_commands(subparsers)
