"""Direct Python code for the common shapes of rule expressions (a fast path).

Jinja runs an expression through a render context, a generator and the sandbox's
``getattr`` (with a budget tick) for every attribute read: about 3 µs for
``not student.left and student.division_code``, and a big audit evaluates expressions
over a hundred thousand times. Most rule expressions only read fields, compare, combine
with ``and``/``or``/``not``/``if else``, build literal lists and call plain filters and
tests. :func:`compile_fast` turns such an expression into one Python function doing
**exactly what Jinja's generated code does** for it (same calls, same order, same
values: undefined names and fields are Jinja's own ``ChainableUndefined``, other
attribute and item reads go through the sandbox's ``getattr``/``getitem``, filters and
tests are the sandbox's guarded ones), with two shortcuts: an entity field found in
``data``, or a plain entity attribute (``id``, ``label``...), is read directly.

Anything else (calls, ``map`` and other filters given the context or the environment,
slices, ``*args``, an ``if`` without ``else``...) is not compiled: the caller keeps the
Jinja path. The caller also falls back on the Jinja path whenever the fast function
raises, so errors (and their French messages) come from one place.

Budget: the fast function does not count operations. It is built only when the
expression cannot exhaust :data:`MAX_OPERATIONS` whatever the data: it has no loop, each
node costs Jinja at most one tick, plus at most ``1 + MAX_STRING // 100`` for the size of
a filter's, a test's or an operator's result (a larger result is refused anyway).
"""

from __future__ import annotations

import keyword
from typing import Any, Callable, Mapping

from jinja2 import ChainableUndefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import str_join
from jinja2.utils import _PassArg, missing

from .model import Entity

#: Deepest expression tree compiled (far below the limits of Jinja's and Python's compilers).
MAX_DEPTH = 40
#: Names an Entity answers by itself (slots, methods, properties): never read from ``data``.
_ENTITY_ATTRS = frozenset(dir(Entity))
#: Entity attributes that hold plain values (the sandbox returns them as they are).
_PLAIN = frozenset({"kind", "id", "source", "label", "prov", "data", "key"})

_COMPARE = {"eq": "==", "ne": "!=", "gt": ">", "gteq": ">=", "lt": "<", "lteq": "<=",
            "in": "in", "notin": "not in"}
_BINOPS = {nodes.Add: "+", nodes.Sub: "-", nodes.Mul: "*", nodes.Div: "/",
           nodes.FloorDiv: "//", nodes.Mod: "%", nodes.Pow: "**"}
_UNOPS = {nodes.Neg: "-", nodes.Pos: "+"}


class _Unsupported(Exception):
    """The expression uses a shape the fast path does not compile."""


class _Writer:
    """Python source for one expression, with the objects it needs as globals."""

    def __init__(self, env: Any, raw: Mapping[tuple[str, str], Callable[..., Any]]) -> None:
        self.env = env
        self.raw = raw
        self.names: dict[str, str] = {}
        self.space: dict[str, Any] = {}
        self.ticks = 0
        self.charges = 0
        self.temps = 0
        self.depth = 0

    def bind(self, prefix: str, value: Any) -> str:
        """A global name for ``value`` in the generated code."""
        name = f"{prefix}{len(self.space)}"
        self.space[name] = value
        return name

    def name(self, node: nodes.Name) -> str:
        local = self.names.get(node.name)
        if local is None:
            local = self.names[node.name] = f"n{len(self.names)}"
        # Jinja: a fresh undefined at each use of a missing name
        return f"(_undef(name={node.name!r}) if {local} is _missing else {local})"

    def expr(self, node: nodes.Node) -> str:
        """Python source of ``node`` (same operations, same order as Jinja's code)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:  # left to Jinja (and to its error when too deep)
            raise _Unsupported
        try:
            return self._expr(node)
        finally:
            self.depth -= 1

    def _expr(self, node: nodes.Node) -> str:
        if isinstance(node, nodes.Name):
            if node.ctx != "load":
                raise _Unsupported
            return self.name(node)
        if isinstance(node, nodes.Const):
            return self.bind("k", node.value)
        if isinstance(node, nodes.Getattr):
            self.ticks += 1
            obj = self.expr(node.node)
            attr = repr(node.attr)
            o, v = f"o{self.temps}", f"v{self.temps}"
            self.temps += 1
            if node.attr in _PLAIN:  # a plain attribute of an entity, as the sandbox gives it
                return f"({o}.{node.attr} if type({o} := {obj}) is _Entity else _getattr({o}, {attr}))"
            if node.attr in _ENTITY_ATTRS:
                return f"_getattr({obj}, {attr})"
            # an entity field found in ``data``, else the sandbox's getattr (inline: the
            # most frequent operation of an audit)
            other = "_getattr" if node.attr.startswith("_") or node.attr in self.env._FORBIDDEN else "_absent"
            return (f"({v} if type({o} := {obj}) is _Entity and ({v} := {o}.data.get({attr}, _missing))"
                    f" is not _missing else {other}({o}, {attr}))")
        if isinstance(node, nodes.Getitem):
            if isinstance(node.arg, nodes.Slice):
                raise _Unsupported
            self.ticks += 1
            return f"_getitem({self.expr(node.node)}, {self.expr(node.arg)})"
        if isinstance(node, nodes.Not):
            return f"(not {self.expr(node.node)})"
        if isinstance(node, (nodes.And, nodes.Or)):
            op = "and" if isinstance(node, nodes.And) else "or"
            return f"({self.expr(node.left)} {op} {self.expr(node.right)})"
        if isinstance(node, nodes.CondExpr):
            if node.expr2 is None:  # Jinja's special undefined: keep its path
                raise _Unsupported
            return f"({self.expr(node.expr1)} if {self.expr(node.test)} else {self.expr(node.expr2)})"
        if isinstance(node, nodes.Compare):
            parts = [self.expr(node.expr)]
            for operand in node.ops:
                parts.append(f"{_COMPARE[operand.op]} {self.expr(operand.expr)}")
            return "(" + " ".join(parts) + ")"
        if isinstance(node, (nodes.List, nodes.Tuple)):
            items = "".join(self.expr(item) + ", " for item in node.items)
            return f"[{items}]" if isinstance(node, nodes.List) else f"({items})"
        if isinstance(node, nodes.Dict):
            return "{" + "".join(f"{self.expr(p.key)}: {self.expr(p.value)}, " for p in node.items) + "}"
        if isinstance(node, nodes.Concat):
            return "_str_join((" + "".join(self.expr(n) + ", " for n in node.nodes) + "))"
        if isinstance(node, (nodes.Filter, nodes.Test)):
            return self.call(node)
        if type(node) in _BINOPS:
            op = _BINOPS[type(node)]
            left, right = self.expr(node.left), self.expr(node.right)  # type: ignore[attr-defined]
            if op in self.env.intercepted_binops:
                self.ticks += 1
                self.charges += 1
                return f"_binop(None, {op!r}, {left}, {right})"
            return f"({left} {op} {right})"
        if type(node) in _UNOPS:
            op = _UNOPS[type(node)]
            arg = self.expr(node.node)  # type: ignore[attr-defined]
            if op in self.env.intercepted_unops:
                self.ticks += 1
                return f"_unop(None, {op!r}, {arg})"
            return f"({op}{arg})"
        raise _Unsupported

    def call(self, node: nodes.Filter | nodes.Test) -> str:
        """A filter or test: the sandbox's guarded function, value first, then arguments."""
        table = self.env.filters if isinstance(node, nodes.Filter) else self.env.tests
        fn = table.get(node.name)
        if fn is None or node.node is None or node.dyn_args is not None or node.dyn_kwargs is not None:
            raise _Unsupported
        if _PassArg.from_obj(fn) is not None:  # context/environment filters may loop (map, sort...)
            raise _Unsupported
        self.ticks += 1
        self.charges += 1
        raw = self.raw.get((type(node).__name__.lower(), node.name))
        parts = [self.expr(node.node)]
        parts.extend(self.expr(arg) for arg in node.args)
        for kw in node.kwargs:
            if not kw.key.isidentifier() or keyword.iskeyword(kw.key):
                raise _Unsupported
            parts.append(f"{kw.key}={self.expr(kw.value)}")
        if raw is not None:  # the wrapper would only count and measure the result
            r = f"r{self.temps}"
            self.temps += 1
            return (f"({r} if not isinstance({r} := {self.bind('f', raw)}({', '.join(parts)}), _measured)"
                    f" or len({r}) <= _max_string else _too_big())")
        return f"{self.bind('f', fn)}({', '.join(parts)})"


def compile_fast(env: Any, expr: nodes.Expr, max_operations: int, max_string: int,
                 raw: Mapping[tuple[str, str], Callable[..., Any]],
                 fallback: Callable[[dict[str, Any]], Any]) -> tuple[Callable[..., Any], ...] | None:
    """``(fast, run, batch)`` for ``expr``, or None when it cannot be compiled.

    ``batch(items, base, varying)`` evaluates ``expr`` for many items (see
    :func:`_batch_source`): each value is what Jinja's code gives (None for an
    undefined) or, when the direct code raises, ``fallback(variables)`` (the Jinja path:
    its value, or its error, which stops the batch). ``run(variables)`` is one such
    evaluation. ``fast(variables)`` does what Jinja does and returns the raw value (maybe
    an undefined), or raises: the tests compare it with Jinja's.

    ``raw`` maps ``("filter" or "test", name)`` to the unwrapped function of a filter or
    test whose sandbox wrapper only counts operations and refuses a result longer than
    ``max_string``: the code calls it directly and checks that length itself. None when
    the expression uses a shape this module does not compile, or could exceed
    ``max_operations`` (the sandbox charges up to ``1 + max_string // 100`` for a result).
    """
    writer = _Writer(env, raw)
    try:
        body = writer.expr(expr)
    except (_Unsupported, RecursionError):
        return None
    if writer.ticks + writer.charges * (1 + max_string // 100) > max_operations:
        return None
    space = dict(writer.space)
    space.update(_missing=missing, _undef=env.undefined, _globals=dict(env.globals),
                 _Entity=Entity, _absent=_absent_reader(env),
                 _getattr=env.getattr, _getitem=env.getitem, _binop=env.call_binop,
                 _unop=env.call_unop, _str_join=str_join, _measured=(str, list, tuple, bytes),
                 _max_string=max_string, _too_big=_too_big,
                 _fallback=fallback, _ChainableUndefined=ChainableUndefined)
    try:
        batch = _define(_batch_source(writer.names, body), space)
    except (SyntaxError, RecursionError, MemoryError, ValueError):  # too deeply nested...
        return None
    single = (None,)

    def run(variables: dict[str, Any]) -> Any:
        values, error = batch(single, variables, ())
        if error is not None:
            raise error
        return values[0]

    raw_fn: list[Callable[..., Any]] = []

    def fast(variables: dict[str, Any]) -> Any:
        if not raw_fn:  # compiled when first asked (the tests compare it with Jinja)
            lines = ["def fast(variables):"]
            for name, local in writer.names.items():
                lines.append(f"    {local} = variables.get({name!r}, _missing)")
                lines.append(f"    if {local} is _missing:")
                lines.append(f"        {local} = _globals.get({name!r}, _missing)")
            lines.append(f"    return {body}")
            raw_fn.append(_define(lines, space))
        return raw_fn[0](variables)

    return fast, run, batch


def _define(lines: list[str], space: dict[str, Any]) -> Callable[..., Any]:
    """The function defined by ``lines`` (its name is the first line's), with ``space`` as globals."""
    code = compile("\n".join(lines), "<règle>", "exec")
    exec(code, space)  # noqa: S102 - source built from the AST by this module, no user text
    return space[lines[0][4:lines[0].index("(")]]  # type: ignore[no-any-return]


def _batch_source(names: Mapping[str, str], body: str) -> list[str]:
    """``batch(items, base, varying) -> (values, error)``: what ``run`` gives for each item
    with the variables ``base`` where each name of ``varying`` is the item, in one loop
    (no dict and no call per item); stops at the first error (an ExpressionError)."""
    lines = ["def batch(items, base, varying):"]
    for name, local in names.items():
        lines.append(f"    {local}_varies = {name!r} in varying")
        lines.append(f"    {local} = base.get({name!r}, _missing)")
        lines.append(f"    if {local} is _missing:")
        lines.append(f"        {local} = _globals.get({name!r}, _missing)")
    lines.append("    out = []")
    lines.append("    for item in items:")
    lines.extend(f"        if {local}_varies:\n            {local} = item" for local in names.values())
    lines.append("        try:")
    lines.append(f"            value = {body}")
    lines.append("        except Exception:")
    lines.append("            variables = dict(base)")
    lines.append("            for name in varying:")
    lines.append("                variables[name] = item")
    lines.append("            try:")
    lines.append("                out.append(_fallback(variables))")
    lines.append("            except Exception as exc:  # noqa: BLE001 - given back to the caller")
    lines.append("                return out, exc")
    lines.append("            continue")
    lines.append("        out.append(None if isinstance(value, _ChainableUndefined) else value)")
    lines.append("    return out, None")
    return lines


def _absent_reader(env: Any) -> Callable[[Any, str], Any]:
    """``obj.attr`` for a field name (not ``_``-prefixed nor forbidden) that is not in
    ``data`` when ``obj`` is an Entity: the sandbox's result without its exceptions."""
    slow, undefined = env.getattr, env.undefined  # (Jinja's getattr builds env.undefined)

    def absent(obj: Any, attr: str) -> Any:
        if type(obj) is Entity or obj is None:
            # Entity and None have no such attribute, and no such item: undefined
            return undefined(obj=obj, name=attr)
        if type(obj) is ChainableUndefined:  # a safe attribute of it is itself
            return obj
        return slow(obj, attr)

    return absent


def _too_big() -> Any:
    """The size check of the sandbox's filter wrapper failed (the Jinja path words the error)."""
    raise SecurityError("résultat trop grand")
