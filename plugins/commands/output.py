"""Where the commands write what they produce: a file given with ``-o``, or standard output."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterable


def write_output(text: str, output: str | None, inputs: Iterable[str | Path] | Any = ()) -> None:
    """Write ``text`` to the file ``output`` (atomically, never over one of ``inputs`` nor a
    file that is not a plain one: engine/outputs.py), or to standard output for None/``-``."""
    from scolint.engine.outputs import write_text_or_stdout
    if write_text_or_stdout(output, text, inputs):
        print(f"Écrit : {output}", file=sys.stderr)
