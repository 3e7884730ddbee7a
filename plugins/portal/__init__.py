"""Plugin of the self-service portal: ``scolint serve`` and its token subcommands.

The web application (:mod:`.app`) needs the ``portail`` extra (Starlette, uvicorn,
python-multipart); it is imported only when the portal starts, so registering the
command costs nothing to ``scolint check``.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from pathlib import Path
from typing import Any

from scolint.engine import hookimpl
from scolint.engine.errors import UsageError

DEFAULT_PORT = 8750
DATA_ENV = "SCOLINT_PORTAIL_DONNEES"
DEFAULT_DATA = "scolint-portail"


def data_dir(args: argparse.Namespace) -> Path:
    return Path(args.donnees or os.environ.get(DATA_ENV) or DEFAULT_DATA)


def cmd_token(args: argparse.Namespace) -> int:
    from .tokens import ACADEMY, SCHOOL, TokenStore, normalise_uai
    store = TokenStore(data_dir(args))
    if args.academie:
        role, key = ACADEMY, args.academie.strip()
        if not key or len(key) > 60:
            raise UsageError("nom d'équipe académique vide ou trop long (60 caractères au plus)")
    elif args.uai:
        role, key = SCHOOL, normalise_uai(args.uai)
    else:
        raise UsageError("donnez l'UAI de l'établissement (scolint serve jeton 0312201Z) ou --academie NOM")
    token = store.create(role, key)
    who = f"l'établissement {key}" if role == SCHOOL else f"l'équipe académique « {key} »"
    print(f"Jeton de {who} (affiché une seule fois, seule son empreinte est gardée dans {store.path}) :")
    print(token)
    return 0


def cmd_tokens(args: argparse.Namespace) -> int:
    from .tokens import TokenStore
    store = TokenStore(data_dir(args))
    entries = store.entries()
    if not entries:
        print(f"Aucun jeton dans {store.path}.")
    for e in entries:
        print(f"{e['role']:<14} {e['cle']:<20} créé le {e['cree_le']}")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from .tokens import TokenStore
    store = TokenStore(data_dir(args))
    key = args.cle.strip()
    n = store.revoke(key.upper() if len(key) == 8 else key) or store.revoke(key)
    if not n:
        raise UsageError(f"aucun jeton pour « {key} » dans {store.path}")
    print(f"{n} jeton(s) de « {key} » révoqué(s) : ils ne donnent plus accès au portail.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    if getattr(args, "action", None):
        return int(args.action(args))
    try:
        import uvicorn

        from .app import PortalConfig, create_app
    except ImportError as exc:
        raise UsageError(f"le portail demande des modules absents ({exc.name}) : installez-les avec "
                         "pip install 'scolint[portail]'") from None
    for name, value, low in (("--port", args.port, 0), ("--max-mo", args.max_mo, 1), ("--max-fichiers", args.max_fichiers, 1),
                             ("--duree-max", args.duree_max, 1), ("--processus", args.processus, 1)):
        if value < low:
            raise UsageError(f"{name} doit valoir au moins {low}")
    if args.entete_sso and not _loopback(args.hote):
        print(f"scolint : attention, avec --entete-sso le portail doit n'être joignable que par le mandataire "
              f"inverse (écoute sur {args.hote}) : sinon n'importe qui peut écrire l'en-tête {args.entete_sso}.",
              file=sys.stderr)
    import tempfile
    with tempfile.TemporaryDirectory(prefix="scolint-portail-demo-") as tmp:
        folder = data_dir(args) if (args.donnees or not args.demo) else Path(tmp) / "donnees"
        demo_zip = _prepare_demo(Path(tmp), folder) if args.demo else None
        config = PortalConfig(data_dir=folder, max_bytes=args.max_mo * 1024 * 1024, max_files=args.max_fichiers,
                              timeout=float(args.duree_max), workers=args.processus, queue=args.file_attente,
                              memory_mb=args.memoire_mo, result_ttl=args.conservation * 60.0,
                              uploads_per_hour=args.envois_par_heure, sso_header=args.entete_sso or "",
                              sso_academy=tuple(args.sso_academie), demo_zip=demo_zip,
                              tmp_root=Path(args.dossier_temporaire) if args.dossier_temporaire else None)
        config.data_dir.mkdir(parents=True, exist_ok=True)
        app = create_app(config)
        host = f"[{args.hote}]" if ":" in args.hote else args.hote
        print(f"Portail scolint : http://{host}:{args.port}/  (Ctrl+C pour l'arrêter)", flush=True)
        server = uvicorn.Server(uvicorn.Config(
            app, host=args.hote, port=args.port, log_level="warning", access_log=False,
            proxy_headers=bool(args.mandataire), forwarded_allow_ips=args.mandataire or None,
            server_header=False, timeout_keep_alive=5, timeout_graceful_shutdown=10))
        server.run()
    return 0


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _prepare_demo(tmp: Path, folder: Path) -> Path:
    """The demo: a generated school zipped for download, a token for it and one for the academy."""
    import zipfile

    from scolint.plugins.gen.generate import generate

    from .tokens import ACADEMY, SCHOOL, TokenStore
    school = tmp / "ecole"
    est, _truth = generate(school, 600, 1)
    archive = tmp / "exports-demo.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(school.iterdir()):
            if f.is_file() and f.suffix.lower() in (".xml", ".csv"):
                zf.write(f, f.name)
    store = TokenStore(folder)
    school_token = store.create(SCHOOL, est.uai)
    academy_token = store.create(ACADEMY, "demo")
    print(f"Démonstration : collège fictif {est.uai} ({len(est.students)} élèves), exports dans {archive}.")
    print(f"  jeton de l'établissement {est.uai} : {school_token}")
    print(f"  jeton de l'équipe académique   : {academy_token}")
    return archive


@hookimpl
def scolint_cli_commands(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "serve", help="portail web : un établissement dépose ses exports et lit son rapport",
        description="Lance le portail web où un établissement dépose ses exports (plusieurs fichiers ou une "
                    "archive .zip) et lit son rapport, avec le tableur et le JSON à télécharger. Demande l'extra "
                    "« portail » : pip install 'scolint[portail]'. Jetons : « scolint serve jeton UAI ».",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hote", default="127.0.0.1", metavar="ADRESSE",
                   help="adresse d'écoute (défaut : 127.0.0.1, joignable de cette machine seulement)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port d'écoute (défaut : {DEFAULT_PORT})")
    p.add_argument("--donnees", metavar="DOSSIER",
                   help=f"dossier des données du portail (jetons) ; défaut : ${DATA_ENV} ou ./{DEFAULT_DATA}")
    p.add_argument("--demo", action="store_true",
                   help="démonstration : collège fictif à télécharger et jetons créés pour lui et pour l'académie")
    p.add_argument("--max-mo", type=int, default=200, metavar="MO", help="taille maximale d'un envoi (défaut : 200 Mo)")
    p.add_argument("--max-fichiers", type=int, default=40, metavar="N", help="fichiers par envoi au plus (défaut : 40)")
    p.add_argument("--duree-max", type=int, default=300, metavar="S", help="durée maximale d'une analyse (défaut : 300 s)")
    p.add_argument("--processus", type=int, default=min(2, os.cpu_count() or 1), metavar="N",
                   help="analyses menées en même temps, une par processus (défaut : 2)")
    p.add_argument("--file-attente", type=int, default=32, metavar="N",
                   help="envois qui peuvent attendre leur tour (défaut : 32 ; au-delà : « portail occupé »)")
    p.add_argument("--memoire-mo", type=int, default=0, metavar="MO",
                   help="mémoire maximale d'un processus d'analyse (défaut : sans limite)")
    p.add_argument("--conservation", type=int, default=10, metavar="MIN",
                   help="minutes pendant lesquelles un rapport reste téléchargeable (défaut : 10)")
    p.add_argument("--envois-par-heure", type=int, default=30, metavar="N",
                   help="envois par heure et par jeton au plus (défaut : 30)")
    p.add_argument("--entete-sso", metavar="EN-TÊTE",
                   help="identifier par cet en-tête du mandataire inverse (valeur : UAI de l'établissement) "
                        "au lieu des jetons")
    p.add_argument("--sso-academie", action="append", default=[], metavar="VALEUR",
                   help="valeur de l'en-tête SSO qui donne accès au tableau de bord (répétable)")
    p.add_argument("--mandataire", metavar="ADRESSES",
                   help="adresses du mandataire inverse dont les en-têtes X-Forwarded-* sont crus (ex. 127.0.0.1)")
    p.add_argument("--dossier-temporaire", metavar="DOSSIER",
                   help="où créer le dossier privé des envois (défaut : le dossier temporaire du système)")
    p.set_defaults(handler=cmd_serve, action=None)
    sub = p.add_subparsers(dest="serve_command", metavar="ACTION", parser_class=type(p))
    data_help = f"dossier des données du portail (défaut : ${DATA_ENV} ou ./{DEFAULT_DATA})"
    t = sub.add_parser("jeton", help="crée le jeton d'un établissement (ou de l'équipe académique), affiché une fois")
    t.add_argument("uai", nargs="?", metavar="UAI")
    t.add_argument("--academie", metavar="NOM", help="jeton de l'équipe académique (tableau de bord) au lieu d'un UAI")
    t.add_argument("--donnees", metavar="DOSSIER", default=argparse.SUPPRESS, help=data_help)
    t.set_defaults(action=cmd_token)
    ls = sub.add_parser("jetons", help="liste les jetons (établissement, date ; jamais le jeton)")
    ls.add_argument("--donnees", metavar="DOSSIER", default=argparse.SUPPRESS, help=data_help)
    ls.set_defaults(action=cmd_tokens)
    r = sub.add_parser("revoquer", help="révoque les jetons d'un établissement ou d'une équipe")
    r.add_argument("cle", metavar="UAI|NOM")
    r.add_argument("--donnees", metavar="DOSSIER", default=argparse.SUPPRESS, help=data_help)
    r.set_defaults(action=cmd_revoke)
