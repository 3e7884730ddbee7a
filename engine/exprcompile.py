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

Jinja's own filters that walk a sequence are compiled too: ``select``, ``reject``,
``selectattr``, ``rejectattr``, ``map(attribute=...)``, ``unique`` (generators in Jinja) and
``list``, ``first``, ``join``, chained, with literal attribute and test names. A lazy filter
gives the list of its items, computed at once in the order Jinja computes them (same
reads through the sandbox's ``getitem``, or a field read from ``data`` as
``Entity.__getitem__`` does, same tests); nothing they read has side effects, so the values
are Jinja's; a filter that is not Jinja's gets a generator over that list. A lazy filter's
generator as the value itself (``x | select``) is left to Jinja.

Message templates made of text, ``{{ expression }}`` and ``{% if %}`` blocks get one
function too (:func:`compile_template_fast`): Jinja's ``str()`` of each output and the
truth of each test, in the same order, the expressions written as above and sharing one
budget, as they do in Jinja.

Anything else (calls, ``map('filtre')``, ``sort`` and other filters given the context or the
environment, computed attribute names, slices, ``*args``, an ``if`` without ``else``...) is
not compiled: the caller keeps the Jinja path. The caller also falls back on the Jinja path
whenever the fast function raises, so errors (and their French messages) come from one place.

Budget (:data:`MAX_OPERATIONS` per evaluation): the direct code never counts fewer
operations than Jinja; when its count passes the budget it raises and the Jinja path
decides (it counts exactly: its value, or its French error). The code is built only when
its fixed part fits the budget: each node costs Jinja at most one operation, plus at most
``1 + MAX_STRING // 100`` for the size of a filter's, a test's or an operator's result (a
larger result is refused anyway). What depends on the data is either counted or bounded:

- an expression using the filters that loop counts, in ``_b``, what Jinja's guarded
  filters would count for them (``1 + len // 8`` for an input, one per attribute read of
  each item, each test call and its result) and ``len // 8`` for the input of every other
  filter and test;
- any other expression has no loop; the input of each filter or test (``len // 8``) is
  bounded: an input longer than its share of what the fixed part leaves
  (``_max_input``) leaves the evaluation to Jinja.
"""

from __future__ import annotations

import keyword
from typing import Any, Callable, Mapping

from jinja2 import ChainableUndefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS as _JINJA_FILTERS
from jinja2.runtime import Undefined, str_join
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

#: Jinja's filters that give a generator (a lazy sequence): the direct code computes the
#: list of its items at once (the same items, the same reads, maybe more of them).
_LAZY = frozenset({"select", "reject", "selectattr", "rejectattr", "map", "unique"})
#: Jinja's filters that only walk their input once, in order: a list of the items of a
#: generator gives them what the generator would.
_WALKERS = _LAZY | {"list", "first", "join"}
#: Values whose size a guarded filter charges for its input (``1 + len // 8`` operations).
_SIZED_INPUT = (str, list, tuple, dict)
#: Values whose size a guarded filter charges for its result (``1 + len // 100``).
_MEASURED = (str, list, tuple, bytes)


class _Unsupported(Exception):
    """The expression uses a shape the fast path does not compile."""


class _Writer:
    """Python source for one expression, with the objects it needs as globals."""

    def __init__(self, env: Any, raw: Mapping[tuple[str, str], Callable[..., Any]], counted: bool = False) -> None:
        self.env = env
        self.raw = raw
        #: the code counts operations in ``_b`` (see :func:`compile_fast`)
        self.counted = counted
        self.names: dict[str, str] = {}
        self.space: dict[str, Any] = {}
        self.ticks = 0
        self.charges = 0
        self.temps = 0
        self.depth = 0
        #: filters and tests whose input size is checked against ``_max_input`` (not counted)
        self.inputs = 0

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
        if isinstance(node, nodes.Filter) and self.walker(node):
            if node.name in _LAZY:  # a generator as a value: left to Jinja
                raise _Unsupported
            return self.consume(node)
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
        value = self.seq(node.node, lazy=True)
        # the sandbox's wrapper charges ``len // 8`` for a sized input: counted when the code
        # counts, else bounded (an input longer than ``_max_input`` leaves it to Jinja)
        if self.counted:
            value = f"_sized(_b, {value})"
        else:
            s = f"s{self.temps}"
            self.temps += 1
            self.inputs += 1
            value = (f"({s} if ({s} := {value}) is None or not isinstance({s}, _sized_input)"
                     f" or len({s}) <= _max_input else _too_long())")
        parts = [value]
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


    # -- filters walking a sequence (they loop: the code counts their operations) --------
    def walker(self, node: nodes.Filter) -> bool:
        """True when ``node`` is one of Jinja's own filters in :data:`_WALKERS`."""
        fn = self.env.filters.get(node.name)
        return (node.name in _WALKERS and fn is not None
                and getattr(fn, "__wrapped__", None) is _JINJA_FILTERS.get(node.name))

    def seq(self, node: nodes.Node, lazy: bool = False) -> str:
        """``node`` as the input of a filter: a lazy filter (select, map...) as the list of
        its items, or when ``lazy``, as a generator over that list (as Jinja gives it)."""
        lazy_filter = isinstance(node, nodes.Filter) and node.name in _LAZY and self.walker(node)
        choice = isinstance(node, nodes.CondExpr) and node.expr2 is not None
        if not (lazy_filter or choice):
            return self.expr(node)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Unsupported
        try:
            if choice:
                return (f"({self.seq(node.expr1, lazy)} if {self.expr(node.test)} "  # type: ignore[attr-defined]
                        f"else {self.seq(node.expr2, lazy)})")  # type: ignore[attr-defined]
            code = self.lazy(node)  # type: ignore[arg-type]
            return f"_gen({code})" if lazy else code
        finally:
            self.depth -= 1

    def arguments(self, node: nodes.Filter, names: tuple[str, ...]) -> dict[str, nodes.Expr]:
        """The arguments of ``node`` by parameter name (``names`` in order); Unsupported when
        the call does not fit that signature or uses ``*args``/``**kwargs``."""
        if node.dyn_args is not None or node.dyn_kwargs is not None or len(node.args) > len(names):
            raise _Unsupported
        given = dict(zip(names, node.args))
        for kw in node.kwargs:
            if kw.key not in names or kw.key in given:
                raise _Unsupported
            given[kw.key] = kw.value
        return given

    def constant(self, node: nodes.Expr | None, kinds: tuple[type, ...]) -> Any:
        """The value of a literal argument (an attribute name, a test name)."""
        if node is None:
            return None
        if not isinstance(node, nodes.Const) or not isinstance(node.value, kinds) or isinstance(node.value, bool):
            raise _Unsupported
        return node.value

    def consume(self, node: nodes.Filter) -> str:
        """``list``, ``first`` or ``join`` of a value (maybe a lazy filter's list)."""
        if node.name in ("list", "first"):
            self.arguments(node, ())
            return f"_{node.name}(_b, {self.seq(node.node)})"
        given = self.arguments(node, ("d", "attribute"))
        parts = _attribute_parts(self.constant(given.get("attribute"), (str, int)))
        value = self.seq(node.node)  # Jinja: the value, then the arguments in their order
        args = "".join(f"{self.expr(a)}, " for a in node.args)
        kwargs = "".join(f"{kw.key}={self.expr(kw.value)}, " for kw in node.kwargs)
        return f"_join(_b, {value}, {self.bind('k', parts)}, {args}{kwargs})"

    def lazy(self, node: nodes.Filter) -> str:
        """The list of the items Jinja's generator gives for a lazy filter."""
        value = self.seq(node.node)
        name = node.name
        if name == "map":
            if node.args:  # map('filter', ...): left to Jinja
                raise _Unsupported
            given = self.arguments(node, ("attribute", "default"))
            if "attribute" not in given:
                raise _Unsupported
            parts = _attribute_parts(self.constant(given["attribute"], (str, int)))
            default = self.expr(given["default"]) if "default" in given else "None"
            return f"_pluck(_b, {value}, {self.bind('k', parts)}, {default})"
        if name == "unique":
            given = self.arguments(node, ("case_sensitive", "attribute"))
            parts = _attribute_parts(self.constant(given.get("attribute"), (str, int)))
            args = "".join(f"{self.expr(a)}, " for a in node.args)
            kwargs = "".join(f"{kw.key}={self.expr(kw.value)}, " for kw in node.kwargs)
            return f"_unique(_b, {value}, {self.bind('k', parts)}, {args}{kwargs})"
        # select, reject, selectattr, rejectattr
        if node.kwargs or node.dyn_args is not None or node.dyn_kwargs is not None:
            raise _Unsupported
        args = list(node.args)
        parts: tuple[Any, ...] = ()
        if name.endswith("attr"):
            if not args:  # Jinja's FilterArgumentError
                raise _Unsupported
            parts = _attribute_parts(self.constant(args.pop(0), (str, int)))
        test = "None"
        if args:
            test_name = self.constant(args.pop(0), (str,))
            fn = self.env.tests.get(test_name)
            if fn is None or _PassArg.from_obj(fn) is not None:
                raise _Unsupported
            test = self.bind("f", self.raw.get(("test", test_name)) or fn)
        rest = "".join(f"{self.expr(a)}, " for a in args)
        keep = name.startswith("select")
        return f"_pick(_b, {value}, {self.bind('k', parts)}, {test}, ({rest}), {keep})"


def _attribute_parts(attribute: Any) -> tuple[Any, ...]:
    """What Jinja's ``make_attrgetter`` reads, part after part (``'a.0.b'``: a, 0, b)."""
    if attribute is None:
        return ()
    if isinstance(attribute, str):
        try:
            return tuple(int(x) if x.isdigit() else x for x in attribute.split("."))
        except ValueError:  # a digit int() does not read ("²"): Jinja's error
            raise _Unsupported from None
    return (attribute,)


def compile_fast(env: Any, expr: nodes.Expr, max_operations: int, max_string: int,
                 raw: Mapping[tuple[str, str], Callable[..., Any]],
                 fallback: Callable[[dict[str, Any]], Any],
                 clock: Callable[[int], None] = lambda cost: None) -> tuple[Callable[..., Any], ...] | None:
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
    counted = any(isinstance(n, nodes.Filter) and n.name in _WALKERS
                  for n in [expr, *expr.find_all(nodes.Filter)])
    writer = _Writer(env, raw, counted)
    try:
        body = writer.expr(expr)
    except (_Unsupported, RecursionError):
        return None
    fixed = writer.ticks + writer.charges * (1 + max_string // 100)
    if fixed > max_operations:
        return None
    space = _space(env, writer, max_operations, max_string, fixed, fallback)
    if counted:
        space.update(_walkers(env, max_string, clock))
    try:
        batch = _define(_batch_source(writer.names, body, counted), space)
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
            if counted:
                lines.append("    _b = [_limit]")
            for name, local in writer.names.items():
                lines.append(f"    {local} = variables.get({name!r}, _missing)")
                lines.append(f"    if {local} is _missing:")
                lines.append(f"        {local} = _globals.get({name!r}, _missing)")
            lines.append(f"    return {body}")
            raw_fn.append(_define(lines, space))
        return raw_fn[0](variables)

    return fast, run, batch


def compile_template_fast(env: Any, tree: nodes.Template, max_operations: int, max_string: int,
                          raw: Mapping[tuple[str, str], Callable[..., Any]],
                          clock: Callable[[int], None] = lambda cost: None) -> Callable[[dict[str, Any]], str] | None:
    """``render(variables) -> str`` for a message template already parsed into ``tree``
    (checked, and sure to compile: see ``expressions.surely_compiles``), or None when it
    uses anything but text, ``{{ expression }}`` and ``{% if %}``/``{% elif %}``/``{% else %}``
    blocks, or an expression this module does not compile.

    ``render`` does what the code Jinja generates for the template does (each block's test
    and each output's ``str(value)``, in order, with the expressions' direct code) and
    returns the text, or raises: the caller then renders the message with Jinja (its
    text, or its error). Budget: the message's expressions share one operation budget in
    Jinja (``max_operations``): they are written by one :class:`_Writer`, whose fixed part
    and counts are those of one expression made of all of them (as :func:`compile_fast`);
    a text longer than ``max_string`` raises too (Jinja refuses it).
    """
    counted = any(n.name in _WALKERS for n in tree.find_all(nodes.Filter))
    writer = _Writer(env, raw, counted)
    lines: list[str] = []
    try:
        _template_body(writer, tree.body, lines, "    ")
    except (_Unsupported, RecursionError):
        return None
    fixed = writer.ticks + writer.charges * (1 + max_string // 100)
    if fixed > max_operations:
        return None
    space = _space(env, writer, max_operations, max_string, fixed, lambda variables: None)
    if counted:
        space.update(_walkers(env, max_string, clock))
    head = ["def render(variables):", "    _b = [_limit]", "    out = []"]
    for name, local in writer.names.items():
        head.append(f"    {local} = variables.get({name!r}, _missing)")
        head.append(f"    if {local} is _missing:")
        head.append(f"        {local} = _globals.get({name!r}, _missing)")
    tail = ["    text = ''.join(out)", "    if len(text) > _max_string:", "        _too_big()", "    return text"]
    try:
        return _define(head + lines + tail, space)
    except (SyntaxError, RecursionError, MemoryError, ValueError):  # blocks nested too deeply...
        return None


def _template_body(writer: _Writer, body: list[nodes.Node], lines: list[str], indent: str) -> None:
    """The statements of a template's ``body`` (Output and If nodes) into ``lines``."""
    if not body:
        lines.append(f"{indent}pass")
    for node in body:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    lines.append(f"{indent}out.append({writer.bind('k', child.data)})")
                else:  # Jinja: str(value), a constant folded at compile time or not
                    lines.append(f"{indent}out.append(str({writer.expr(child)}))")
        elif isinstance(node, nodes.If):
            keyword = "if"
            for branch in [node, *node.elif_]:
                lines.append(f"{indent}{keyword} {writer.expr(branch.test)}:")
                _template_body(writer, branch.body, lines, indent + "    ")
                keyword = "elif"
            if node.else_:
                lines.append(f"{indent}else:")
                _template_body(writer, node.else_, lines, indent + "    ")
        else:
            raise _Unsupported


def _space(env: Any, writer: _Writer, max_operations: int, max_string: int, fixed: int,
           fallback: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """The globals of the code ``writer`` wrote (its fixed part of the budget: ``fixed``)."""
    space = dict(writer.space)
    space.update(_missing=missing, _undef=env.undefined, _globals=dict(env.globals),
                 _Entity=Entity, _absent=_absent_reader(env),
                 _getattr=env.getattr, _getitem=env.getitem, _binop=env.call_binop,
                 _unop=env.call_unop, _str_join=str_join, _measured=_MEASURED,
                 _max_string=max_string, _too_big=_too_big,
                 _fallback=fallback, _ChainableUndefined=ChainableUndefined,
                 _limit=max_operations - fixed, _sized_input=_SIZED_INPUT, _too_long=_too_long,
                 # n inputs of at most this length cost Jinja at most what is left of the budget
                 _max_input=(max_operations - fixed) // max(writer.inputs, 1) * 8 + 7)
    return space


def _define(lines: list[str], space: dict[str, Any]) -> Callable[..., Any]:
    """The function defined by ``lines`` (its name is the first line's), with ``space`` as globals."""
    code = compile("\n".join(lines), "<règle>", "exec")
    exec(code, space)  # noqa: S102 - source built from the AST by this module, no user text
    return space[lines[0][4:lines[0].index("(")]]  # type: ignore[no-any-return]


def _batch_source(names: Mapping[str, str], body: str, counted: bool = False) -> list[str]:
    """``batch(items, base, varying) -> (values, error)``: what ``run`` gives for each item
    with the variables ``base`` where each name of ``varying`` is the item, in one loop
    (no dict and no call per item); stops at the first error (an ExpressionError).
    ``counted``: each evaluation gets its own operation count ``_b``."""
    lines = ["def batch(items, base, varying):", "    _b = [_limit]"]
    for name, local in names.items():
        lines.append(f"    {local}_varies = {name!r} in varying")
        lines.append(f"    {local} = base.get({name!r}, _missing)")
        lines.append(f"    if {local} is _missing:")
        lines.append(f"        {local} = _globals.get({name!r}, _missing)")
    lines.append("    out = []")
    lines.append("    for item in items:")
    if counted:
        lines.append("        _b[0] = _limit")
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


class _OverBudget(Exception):
    """The operations counted exceed what is left of the budget: the Jinja path decides
    (its own count is at most this one: it stops with its French error, or gives the value)."""


def _walkers(env: Any, max_string: int, clock: Callable[[int], None]) -> dict[str, Any]:
    """The functions the code of a looping expression calls (``_pick``, ``_pluck``...), each
    doing what Jinja's filter does, with the same reads (``env.getitem``, or a field read
    from an entity's ``data`` as ``Entity.__getitem__`` does) and tests, and spending on
    ``b`` (the evaluation's operation count) at least the operations Jinja counts for it.

    Lazy filters (select, map...) are given a list, not a generator: the items are computed
    at once, all of them, in the order Jinja would compute them item by item; nothing
    they read has side effects, so the values are Jinja's, and when Jinja would fail on an
    item, this code fails too (possibly on an item Jinja would never reach, as under
    ``first``: the Jinja path then gives its value).
    """
    getitem, undefined = env.getitem, env.undefined
    eval_ctx = nodes.EvalContext(env)
    guarded_join, guarded_unique = env.filters.get("join"), env.filters.get("unique")  # Jinja's (walker())
    sized, measured = _SIZED_INPUT, _MEASURED
    entity = Entity

    def spend(b: list[int], cost: int) -> None:
        b[0] -= cost
        if b[0] < 0:
            raise _OverBudget
        clock(cost)

    def input_cost(value: Any) -> int:
        """What the sandbox's filter wrapper charges for a filter's input (see _guard_filter)."""
        return 1 + (len(value) // 8 if isinstance(value, sized) else 0)

    def result_cost(value: Any) -> int:
        """What it charges for a filter's or a test's result (a too long one is refused)."""
        if isinstance(value, measured):
            if len(value) > max_string:
                raise _OverBudget
            return 1 + len(value) // 100
        return 0

    def item_of(obj: Any, part: Any) -> Any:
        """``env.getitem(obj, part)`` (Jinja's ``obj[part]``, then ``obj.part``, else an
        undefined) when ``obj`` is not an entity with a field ``part`` in ``data``; its
        result, without its steps, for an entity, None and an undefined."""
        if type(part) is str:
            if type(obj) is entity:
                if part in _PLAIN:  # not a field: the attribute, which the sandbox allows
                    return getattr(obj, part)
                if part not in _ENTITY_ATTRS:  # no such item, no such attribute
                    return undefined(obj=obj, name=part)
            elif obj is None and not part.startswith("_"):
                return undefined(obj=obj, name=part)
        if type(obj) is ChainableUndefined:  # its items are itself
            return obj
        return getitem(obj, part)

    def read(item: Any, parts: tuple[Any, ...]) -> Any:
        """Jinja's ``make_attrgetter(env, attribute)(item)``."""
        for part in parts:
            if type(item) is entity:
                value = item.data.get(part, missing)
                if value is not missing:
                    item = value
                    continue
            item = item_of(item, part)
        return item

    def sized_input(b: list[int], value: Any) -> Any:
        """A filter's or a test's input, its size charged (the wrapper's ``len // 8``)."""
        if isinstance(value, sized):
            spend(b, len(value) // 8)
        return value

    def pick(b: list[int], value: Any, parts: tuple[Any, ...], test: Any, args: tuple[Any, ...],
             keep: bool) -> list[Any]:
        """select, reject, selectattr, rejectattr (Jinja's ``select_or_reject``)."""
        if not value:
            spend(b, input_cost(value))
            return []
        items = value if type(value) is list else list(value)
        spend(b, input_cost(value) + len(items) * len(parts))
        if test is None and len(parts) == 1:  # the most frequent shape: selectattr('field')
            part = parts[0]
            out = []
            for item in items:
                if type(item) is entity:
                    v = item.data.get(part, missing)
                    if v is missing:
                        v = item_of(item, part)
                else:
                    v = item_of(item, part)
                if (not v) is not keep:
                    out.append(item)
            return out
        out = []
        cost = 0
        for item in items:
            v = item
            for part in parts:  # read(item, parts), inline
                if type(v) is entity:
                    w = v.data.get(part, missing)
                    if w is not missing:
                        v = w
                        continue
                v = item_of(v, part)
            if test is not None:
                cost += 1 + (len(v) // 8 if isinstance(v, sized) else 0)
                v = test(v, *args)
                if isinstance(v, measured):
                    cost += result_cost(v)
            if (not v) is not keep:
                out.append(item)
        spend(b, cost)
        return out

    def pluck(b: list[int], value: Any, parts: tuple[Any, ...], default: Any) -> list[Any]:
        """map(attribute=..., default=...) (Jinja's ``prepare_map``)."""
        if not value:
            spend(b, input_cost(value))
            return []
        items = value if type(value) is list else list(value)
        spend(b, input_cost(value) + len(items) * len(parts))
        if default is None:
            if len(parts) == 1:
                part = parts[0]
                out = []
                for item in items:
                    if type(item) is entity:
                        v = item.data.get(part, missing)
                        out.append(item_of(item, part) if v is missing else v)
                    else:
                        out.append(item_of(item, part))
                return out
            return [read(item, parts) for item in items]
        out = []
        for item in items:
            for part in parts:
                item = read(item, (part,))
                if isinstance(item, Undefined):
                    item = default
            out.append(item)
        return out

    def unique(b: list[int], value: Any, parts: tuple[Any, ...], *args: Any, **kwargs: Any) -> list[Any]:
        """unique: Jinja's own (guarded) filter, its items listed."""
        items = value if type(value) is list else list(value)
        spend(b, input_cost(value) + len(items) * len(parts))
        return list(guarded_unique(env, items, *args, **kwargs))

    def as_list(b: list[int], value: Any) -> list[Any]:
        """list (Jinja's ``list(value)``); a result too long is refused."""
        out = list(value)
        spend(b, input_cost(value) + result_cost(out))
        return out

    def first(b: list[int], value: Any) -> Any:
        """first (Jinja's ``sync_do_first``)."""
        spend(b, input_cost(value))
        try:
            out = next(iter(value))
        except StopIteration:
            return undefined("No first item, sequence was empty.")
        spend(b, result_cost(out))
        return out

    def join(b: list[int], value: Any, parts: tuple[Any, ...], *args: Any, **kwargs: Any) -> str:
        """join: Jinja's own (guarded) filter, given the items."""
        items = value if isinstance(value, sized) else list(value)
        spend(b, input_cost(value) + len(items) * len(parts))
        out = guarded_join(eval_ctx, items, *args, **kwargs)
        spend(b, result_cost(out))
        return out  # type: ignore[no-any-return]

    def gen(items: list[Any]) -> Any:
        """A generator over ``items``: what a lazy filter gives a filter that is not Jinja's."""
        yield from items

    return {"_pick": pick, "_pluck": pluck, "_unique": unique, "_list": as_list, "_first": first,
            "_join": join, "_gen": gen, "_sized": sized_input}


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


def _too_long() -> Any:
    """A filter's input is long enough for the budget to matter: the Jinja path counts it."""
    raise _OverBudget


def _too_big() -> Any:
    """The size check of the sandbox's filter wrapper failed (the Jinja path words the error)."""
    raise SecurityError("résultat trop grand")
