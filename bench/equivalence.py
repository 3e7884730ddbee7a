"""Same findings, same graph: a guard for performance work.

A speed-up must not change what an audit finds nor what the loaders build. This script
writes, for a set of input folders, a canonical snapshot of

- the audit result (every finding, rule outcome and export, without the run date), and
- the loaded graph (every entity: kind, source, id, label, provenance and fields; related
  entities written as their key),

then, run again after a change, compares the new snapshot with the saved one and prints
the first differences.

``python bench/equivalence.py save DOSSIER_INSTANTANES DOSSIER...``
``python bench/equivalence.py compare DOSSIER_INSTANTANES DOSSIER...``

Exit code 0 when everything is identical, 1 otherwise. Snapshots hold personal-looking
generated data: keep them outside the repository (or under ``bench/out/``, ignored by git).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from scolint.engine.audit import Auditor
from scolint.engine.model import Entity


def _plain(value: Any) -> Any:
    """A JSON-ready, order-stable form of a field value."""
    if isinstance(value, Entity):
        return ["@", value.kind, value.source, value.id]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def snapshot(folder: Path) -> dict[str, Any]:
    """Audit ``folder`` and return its canonical report and graph."""
    auditor = Auditor()
    graph, shown = auditor.load([folder])
    result = auditor.evaluate(graph, shown, "-")
    findings = sorted(
        (f.to_dict() for f in result.findings),
        key=lambda d: json.dumps(d, sort_keys=True, default=str),
    )
    entities = sorted(
        (
            {
                "key": [e.kind, e.source, e.id],
                "label": e.label,
                "prov": [[p.file, p.line, p.system] for p in e.prov],
                "data": _plain(e.data),
            }
            for e in graph
        ),
        key=lambda d: d["key"],
    )
    return {
        "findings": findings,
        "outcomes": sorted(json.loads(json.dumps([vars(o) if hasattr(o, "__dict__") else o
                                                  for o in result.outcomes], default=str)),
                           key=lambda o: json.dumps(o, sort_keys=True)),
        "exports": sorted(json.loads(json.dumps([vars(e) for e in result.exports], default=str)),
                          key=lambda e: e["path"]),
        "problems": sorted(json.loads(json.dumps([vars(p) for p in graph.problems], default=str)),
                           key=lambda p: json.dumps(p, sort_keys=True)),
        "entities": entities,
    }


def _name(folder: Path) -> str:
    return hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:12] + "-" + folder.name + ".json"


def _diff(old: Any, new: Any, path: str, out: list[str], limit: int = 20) -> None:
    if len(out) >= limit or old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new)):
            if k not in old or k not in new:
                out.append(f"{path}/{k}: {'absent' if k not in old else 'présent'} → "
                           f"{'absent' if k not in new else 'présent'}")
            else:
                _diff(old[k], new[k], f"{path}/{k}", out, limit)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new)):
            _diff(a, b, f"{path}[{i}]", out, limit)
        return
    if isinstance(old, list) and isinstance(new, list):
        out.append(f"{path}: {len(old)} éléments → {len(new)}")
        keyed_old = {json.dumps(x, sort_keys=True, default=str) for x in old}
        keyed_new = {json.dumps(x, sort_keys=True, default=str) for x in new}
        for x in sorted(keyed_old - keyed_new)[:3]:
            out.append(f"  - {x[:300]}")
        for x in sorted(keyed_new - keyed_old)[:3]:
            out.append(f"  + {x[:300]}")
        return
    out.append(f"{path}: {str(old)[:200]!r} → {str(new)[:200]!r}")


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] not in ("save", "compare"):
        print(__doc__)
        return 2
    mode, store, folders = argv[0], Path(argv[1]), [Path(f) for f in argv[2:]]
    store.mkdir(parents=True, exist_ok=True)
    failed = False
    for folder in folders:
        snap = json.loads(json.dumps(snapshot(folder), default=str))
        target = store / _name(folder)
        if mode == "save":
            target.write_text(json.dumps(snap, ensure_ascii=False, sort_keys=True), encoding="utf-8")
            print(f"{folder}: {len(snap['entities'])} entités, {len(snap['findings'])} anomalies enregistrées")
            continue
        old = json.loads(target.read_text(encoding="utf-8"))
        diffs: list[str] = []
        _diff(old, snap, "", diffs)
        if diffs:
            failed = True
            print(f"{folder}: DIFFÉRENT")
            for line in diffs:
                print("  " + line)
        else:
            print(f"{folder}: identique ({len(snap['entities'])} entités, {len(snap['findings'])} anomalies)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
