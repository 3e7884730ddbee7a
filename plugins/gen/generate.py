"""Generation pipeline and the extension mechanism of family writers.

**Writing a family writer** (EDT, PRONOTE, ENT, AAF...): add a module
``plugins/gen/<famille>.py`` and its name to :data:`WRITERS`. The module exposes:

- ``write(est, out_dir, truth) -> list[pathlib.Path]``: writes the family's files in
  ``out_dir`` from the establishment ``est`` (:class:`~.model.Establishment`), after
  every defect was applied; may record expected findings in ``truth`` (file-level
  defects, read from ``est.flags``); returns the files written.
- ``DEFECTS`` (optional): a tuple of :class:`~.truth.Defect`. Each ``apply(est,
  truth, rng)`` changes the model (choosing its victims with ``est.pick`` so that two
  defects never share one) or sets ``est.flags[...]`` for its writer, and records the
  findings the audit must produce.

Order: the clean establishment is built, then the defects of every module in
:data:`WRITERS` order (each with its own random generator), then the writers in the
same order. Modules not present are skipped, so families are added without editing
this file's logic. With ``defects=False`` nothing is injected and the ground truth is
empty: the audit of such a data set must find nothing.
"""

from __future__ import annotations

import importlib
import random
from pathlib import Path
from types import ModuleType
from typing import Iterable

from .build import build_establishment
from .model import Establishment
from .shapes import DEFAULT as DEFAULT_SHAPE
from .shapes import SHAPES
from .truth import Defect, GroundTruth

#: Family writer modules, in order (absent ones are skipped).
WRITERS: tuple[str, ...] = (
    "scolint.plugins.gen.siecle",
    "scolint.plugins.gen.sts",
    "scolint.plugins.gen.edt",
    "scolint.plugins.gen.pronote",
    "scolint.plugins.gen.ent",
    "scolint.plugins.gen.aaf",
)

TRUTH_FILE = "verite-terrain.json"


def writer_modules(names: Iterable[str] = WRITERS) -> list[ModuleType]:
    """Import the writer modules that exist (a missing module is skipped)."""
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return modules


def all_defects(modules: Iterable[ModuleType]) -> list[Defect]:
    """The defects offered by ``modules``, in order."""
    out: list[Defect] = []
    for module in modules:
        out.extend(getattr(module, "DEFECTS", ()))
    return out


def apply_defects(est: Establishment, truth: GroundTruth, defects: Iterable[Defect]) -> None:
    """Apply each enabled defect ``count`` times, each with its own random generator."""
    for defect in defects:
        if not defect.enabled(est):
            continue
        rng = random.Random(f"{est.seed}:defaut:{defect.name}")
        for _ in range(defect.count(est)):
            defect.apply(est, truth, rng)
            if defect.changes:
                est.changed()
    est.changed()


def generate(out_dir: str | Path, students: int, seed: int, defects: bool = True,
             writers: Iterable[str] = WRITERS, archives: bool = False,
             shape: str = DEFAULT_SHAPE) -> tuple[Establishment, GroundTruth]:
    """Build, spoil (unless ``defects`` is false) and write a data set in ``out_dir``.

    :param archives: deliver the exports in their .zip as the real systems do
        (``est.flags["archives"]``; SIECLE: ``ExportXML_<Nom>.zip``).
    :param shape: the name of a :data:`~.shapes.SHAPES` entry: which files and optional
        parts the writers produce (``est.flags["shape"]``). The establishment and its
        defects do not depend on it.

    :returns: the establishment and its ground truth (also written to
        ``out_dir/verite-terrain.json``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    est = build_establishment(students, seed)
    est.changed()  # whoever built it (bench/datasets.py reshapes it) may have changed the lists
    if archives:
        est.flags["archives"] = True
    est.flags["shape"] = SHAPES[shape]
    truth = GroundTruth(seed, students, est.uai, est.year)
    modules = writer_modules(writers)
    if defects:
        apply_defects(est, truth, all_defects(modules))
    for module in modules:
        for path in module.write(est, out, truth) or ():
            truth.files.append(Path(path).relative_to(out).as_posix())
    (out / TRUTH_FILE).write_text(truth.to_json(), encoding="utf-8")
    return est, truth
