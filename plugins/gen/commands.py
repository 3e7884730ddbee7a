"""Plugin of the generator: ``scolint generate`` and ``scolint demo``.

It also recognises the generator's own ``verite-terrain.json`` (format
``scolint-verite-terrain``) and loads nothing from it, so that auditing a generated
folder does not report it as an unknown file.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from scolint.engine import hookimpl
from scolint.engine.errors import UsageError
from scolint.engine.model import Graph
from scolint.engine.registry import Family, FormatInfo, Registries

from .shapes import DEFAULT as DEFAULT_SHAPE  # a few dataclasses: cheap to import
from .shapes import SHAPES

# The generator itself (plugins/gen/build.py, generate.py...) is imported by the commands
# that run it: registering this plugin must not cost every ``scolint check`` its import.
#: Same values as ``build.MAX_STUDENTS`` and ``generate.TRUTH_FILE`` (checked by
#: tests/plugins/gen/test_generator.py), needed to declare the options without importing them.
MAX_STUDENTS = 5000
TRUTH_FILE = "verite-terrain.json"
MIN_STUDENTS = 40
DEMO_STUDENTS = 600
DEMO_SEED = 42
TRUTH_FORMAT = "scolint-verite-terrain"


@hookimpl
def scolint_register(registries: Registries) -> None:
    """The generator's ground-truth file: recognised, so that an audit ignores it quietly."""
    registries.families.add("generateur", Family(
        "generateur", "scolint", "Générateur scolint",
        formats=(FormatInfo(TRUTH_FORMAT, "Vérité terrain du générateur scolint (ignorée par l'audit)", "scolint",
                            "Écrite par « scolint generate » à côté des exports générés."),),
        load=_ignore, detect=detect))


def detect(path: Path, head: bytes) -> str | None:
    if path.suffix.lower() == ".json" and b'"generateur": "scolint generate"' in head[:200]:
        return TRUTH_FORMAT
    return None


def _ignore(path: Path, format_id: str, graph: Graph, options: dict[str, Any]) -> None:
    """Nothing to read: the file describes the generated anomalies for the tests."""


def _students(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"nombre d'élèves invalide : « {value} »") from None
    if not MIN_STUDENTS <= n <= MAX_STUDENTS:
        raise argparse.ArgumentTypeError(f"le nombre d'élèves doit être entre {MIN_STUDENTS} et {MAX_STUDENTS}")
    return n


def _seed(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"graine invalide : « {value} » (un entier est attendu)") from None
    if n < 0:
        raise argparse.ArgumentTypeError("la graine doit être un entier positif ou nul")
    return n


def prepare_out_dir(out: Path, force: bool) -> None:
    """Refuse a non-empty folder unless ``force``; with it, remove the previous generation."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} existe et n'est pas un dossier")
    if not out.exists() or not any(out.iterdir()):
        return
    if not force:
        raise UsageError(f"le dossier {out} n'est pas vide : choisissez un dossier vide ou ajoutez --force")
    truth = out / TRUTH_FILE
    if truth.is_file():
        try:
            previous = json.loads(truth.read_text(encoding="utf-8")).get("fichiers", [])
        except (OSError, ValueError):
            previous = []
        for name in previous:
            target = (out / name).resolve()
            if target.is_file() and out.resolve() in target.parents:
                target.unlink()
        truth.unlink()
    others = sorted(p.name for p in out.iterdir())
    if others:
        print(f"Attention : {out} contient d'autres fichiers ({', '.join(others[:5])}"
              f"{'…' if len(others) > 5 else ''}) qui seraient audités avec les exports générés.", file=sys.stderr)


def cmd_generate(args: argparse.Namespace) -> int:
    from .generate import generate

    out = Path(args.out)
    prepare_out_dir(out, args.force)
    est, truth = generate(out, args.students, args.seed, defects=not args.sans_anomalies,
                          archives=args.archives, shape=args.shape)
    print(f"Établissement fictif {est.uai} (collège {est.name.title()}), année {est.year}-{est.year + 1} : "
          f"{len(est.students)} élèves, {len(est.guardians)} responsables, {len(est.teachers)} personnels STS.")
    print(f"{len(truth.files)} fichier(s) écrit(s) dans {out}.")
    if args.sans_anomalies:
        print(f"Aucune anomalie injectée : {TRUTH_FILE} est vide, l'audit ne doit rien trouver.")
    else:
        print(f"{len(truth.findings)} anomalie(s) injectée(s), listées dans {out / TRUTH_FILE}.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from scolint.engine.audit import Auditor
    from scolint.engine.discover import atomic_write, inside
    from scolint.plugins.reporters.common import summary_line

    from .generate import generate

    here = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="scolint-demo-") as tmp:
        data = Path(args.data) if args.data else Path(tmp)
        if args.data:
            prepare_out_dir(data, force=False)
        est, truth = generate(data, args.students, args.seed)
        auditor = Auditor(host=args.host)
        with inside(data):
            result = auditor.audit(["."])
    written = []
    for fmt, ext in (("markdown", "md"), ("html", "html")):
        reporter = args.host.registries.reporters.get(fmt)
        if reporter is None:
            continue
        target = here / f"rapport-demo.{ext}"
        atomic_write(target, reporter.render(result, {}))
        written.append(str(target))
    print(f"Démonstration : collège fictif {est.uai} ({len(est.students)} élèves), "
          f"{len(truth.findings)} anomalie(s) injectée(s) volontairement.")
    print("Rapport écrit dans " + " et ".join(written))
    if args.data:
        print(f"Données générées conservées dans {args.data} (vérité terrain : {TRUTH_FILE}).")
    print("Bilan : " + summary_line(result))
    return 0


@hookimpl
def scolint_cli_commands(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "generate", help="génère les exports d'un établissement fictif (avec anomalies connues)",
        description="Écrit les exports (SIECLE, STS-Web…) d'un collège fictif cohérent, avec des "
                    f"anomalies injectées à des endroits connus, listées dans {TRUTH_FILE}.")
    p.add_argument("--students", "--eleves", dest="students", type=_students, default=DEMO_STUDENTS,
                   metavar="N", help=f"nombre d'élèves ({MIN_STUDENTS} à {MAX_STUDENTS}, défaut {DEMO_STUDENTS})")
    p.add_argument("--seed", "--graine", dest="seed", type=_seed, default=1, metavar="S",
                   help="graine : la même graine donne les mêmes fichiers (défaut 1)")
    p.add_argument("--out", "-o", required=True, metavar="DOSSIER", help="dossier de sortie (vide ou inexistant)")
    p.add_argument("--sans-anomalies", action="store_true",
                   help="n'injecter aucune anomalie (vérité terrain vide)")
    p.add_argument("--archives", action="store_true",
                   help="livrer les exports dans leur archive .zip, comme SIECLE (ExportXML_<Nom>.zip)")
    p.add_argument("--forme", dest="shape", choices=sorted(SHAPES), default=DEFAULT_SHAPE, metavar="FORME",
                   help="forme des exports, l'une de celles qu'écrivent les vrais logiciels (décrites dans "
                        f"docs/generateur.md) : {', '.join(sorted(SHAPES))} (défaut {DEFAULT_SHAPE})")
    p.add_argument("--force", action="store_true",
                   help="écrire dans un dossier non vide (remplace une génération précédente)")
    p.set_defaults(handler=cmd_generate)

    d = subparsers.add_parser(
        "demo", help="génère un collège fictif, l'audite et écrit rapport-demo.md",
        description="Démonstration : génère un collège fictif d'environ 600 élèves dans un dossier "
                    "temporaire, l'audite avec les règles par défaut et écrit rapport-demo.md (et "
                    "rapport-demo.html) dans le dossier courant. Les anomalies trouvées sont "
                    "volontaires : le code de sortie est 0.")
    d.add_argument("--students", "--eleves", dest="students", type=_students, default=DEMO_STUDENTS, metavar="N",
                   help=f"nombre d'élèves (défaut {DEMO_STUDENTS})")
    d.add_argument("--seed", "--graine", dest="seed", type=_seed, default=DEMO_SEED, metavar="S",
                   help=f"graine (défaut {DEMO_SEED})")
    d.add_argument("--donnees", dest="data", metavar="DOSSIER",
                   help="conserver les exports générés dans ce dossier (vide ou inexistant)")
    d.set_defaults(handler=cmd_demo)
