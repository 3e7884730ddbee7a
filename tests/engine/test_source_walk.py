"""engine/expressions.descendants walks a Jinja tree like Jinja's own ``find_all``.

The rule loader checks each expression and message (forbidden names, attributes, filters,
blocks) on one walk of its tree instead of four ``find_all`` calls; this test holds the
walk to ``find_all(nodes.Node)``: same nodes, same order, on every expression and message
of the shipped rules and on hand-written templates with every kind of block.
"""

from __future__ import annotations

import pytest
from jinja2 import nodes

from scolint.engine.audit import Auditor
from scolint.engine.evaluate import make_environment
from scolint.engine.expressions import ExpressionError, descendants
from scolint.engine.manager import get_plugin_host

HOST = get_plugin_host(load_entrypoints=False)
ENV = make_environment(HOST.registries)
HAND = [
    "{% for x in y | sort recursive %}{{ loop(x.c) }}{% endfor %}",
    "{% macro m(a) %}{{ a.b[0] }}{% endmacro %}{% set z = m(1) %}{{ z ~ 'x' if q else w | join(', ') }}",
    "{% if a %}{% for i in range(3) %}{{ i * 2 }}{% else %}-{% endfor %}{% elif b %}{{ c.d.e }}{% endif %}",
    "{{ {'a': [1, (2, 3)], 'b': x is defined}.a[1] }}{% filter upper %}t{% endfilter %}",
]


def _sources() -> list[tuple[str, bool]]:
    out = [(text, True) for text in HAND]
    for rule in Auditor(host=HOST).all_rules:
        out.append((rule.message, True))
        keys = HOST.registries.checks[rule.check].expressions
        for value in ([rule.where] if rule.where else []) + (
                [rule.options] if isinstance(rule.options, str) else
                [v for k, v in (rule.options or {}).items() if k in keys]):
            out.append(("{{ " + value + " }}", False))
    return out


@pytest.mark.parametrize("source,template", _sources())
def test_the_walk_finds_the_nodes_of_find_all_in_its_order(source: str, template: bool) -> None:
    tree = ENV.parse(source)
    assert descendants(tree) == list(tree.find_all(nodes.Node))


def test_forbidden_constructs_are_still_refused_in_order() -> None:
    from scolint.engine.expressions import source_problems
    assert "attribut « _x »" in (source_problems(ENV, "a._x or __y", False) or "")
    assert "nom interdit" in (source_problems(ENV, "__y", False) or "")
    assert "filtre interdit" in (source_problems(ENV, "a | attr('b')", False) or "")
    assert "set" in (source_problems(ENV, "{% set a = 1 %}{{ a }}", True) or "")
    assert "recursive" in (source_problems(ENV, "{% for a in b recursive %}{% endfor %}", True) or "")
    assert source_problems(ENV, "{% for a in b %}{{ a.c }}{% endfor %}", True) is None
    with pytest.raises(ExpressionError):
        ENV.template("{% for a in b %}")
