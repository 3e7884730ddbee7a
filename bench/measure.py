"""Timing of cold processes: wall time, exit code and peak RSS of each run.

Every measure starts a new process (``subprocess``), so interpreter start-up, imports,
rule loading and XSD compilation are counted as a user would pay them. The peak resident
memory comes from ``os.wait4`` (``ru_maxrss`` of that child and of the children it
waited for, in KiB on Linux).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

PYTHON = sys.executable
SCOLINT = str(Path(PYTHON).with_name("scolint"))


@dataclass
class Runs:
    """The repetitions of one measure."""

    label: str
    command: list[str]
    walls: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    stderr: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        """Median CPU time (user + system) of the process and the children it waited for."""
        return statistics.median(self.cpus) if self.cpus else 0.0

    @property
    def peak_mib(self) -> float:
        return max(self.rss_kib) / 1024

    @property
    def spread(self) -> str:
        """``min–max`` of the repetitions, in seconds."""
        return f"{min(self.walls):.2f}–{max(self.walls):.2f}"


def run_once(command: Sequence[str], cwd: str | None = None) -> tuple[float, int, int, str, float]:
    """Run ``command`` once; return (wall s, exit code, peak RSS KiB, stderr, CPU s)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(command), stdout=subprocess.DEVNULL, stderr=err, cwd=cwd)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    return wall, proc.returncode, usage.ru_maxrss, text, usage.ru_utime + usage.ru_stime


def measure(label: str, command: Sequence[str], reps: int, ok_codes: Sequence[int] = (0, 1),
            warmup: bool = True, cwd: str | None = None) -> Runs:
    """Run ``command`` ``reps`` times (after one unmeasured warm-up run)."""
    runs = Runs(label, list(command))
    if warmup:
        run_once(command, cwd)
    for _ in range(reps):
        wall, code, rss, err, cpu = run_once(command, cwd)
        runs.walls.append(wall)
        runs.codes.append(code)
        runs.rss_kib.append(rss)
        runs.cpus.append(cpu)
        if code not in ok_codes:
            runs.stderr = err[-2000:]
    return runs


def interleaved(specs: Sequence[tuple[str, Sequence[str]]], reps: int,
                ok_codes: Sequence[int] = (0, 1)) -> list[Runs]:
    """Measure several commands in turn (A B A B...), so a change of the machine's load
    during the run weighs on all of them alike."""
    out = [Runs(label, list(cmd)) for label, cmd in specs]
    for _label, cmd in specs:
        run_once(cmd)
    for _ in range(reps):
        for runs in out:
            wall, code, rss, err, cpu = run_once(runs.command)
            runs.walls.append(wall)
            runs.codes.append(code)
            runs.rss_kib.append(rss)
            runs.cpus.append(cpu)
            if code not in ok_codes:
                runs.stderr = err[-2000:]
    return out


def loadavg() -> str:
    """The 1-, 5- and 15-minute load averages (the machine is shared)."""
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def machine() -> dict[str, str]:
    """CPU model, cores, RAM, Python, lxml/libxml2, OS."""
    import platform

    from lxml import etree
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "?"
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} Gio"
                break
    except OSError:
        pass
    return {
        "cpu": cpu, "cores": str(os.cpu_count()), "ram": ram,
        "python": platform.python_version(),
        "lxml": ".".join(map(str, etree.LXML_VERSION[:3])) + " (libxml2 "
                + ".".join(map(str, etree.LIBXML_VERSION)) + ")",
        "os": f"{platform.system()} {platform.release()}",
    }
