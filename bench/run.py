"""scolint benchmark: ``python bench/run.py`` (see docs/performance.md).

Generates (once, cached in bench/out/) a large establishment, ten more for the growth
measure and an academy of 300 establishments with the project's generator, then times
cold processes: the floor (parse + XSD validation only), ``scolint check`` (default rules,
JSON report), the growth (``scolint batch --jobs 1`` on 10 establishments vs on 1 of
them; and, for information, the ten merged into one ``scolint check``), the audit's peak
memory, ``scolint batch``
with --jobs 1 and 2, and three EDT rules as ISO Schematron vs the same rules in scolint.
Prints a table and writes docs/performance.md.

Options: ``--reps N`` (default 5), ``--batch-reps N`` (default 1), ``--regenerate``,
``--no-doc`` (print only), ``--skip-academy``, ``--academy N`` (establishments),
``--keep-data`` (cached data even if the generator changed), ``--generate-only``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import datasets  # noqa: E402
import report  # noqa: E402
from measure import PYTHON, SCOLINT, Runs, interleaved, loadavg, machine, measure  # noqa: E402

OUT = HERE / "out"
EDT_RULES = ("EDT-PRN-001", "EDT-PRN-002", "EDT-STS-002")


def check_cmd(folder: Path, report_file: Path, select: str | None = None) -> list[str]:
    cmd = [SCOLINT, "check", str(folder), "--format", "json", "-o", str(report_file)]
    if select:
        cmd += ["--select", select]
    return cmd


def no_history() -> list[str]:
    """``--sans-historique`` where ``scolint batch`` records a history (the bench measures
    the audits, like before the history existed, and never writes a user's data folder)."""
    text = batch_help() or ""
    return ["--sans-historique"] if "--sans-historique" in text.split() else []


def growth_cmd(folder: Path, out: Path) -> list[str]:
    """One process auditing every establishment of ``folder`` in turn, JSON reports."""
    return [SCOLINT, "batch", str(folder), "--jobs", "1", "--formats", "json", "-o", str(out), *no_history()]


def batch_help() -> str | None:
    """``scolint batch --help`` text, or None when the command does not exist."""
    proc = subprocess.run([SCOLINT, "batch", "--help"], capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 else None


def batch_cmd(help_text: str, academy: Path, jobs: int, out: Path) -> list[str]:
    cmd = [SCOLINT, "batch", str(academy), "--jobs", str(jobs), *no_history()]
    for option in ("--out", "--output", "-o", "--sortie"):
        if option in help_text.split():
            return cmd + [option, str(out)]
    return cmd


def find_edt_file(folder: Path) -> Path | None:
    """The clear ExportEmploiDuTemps file of a generated folder (detected by its root)."""
    for path in sorted(folder.rglob("*.xml")):
        head = path.read_bytes()[:600]
        if b"ExportEmploiDuTemps" in head or b"exportemploidutemps" in head:
            return path
    return None


def rule_ids() -> set[str]:
    """Ids of the default rules (in a child process: a broken plugin must not stop the bench)."""
    code = "from scolint.engine.audit import Auditor\nfor r in Auditor().rules: print(r.id)"
    proc = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True)
    return set(proc.stdout.split()) if proc.returncode == 0 else set()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Banc d'essai de scolint (écrit docs/performance.md)")
    ap.add_argument("--reps", type=int, default=5, help="répétitions de chaque mesure (médiane)")
    ap.add_argument("--batch-reps", type=int, default=1, help="répétitions des mesures de lot")
    ap.add_argument("--academy", type=int, default=datasets.ACADEMY_COUNT, help="établissements de l'académie")
    ap.add_argument("--regenerate", action="store_true", help="régénérer les données")
    ap.add_argument("--skip-academy", action="store_true", help="ne pas mesurer scolint batch")
    ap.add_argument("--no-doc", action="store_true", help="ne pas écrire docs/performance.md")
    ap.add_argument("--keep-data", action="store_true",
                    help="garder les données en cache même si le générateur a changé depuis")
    ap.add_argument("--generate-only", action="store_true", help="préparer les données sans rien mesurer")
    args = ap.parse_args(argv)
    datasets.KEEP = args.keep_data
    # A user's installed scolint has its compiled modules (.pyc): every measured process
    # must find them too, not compile scolint's sources again at each run (the untimed
    # first run of each command writes them).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

    started = time.perf_counter()
    facts: dict[str, Any] = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                             "machine": machine(), "load_before": loadavg(), "reps": args.reps,
                             "batch_reps": args.batch_reps, "families": datasets.generator_families(),
                             "commit": _git("rev-parse", "--short", "HEAD"),
                             "dirty": bool(_git("status", "--porcelain", "--", "engine", "plugins", "rules"))}
    print(f"Machine : {facts['machine']['cpu']}, {facts['machine']['cores']} cœurs, charge {facts['load_before']}")
    print(f"Familles du générateur : {', '.join(facts['families'])}")

    t = time.perf_counter()
    lycee, facts["lycee"] = datasets.cached(OUT, "lycee", datasets.generate_lycee, args.regenerate)
    growth, facts["growth"] = datasets.growth_set(OUT, args.regenerate)
    academy = None
    if not args.skip_academy:
        name = "academie" if args.academy == datasets.ACADEMY_COUNT else f"academie-{args.academy}"
        academy, facts["academy"] = datasets.cached(
            OUT, name, lambda p: datasets.generate_academy(p, args.academy), args.regenerate)
    facts["generation_s"] = time.perf_counter() - t
    print(f"Données prêtes ({facts['generation_s']:.0f} s)")
    if args.generate_only:
        return 0

    tmp = OUT / "rapports"
    tmp.mkdir(parents=True, exist_ok=True)
    floor = [PYTHON, str(HERE / "floor.py")]
    results: dict[str, Runs] = {}
    for runs in interleaved([("floor", floor + [str(lycee)]),
                             ("audit", check_cmd(lycee, tmp / "lycee.json"))], args.reps):
        results[runs.label] = runs
    print(f"T_floor {results['floor'].median:.2f} s, T_audit {results['audit'].median:.2f} s")
    facts["audit_report"] = _report_summary(tmp / "lycee.json")

    one = datasets.growth_one(OUT, growth)
    for runs in interleaved([("lot1", growth_cmd(one, tmp / "croissance-1")),
                             ("lot10", growth_cmd(growth, tmp / "croissance-10"))], max(1, args.reps // 2)):
        results[runs.label] = runs
    print(f"x10 : 1 établissement {results['lot1'].median:.2f} s, 10 établissements {results['lot10'].median:.2f} s")
    for runs in interleaved([("floor10", floor + [str(growth)]),
                             ("audit10", check_cmd(growth, tmp / "croissance.json"))], 1):
        results[runs.label] = runs
    print(f"x10 en un graphe : T_floor {results['floor10'].median:.2f} s, T_audit {results['audit10'].median:.2f} s")

    phases = subprocess.run([PYTHON, str(HERE / "phases.py"), str(lycee)], capture_output=True, text=True)
    facts["phases"] = json.loads(phases.stdout) if phases.returncode == 0 else {"error": phases.stderr[-1500:]}
    profiled = subprocess.run([PYTHON, str(HERE / "phases.py"), str(lycee), "--profile", str(tmp / "audit.prof")],
                              capture_output=True, text=True)
    facts["profile"] = report.profile_top(tmp / "audit.prof") if profiled.returncode == 0 else []

    facts["batch"] = None
    if academy is not None:
        help_text = batch_help()
        if help_text is None:
            facts["batch"] = {"absent": True}
            print("scolint batch : commande absente")
        else:
            for jobs in (1, 2):
                cmd = batch_cmd(help_text, academy, jobs, tmp / f"lot-{jobs}")
                results[f"batch{jobs}"] = measure(f"batch{jobs}", cmd, args.batch_reps, warmup=False)
                print(f"batch --jobs {jobs} : {results[f'batch{jobs}'].median:.1f} s")
            facts["batch"] = {"absent": False, "command": " ".join(Path(c).name if i == 0 else c for i, c in
                                                                  enumerate(results["batch1"].command))}

    facts["schematron"] = _schematron(lycee, tmp, args.reps, results)
    facts["load_after"] = loadavg()
    facts["duration_s"] = time.perf_counter() - started
    for runs in results.values():
        if runs.stderr:
            print(f"ATTENTION : {runs.label} a échoué (codes {runs.codes}) :\n{runs.stderr}")
    table = report.targets(facts, results)
    print(report.text_table(table))
    if not args.no_doc:
        doc = ROOT / "docs" / "performance.md"
        previous = doc.read_text(encoding="utf-8") if doc.is_file() else None
        doc.write_text(report.markdown(facts, results, table, previous), encoding="utf-8")
        print("docs/performance.md écrit")
    return 0


def _schematron(lycee: Path, tmp: Path, reps: int, results: dict[str, Runs]) -> dict[str, Any]:
    edt = find_edt_file(lycee)
    known = rule_ids()
    present = [r for r in EDT_RULES if r in known]
    info: dict[str, Any] = {"file": edt.name if edt else None, "rules": list(EDT_RULES), "present": present}
    if edt is None or len(present) < len(EDT_RULES):
        info["absent"] = True
        return info
    sch = [PYTHON, str(HERE / "schematron_run.py"), str(HERE / "edt_rules.sch"), str(edt)]
    mine = check_cmd(edt, tmp / "edt3.json", ",".join(EDT_RULES))
    # like for like: scolint validates the file against its XSD before the rules
    sch_xsd = sch + ["--xsd", str(ROOT / "schemas" / "xsd" / "export_emploi_du_temps.xsd")]
    for runs in interleaved([("schematron", sch), ("scolint3", mine), ("schematron_xsd", sch_xsd)], reps):
        results[runs.label] = runs
    out = subprocess.run(sch, capture_output=True, text=True)
    info["schematron_counts"] = json.loads(out.stdout) if out.returncode == 0 else {"error": out.stderr[-800:]}
    info["scolint_counts"] = _report_summary(tmp / "edt3.json").get("by_rule", {})
    warm = subprocess.run([PYTHON, str(HERE / "warm_edt.py"), str(HERE / "edt_rules.sch"), str(edt), *EDT_RULES],
                          capture_output=True, text=True)
    info["warm"] = json.loads(warm.stdout) if warm.returncode == 0 else {"erreur": warm.stderr[-800:]}
    return info


def _report_summary(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    by_rule: dict[str, int] = {}
    for finding in data.get("anomalies", []):
        by_rule[finding.get("rule", "?")] = by_rule.get(finding.get("rule", "?"), 0) + 1
    formats = sorted({e.get("format") for e in data.get("exports", []) if isinstance(e, dict) and e.get("format")})
    rules = data.get("regles", [])
    return {"by_rule": by_rule, "formats": formats, "rules": len(rules),
            "not_evaluated": sorted(r.get("id", "?") for r in rules if isinstance(r, dict) and r.get("exports_manquants")),
            "rule_errors": sorted(r.get("id", "?") for r in rules if isinstance(r, dict) and r.get("erreur"))}


def _git(*args: str) -> str:
    proc = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT)
    return proc.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
