"""Where the commands write what they produce: a file given with ``-o``, or standard output."""

from __future__ import annotations

import sys


def write_output(text: str, output: str | None) -> None:
    """Write ``text`` to the file ``output`` (atomically), or to standard output for None/``-``."""
    if output and output != "-":
        from scolint.engine.discover import atomic_write
        atomic_write(output, text)
        print(f"Écrit : {output}", file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
