"""The Schematron side of the comparison: three EDT rules as ISO Schematron.

Run as a script (cold process): ``python bench/schematron_run.py REGLES.sch FICHIER.xml
[--xsd SCHEMA.xsd]``; with ``--xsd`` the file is first validated against the XSD, as
scolint does before its rules (like-for-like comparison).
Compiles the schema with ``lxml.isoschematron`` (the XSLT 1.0 skeleton), parses the EDT
export and validates it; prints one JSON line with the number of failed assertions per
rule (the ``id`` of the pattern holding the assertion).

The namespace bound to the prefix ``edt`` in the .sch is replaced by the namespace of the
file's root element, so the same rules serve an export with or without namespace... as
long as it has one (XPath 1.0 cannot bind a prefix to no namespace): without one, the
prefixed steps are rewritten to plain names.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter

from lxml import etree, isoschematron

SVRL = "{http://purl.oclc.org/dsdl/svrl}"


def schema_for(sch_text: str, namespace: str | None) -> etree._Element:
    """The .sch tree with the ``edt`` prefix bound to ``namespace`` (or removed)."""
    if namespace:
        sch_text = re.sub(r'(<sch:ns prefix="edt" uri=")[^"]*(")', rf"\g<1>{namespace}\g<2>", sch_text)
    else:
        sch_text = re.sub(r'<sch:ns prefix="edt" uri="[^"]*"\s*/>', "", sch_text)
        sch_text = sch_text.replace("edt:", "")
    return etree.fromstring(sch_text.encode("utf-8"))


def main(sch_path: str, xml_path: str, xsd_path: str | None = None) -> int:
    tree = etree.parse(xml_path, etree.XMLParser(resolve_entities=False, no_network=True))
    xsd_valid = None
    if xsd_path:  # like for like with scolint, which validates the file against its XSD first
        xsd_valid = etree.XMLSchema(etree.parse(xsd_path)).validate(tree)
    namespace = etree.QName(tree.getroot()).namespace
    with open(sch_path, encoding="utf-8") as fh:
        schema = isoschematron.Schematron(schema_for(fh.read(), namespace), store_report=True)
    valid = schema.validate(tree)
    failed: Counter[str] = Counter()
    pattern = "?"
    for node in schema.validation_report.getroot():
        if node.tag == f"{SVRL}active-pattern":
            pattern = node.get("id") or node.get("name") or "?"
        elif node.tag == f"{SVRL}failed-assert":
            failed[pattern] += 1
    out = {"valid": bool(valid), "failed": dict(failed), "total": sum(failed.values())}
    if xsd_valid is not None:
        out["xsd_valid"] = bool(xsd_valid)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    xsd = None
    if "--xsd" in args:
        i = args.index("--xsd")
        xsd = args[i + 1]
        del args[i:i + 2]
    sys.exit(main(args[0], args[1], xsd))
