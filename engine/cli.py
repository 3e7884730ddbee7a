"""The ``scolint`` command line: thin, args in, exit code 0 / 1 / 2 out."""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import threading
from typing import Any, NoReturn, Sequence

from .errors import ScolintError, debugging

DESCRIPTION = """\
scolint vérifie les exports d'un établissement (SIECLE, STS-Web, EDT, PRONOTE, ENT, AAF)
avant la remontée STSWEB ou la distribution des identifiants, et indique pour chaque
anomalie comment la corriger.
"""

EPILOG = """\
Codes de sortie : 0 rien à signaler au niveau demandé ; 1 anomalies au niveau --fail-on
ou au-dessus ; 2 erreur d'utilisation ou fichier d'entrée illisible.
Exemples :
  scolint demo
  scolint check exports/ --format markdown -o rapport.md
  scolint check exports.zip --tags remontee-sts --fail-on error
"""


class FrenchParser(argparse.ArgumentParser):
    """argparse with French messages and exit code 2 on usage errors."""

    def error(self, message: str) -> NoReturn:
        message = (message.replace("the following arguments are required", "arguments obligatoires manquants")
                   .replace("unrecognized arguments", "arguments inconnus")
                   .replace("invalid choice", "choix invalide")
                   .replace("choose from", "choisir parmi")
                   .replace("expected one argument", "une valeur est attendue")
                   .replace("argument", "argument"))
        self.print_usage(sys.stderr)
        self.exit(2, f"scolint : erreur : {message}\n")

    def format_usage(self) -> str:
        return super().format_usage().replace("usage:", "utilisation :")

    def format_help(self) -> str:
        text = super().format_help()
        return (text.replace("usage:", "utilisation :").replace("options:", "options :")
                .replace("positional arguments:", "arguments :")
                .replace("show this help message and exit", "affiche cette aide et quitte"))


def add_rule_options(p: argparse.ArgumentParser) -> None:
    """Options shared by the commands that run rules."""
    p.add_argument("--rules", action="append", default=[], metavar="DOSSIER",
                   help="dossier (ou fichier) de règles YAML en plus des règles par défaut (répétable)")
    p.add_argument("--no-default-rules", action="store_true",
                   help="ne pas charger les règles par défaut de scolint")
    p.add_argument("--tags", action="append", default=[], metavar="ÉTIQUETTE",
                   help="ne lancer que les règles portant cette étiquette (répétable ou « a,b »)")
    p.add_argument("--select", action="append", default=[], metavar="ID",
                   help="ne lancer que ces règles (identifiants, répétable ou « A,B »)")
    p.add_argument("--ignore", action="append", default=[], metavar="ID|ÉTIQUETTE",
                   help="ne pas lancer ces règles ou étiquettes (répétable)")
    p.add_argument("--duree-max-regle", dest="rule_time_limit", type=_seconds, default=None, metavar="SECONDES",
                   help="durée maximale de l'évaluation d'une règle (défaut : 5 s, ou $SCOLINT_DUREE_MAX_REGLE) ; "
                        "au-delà la règle est en erreur et l'audit continue")
    p.add_argument("--desactiver-plugin", dest="disable_plugins", action="append", default=[],
                   metavar="NOM", help="ne pas charger ce plugin (répétable)")


def _seconds(value: str) -> float:
    try:
        n = float(value.replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"durée invalide « {value} » (un nombre de secondes est attendu)") from None
    if not 0 < n <= 3600:
        raise argparse.ArgumentTypeError("la durée doit être comprise entre 0 et 3600 secondes")
    return n


#: Severities on the command line: the French words of the reports, the English ids too.
SEVERITY_WORDS = {"erreur": "error", "avertissement": "warning", "information": "info"}
SEVERITY_METAVAR = "{erreur,avertissement,info}"


def severity_choice(text: str) -> str:
    """A severity given on the command line, in French (« avertissement ») or English
    (``warning``): its id; argparse's ``choices`` then refuse anything else."""
    value = text.strip().lower()
    return SEVERITY_WORDS.get(value, value)


def split_multi(values: Sequence[str]) -> list[str]:
    """``["a,b", "c"]`` -> ``["a", "b", "c"]``."""
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def version_text() -> str:
    """``scolint X.Y.Z`` (``scolint dev`` when the package is not installed)."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        ver = version("scolint")
    except PackageNotFoundError:
        ver = "dev"
    return f"scolint {ver}"


class VersionAction(argparse.Action):
    """``--version``: like argparse's, but the installed version is looked up only when
    the option is given (the package metadata is not read by every run)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: Any = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        sys.stdout.write(version_text() + "\n")
        parser.exit()


#: French name of each option known by its English name; the English name stays an alias.
FRENCH_OPTIONS = {
    "--help": "--aide", "--out": "--sortie", "--output": "--sortie", "--jobs": "--processus",
    "--fail-on": "--echec-si", "--rules": "--regles", "--no-default-rules": "--sans-regles-par-defaut",
    "--tags": "--etiquettes", "--select": "--selection", "--ignore": "--ignorer", "--profile": "--profil",
    "--baseline": "--ligne-de-base", "--cases": "--cas", "--dry-run": "--essai", "--students": "--eleves",
    "--seed": "--graine",
}

#: One example per command (``scolint COMMAND --aide`` shows it; a test runs each through the parser).
EXAMPLES = {
    "check": "scolint check exports/ --format html --sortie rapport.html\n"
             "  scolint check exports/ --format tableur --sortie anomalies.xlsx --precedent avant.json",
    "batch": "scolint batch depots/ --sortie rapports/ --formats html,tableur,json --precedent rapports-septembre/",
    "send": "scolint send depots/ --config-envoi scolint-envoi.yaml --essai messages/",
    "rules": "scolint rules list --etiquettes remontee-sts",
    "rules list": "scolint rules list --etiquettes siecle",
    "rules show": "scolint rules show EDT-PRN-001",
    "rules lint": "scolint rules lint --regles mes-regles/",
    "rules test": "scolint rules test --regles mes-regles/",
    "rules new": "scolint rules new ACAD-ELEVE-001 --pour student --dossier mes-regles/",
    "rules doc": "scolint rules doc --sortie catalogue.md",
    "rules schema": "scolint rules schema --sortie rule.schema.json",
    "entities": "scolint entities --markdown --sortie entites.md",
    "explain": "scolint explain SIE-RESP-001 1519748 exports/",
    "baseline": "scolint baseline exports/ --sortie .scolint-baseline.json",
    "publipostage": "scolint publipostage ENT-Identifiants-0310040A.csv --sortie publipostage.csv",
    "generate": "scolint generate --eleves 600 --graine 1 --sortie donnees/",
    "demo": "scolint demo --donnees exemple/",
    "historique": "scolint historique lister --uai 0310040A",
    "historique lister": "scolint historique lister --uai 0310040A",
    "historique purger": "scolint historique purger --conservation 365",
    "historique exporter": "scolint historique exporter --sortie historique.csv",
    "historique supprimer": "scolint historique supprimer 0310040A",
    "serve": "scolint serve --demo",
    "serve jeton": "scolint serve jeton 0310040A --donnees /var/lib/scolint",
    "serve jetons": "scolint serve jetons --donnees /var/lib/scolint",
    "serve revoquer": "scolint serve revoquer 0310040A --donnees /var/lib/scolint",
    "completion": "source <(scolint completion bash)    # ou, pour zsh : source <(scolint completion zsh)",
}


def build_parser(host: Any) -> FrenchParser:
    parser = FrenchParser(prog="scolint", description=DESCRIPTION, epilog=EPILOG,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=VersionAction, help="affiche la version et quitte")
    sub = parser.add_subparsers(dest="command", metavar="COMMANDE", parser_class=FrenchParser)
    host.pm.hook.scolint_cli_commands(subparsers=sub)
    c = sub.add_parser("completion", help="script de complétion des commandes pour bash ou zsh",
                       description="Écrit le script de complétion (commandes, options et valeurs) pour bash "
                                   "ou zsh. À charger dans le fichier de démarrage du shell.")
    c.add_argument("shell", choices=["bash", "zsh"], metavar="SHELL", help="bash ou zsh")
    c.set_defaults(handler=lambda args: _completion(args, parser))
    for path, p in _parsers(parser):
        _frenchify(p)
        example = EXAMPLES.get(" ".join(path))
        if path and example and "Exemple" not in (p.epilog or ""):
            p.epilog = ((p.epilog or "") + "\n\n" if p.epilog else "") + "Exemple :\n  " + example
            p.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def _parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Any:
    """Every parser of the command line, with its command path (``("rules", "lint")``)."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, path + (name,))


def _frenchify(parser: argparse.ArgumentParser) -> None:
    """Give every option known by an English name its French name (shown first, after a
    short option); the English name stays an alias."""
    for action in parser._actions:
        for english in list(action.option_strings):
            french = FRENCH_OPTIONS.get(english)
            if not french:
                continue
            if french not in action.option_strings:
                if french in parser._option_string_actions:  # the name means something else here
                    continue
                parser._option_string_actions[french] = action
            shorts = [o for o in action.option_strings if not o.startswith("--")]
            longs = [o for o in action.option_strings if o.startswith("--") and o != french]
            action.option_strings = shorts + [french] + longs


def _completion(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .completion import script
    values = {"--format": sorted(args.host.registries.reporters)}
    sys.stdout.write(script(args.shell, parser, values))
    return 0


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP received: raised in the main thread so that every ``finally``
    runs (extracted archive members removed, temporary files of atomic writes removed)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum: int, _frame: Any) -> None:
    raise Stopped(signum)


_STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))


def _install_signals() -> dict[int, Any]:
    """SIGTERM and SIGHUP end the run like Ctrl-C (only from the main thread of the
    command line; library code never touches signal handlers). Returns the previous ones."""
    previous: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for sig in _STOP_SIGNALS:
        try:
            previous[sig] = signal.signal(sig, _raise_stopped)
        except (OSError, ValueError):
            pass
    return previous


def _restore_signals(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        try:
            signal.signal(sig, handler)
        except (OSError, ValueError, TypeError):
            pass


def _exit_worker(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def batch_worker_init(init: Any, config: dict[str, Any]) -> None:
    """Entry point of a ``scolint batch`` / ``send`` worker process: Ctrl-C is the
    parent's business (it stops the workers), SIGTERM / SIGHUP end the current audit
    through ``finally`` (no extracted file left); the collector is tuned as in :func:`main`
    (the batch collects after each establishment); then the worker's own setup."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _tune_collector()  # a worker is a process of the command line too (its own entry point)
    init(config)  # (stopped during its setup, a worker has nothing to clean: default SIGTERM)
    for sig in _STOP_SIGNALS:  # SystemExit: the worker ends quietly, its ``finally`` blocks run
        signal.signal(sig, _exit_worker)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``scolint`` console script."""
    previous = _install_signals()
    collector = _tune_collector()
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:  # a signal between two steps
        print("scolint : interrompu", file=sys.stderr)
        return 128 + exc.signum if isinstance(exc, Stopped) else 130
    finally:
        _restore_signals(previous)
        gc.set_threshold(*collector)


def console() -> int:
    """The ``scolint`` console script and ``python -m scolint``: :func:`main`, then the
    process ends without freeing, object by object, what the command built.

    An audit's graph is made of cycles (a person and its accounts refer to each other):
    once the command is done, only the collector can free it, and Python's exit would walk
    and free every entity of a big establishment (about a second of processor) just before
    the system takes the whole memory back. ``gc.freeze()`` moves what is left to the
    collector's permanent generation, which the exit does not walk. Files are closed and
    reports written by then (atomic writes, explicit closes); ``atexit`` callbacks still
    run. Only this entry point does it: :func:`main` called from Python code leaves the
    collector as it found it."""
    code = main()
    gc.freeze()
    return code


#: Garbage-collector thresholds of the ``scolint`` command (Python's are 700, 10, 10).
CLI_GC_THRESHOLDS = (100_000, 50, 100)


def _tune_collector() -> tuple[int, ...]:
    """Fewer collections for the command line's process: an audit builds hundreds of
    thousands of long-lived objects, which each full collection walks again. Only the CLI
    entry point does this (library code never changes process-wide state); the previous
    thresholds are returned and restored when :func:`main` returns."""
    previous = gc.get_threshold()
    gc.set_threshold(*(max(p, b) for p, b in zip(previous, CLI_GC_THRESHOLDS)))
    return previous


def _command_parser(parser: argparse.ArgumentParser, args: Sequence[str]) -> argparse.ArgumentParser:
    """The parser of the (sub)command ``args`` name (``rules lint``: the one of ``lint``)."""
    rest = list(args)
    while True:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            return parser
        name = next((w for w in rest if w in subs[0].choices), None)
        if name is None:
            return parser
        parser, rest = subs[0].choices[name], rest[rest.index(name) + 1:]


def _main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["--version"]:  # answered before the plugins are loaded
        print(version_text())
        return 0
    return _run(args_list)


def _run(args_list: list[str]) -> int:
    try:
        from .manager import get_plugin_host
        disabled = []
        for i, a in enumerate(args_list):
            if a == "--desactiver-plugin" and i + 1 < len(args_list):
                disabled.append(args_list[i + 1])
            elif a.startswith("--desactiver-plugin="):
                disabled.append(a.split("=", 1)[1])
        host = get_plugin_host(disabled=disabled)
        parser = build_parser(host)
        try:
            args, extra = parser.parse_known_args(args_list)
            if extra:  # said by the command's own parser: its usage, not the list of commands
                _command_parser(parser, args_list).error(f"unrecognized arguments: {' '.join(extra)}")
        except SystemExit as exc:  # --help, --version, usage errors: return, don't exit
            return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        args.host = host
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return 2
        return int(handler(args))
    except ScolintError as exc:
        from .outputs import terminal_text
        print(f"scolint : {terminal_text(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print("scolint : interrompu", file=sys.stderr)
        return 128 + exc.signum if isinstance(exc, Stopped) else 130
    except BrokenPipeError:
        return 0
    except MemoryError:
        print("scolint : mémoire insuffisante pour terminer ; auditez moins de fichiers à la fois.", file=sys.stderr)
        return 2
    except OSError as exc:  # predictable system errors: a French sentence
        from .outputs import os_error_fr
        print(f"scolint : {os_error_fr(exc)}", file=sys.stderr)
        return 2
    except RecursionError:
        print("scolint : données trop profondément imbriquées : refusées.", file=sys.stderr)
        return 2
    except Exception:  # last resort: never a traceback, nor an exception's text, for the user
        if debugging():
            raise
        print("scolint : erreur interne, la commande s'est arrêtée. Relancez-la avec SCOLINT_DEBUG=1 pour obtenir "
              "le détail technique et signalez-le à l'équipe scolint.", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
