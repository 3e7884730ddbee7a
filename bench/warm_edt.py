"""The three EDT rules compared inside one process, step by step (complement of the
cold comparison): ``python bench/warm_edt.py REGLES.sch FICHIER.xml RÈGLE...``.

Prints one JSON object (seconds, best of 5 for the repeatable steps): Schematron
compilation and validation of the parsed file; scolint's reading of the file as
``scolint check --select`` does it (parse, XSD, the entity kinds the rules read), of which
the parse and the XSD validation, the reading of every entity for comparison, and the
evaluation of the rules on the loaded graph.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

from lxml import etree, isoschematron

sys.path.insert(0, str(Path(__file__).resolve().parent))
from schematron_run import schema_for  # noqa: E402


def best(fn: Callable[[], Any], n: int = 5) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(sch_path: str, xml_path: str, rules: list[str]) -> int:
    out: dict[str, float] = {}
    tree = etree.parse(xml_path)
    ns = etree.QName(tree.getroot()).namespace
    sch_text = Path(sch_path).read_text(encoding="utf-8")
    out["schematron : analyse du fichier (lxml)"] = best(lambda: etree.parse(xml_path))
    out["schematron : compilation du .sch"] = best(lambda: isoschematron.Schematron(schema_for(sch_text, ns)))
    schema = isoschematron.Schematron(schema_for(sch_text, ns))
    out["schematron : validation (3 règles)"] = best(lambda: schema.validate(tree))

    from scolint.engine import xmlsafe
    from scolint.engine.audit import Auditor, Selection
    from scolint.engine.evaluate import Evaluator
    start = time.perf_counter()
    auditor = Auditor(selection=Selection(ids=rules))
    out["scolint : démarrage (plugins, règles)"] = time.perf_counter() - start
    # what ``scolint check --select`` does: only the kinds the rules read are built
    out["scolint : lecture du fichier (analyse, XSD, entités lues par les 3 règles)"] = \
        best(lambda: auditor.load([xml_path], for_rules=True))
    out["scolint : dont analyse (xmlsafe.parse)"] = best(lambda: xmlsafe.parse(xml_path))
    parsed = xmlsafe.parse(xml_path)
    out["scolint : dont validation XSD"] = best(lambda: xmlsafe.validate(parsed, "export_emploi_du_temps.xsd"))
    out["scolint : lecture de tout le fichier (toutes les entités, pour comparer)"] = \
        best(lambda: auditor.load([xml_path]))
    graph, _shown = auditor.load([xml_path], for_rules=True)
    audit = auditor.audit_vars(graph)
    evaluator = Evaluator(auditor.rules, auditor.registries, auditor.env)
    out["scolint : évaluation (3 règles)"] = best(lambda: evaluator.run(graph, audit))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
