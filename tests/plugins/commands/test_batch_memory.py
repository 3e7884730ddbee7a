"""``scolint batch --jobs 1`` frees each establishment's graph before the next one.

An audit's entities point at each other (relations both ways): its graph is cyclic garbage
once the establishment is done, which only a collection frees; with the command line's
collector thresholds (engine/cli.py) a full collection almost never runs by itself, and ten
big establishments in one process kept ten graphs (890 MiB measured instead of ~200). The
batch collects after each establishment: after the command, no entity is left in memory.
Run in a child process with the automatic collector off, so that only the batch's own
collections count.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

CODE = """
import gc, sys
from scolint.engine.cli import main
from scolint.engine.model import Entity
gc.disable()
code = main(["batch", sys.argv[1], "--jobs", "1", "--formats", "json", "-o", sys.argv[2], "--sans-historique"])
print(code, sum(1 for o in gc.get_objects() if type(o) is Entity))
"""


def _batch_of_three(tmp_path: Path, code: str) -> list[str]:
    """``code`` run in a child process on an academy of three fixture establishments: its
    printed words (the batch's exit code, then a count of entities)."""
    academy = tmp_path / "academie"
    for n, name in enumerate(["etab", "etab-edt", "etab-aaf"]):
        shutil.copytree(FIXTURES / name, academy / f"etab-{n}")
    return subprocess.run([sys.executable, "-c", code, str(academy), str(tmp_path / "rapports")],
                          capture_output=True, text=True, check=True).stdout.split()


def test_no_entity_is_left_after_a_batch_in_one_process(tmp_path: Path) -> None:
    out = _batch_of_three(tmp_path, CODE)
    assert out[0] in ("0", "1") and out[1] == "0", out


CODE_BY_REFCOUNT = """
import gc, sys
from scolint.engine.cli import main
from scolint.engine.model import Entity
gc.disable()
gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds is kept in gc.garbage, to be counted
code = main(["batch", sys.argv[1], "--jobs", "1", "--formats", "json", "-o", sys.argv[2], "--sans-historique"])
print(code, sum(1 for o in gc.garbage if type(o) is Entity))
"""


def test_each_graph_is_freed_by_reference_counting_not_by_the_collector(tmp_path: Path) -> None:
    # A graph left as cyclic garbage costs a collection walking every entity (a third of a
    # second for a big establishment): the batch empties it (Graph.release), so the
    # collection after each establishment finds no entity at all.
    out = _batch_of_three(tmp_path, CODE_BY_REFCOUNT)
    assert out[0] in ("0", "1") and out[1] == "0", out
