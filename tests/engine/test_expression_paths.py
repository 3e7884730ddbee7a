"""The two evaluators of rule expressions agree: Jinja (the reference) and the direct code
(engine/exprcompile.py, switched by ``make_environment(direct_code=...)``).

- every expression of every shipped rule gets direct Python code (engine/exprcompile.py),
  and an audit of a generated establishment evaluates none of them by the Jinja path;
- on generated data, the direct code gives, for every entity of the rule's kind (and
  every ``item`` of a ``compare_sets`` key), exactly the Jinja path's value;
- hand-written expressions of every compiled shape, and a few thousand random ones,
  give the same value or the same French error by both paths, on entities with present,
  missing, empty and None fields, lists, dicts and nested entities; so do filter chains
  (select, reject, selectattr, rejectattr, map, unique, list, first, join), hand-written
  and random, over lists of entities, mixed values, None, undefined and empty lists;
- an evaluation over the operation budget (a loop over a long list, or long inputs of
  filters without a loop) is stopped with Jinja's French error;
- what the fast path must not compile (calls, context filters, slices, an ``if``
  without ``else``, expressions that could exhaust the budget) keeps the Jinja path;
- ``fold`` (cached) folds as before, and its cache stays bounded;
- message templates (text, expressions, if/elif/else blocks), shipped and random, render
  Jinja's text or fail as Jinja does, their expressions sharing one operation budget.
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






def test_every_shipped_expression_has_direct_code(audited: tuple[Auditor, Graph, Path]) -> None:
    auditor, _graph, _folder = audited
    sources = [src for rule in auditor.all_rules for _role, src in _sources(rule)]
    assert len(sources) > 100
    assert [src for src in sources if auditor.env.expression(src).fast is None] == []
    # the filter chains that loop are among them (select, map, list, first...)
    assert any("selectattr('edt_class.id', 'in'" in src for src in sources)
    assert any("| first" in src for src in sources) and any("map(attribute=" in src for src in sources)


def test_fast_values_are_the_jinja_values_on_generated_data(audited: tuple[Auditor, Graph, Path]) -> None:
    auditor, graph, _folder = audited
    audit = auditor.audit_vars(graph)
    compared = failed = 0
    looping = set()
    for rule in auditor.all_rules:
        for role, src in _sources(rule):
            fn = auditor.env.expression(src)
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
                    try:
                        fast = fn.fast(variables)
                    except Exception:  # noqa: BLE001 - only where the Jinja path fails too
                        assert _outcome(fn, run_jinja, variables)[0] == "error", (rule.id, role, ent)
                        failed += 1
                        continue
                    assert _same(fast, fn(**variables)), (rule.id, role, ent, fast)
                    compared += 1
                    if "select" in src or "map(" in src:
                        looping.add(src)
    assert compared > 20_000 and failed < compared // 100
    assert len(looping) >= 9, looping  # the filter chains were compared, not only simple expressions


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
    # lists for the filters that loop: entities with present, missing and None fields,
    # nested entities, a field named like an attribute (``id``: Jinja's getitem reads it)
    p1 = Entity("person", "p1", "t", prov, "Un", {"name": "Un", "code": "K1", "kid": kid1, "n": 1,
                                                  "tags": ["x", "y"], "flag": True})
    p2 = Entity("person", "p2", "t", prov, "Deux", {"name": None, "code": "K2", "kid": None, "n": 0})
    p3 = Entity("person", "p3", "u", prov, "Trois", {"code": "k1", "kid": kid2, "n": 5, "id": "autre",
                                                     "tags": [], "flag": False})
    a.data.update(people=[p1, p2, p3, p1], mixed=[p1, None, "abc", {"code": "D", "name": "dict"}, 3, [1, 2], kid2],
                  strs=["b", "A", "a", "", None, "B"], nested=[[p1, p2], [], [p3]])
    return {"a": a, "b": b, "audit": {"uai": "0310000A", "year": 2024, "people": [p3, p2]},
            "entity": a, "item": kid1}


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

# filters that loop over a sequence (Jinja's select, map... and what consumes them)
COMPILED_LOOPS = [
    "a.kids | map(attribute='code') | list", "a.kids | join(', ')", "a.kids | first", "a.nokids | first",
    "a.people | selectattr('flag') | list", "a.people | rejectattr('flag') | list",
    "a.people | selectattr('kid.code') | map(attribute='label') | list",
    "a.people | selectattr('code', 'in', ['K1', 'K2']) | map(attribute='id') | list",
    "a.people | selectattr('code', 'in', a.people | map(attribute='code') | list) | list | length",
    "a.people | rejectattr('kid.code', 'eq', 'K1') | map(attribute='kid.name') | list",
    "a.people | map(attribute='id') | list", "a.people | map(attribute='tags.0') | list",
    "a.people | map(attribute='name', default='?') | list", "a.people | map(attribute='kid.missing', default='?') | list",
    "a.people | map(attribute='missing') | list", "a.people | map(attribute='missing') | first",
    "a.people | map(attribute='kid') | select | map(attribute='code') | select | list",
    "a.people | unique | list", "a.strs | unique | list", "a.strs | unique(true) | list",
    "a.people | unique(attribute='code') | map(attribute='label') | join(', ')",
    "a.strs | select | list", "a.strs | reject | list", "a.strs | select('string') | join('/')",
    "a.strs | reject('none') | list", "a.mixed | select | list", "a.mixed | map(attribute='code') | list",
    "a.mixed | selectattr('code') | list", "a.nested | map(attribute=0) | list",
    "a.nokids | selectattr('code') | list", "a.none | selectattr('code') | list", "a.missing | map(attribute='x') | list",
    "unknown | select | list", "a.name | select | list", "a.name | list", "a.d | list", "a.d | select | first",
    "a.kids | list", "a.codes | list | length", "a.people | selectattr('code') | ids", "a.people | select | codes",
    "a.people | join(', ', attribute='code')", "a.people | join(attribute='code')", "a.strs | join(', ')",
    "a.people | map(attribute='name') | join(', ')", "a.people | selectattr('n', 'gt', 0) | list",
    "a.people | selectattr('n', 'gt', 'x') | list", "a.people | map(attribute='n') | select('gt', 2) | list",
    "a.n | select | list", "a.n | list", "a.none | list", "a.none | first", "a.kid | list", "a.kid | first",
    "a.people | select | length", "(a.people | selectattr('flag') | first).code",
    "(a.people | selectattr('code', 'eq', 'zz') | first) or 'aucun'",
    "(a.people if a.flag else a.kids | selectattr('code')) | rejectattr('n') | list",
    "(a.kids if a.no else a.people | selectattr('code')) | map(attribute='code') | list",
    "(a.people | selectattr('code') | list) + (audit.people | map(attribute='kid') | list)",
    "a.people | selectattr('code') | map(attribute='code') | first | fold",
    "'K1' in a.people | map(attribute='code') | list", "a.people | select('sameas', none) | list",
    "a.people | selectattr('kid', 'none') | list", "a.people | selectattr('missing', 'defined') | list",
    "a.people | map(attribute='tags') | select | join(';')", "a.big | list | length",
    # attributes of entities and of other values, by Jinja's getitem (item first, then attribute)
    "a.people | map(attribute='key') | list", "a.people | map(attribute='prov') | list",
    "a.people | map(attribute='data.n') | list", "a.people | map(attribute='get') | list",
    "a.mixed | map(attribute='kind') | list", "a.mixed | map(attribute='upper') | list",
    "a.mixed | map(attribute='_hidden') | list", "[a, b] | map(attribute='_hidden') | list",
    "a.mixed | map(attribute='__class__') | list", "a.people | map(attribute='mro') | list",
    "[none, unknown, a.missing] | map(attribute='x.y') | list", "a.d | map(attribute='0') | list",
    "[a.d, a.d] | map(attribute='k') | list", "[a.codes] | map(attribute='0') | list",
    "[a.codes] | map(attribute='1.0') | list", "[a.codes] | map(attribute=5) | list",
]

NOT_COMPILED = [
    "a.name.startswith('L')", "range(3)", "a.codes[0:1]", "a.name if a.flag", "a.kids | sort",
    "a.name | replace('e', 'ee')", "a.big | replace('x', 'xx')", "a.kids | map('upper') | list",
    # a generator as the value, a computed attribute name, other signatures: Jinja's path
    "a.kids | selectattr('code')", "a.kids | map(attribute='code')", "a.kids | map(attribute=a.name) | list",
    "a.kids | selectattr('code', a.name) | list", "a.kids | selectattr | list", "a.kids | map | list",
    "a.kids | map(attribute='code', other=1) | list", "a.kids | selectattr('code', 'nosuchtest') | list",
    "a.kids | select('filter', 'upper') | list", "a.kids | selectattr('code', 'in', *a.codes) | list",
    "a.kids | list(1)", "a.kids | join(', ', 'code', 'x')", "a.kids | map(attribute='²') | list",
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
    mapped = env.expression("a.kids | map('upper') | list")
    assert compiled[-1] == "a.name + 1"
    assert run(mapped, variables)[0] == "KID UN" and compiled[-1] == "a.kids | map('upper') | list"
    with pytest.raises(ExpressionError, match="invalide"):
        env.expression("a.name | nosuchfilter")
    with pytest.raises(ExpressionError, match="invalide"):
        env.expression("a.name )")
    deep = "(" * 45 + "a.n" + ")" * 45 + " + " + " + ".join(["a.n"] * 45)
    assert _check(env, deep, variables) is False  # too deep for direct code: Jinja


def test_hand_written_expressions_agree() -> None:
    env, variables = _env(), _graph_vars()
    compiled = [src for src in COMPILED + COMPILED_LOOPS if _check(env, src, variables)]
    assert compiled == COMPILED + COMPILED_LOOPS
    # a filter result over the size limit: the sandbox's error, worded by the Jinja path
    too_big = _outcome(env.expression("(a.big ~ a.big) | upper"), run, variables)
    assert too_big[0] == "error" and "trop grand" in too_big[1]
    assert [src for src in NOT_COMPILED if env.expression(src).fast is not None] == []
    # the direct code of the loops gives the values itself: it fails only where Jinja fails
    for src in COMPILED_LOOPS:
        fn = env.expression(src)
        try:
            fn.fast(variables)
        except Exception:  # noqa: BLE001
            assert _outcome(fn, run_jinja, variables)[0] == "error", src


def _long_list(size: int) -> dict[str, Any]:
    """``big``: ``size`` entities, each with a field five levels deep (five reads each)."""
    leaf: Any = "x"
    for name in "edcba":
        leaf = Entity("n", name, "t", (), None, {name: leaf})
    return {"big": [leaf] * size, "a": _graph_vars()["a"]}


def test_a_loop_over_the_operation_budget_is_stopped_as_by_jinja() -> None:
    env = _env()
    count = env.expression("big | selectattr('a.b.c.d.e') | list | length")
    assert count.fast is not None
    # 30 000 items, five reads each: within the budget, the value by the direct code
    assert count.fast(_long_list(30_000)) == 30_000 == run_jinja(count, _long_list(30_000))
    # 45 000: more than 200 000 operations: the direct code stops, the Jinja path says why
    over = _long_list(45_000)
    with pytest.raises(Exception):  # noqa: B017 - any: the caller falls back on Jinja
        count.fast(over)
    error = _outcome(count, run, over)
    assert error == _outcome(count, run_jinja, over)
    assert error[0] == "error" and "trop coûteuse" in error[1] and "200000 opérations" in error[1]
    # the direct code counts every item it computes; Jinja stops at the first one of
    # ``first``: its value, by the Jinja path
    first = env.expression("big | selectattr('a.b.c.d.e') | map(attribute='a.b') | first")
    assert _outcome(first, run, over) == _outcome(first, run_jinja, over) == ("value", over["big"][0].data["a"].data["b"])
    # input sizes count too (``1 + len // 8`` for each filter given a list)
    many = env.expression(" + ".join(["(big | list | length)", "(big | ids | length)"] * 6))
    assert many.fast is not None and many.fast(_long_list(20_000)) == 240_000
    heavy = _long_list(99_000)
    assert _outcome(many, run, heavy) == _outcome(many, run_jinja, heavy)
    assert "trop coûteuse" in _outcome(many, run, heavy)[1]
    # also without a loop: ``length`` of a long list costs ``len // 8`` each time
    lengths = env.expression(" + ".join(["(big | length)"] * 20))
    assert lengths.fast is not None and lengths.fast(_long_list(20_000)) == 400_000
    assert _outcome(lengths, run, heavy) == _outcome(lengths, run_jinja, heavy)
    assert "trop coûteuse" in _outcome(lengths, run, heavy)[1]


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


_CHAIN_SOURCES = ["a.kids", "a.nokids", "a.codes", "a.people", "a.mixed", "a.strs", "a.nested", "a.none",
                  "a.missing", "a.name", "a.d", "a.n", "a.kid", "[a, b, none]", "unknown", "audit.people",
                  "(a.people if a.flag else a.kids)", "(a.strs if a.no else a.codes | select)"]
_CHAIN_ATTRS = ["name", "code", "kid.code", "kid.name", "missing", "id", "label", "n", "0", "kid", "none.x",
                "tags.0", "kid.missing.deeper", "flag", "data.code", "key", "kids", "prov", "kind", "get",
                "_hidden", "upper", "k", "1"]
_CHAIN_TESTS = ["'none'", "'defined'", "'undefined'", "'string'", "'number'", "'in', ['K1', 'A', 'a', none, 3]",
                "'eq', 'K1'", "'ne', none", "'gt', 1", "'sameas', none", "'in', a.codes",
                "'in', a.people | map(attribute='code') | list", "'in', a.name"]


def _random_chain(rng: random.Random) -> str:
    """A filter chain over a list (or not a list) ending with a filter that consumes it."""
    src = rng.choice(_CHAIN_SOURCES)
    for _ in range(rng.randrange(1, 5)):
        attr, test = rng.choice(_CHAIN_ATTRS), rng.choice(_CHAIN_TESTS)
        src += " | " + rng.choice([
            "select", "reject", f"select({test})", f"reject({test})", f"selectattr('{attr}')",
            f"rejectattr('{attr}')", f"selectattr('{attr}', {test})", f"rejectattr('{attr}', {test})",
            f"map(attribute='{attr}')", f"map(attribute='{attr}', default='z')", "unique",
            f"unique(attribute='{attr}')", "unique(true)"])
    end = rng.choice(["list", "first", "join(', ')", f"join('-', attribute='{rng.choice(_CHAIN_ATTRS)}')",
                      "list | length", "ids", "codes", "length", "first is none", "list | first", "first | fold",
                      "list | sort", "first | string"])
    src = f"{src} | {end}"
    wrap = rng.randrange(6)
    if wrap == 0:
        return f"({src}) or 'x'"
    if wrap == 1:
        return f"'K1' in ({src})"
    if wrap == 2:
        return f"({src}) if a.flag else ({_random_chain(rng)})"
    return src


def test_random_filter_chains_agree() -> None:
    env, variables = _env(), _graph_vars()
    rng = random.Random(20261207)
    compiled = values = 0
    for _ in range(2500):
        src = _random_chain(rng)
        compiled += _check(env, src, variables)
        fn = env.expression(src)
        if fn.fast is not None:
            try:
                fn.fast(variables)
                values += 1
            except Exception:  # noqa: BLE001
                # where Jinja fails too, or stops before the failing item (``first``): Jinja's value
                assert "first" in src or _outcome(fn, run_jinja, variables)[0] == "error", src
    assert compiled > 2000  # "| sort" (a context filter) keeps the Jinja path
    assert values > 1000  # and many give their value by the direct code


def test_random_expressions_agree() -> None:
    env, variables = _env(), _graph_vars()
    rng = random.Random(20261129)
    compiled = 0
    for _ in range(3000):
        src = _random_expression(rng)
        compiled += _check(env, src, variables)
    assert compiled == 3000  # every shape drawn here is compiled




# -- message templates ---------------------------------------------------------------

def _render(env: RuleEnvironment, src: str, variables: dict[str, Any]) -> tuple[str, str]:
    """``("value", text)`` or ``("error", type and text of the exception)``."""
    try:
        return ("value", env.template(src).render(variables))
    except Exception as exc:  # noqa: BLE001 - what _finding turns into a rule error
        return ("error", f"{type(exc).__name__}: {exc}")


def _jinja_compilations(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The messages Jinja compiles from now on."""
    compiled: list[Any] = []
    original = RuleEnvironment.from_string

    def counting(self: RuleEnvironment, source: Any, *args: Any, **kwargs: Any) -> Any:
        compiled.append(source)
        return original(self, source, *args, **kwargs)

    monkeypatch.setattr(RuleEnvironment, "from_string", counting)
    return compiled


def _random_message(rng: random.Random, depth: int = 0) -> str:
    """Text, ``{{ expression }}`` (random expressions and filter chains) and if/elif/else blocks."""
    parts = []
    for _ in range(rng.randrange(1, 5)):
        shape = rng.randrange(6 if depth < 2 else 3)
        if shape == 0:
            parts.append(rng.choice(["Le compte ", " (", ") ", ", ", " : ", "\n", "é"]))
        elif shape == 1:
            parts.append("{{ " + _random_expression(rng) + " }}")
        elif shape == 2:
            parts.append("{{ " + _random_chain(rng) + " }}")
        else:
            block = "{%- if " + _random_expression(rng) + " %}" + _random_message(rng, depth + 1)
            if rng.random() < 0.4:
                block += "{% elif " + _random_expression(rng) + " -%}" + _random_message(rng, depth + 1)
            if rng.random() < 0.5:
                block += "{% else %}" + _random_message(rng, depth + 1)
            parts.append(block + "{% endif %}")
    return "".join(parts)


@pytest.mark.parametrize("count", [pytest.param(300, id="300"), pytest.param(1500, id="1500", marks=pytest.mark.slow)])
def test_random_messages_render_as_by_jinja(monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    """Messages made of text, expressions and if/elif/else blocks: the direct code gives
    Jinja's text, or leaves the message to Jinja (its error, or an expression the direct
    code does not compile); most are rendered without Jinja compiling them. 300 messages in
    the README's test command (each is compiled by Jinja: about 40 ms apiece), 1,500 with
    the heavy checks (marker ``slow``, run by .ci/run)."""
    variables = _graph_vars()
    rng = random.Random(20261207)
    sources = list(dict.fromkeys(_random_message(rng) for _ in range(count)))
    jinja_env = RuleEnvironment(_env().filters, _env().tests, direct_code=False)
    reference = [_render(jinja_env, src, variables) for src in sources]
    env = _env()
    compiled = _jinja_compilations(monkeypatch)
    direct = 0
    for src, want in zip(sources, reference):
        before = len(compiled)
        assert _render(env, src, variables) == want, src
        direct += want[0] == "value" and len(compiled) == before
    texts = sum(1 for o in reference if o[0] == "value")
    assert texts > count // 5 and direct > texts * 0.3  # Jinja: a filter of a constant, sort, first...


def test_shipped_messages_render_as_by_jinja(audited: tuple[Auditor, Graph, Path],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Every shipped rule's message, rendered for entities of its kind, gives Jinja's text."""
    from scolint.engine.evaluate import make_environment
    auditor, graph, _folder = audited
    audit = auditor.audit_vars(graph)
    jinja_env = make_environment(auditor.registries, direct_code=False)
    env = make_environment(auditor.registries, direct_code=True)
    compiled = _jinja_compilations(monkeypatch)
    rendered = 0
    by_jinja = set()
    for rule in auditor.all_rules:
        hit_vars = {"duplicates": [], "group": [], "key": "k", "shared": [], "missing": ["x"],
                    "only_left": [], "only_right": [], "left_label": "gauche", "right_label": "droite"}
        for ent in graph.all(rule.for_each)[:40]:
            variables = {rule.for_each: ent, "audit": audit, "entity": ent, **hit_vars}
            want = _render(jinja_env, rule.message, variables)
            before = len(compiled)
            assert _render(env, rule.message, variables) == want, rule.id
            if len(compiled) > before:
                by_jinja.add(rule.id)
            rendered += 1
    assert rendered > 1000
    # the direct code renders most of them (those using a method, a slice, a loop, sort: Jinja)
    assert len(by_jinja) <= len(auditor.all_rules) // 4, sorted(by_jinja)


def test_a_message_over_the_operation_budget_is_stopped_as_by_jinja() -> None:
    """The expressions of one message share one budget: each within it, together over it."""
    env = _env()
    jinja_env = RuleEnvironment(env.filters, env.tests, direct_code=False)
    src = "{{ big | selectattr('a.b.c.d.e') | list | length }} et {{ big | map(attribute='a.b.c') | list | length }}"
    fits, over = _long_list(15_000), _long_list(30_000)
    assert _render(env, src, fits) == _render(jinja_env, src, fits) == ("value", "15000 et 15000")
    stopped = _render(env, src, over)
    assert stopped == _render(jinja_env, src, over) and "trop coûteuse" in stopped[1]
    long_text = "{{ a.big }}{{ a.big }}"  # 120 000 characters: more than a message may hold
    refused = _render(env, long_text, _graph_vars())
    assert refused == _render(jinja_env, long_text, _graph_vars()) and "caractères" in refused[1]


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
