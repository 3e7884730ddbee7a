"""Ground truth of a generated data set and the named defects that feed it.

A :class:`Defect` changes the establishment (or sets a flag its family writer reads)
and records, in the :class:`GroundTruth`, the findings the audit must produce:
``{"rule", "kind", "id"}`` with the entity ids of docs/architecture.md (for an
``export`` entity, the file's path relative to the output folder).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any, Callable

from .model import Establishment


@dataclass(frozen=True, order=True)
class Expected:
    """One finding the audit must produce."""

    rule: str
    kind: str
    id: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "kind": self.kind, "id": self.id}


@dataclass
class GroundTruth:
    """What the injected defects must cause (``verite-terrain.json``)."""

    seed: int
    size: int
    uai: str = ""
    year: int = 0
    findings: list[Expected] = field(default_factory=list)
    defects: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def add(self, rule: str, kind: str, id: str, defect: str = "", detail: str = "") -> None:
        """Record an expected finding (and, with ``defect``, what was done to cause it)."""
        exp = Expected(rule, kind, str(id))
        if exp not in self.findings:
            self.findings.append(exp)
        if defect:
            self.defects.append({"defect": defect, "rule": rule, "kind": kind, "id": str(id), "detail": detail})

    def remove(self, rule: str, kind: str, id: str) -> None:
        """Forget an expected finding (a later defect made it moot)."""
        exp = Expected(rule, kind, str(id))
        self.findings = [f for f in self.findings if f != exp]
        self.defects = [d for d in self.defects if (d["rule"], d["kind"], d["id"]) != (rule, kind, str(id))]

    def keys(self) -> set[tuple[str, str, str]]:
        return {(f.rule, f.kind, f.id) for f in self.findings}

    def to_json(self) -> str:
        doc = {
            "generateur": "scolint generate",
            "seed": self.seed,
            "size": self.size,
            "uai": self.uai,
            "annee_scolaire": self.year,
            "fichiers": sorted(self.files),
            "findings": [f.as_dict() for f in sorted(self.findings)],
            "defauts": self.defects,
        }
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "GroundTruth":
        doc = json.loads(text)
        gt = cls(doc["seed"], doc["size"], doc.get("uai", ""), doc.get("annee_scolaire", 0))
        gt.findings = [Expected(f["rule"], f["kind"], f["id"]) for f in doc["findings"]]
        gt.defects = list(doc.get("defauts", []))
        gt.files = list(doc.get("fichiers", []))
        return gt


#: ``apply(est, truth, rng)``: change the model, record the expected findings.
Apply = Callable[[Establishment, GroundTruth, random.Random], None]


@dataclass(frozen=True)
class Defect:
    """A named defect a family module offers (in its ``DEFECTS`` tuple).

    :param name: stable name, ``<famille>.<nom>`` (shown in verite-terrain.json).
    :param rules: the rules it must trigger (documentation and tests).
    :param description: French sentence for docs/generateur.md.
    :param apply: changes the establishment and records the expected findings.
    :param count: how many times to apply it for an establishment.
    :param enabled: whether to apply it at all (rare defects: by seed).
    :param changes: whether it changes the establishment's lists or memberships (students'
        divisions, groups or exit, links, people added or removed, EDT flags that change who
        PRONOTE knows). The look-up indexes are rebuilt after such a defect only; one that
        only sets accounts or writer flags keeps them (see ``Establishment.changed``).
    """

    name: str
    rules: tuple[str, ...]
    description: str
    apply: Apply
    count: Callable[[Establishment], int] = lambda est: 1
    enabled: Callable[[Establishment], bool] = lambda est: True
    changes: bool = True


def per_size(every: int, least: int = 1) -> Callable[[Establishment], int]:
    """A ``count``: one defect per ``every`` students, at least ``least``."""
    return lambda est: max(least, est.size // every)
