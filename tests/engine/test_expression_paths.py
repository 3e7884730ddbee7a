"""The two evaluators of rule expressions agree: Jinja (the reference) and the direct code
(engine/exprcompile.py, switched by ``make_environment(direct_code=...)``).

- every expression of every shipped rule gets direct Python code (engine/exprcompile.py),
  and an audit of a generated establishment evaluates none of them by the Jinja path;
- on generated data, the direct code gives, for every entity of the rule's kind (and
  every ``item`` of a ``compare_sets`` key), exactly the Jinja path's value;
- hand-written expressions of every compiled shape, and a few thousand random ones,
  give the same value or the same French error by both paths, on entities with present,
  missing, empty and None fields, lists, dicts and nested entities;
- what the fast path must not compile (calls, context filters, slices, an ``if``
  without ``else``, expressions that could exhaust the budget) keeps the Jinja path;
- ``fold`` (cached) folds as before, and its cache stays bounded.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Callable

import pytest
from jinja2 import ChainableUndefined

from scolint.engine.audit import Auditor
from scolint.engine.expressions import ExpressionError, RuleEnvironment, run, run_jinja
from scolint.engine.model import Entity, Graph, Provenance
from scolint.plugins.gen.generate import generate
from scolint.plugins.language import filters


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Auditor, Graph, Path]:
    folder = tmp_path_factory.mktemp("etab")
    generate(folder, 300, 7)
    auditor = Auditor()
    graph, _shown = auditor.load([folder])
    return auditor, graph, folder


def _sources(rule: Any) -> list[tuple[str, str]]:
    """(role, source) of every expression of a rule."""
    out = [("where", rule.where)] if rule.where else []
    if isinstance(rule.options, str):
        out.append(("assert", rule.options))
    elif isinstance(rule.options, dict):
        out.extend((k, rule.options[k]) for k in ("key", "distinct", "value", "left", "right")
                   if isinstance(rule.options.get(k), str))
    return out


def _same(fast: Any, slow: Any) -> bool:
    if isinstance(slow, ChainableUndefined):
        return type(fast) is type(slow)
    return type(fast) is type(slow) and fast == slow






def test_fast_values_are_the_jinja_values_on_generated_data(audited: tuple[Auditor, Graph, Path]) -> None:
    auditor, graph, _folder = audited
    audit = auditor.audit_vars(graph)
    compared = 0
    for rule in auditor.all_rules:
        for role, src in _sources(rule):
            fn = auditor.env.expression(src)
            if fn.fast is None:  # Jinja only (map, selectattr... are not compiled): nothing to compare
                continue
            for ent in graph.all(rule.for_each):
                variables = {rule.for_each: ent, "audit": audit, "entity": ent}
                items: list[Any] = [None]
                if role == "key" and rule.check == "compare_sets":
                    items = []
                    for side in ("left", "right"):
                        value = run(auditor.env.expression(rule.options[side]), variables)
                        items.extend(value if isinstance(value, list) else [value])
                for item in items:
                    if item is not None:
                        variables["item"] = item
                    fast = fn.fast(variables)  # must not raise on real-shaped data
                    assert _same(fast, fn(**variables)), (rule.id, role, ent, fast)
                    compared += 1
    assert compared > 20_000


# -- hand-written and random expressions ------------------------------------------

def _graph_vars() -> dict[str, Any]:
    prov = [Provenance("f.xml", 3, "siecle")]
    kid1 = Entity("kid", "k1", "t", prov, "Kid Un", {"code": "K1", "name": "Élève-Un"})
    kid2 = Entity("kid", "k2", "t", prov, None, {"name": None})
    a = Entity("thing", "a1", "t", prov, "Chose A", {
        "name": "Lefèvre-Éloïse", "empty": "", "none": None, "n": 3, "f": 2.5, "flag": True,
        "no": False, "kids": [kid1, kid2], "nokids": [], "kid": kid1, "d": {"k": "v", "n": 1},
        "codes": ["A", "B"], "big": "x" * 60_000, "_hidden": "h"})
    b = Entity("thing", "b1", "u", (), None, {"name": "LEFEVRE eloise", "n": 0, "kid": None})
    return {"a": a, "b": b, "audit": {"uai": "0310000A", "year": 2024}, "entity": a, "item": kid1}


def _env() -> RuleEnvironment:
    return RuleEnvironment({"fold": filters.fold, "ids": filters.ids, "codes": filters.codes,
                            "sts_group_name": filters.sts_group_name, "date": filters.to_date})


def _outcome(fn: Callable[..., Any], runner: Callable[..., Any], variables: dict[str, Any]) -> Any:
    try:
        return ("value", runner(fn, variables))
    except ExpressionError as exc:
        return ("error", str(exc))


def _check(env: RuleEnvironment, src: str, variables: dict[str, Any]) -> bool:
    """Both paths agree on ``src``; True when it was compiled."""
    fn = env.expression(src)
    fast, slow = _outcome(fn, run, variables), _outcome(fn, run_jinja, variables)
    assert fast[0] == slow[0], (src, fast, slow)
    if fast[0] == "error":
        assert fast == slow, src
    else:
        assert _same(fast[1], slow[1]), (src, fast, slow)
    return getattr(fn, "fast", None) is not None


COMPILED = [
    "a.name", "a.missing", "a.missing.deeper.still", "a.none.x", "b.kid.name", "unknown",
    "unknown.x.y", "a.id", "a.label", "a.kind", "a.source", "a.key", "a.prov", "a.data.n",
    "a.get", "a._hidden", "a.mro", "a.kids", "a.kid.code", "not a.flag", "not a.empty",
    "a.flag and a.name", "a.no or a.none or a.empty", "a.none or unknown", "unknown is none",
    "a.none is none", "a.missing is not none", "a.missing is defined", "unknown is undefined",
    "a.name == b.name", "a.name | fold == b.name | fold", "a.n != 3", "1 < a.n <= 5",
    "a.n > b.n", "a.name in ['x', 'Lefèvre-Éloïse']", "'A' in a.codes", "'Z' not in a.codes",
    "a.missing in a.codes", "a.n < a.name", "a.none > 1", "[a.n, a.name | fold, (a.none or a.n)]",
    "(a.n, b.n)", "{'k': a.n, 'l': a.kid.code}", "a.kids | length", "a.nokids | length > 1",
    "a.kids | ids", "a.kids | codes", "a.name | upper", "a.missing | fold", "a.none | fold",
    "a.name | sts_group_name(8, 'A-Za-z0-9 _-')", "a.name | sts_group_name(length=3)",
    "a.name | default('x')", "a.missing | default('x')", "a.n | string", "a.name | center(9)",
    "a.name | center(200000)", "a.name ~ ' ' ~ a.n ~ a.none",
    "a.n + 1", "a.n - 1", "a.n * 2", "a.n / 2", "a.n // 2", "a.n % 2", "a.n ** 2", "-a.n", "+a.f",
    "a.n / b.n", "a.name + 1", "a.big * 2", "a.big + a.big", "a.name * 3", "'%s' % a.n",
    "a.n ** 5000", "a.codes[0]", "a.codes[5]", "a.d['k']", "a.d.k", "a.d.n", "a.d.missing",
    "a.d.items", "a.d['missing']", "audit.uai", "audit.year == 2024", "audit.missing",
    "a.name if a.flag else none", "a.name if a.no else b.name", "item.code", "entity.n",
    "a.name | date", "a.kid.missing.more | fold", "a.name is string", "a.n is number",
    "(a.big ~ a.big) | upper", "(a.big ~ a.big) | fold | length",
]

NOT_COMPILED = [
    "a.kids | map(attribute='code') | list", "a.name.startswith('L')", "range(3)",
    "a.codes[0:1]", "a.name if a.flag", "a.kids | sort", "a.kids | join(', ')", "a.kids | first",
    "a.name | replace('e', 'ee')", "a.big | replace('x', 'xx')", "a.kids | map('upper') | list",
    # could exceed the operation budget (each filter result may cost up to 1001)
    "[" + ", ".join(["a.name" + " | upper" * 60] * 4) + "]",
]


@pytest.mark.slow  # Python compiles a 300-deep expression for tens of seconds
def test_a_too_deeply_nested_expression_is_a_rule_error() -> None:
    with pytest.raises(ExpressionError, match="trop profondément"):
        _env().expression("a.name" + " | upper" * 300)
    with pytest.raises(ExpressionError, match="démesurée"):
        _env().expression("a.n == " + "1" * 5000)
    with pytest.raises(ExpressionError, match="démesurée"):
        _env().template("{{ " + "1" * 5000 + " }}")


def test_jinja_compiles_an_expression_with_direct_code_only_when_needed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    env, variables = _env(), _graph_vars()
    compiled: list[str] = []
    original = RuleEnvironment.compile_expression

    def counting(self: RuleEnvironment, source: str, undefined_to_none: bool = True) -> Any:
        compiled.append(source)
        return original(self, source, undefined_to_none)

    monkeypatch.setattr(RuleEnvironment, "compile_expression", counting)
    fn = env.expression("a.name | fold")
    assert run(fn, variables) == "lefevre eloise" and compiled == []
    assert _outcome(env.expression("a.name * 3"), run, variables)[0] == "value" and compiled == []
    # an error is worded by the Jinja path, compiled then (once)
    error = _outcome(env.expression("a.name + 1"), run, variables)
    assert error[0] == "error" and compiled == ["a.name + 1"]
    _outcome(env.expression("a.name + 1"), run, variables)
    assert compiled == ["a.name + 1"]
    # without direct code, Jinja compiles at the first call an expression that surely
    # compiles; an invalid expression still fails when loaded
    mapped = env.expression("a.kids | map(attribute='code') | list")
    assert compiled[-1] == "a.name + 1"
    assert run(mapped, variables)[0] == "K1" and compiled[-1] == "a.kids | map(attribute='code') | list"
    with pytest.raises(ExpressionError, match="invalide"):
        env.expression("a.name | nosuchfilter")
    with pytest.raises(ExpressionError, match="invalide"):
        env.expression("a.name )")
    deep = "(" * 45 + "a.n" + ")" * 45 + " + " + " + ".join(["a.n"] * 45)
    assert _check(env, deep, variables) is False  # too deep for direct code: Jinja


def test_hand_written_expressions_agree() -> None:
    env, variables = _env(), _graph_vars()
    compiled = [src for src in COMPILED if _check(env, src, variables)]
    assert compiled == COMPILED
    # a filter result over the size limit: the sandbox's error, worded by the Jinja path
    too_big = _outcome(env.expression("(a.big ~ a.big) | upper"), run, variables)
    assert too_big[0] == "error" and "trop grand" in too_big[1]
    assert not any(_check(env, src, variables) for src in NOT_COMPILED)


def test_forbidden_attributes_are_still_refused() -> None:
    env, variables = _env(), _graph_vars()
    for src in ("a.mro", "a._hidden", "a.format", "a.name.format", "a.d.update"):
        value = _outcome(env.expression(src), run, variables)
        assert value == _outcome(env.expression(src), run_jinja, variables)
    for src in ("a.name.format", "a.d.update", "a.name.format_map"):
        assert _outcome(env.expression(src), run, variables)[0] == "error", src


def _random_expression(rng: random.Random, depth: int = 0) -> str:
    leaves = ["a", "b", "unknown", "audit", "item", "entity", "none", "true", "0", "2", "'x'",
              "'Lefèvre'", "[]", "[1, 'x']"]
    attrs = ["name", "empty", "none", "n", "f", "flag", "no", "kids", "nokids", "kid", "d", "codes",
             "missing", "id", "label", "key", "k", "code", "uai", "year", "prov", "source"]
    if depth > 3 or rng.random() < 0.25:
        return rng.choice(leaves)
    sub = lambda: _random_expression(rng, depth + 1)  # noqa: E731
    shape = rng.randrange(14)
    if shape < 4:
        return f"({sub()}).{rng.choice(attrs)}"
    if shape == 4:
        return f"(not {sub()})"
    if shape == 5:
        return f"({sub()} {rng.choice(['and', 'or'])} {sub()})"
    if shape == 6:
        return f"({sub()} {rng.choice(['==', '!=', '<', '>=', 'in', 'not in'])} {sub()})"
    if shape == 7:
        return f"({sub()} | {rng.choice(['fold', 'length', 'upper', 'ids', 'codes', 'default(1)', 'string'])})"
    if shape == 8:
        return f"({sub()} is {rng.choice(['none', 'not none', 'defined', 'string', 'number'])})"
    if shape == 9:
        return f"({sub()} if {sub()} else {sub()})"
    if shape == 10:
        return f"[{sub()}, {sub()}]"
    if shape == 11:
        return f"({sub()} {rng.choice(['+', '-', '*', '~', '%', '//'])} {sub()})"
    if shape == 12:
        return f"({sub()})[{rng.choice(['0', '1', chr(39) + 'k' + chr(39), 'a.n'])}]"
    return f"({sub()} | sts_group_name({rng.choice(['3', '8'])}))"


def test_random_expressions_agree() -> None:
    env, variables = _env(), _graph_vars()
    rng = random.Random(20261129)
    compiled = 0
    for _ in range(3000):
        src = _random_expression(rng)
        compiled += _check(env, src, variables)
    assert compiled == 3000  # every shape drawn here is compiled




def _stepwise(ctx: Any, fn: Any, rule: Any, entities: list[Entity]) -> tuple[list[Any], list[Any], int]:
    """Values one evaluation at a time (the reference), the records that failed and why,
    the count."""
    values: list[Any] = []
    errors: list[Any] = []
    for ent in entities:
        try:
            values.append((ent, ctx.evaluate(fn, rule, ent)))
        except ExpressionError as exc:
            errors.append((ent, str(exc)))
    return values, errors, ctx.counter[0]


def _batched(ctx: Any, fn: Any, rule: Any, entities: list[Entity]) -> tuple[list[Any], list[Any], int]:
    """The same in one loop: a record that fails is left out and kept in ``record_errors``."""
    values = list(ctx.each(fn, rule, entities))
    errors = [(ent, str(err)) for ent, err, _src in ctx.record_errors.get(rule.id, [])]
    return values, errors, ctx.counter[0]


@pytest.mark.parametrize("for_each", ["thing", "entity", "audit"])
def test_each_gives_what_evaluate_gives_and_goes_on_after_a_failing_record(for_each: str) -> None:
    from scolint.engine.evaluate import EvalContext
    from scolint.engine.rules import Rule

    env = _env()
    ents = [Entity("thing", str(i), "t", (), None, {"n": i, "name": f"N{i}"}) for i in range(6)]
    ents[4].data["n"] = "quatre"  # "quatre" + 1: a TypeError, worded by the Jinja path
    rule = Rule(id="R", title="t", severity="error", for_each=for_each, message="m", fix="",
                check="assert", options="x", path="r.yml")
    for src in (f"{for_each}.n + 1", f"{for_each}.name | fold", "audit.uai ~ entity.name",
                "entity.n + 1", "a.kids | map(attribute='code') | list"):
        fn = env.expression(src)
        results = []
        for way in (_stepwise, _batched):
            ctx = EvalContext(Graph(), env, {"uai": "0310000A"})
            results.append(way(ctx, fn, rule, ents))
        assert results[0] == results[1], src
        if src.endswith("n + 1") and for_each != "audit":
            # the fifth record fails, the sixth is still evaluated
            assert [e.id for e, _m in results[0][1]] == ["4"] and results[0][2] == 6
            assert [e.id for e, _v in results[0][0]] == ["0", "1", "2", "3", "5"]
        ctx = EvalContext(Graph(), env, {})
        items = [1, 2, "x", 4]
        item_fn = env.expression("item + entity.n")
        step = []
        with pytest.raises(ExpressionError) as first:
            for item in items:
                step.append(ctx.evaluate(item_fn, rule, ents[1], item=item))
        counted = ctx.counter[0]
        ctx.counter[0] = 0
        with pytest.raises(ExpressionError) as second:
            ctx.each_value(item_fn, rule, ents[1], "item", items)
        assert str(first.value) == str(second.value) and ctx.counter[0] == counted == 3


def test_an_audit_gives_the_same_findings_with_either_evaluator(audited: tuple[Auditor, Graph, Path]) -> None:
    from scolint.engine.evaluate import make_environment
    _auditor, _graph, folder = audited
    results = []
    for direct in (True, False):
        auditor = Auditor()
        auditor.env = make_environment(auditor.registries, direct_code=direct)
        auditor.all_rules = [r for r in auditor.all_rules]
        from scolint.engine.evaluate import Evaluator
        auditor.evaluator = Evaluator(auditor.rules, auditor.registries, auditor.env)
        result = auditor.audit([folder])
        results.append(sorted((f.rule_id, f.entity_kind, f.entity_id, f.message) for f in result.findings))
    assert results[0] == results[1]
    assert len(results[0]) > 20  # the generator's anomalies are found by both
