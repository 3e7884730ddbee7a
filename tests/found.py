"""What a person reading a hand-made establishment expects, counted the same way in every
hand-made fixture test: {(rule, record): count} of the error and warning findings, the
record being the entity id, or the file's name for a finding about a file or an export."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any


def counted_findings(result: Any) -> Counter:
    out: Counter = Counter()
    for f in result.findings:
        if f.severity in ("error", "warning"):
            rec = Path(f.entity_id).name if f.entity_kind in ("file", "export") else f.entity_id
            out[(f.rule_id, rec)] += 1
    return out
