"""Complexity guards of the performance fixes (issue 7): no timing, only counts.

- the audit evaluates a number of expressions proportional to the data (no rule or
  check kind evaluates per pair of entities): doubling the establishment doubles them;
- ``unique`` evaluates its key once per entity, ``reference`` builds its target index
  once per run (``Graph.index``), not once per entity;
- the shared render context of a compiled expression gives the same values as a fresh
  one, also for a call made while the same expression is running;
- rule files read by libyaml give exactly what the pure-Python parser gives;
- a record's fields are read in one pass over its children.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from scolint.engine import yamlines
from scolint.engine.audit import Auditor, Selection
from scolint.engine.evaluate import Evaluator
from scolint.engine.expressions import RuleEnvironment, run
from scolint.engine.model import Entity, Graph
from scolint.plugins.gen.generate import generate

RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture(scope="module")
def sizes(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    out = {}
    for n in (150, 300):
        folder = tmp_path_factory.mktemp(f"etab{n}")
        generate(folder, n, 11)
        out[n] = folder
    return out


def _audit(folder: Path, **kwargs: Any) -> Any:
    return Auditor(**kwargs).audit([folder])


def test_evaluations_grow_linearly_with_the_data(sizes: dict[int, Path]) -> None:
    small, large = _audit(sizes[150]), _audit(sizes[300])
    assert small.meta["evaluations"] > 100
    ratio_entities = large.meta["entities"] / small.meta["entities"]
    ratio_evals = large.meta["evaluations"] / small.meta["evaluations"]
    assert 1.6 < ratio_entities < 2.4
    # linear: the evaluations follow the entities (a quadratic rule would give ~4x)
    assert ratio_evals < ratio_entities * 1.25


def test_unique_evaluates_its_key_once_per_entity(sizes: dict[int, Path]) -> None:
    auditor = Auditor(selection=Selection(ids=["SIE-RESP-002"]))
    graph, _shown = auditor.load([sizes[300]])
    _findings, outcomes, ctx = auditor.evaluator.run(graph, auditor.audit_vars(graph))
    guardians = len(graph.all("guardian"))
    assert outcomes[0].status == "failed"  # the generator's duplicated guardian is found
    # one key per guardian, plus the ``distinct`` expression (if any) on the few duplicates
    assert guardians <= ctx.counter[0] <= guardians + 10


def test_reference_builds_its_index_once(monkeypatch: pytest.MonkeyPatch) -> None:
    builds: list[tuple[str, str]] = []
    original = Graph.index

    def counting(self: Graph, kind: str, field_name: str, source: str | None = None) -> Any:
        if (kind, source, field_name) not in self._indexes:
            builds.append((kind, field_name))
        return original(self, kind, field_name, source)

    monkeypatch.setattr(Graph, "index", counting)
    graph = Graph()
    for i in range(200):
        graph.add("item", str(i), source="t", ref=str(i % 150))
    for i in range(100):
        graph.add("target", str(i), source="t", code=str(i))
    from scolint.engine.rules import Rule
    rule = Rule(id="T-REF-001", title="t", severity="error", for_each="item", message="m", fix="f",
                check="reference", options={"value": "item.ref", "target": "target", "target_key": "code"},
                path="t.yml")
    from scolint.engine.manager import get_plugin_host
    host = get_plugin_host(load_entrypoints=False)
    env = RuleEnvironment(dict(host.registries.filters.items()), dict(host.registries.tests.items()))
    findings, _outcomes, ctx = Evaluator([rule], host.registries, env).run(graph, {})
    assert len(findings) == 50  # items 100..149 name targets 100..149, absent
    assert builds == [("target", "code")]
    assert ctx.counter[0] == 200


def test_shared_context_gives_fresh_values() -> None:
    env = RuleEnvironment()
    fn = env.expression("student.division or student.left")
    a = Entity("student", "1", "s", data={"division": None, "left": True})
    b = Entity("student", "2", "s", data={"division": "6A", "left": False})
    c = Entity("student", "3", "s", data={})
    assert [run(fn, {"student": e}) for e in (a, b, c, a)] == [True, "6A", None, True]
    # a variable of one call is not seen by the next one
    other = env.expression("extra is defined")
    assert run(other, {"extra": 1}) is True
    assert run(other, {}) is False
    assert run(env.expression("range(3) | list"), {}) == [0, 1, 2]


def test_reentrant_call_of_one_expression() -> None:
    env = RuleEnvironment({"inner": lambda x: run(fn, {"v": x - 1}) if x > 0 else 0})
    fn = env.expression("v | inner + 1")
    assert run(fn, {"v": 3}) == 4


@pytest.mark.parametrize("path", sorted(RULES.rglob("*.yml")), ids=lambda p: p.name)
def test_libyaml_and_pure_python_read_rules_alike(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text("utf-8")
    fast = yamlines.load_with_lines(text)
    monkeypatch.setattr(yamlines, "_FastLoader", yamlines._Loader)
    assert yamlines.load_with_lines(text) == fast
    assert fast[0] == yaml.safe_load(text)


def test_fields_reads_a_record_in_one_pass() -> None:
    from lxml import etree

    from scolint.plugins.common.xmlload import fields, val
    el = etree.fromstring("<E><A> x </A><B/><A>second</A><C>  </C><D>d</D><!-- c --></E>")
    assert fields(el) == {"A": "x", "D": "d"}
    assert {k: val(el, k) for k in "ABCD"} == {"A": "x", "B": None, "C": None, "D": "d"}


def test_rules_sharing_a_filter_evaluate_it_once_per_entity() -> None:
    from scolint.engine.manager import get_plugin_host
    from scolint.engine.rules import Rule
    host = get_plugin_host(load_entrypoints=False)
    env = RuleEnvironment(dict(host.registries.filters.items()), dict(host.registries.tests.items()))
    graph = Graph()
    for i in range(100):
        graph.add("course", str(i), source="edt" if i % 2 else "sts", teachers=[] if i % 10 == 1 else ["T"])

    def rule(rid: str, check: str) -> Rule:
        return Rule(id=rid, title="t", severity="error", for_each="course", message="m", fix="f",
                    check="assert", options=check, path=f"{rid}.yml", where="course.source == 'edt'")

    rules = [rule("T-A-001", "course.teachers"), rule("T-B-001", "course.id != ''")]
    findings, _outcomes, ctx = Evaluator(rules, host.registries, env).run(graph, {})
    assert [f.entity_id for f in findings] == [str(i) for i in range(1, 100, 10)]
    # the filter once per course (100), then each assertion on the 50 kept courses
    assert ctx.counter[0] == 100 + 50 + 50


def test_value_prefilter_never_hides_a_problem() -> None:
    """check_values skips its element walk when the serialised file has no candidate:
    on random trees, the walk never reports anything that the prefilter missed."""
    import random

    from lxml import etree

    from scolint.plugins.common import xmlload
    rng = random.Random(7)
    pool = ["01/02/2024", "31/02/2024", "2024-02-30", "2024-02-28", "29/02/2023", "29/02/2024 10:00",
            "2024-13-01T08:00", " 30/04/2024 ", "٢٠٢٤-٠٢-٣٠", "x" * 2001, " " * 2500, "a\"b" * 700,
            "DUPONT", "06-12-34-56-78", "1/2/2024", "00/01/2024", "2024-00-10", "&<>é", ""]
    flagged = 0
    for _ in range(400):
        root = etree.Element("R")
        for i in range(rng.randint(1, 6)):
            el = etree.SubElement(root, f"E{i}")
            el.text = rng.choice(pool)
            if rng.random() < 0.5:
                el.set("A", rng.choice(pool))
            el.tail = rng.choice(["\n", "31/02/2024", ""])
        tree = etree.ElementTree(etree.fromstring(etree.tostring(root)))
        walked = xmlload._walk_values(tree, Graph(), "f.xml", "fix")
        if walked:
            flagged += 1
            assert xmlload.may_have_bad_values(tree.getroot())
        assert xmlload.check_values(tree, Graph(), "f.xml", "fix") == walked
    assert flagged > 100  # the pool does spoil many trees


def test_get_without_source_is_a_lookup_of_the_first_added() -> None:
    graph = Graph()
    graph.add("teacher", "7", source="sts", label="STS")
    graph.add("teacher", "7", source="edt", label="EDT")
    graph.add("teacher", 8, source="edt", label="huit")
    assert graph.get("teacher", "7").label == "STS"
    assert graph.get("teacher", 8).label == "huit"
    assert graph.get("teacher", "7", "edt").label == "EDT"
    assert graph.get("teacher", "9") is None and graph.get("student", "7") is None
    graph.add("teacher", "7", source="sts", label="STS bis")  # a merge keeps the entity
    assert graph.get("teacher", "7").label == "STS bis"
    # the look-up is a dictionary: no scan of the kind's entities
    graph._by_kind["teacher"] = []
    assert graph.get("teacher", "8").label == "huit"



def test_aaf_link_reads_each_record_a_bounded_number_of_times(sizes: dict[int, Path],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Linking AAF guardians to students is linear (it was a scan of the students per guardian)."""
    from scolint.plugins.aaf import entities as aaf_records
    reads: list[int] = []
    original_link, original_get = aaf_records.link, Entity.get
    counter = [0]

    def counting_get(self: Entity, name: str, default: Any = None) -> Any:
        counter[0] += 1
        return original_get(self, name, default)

    def counted_link(graph: Graph, home: set[str]) -> None:
        counter[0] = 0
        monkeypatch.setattr(Entity, "get", counting_get)
        try:
            original_link(graph, home)
        finally:
            monkeypatch.setattr(Entity, "get", original_get)
        reads.append(counter[0] / max(1, len(graph.all("aaf_guardian")) + len(graph.all("aaf_student"))))

    monkeypatch.setattr(aaf_records, "link", counted_link)
    for n in (150, 300):
        Auditor().audit([sizes[n]])
    assert len(reads) == 2 and reads[0] > 0
    assert reads[1] < reads[0] * 1.3  # reads per AAF record do not grow with the school


def test_a_batch_does_not_carry_previous_graphs(sizes: dict[int, Path]) -> None:
    import gc
    auditor = Auditor()
    auditor.audit([sizes[300]])
    graph, _shown = auditor.load([sizes[150]])
    gc.collect()
    alive = sum(1 for o in gc.get_objects() if type(o) is Entity)
    assert len(graph) <= alive <= len(graph) * 1.05  # the first establishment's graph is gone


def test_parsed_tree_has_no_indentation_nodes_but_keeps_values_and_lines() -> None:
    from scolint.engine import xmlsafe
    tree = xmlsafe.parse("x.xml", b"<R>\n  <A> </A>\n  <B>\n    V\n  </B>\n  <C/>\n</R>")
    assert [(e.tag, e.text, e.tail, e.sourceline) for e in tree.getroot()] == [
        ("A", " ", None, 2), ("B", "\n    V\n  ", None, 3), ("C", None, None, 6)]
