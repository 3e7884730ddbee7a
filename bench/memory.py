"""Where an audit's memory peaks: RSS at the phase boundaries of ``scolint check``.

``python bench/memory.py DOSSIER --format json -o /tmp/r.json`` runs the ``check``
command in this process (same arguments as ``scolint check``; the read-ahead thread on
unless ``SCOLINT_VALIDATION=sur-place``) and prints one JSON object: for each phase
boundary (start, after each loaded file, after the links, after the evaluation, after the
report is rendered and written), the seconds since start, the resident memory (VmRSS) and
its peak so far (VmHWM) in MiB, the number of trees parsed and not yet freed, and, with
glibc, the size of each malloc arena and what is free in it (``malloc_info``, read
only): the arena of the read-ahead thread keeps the memory of the trees it parsed once
they are freed, which the command's own thread cannot reuse (docs/decisions.md, « Mémoire
de la lecture anticipée »).

This script measures; it changes no setting of the process.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import sys
import time
from typing import Any

T0 = time.perf_counter()

from scolint.engine import audit, manager, xmlsafe  # noqa: E402

MIB = 1024 * 1024
rows: list[dict[str, Any]] = []
alive = [0]  # trees parsed (here or in the read-ahead thread) and not freed yet


def _status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) // 1024
    return out


def _arenas() -> list[dict[str, int]] | None:
    """Each malloc arena's size and free bytes (MiB), from glibc's ``malloc_info``."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.open_memstream.restype = ctypes.c_void_p
        libc.open_memstream.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_size_t)]
        libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
        libc.fclose.argtypes = [ctypes.c_void_p]
        libc.free.argtypes = [ctypes.c_void_p]
    except (OSError, AttributeError):
        return None
    buf, size = ctypes.c_char_p(), ctypes.c_size_t()
    stream = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    text = (buf.value or b"").decode()
    libc.free(ctypes.cast(buf, ctypes.c_void_p))
    out = []
    for heap in re.finditer(r'<heap nr="\d+">(.*?)</heap>', text, re.S):
        body = heap.group(1)
        size_m = re.search(r'<system type="current" size="(\d+)"', body)
        fast = re.search(r'<total type="fast" count="\d+" size="(\d+)"', body)
        rest = re.search(r'<total type="rest" count="\d+" size="(\d+)"', body)
        if size_m:
            free = (int(fast.group(1)) if fast else 0) + (int(rest.group(1)) if rest else 0)
            out.append({"taille": int(size_m.group(1)) // MIB, "libre": free // MIB})
    return out


def mark(what: str) -> None:
    status = _status()
    rows.append({"phase": what, "s": round(time.perf_counter() - T0, 3), "rss": status.get("VmRSS"),
                 "pic": status.get("VmHWM"), "arbres": alive[0], "arènes": _arenas()})


def _hook() -> None:
    parse = xmlsafe._parse

    def counted_parse(*args: Any, **kwargs: Any) -> Any:
        tree = parse(*args, **kwargs)
        alive[0] += 1
        return tree

    def freed(self: Any) -> None:
        alive[0] -= 1

    xmlsafe._parse = counted_parse
    xmlsafe.ParsedTree.__del__ = freed  # type: ignore[attr-defined]

    load_one = audit.Auditor._load_one

    def timed_load_one(self: Any, graph: Any, path: Any, *args: Any) -> None:
        load_one(self, graph, path, *args)
        mark(f"chargé {os.path.basename(str(path))}")

    audit.Auditor._load_one = timed_load_one  # type: ignore[method-assign]

    link = manager.PluginHost.link

    def timed_link(self: Any, graph: Any) -> None:
        link(self, graph)
        mark("rapprochements (link)")

    manager.PluginHost.link = timed_link  # type: ignore[method-assign]

    evaluate = audit.Auditor.evaluate

    def timed_evaluate(self: Any, *args: Any) -> Any:
        result = evaluate(self, *args)
        mark("évaluation des règles")
        return result

    audit.Auditor.evaluate = timed_evaluate  # type: ignore[method-assign]

    from scolint.plugins.commands import check
    render, write = check.render, check.write_output

    def timed_render(*args: Any, **kwargs: Any) -> Any:
        text = render(*args, **kwargs)
        mark("rapport rendu")
        return text

    def timed_write(*args: Any, **kwargs: Any) -> Any:
        out = write(*args, **kwargs)
        mark("rapport écrit")
        return out

    check.render, check.write_output = timed_render, timed_write


def main(argv: list[str]) -> int:
    from scolint.engine.cli import main as cli_main
    _hook()
    mark("départ")
    sys.argv = ["scolint", "check", *argv]
    code = cli_main()
    mark("fin")
    peak = max(rows, key=lambda r: r["rss"] or 0)
    print(json.dumps({"code": code, "pic": rows[-1]["pic"], "phase du plus haut RSS": peak["phase"],
                      "phases": rows}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
