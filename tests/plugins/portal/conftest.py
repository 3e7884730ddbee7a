"""Fixture of the portal tests: a generated school (its folder, its .zip, its ground truth)."""

from __future__ import annotations

import json
import zipfile
from typing import Any

import pytest

from scolint.engine.cli import main


@pytest.fixture(scope="session")
def school(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A generated 600-pupil school: its folder, its exports as a .zip, its ground truth."""
    base = tmp_path_factory.mktemp("ecole")
    folder = base / "exports"
    assert main(["generate", "--students", "600", "--seed", "1", "--out", str(folder)]) == 0
    truth = json.loads((folder / "verite-terrain.json").read_text("utf-8"))
    archive = base / "exports.zip"
    files = sorted(f for f in folder.iterdir() if f.suffix.lower() in (".xml", ".csv"))
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, f.name)
    return {"folder": folder, "zip": archive, "truth": truth, "uai": truth["uai"], "files": files}
