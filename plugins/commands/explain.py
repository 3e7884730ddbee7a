"""``scolint entities``, ``scolint explain`` and ``scolint baseline`` (rule authoring kit)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from scolint.engine.cli import add_rule_options
from scolint.engine.errors import UsageError
from scolint.engine.model import Entity, Graph
from scolint.plugins.commands.project import add_project_options, project_from_args

# explain, the baseline writer and the entity documentation are imported by their commands.


def cmd_entities(args: argparse.Namespace) -> int:
    from scolint.plugins.commands.doc import entities_markdown, entities_text
    from scolint.plugins.commands.output import write_output
    reg = args.host.registries
    if args.kind and args.kind not in reg.entities:
        import difflib

        close = difflib.get_close_matches(args.kind, list(reg.entities), n=3)
        raise UsageError(f"type d'entité inconnu « {args.kind} »" + (f" (vouliez-vous dire {', '.join(close)} ?)" if close else ""))  # noqa: E501
    text = entities_markdown(reg) if args.markdown else entities_text(reg, args.kind)
    write_output(text, args.output)
    return 0


def find_entities(graph: Graph, kind: str, wanted: str) -> list[Entity]:
    """Entities of ``kind`` whose id is ``wanted`` (or ``source:id``), else whose label is it."""
    ents = graph.all(kind)
    found = [e for e in ents if e.id == wanted or f"{e.source}:{e.id}" == wanted]
    if not found:
        low = wanted.casefold()
        found = [e for e in ents if e.label.casefold() == low]
    return found


def cmd_explain(args: argparse.Namespace) -> int:
    import difflib  # (imported when the command runs, as its other modules)

    from scolint.engine.explain import explain_rule
    from scolint.plugins.commands.check import auditor_from_args
    auditor = auditor_from_args(args)
    rule = next((r for r in auditor.all_rules if r.id == args.rule_id.upper()), None)
    if rule is None:
        close = difflib.get_close_matches(args.rule_id.upper(), [r.id for r in auditor.all_rules], n=3)
        raise UsageError(f"règle inconnue « {args.rule_id} »" + (f" (vouliez-vous dire {', '.join(close)} ?)" if close else ""))
    # a rule left out of the project's selection was read, not checked: check and compile it now
    rule = auditor.checked(rule)
    graph, _ = auditor.load(args.paths)
    ents = find_entities(graph, rule.for_each, args.entity)
    if not ents:
        pool = graph.all(rule.for_each)
        close = difflib.get_close_matches(args.entity, [e.id for e in pool] + [e.label for e in pool], n=5)
        hint = f" ; identifiants proches : {', '.join(close)}" if close else (
            f" ; exemples : {', '.join(e.id for e in pool[:5])}" if pool else " ; les données n'en contiennent aucune")
        raise UsageError(f"aucune entité « {args.entity} » de type « {rule.for_each} » (celui qu'examine "
                         f"{rule.id}){hint}")
    audit = auditor.audit_vars(graph)
    for i, ent in enumerate(ents):
        if i:
            print("\n" + "-" * 60 + "\n")
        lines, _ = explain_rule(rule, ent, graph, auditor.registries, auditor.env, audit, graph.formats())
        print("\n".join(lines))
    return 0


def cmd_baseline(args: argparse.Namespace) -> int:
    from scolint.engine.baseline import dump_baseline
    from scolint.engine.config import apply_exceptions
    from scolint.engine.outputs import check_output, write_file
    from scolint.plugins.commands.check import auditor_from_args, command_inputs
    inputs = command_inputs(args)
    check_output(args.output, inputs, "fichier de ligne de base")
    result = auditor_from_args(args).audit(args.paths)
    apply_exceptions(result, project_from_args(args).exceptions_for(result.uai))
    write_file(args.output, dump_baseline(result), inputs, what="fichier de ligne de base")
    kept = sum(1 for f in result.findings if f.accepted is None)
    print(f"Ligne de base écrite dans {args.output} : {kept} anomalie(s). Utilisez-la avec "
          f"« scolint check … --baseline {args.output} ».", file=sys.stderr)
    if result.nothing_read():
        from scolint.engine.outputs import terminal_text
        print(f"scolint : {terminal_text(result.nothing_read_reason())}", file=sys.stderr)
    return 2 if result.fatal_inputs or result.nothing_read() else 0


def add_other_commands(subparsers: Any) -> None:
    p = subparsers.add_parser("entities", help="liste les types d'entités, leurs champs et relations",
                              description="Ce qu'une règle peut lire après student., teacher., edt_course.…")
    p.add_argument("kind", nargs="?", metavar="TYPE", help="un seul type d'entité")
    p.add_argument("--markdown", action="store_true", help="page Markdown (docs/entites.md)")
    p.add_argument("-o", "--output", metavar="FICHIER", help="fichier à écrire (défaut : sortie standard)")
    p.set_defaults(handler=cmd_entities)

    p = subparsers.add_parser("explain", help="explique pourquoi une règle signale ou non une entité",
                              description="Pour une entité des données auditées : les valeurs lues par la "
                                          "règle, chaque sous-condition avec ses opérandes, et ce qui a décidé.")
    p.add_argument("rule_id", metavar="RÈGLE")
    p.add_argument("entity", metavar="ENTITÉ", help="identifiant (ou source:identifiant, ou nom affiché)")
    p.add_argument("paths", nargs="+", metavar="CHEMIN", help="dossier, fichier(s) ou archive .zip audités")
    add_rule_options(p)
    add_project_options(p, baseline=False)
    p.set_defaults(handler=cmd_explain)

    p = subparsers.add_parser("baseline", help="écrit une ligne de base des anomalies actuelles",
                              description="Enregistre les anomalies actuelles (empreintes sur les identifiants) "
                                          "pour que check --baseline n'échoue que sur les nouvelles.")
    p.add_argument("paths", nargs="+", metavar="CHEMIN")
    p.add_argument("-o", "--output", default="scolint-baseline.json", metavar="FICHIER",
                   help="fichier à écrire (défaut : scolint-baseline.json)")
    add_rule_options(p)
    add_project_options(p, baseline=False)
    p.set_defaults(handler=cmd_baseline)
