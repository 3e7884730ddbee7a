"""Where an audit's time goes, phase by phase (run in a cold process by bench/run.py).

``python bench/phases.py DOSSIER`` prints one JSON object: seconds spent importing,
building the plugin host, loading the rules, loading each file (by format), linking,
evaluating each rule, rendering the JSON report; plus the number of expression
evaluations and of entities. ``--profile FICHIER`` also writes a cProfile of the audit.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

T0 = time.perf_counter()
from scolint.engine.audit import Auditor  # noqa: E402
from scolint.engine.manager import get_plugin_host  # noqa: E402

T_IMPORT = time.perf_counter() - T0


class TimedAuditor(Auditor):
    """An Auditor that notes the time of each file load and of the link step."""

    timings: dict[str, float]

    def _load_one(self, graph: Any, path: Any, display: str, name: str, *args: Any) -> None:
        before = len(graph.exports)
        start = time.perf_counter()
        super()._load_one(graph, path, display, name, *args)
        spent = time.perf_counter() - start
        fmt = graph.exports[before].format_id if len(graph.exports) > before else "(non lu)"
        self.timings[f"charger {fmt}"] = self.timings.get(f"charger {fmt}", 0.0) + spent


def main(argv: list[str]) -> int:
    import gc

    from scolint.engine.cli import CLI_GC_THRESHOLDS
    gc.set_threshold(*CLI_GC_THRESHOLDS)  # as the ``scolint`` command does at its entry point
    profile = None
    if "--profile" in argv:
        i = argv.index("--profile")
        profile = argv[i + 1]
        del argv[i:i + 2]
    out: dict[str, Any] = {"importer scolint": T_IMPORT}
    start = time.perf_counter()
    host = get_plugin_host()
    out["plugins"] = time.perf_counter() - start
    start = time.perf_counter()
    auditor = TimedAuditor(host=host)
    auditor.timings = {}
    out["règles (lecture, schéma, compilation)"] = time.perf_counter() - start
    original_link = host.link
    link_time = [0.0]

    def timed_link(graph: Any) -> None:
        t = time.perf_counter()
        original_link(graph)
        link_time[0] += time.perf_counter() - t

    host.link = timed_link  # type: ignore[method-assign]
    prof = None
    if profile:
        import cProfile
        prof = cProfile.Profile()
        prof.enable()
    start = time.perf_counter()
    graph, shown = auditor.load(argv)
    load_total = time.perf_counter() - start
    start = time.perf_counter()
    result = auditor.evaluate(graph, shown, "bench")
    eval_total = time.perf_counter() - start
    start = time.perf_counter()
    text = host.registries.reporters.get("json").render(result, {})
    render = time.perf_counter() - start
    if prof is not None:
        prof.disable()
        prof.dump_stats(profile)
    out.update(auditor.timings)
    out["rapprochements (link)"] = link_time[0]
    out["chargement : reste (découverte, entités export)"] = load_total - link_time[0] - sum(auditor.timings.values())
    out["évaluation des règles"] = eval_total
    out["rapport JSON"] = render
    rules: dict[str, float] = {}
    from scolint.engine.evaluate import Evaluator
    audit = auditor.audit_vars(graph)
    for rule in auditor.rules:
        ev = Evaluator([rule], auditor.registries, auditor.env)
        t = time.perf_counter()
        ev.run(graph, audit)
        rules[rule.id] = time.perf_counter() - t
    print(json.dumps({"phases": out, "rules": rules, "evaluations": result.meta.get("evaluations"),
                      "entities": result.meta.get("entities"), "report_chars": len(text),
                      "formats": sorted(graph.formats()), "rule_count": len(auditor.rules),
                      "findings": len(result.findings)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
