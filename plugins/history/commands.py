"""``scolint historique``: list, prune, export and erase the history of audits.

``lister [--uai UAI]``, ``purger`` (audits older than the retention), ``exporter -o F.csv``
(one line per audit) and ``supprimer UAI`` (every audit of one establishment: RGPD).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scolint.engine import hookimpl
from scolint.engine.errors import UsageError

from .settings import add_history_options, history_settings

if TYPE_CHECKING:
    from .store import History

EXPORT_HEADERS = ["uai", "audit", "date_audit", "enregistre_le", "source", "annee_scolaire", "erreurs",
                  "avertissements", "informations", "regles_non_evaluees", "remontee_sts", "exports"]


def _open(args: argparse.Namespace) -> History:
    from scolint.plugins.commands.project import project_from_args
    settings = history_settings(args, project_from_args(args))
    if settings is None:
        raise UsageError("l'historique est désactivé (historique: actif: false dans le fichier de projet)")
    return settings.open()


def cmd_list(args: argparse.Namespace) -> int:
    from .dashboard import READY_FR, fr_date
    with _open(args) as h:
        audits = h.audits(args.uai)
        if not audits:
            print("Aucun audit dans l'historique" + (f" pour l'UAI {args.uai.upper()}." if args.uai else "."))
            return 0
        print(f"{'UAI':<9} {'date':<16} {'source':<8} {'erreurs':>7} {'avert.':>6} {'infos':>6}  remontée STSWEB")
        for a in audits:
            c = a.counts
            print(f"{a.uai:<9} {fr_date(a.audited_at):<16} {a.source:<8} {c['error']:>7} {c['warning']:>6} "
                  f"{c['info']:>6}  {READY_FR[a.ready_remontee]}")
        print(f"{len(audits)} audit(s), {len({a.uai for a in audits})} établissement(s) ; base : {h.where}")
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    with _open(args) as h:
        n = h.prune()
        print(f"{n} audit(s) de plus de {h.retention_days} jours effacé(s).")
    return 0


def export_text(history: History) -> str:
    """Every audit as CSV (``;``, UTF-8 with BOM, formulas neutralised)."""
    from .dashboard import READY_FR, neutralise
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(EXPORT_HEADERS)
    exports: dict[str, list[str]] = {}
    for audit_id, fmt, _system, when in history.db.execute(
            "SELECT audit_id, format_id, system_name, exported_at FROM audit_exports ORDER BY format_id"):
        exports.setdefault(audit_id, []).append(f"{fmt} ({when})" if when else fmt)
    for a in history.audits():
        c = a.counts
        w.writerow([neutralise(v) for v in (
            a.uai, a.id, a.audited_at, a.recorded_at, a.source, a.school_year or "", c["error"], c["warning"],
            c["info"], a.not_evaluated, READY_FR[a.ready_remontee], " | ".join(exports.get(a.id, [])))])
    return "\ufeff" + buf.getvalue()


def cmd_export(args: argparse.Namespace) -> int:
    from scolint.engine.discover import atomic_write
    with _open(args) as h:
        text = export_text(h)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        atomic_write(Path(args.output), text)
        print(f"Historique exporté dans {args.output}", file=sys.stderr)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    with _open(args) as h:
        n = h.delete_establishment(args.uai_to_delete)
        print(f"{n} audit(s) de l'établissement {args.uai_to_delete.upper()} effacé(s) de l'historique.")
    return 0


@hookimpl
def scolint_cli_commands(subparsers: Any) -> None:
    p = subparsers.add_parser("historique", help="consulter, purger, exporter l'historique des audits",
                              description="Historique des audits enregistrés par scolint batch (voir "
                                          "docs/historique.md) : lister, purger, exporter en CSV, supprimer un "
                                          "établissement.")
    sub = p.add_subparsers(dest="history_command", metavar="ACTION", parser_class=type(p))
    p.set_defaults(handler=lambda a: (p.print_help(), 2)[1])

    def common(sp: argparse.ArgumentParser) -> None:
        add_history_options(sp)
        g = sp.add_argument_group("fichier de projet (.scolint.yaml)")
        g.add_argument("--config", metavar="FICHIER", help="fichier de projet (défaut : .scolint.yaml trouvé)")
        g.add_argument("--sans-config", dest="no_config", action="store_true", help="ignorer tout fichier .scolint.yaml")

    sp = sub.add_parser("lister", help="liste les audits enregistrés")
    sp.add_argument("--uai", metavar="UAI", help="seulement cet établissement")
    common(sp)
    sp.set_defaults(handler=cmd_list)
    sp = sub.add_parser("purger", help="efface les audits plus anciens que la durée de conservation")
    common(sp)
    sp.set_defaults(handler=cmd_prune)
    sp = sub.add_parser("exporter", help="exporte tous les audits en CSV (une ligne par audit)")
    sp.add_argument("-o", "--output", required=True, metavar="FICHIER.csv", help="fichier CSV à écrire (- : sortie standard)")
    common(sp)
    sp.set_defaults(handler=cmd_export)
    sp = sub.add_parser("supprimer", help="efface tout l'historique d'un établissement (droit à l'effacement)")
    sp.add_argument("uai_to_delete", metavar="UAI")
    common(sp)
    sp.set_defaults(handler=cmd_delete)
