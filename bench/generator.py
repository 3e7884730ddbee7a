"""Time the generator (``scolint generate``) at several sizes, each in a cold process.

    python bench/generator.py [--sizes 600,2000,5000] [--runs 3] [--seed 1] [--shape standard]

Each run is a new ``python -m scolint.engine.cli generate`` process writing into a fresh
temporary folder: the time includes the interpreter's start, the imports, the build of the
establishment, the defects and every writer. The wall time and the CPU time (user + system,
from ``getrusage`` of the child) are printed for each run, then the median of each size as
a Markdown table for docs/performance.md (« Générateur »). The CPU time is the figure to
compare between machines that are shared: the wall time also counts waiting for a core.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one_run(size: int, seed: int, shape: str) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, files written) of one cold generation."""
    with tempfile.TemporaryDirectory(prefix="scolint-bench-gen-") as tmp:
        out = Path(tmp) / "donnees"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "scolint.engine.cli", "generate", "--students", str(size),
                        "--seed", str(seed), "--forme", shape, "--out", str(out)],
                       check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu, len(list(out.iterdir()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="600,2000,5000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shape", default="standard")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",")]
    rows = []
    for size in sizes:
        walls, cpus = [], []
        for run in range(args.runs):
            wall, cpu, files = one_run(size, args.seed, args.shape)
            walls.append(wall)
            cpus.append(cpu)
            print(f"{size} élèves, essai {run + 1} : {wall:.2f} s (CPU {cpu:.2f} s), {files} fichiers", flush=True)
        rows.append((size, statistics.median(walls), statistics.median(cpus)))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print()
    print(f"Machine : {platform.processor() or platform.machine()}, {os.cpu_count()} cœurs, Python "
          f"{platform.python_version()}, charge moyenne au départ {load:.1f} ; médiane de {args.runs} essais, "
          f"graine {args.seed}, forme {args.shape}.")
    print()
    print("| élèves | temps (médiane) | CPU (médiane) | CPU par 1 000 élèves |")
    print("|---:|---:|---:|---:|")
    for size, wall, cpu in rows:
        print(f"| {size} | {wall:.1f} s | {cpu:.1f} s | {1000 * cpu / size:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
