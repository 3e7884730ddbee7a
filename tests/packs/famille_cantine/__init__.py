"""A fictional export family, written as a newcomer would add one (tests/test_new_family.py).

« Inscriptions à la cantine » is NOT a real export: it exists to show, and to test, that a
whole family — format with its root element and XSD, entity kind, loader, link step with
its declared order, a rule and a command — is added without touching engine/. The
package declares everything in :func:`scolint_register`, like scolint's own families.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scolint.engine import hookimpl, xmlsafe
from scolint.engine.model import Export, Graph, Provenance
from scolint.engine.registry import Family, FormatInfo, Registries

HERE = Path(__file__).resolve().parent
SYSTEM = "CANTINE"
FORMAT = "cantine-inscriptions"
ROOT = "CANTINE_INSCRIPTIONS"


@hookimpl
def scolint_register(registries: Registries) -> None:
    registries.families.add("cantine", Family(
        "cantine", SYSTEM, "Cantine (exemple fictif)",
        formats=(FormatInfo(FORMAT, "Cantine – inscriptions (exemple fictif)", SYSTEM,
                            "Exportez les inscriptions depuis le logiciel de la cantine.",
                            kinds=("cantine_inscription",), root=ROOT, xsd=str(HERE / "cantine.xsd")),),
        load=load, link=link, link_after=("siecle",), declare=declare))


def declare(registries: Registries) -> None:
    registries.entities.declare(
        "cantine_inscription", "Une inscription à la cantine (exemple fictif).", ("cantine",),
        ine=("texte", "INE de l'élève inscrit"),
        regime=("texte", "régime : DP (demi-pensionnaire) ou INT (interne)"),
        student=("entité student", "l'élève SIECLE de même INE, ou rien"),
    )


@hookimpl
def scolint_rule_paths() -> list[Path]:
    return [HERE / "regles"]


@hookimpl
def scolint_cli_commands(subparsers: Any) -> None:
    p = subparsers.add_parser("cantine", help="formats de la famille cantine (exemple fictif)")
    p.set_defaults(handler=lambda args: print(f"{FORMAT} : racine {ROOT}") or 0)


def load(path: Path, format_id: str, graph: Graph, options: dict[str, Any]) -> None:
    display = str(options.get("display") or path)
    tree = xmlsafe.parse(path)
    root = tree.getroot()
    for line, message in xmlsafe.validate(tree, str(HERE / "cantine.xsd")):
        graph.problem("ENTREE-SCHEMA", f"non conforme au schéma cantine.xsd : {message}", display, line)
    graph.add_export(Export(FORMAT, display, SYSTEM, uai=root.get("UAI")))
    for el in root.iter("INSCRIPTION"):
        ine = el.get("INE") or ""
        graph.add("cantine_inscription", ine, source="cantine", prov=Provenance(display, el.sourceline, SYSTEM),
                  label=f"inscription {ine}", ine=ine, regime=el.get("REGIME"), student=None)


def link(graph: Graph) -> None:
    by_ine = graph.index("student", "ine")
    for ins in graph.all("cantine_inscription"):
        found = by_ine.get(ins.get("ine"), [])
        ins.data["student"] = found[0] if len(found) == 1 else None
