"""T_floor: the least any tool must do with the exports — parse and validate them.

Run as a script (cold process): ``python bench/floor.py DOSSIER...``. Every XML file is
parsed with lxml and validated against the project's XSD for its root element
(``schemas/xsd/*.xsd``, found by their global elements); a CSV file is read by the
``csv`` module (no schema language is cheaper). Prints one JSON line: files, valid,
invalid, no_schema.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

from lxml import etree

XSD_DIR = Path(__file__).resolve().parent.parent / "schemas" / "xsd"
XS = "{http://www.w3.org/2001/XMLSchema}"


def schemas_by_root() -> dict[tuple[str | None, str], Path]:
    """``(namespace, root name) -> xsd path`` from the global elements of each XSD."""
    out: dict[tuple[str | None, str], Path] = {}
    for xsd in sorted(XSD_DIR.glob("*.xsd")):
        root = etree.parse(str(xsd)).getroot()
        ns = root.get("targetNamespace")
        for el in root.findall(f"{XS}element"):
            if el.get("name"):
                out.setdefault((ns, el.get("name")), xsd)
    return out


def main(folders: list[str]) -> int:
    known = schemas_by_root()
    compiled: dict[Path, etree.XMLSchema] = {}
    stats = {"files": 0, "valid": 0, "invalid": 0, "no_schema": 0, "csv": 0}
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if not path.is_file() or path.name == "verite-terrain.json":
                continue
            data = path.read_bytes()
            stats["files"] += 1
            if data.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<"):
                tree = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
                qname = etree.QName(tree)
                xsd = known.get((qname.namespace, qname.localname))
                if xsd is None:
                    stats["no_schema"] += 1
                    continue
                if xsd not in compiled:
                    compiled[xsd] = etree.XMLSchema(etree.parse(str(xsd)))
                stats["valid" if compiled[xsd].validate(tree) else "invalid"] += 1
            elif path.suffix.lower() in (".csv", ".txt"):
                text = data.decode("utf-8-sig", errors="replace")
                for _row in csv.reader(io.StringIO(text), delimiter=";"):
                    pass
                stats["csv"] += 1
            else:
                stats["no_schema"] += 1
    print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
