"""Sandboxed Jinja2 expressions and message templates.

Rule authors write Jinja2 expressions (``assert``, ``where``, keys) and Jinja2
templates (``message``). Both run in an immutable sandbox:

- attributes starting with ``_`` and Python's introspection names are refused, and an
  unsafe attribute read at run time is an error (never a silent undefined value);
- no Python callable is reachable except the registered filters and tests and the
  methods of plain values; the ``attr`` filter is refused;
- ``range`` is capped (:data:`MAX_RANGE`), strings and lists built by ``*``, ``+``, ``%``,
  padding filters and methods are capped (:data:`MAX_STRING`), integer powers are capped;
- each evaluation (one expression on one entity, one message) has an operation budget
  (:data:`MAX_OPERATIONS`): attribute reads, calls, operators, filter calls and loop
  turns each cost one, large results cost more, so a rule cannot hang the audit;
- messages may only use ``{% if %}`` and (non-recursive) ``{% for %}`` blocks (checked
  when the rule is loaded, see :func:`template_problems`), their output is capped.

Every failure becomes :class:`ExpressionError`: a rule error, never a crash.

Most expressions also get direct Python code doing what Jinja's code does for them
(engine/exprcompile.py), many times faster; Jinja stays the reference: it runs whatever
that code does not compile, and words every error.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
import time
from typing import Any, Callable, Iterable, Iterator, Mapping

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import _PassArg

from .errors import ScolintError
from .exprcompile import MAX_DEPTH as _DEPTH_LIMIT
from .exprcompile import compile_fast, compile_template_fast
from .model import Entity

#: Names an Entity answers by itself (slots, methods, properties): never read from ``data``.
_ENTITY_ATTRS = frozenset(dir(Entity))

#: Longest range() a rule may build.
MAX_RANGE = 10_000
#: Longest string or list a rule may build (by ``*``, ``+``, ``%``, padding, joining).
MAX_STRING = 100_000
#: Operations one evaluation may do (attribute reads, calls, operators, loop turns).
MAX_OPERATIONS = 200_000
#: Longest expression or message source (characters).
MAX_SOURCE = 20_000
#: Largest integer result of ``**`` (bits).
MAX_INT_BITS = 4096

#: Blocks a message may use; anything else ({% set %}, macros, include...) is refused.
ALLOWED_BLOCKS = (nodes.Output, nodes.TemplateData, nodes.If, nodes.For)
#: Names a rule may not read (template internals and Jinja's usual globals).
FORBIDDEN_NAMES = frozenset({"self", "caller", "varargs", "kwargs", "loop_context", "cycler",
                             "joiner", "namespace", "lipsum", "dict", "getattr", "setattr",
                             "eval", "exec", "open", "globals", "locals", "vars", "type",
                             "object", "super", "import", "config", "request", "os", "sys"})
#: Filters a rule may not use.
FORBIDDEN_FILTERS = frozenset({"attr"})
#: Filters and string methods whose integer arguments set the size of their result.
_SIZED = frozenset({"center", "indent", "wordwrap", "truncate", "batch", "slice", "ljust",
                    "rjust", "zfill", "expandtabs", "format", "replace"})
_WIDTH = re.compile(r"\d+")

_budget: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("scolint_budget", default=None)
#: Time bound of the rule being evaluated: [operations since the last clock reading, deadline, seconds].
_deadline: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("scolint_deadline", default=None)
#: Default time bound of one rule's evaluation (seconds), checked cooperatively.
RULE_TIME_LIMIT = 5.0
_CLOCK_EVERY = 512


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Bound the expressions evaluated in the block to ``seconds`` in all (checked every few
    hundred operations): beyond it they raise ``SecurityError`` (a rule error)."""
    if not seconds or seconds <= 0:
        yield
        return
    token = _deadline.set([0, time.monotonic() + seconds, seconds])
    try:
        yield
    finally:
        _deadline.reset(token)


def check_clock(cost: int = 1) -> None:
    """Raise when the rule being evaluated is past its time bound (cheap between readings)."""
    clock = _deadline.get()
    if clock is None:
        return
    clock[0] += cost
    if clock[0] >= _CLOCK_EVERY:
        clock[0] = 0
        if time.monotonic() > clock[1]:
            raise SecurityError(f"règle trop longue : plus de {clock[2]:g} s d'évaluation (durée maximale "
                                "d'une règle, réglable avec --duree-max-regle)")


class ExpressionError(ScolintError):
    """An expression does not compile, or failed at run time.

    ``forbidden``: the sandbox refused an operation (the rule's fault whatever the data:
    the whole rule is in error, never one record).
    """

    forbidden = False


def _tick(cost: int = 1) -> None:
    check_clock(cost)
    left = _budget.get()
    if left is not None:
        left[0] -= cost
        if left[0] < 0:
            raise SecurityError(f"règle trop coûteuse : plus de {MAX_OPERATIONS} opérations pour une "
                                "seule évaluation (boucle ou valeur démesurée ?)")


def _charge(value: Any) -> Any:
    """Charge the size of a result to the budget; refuse a string or list too long."""
    if isinstance(value, (str, list, tuple, bytes)):
        if len(value) > MAX_STRING:
            raise SecurityError(f"chaîne ou liste trop grande ({len(value)} > {MAX_STRING})")
        _tick(1 + len(value) // 100)
    return value


def _weight(value: Any) -> int:
    """Characters held by a string or by a list of strings (a cheap estimate)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (list, tuple)):
        return len(value) + sum(len(v) for v in value[:MAX_STRING] if isinstance(v, (str, list, tuple)))
    return 0


def _check_sizes(name: str, args: Iterable[Any], kwargs: Mapping[str, Any]) -> None:
    """Refuse integer arguments (or format widths) that would build a huge value."""
    values = list(args) + list(kwargs.values())
    for v in values:
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_STRING:
            raise SecurityError(f"argument {v} trop grand pour « {name} » (maximum {MAX_STRING})")
        if name == "format" and isinstance(v, str) and _wide(v):
            raise SecurityError("largeur de format trop grande")


def _check_star(args: Iterable[Any], kwargs: Mapping[str, Any]) -> None:
    """A ``*`` width or precision takes its value from the arguments: cap them too."""
    for v in list(args) + list(kwargs.values()):
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_STRING:
            raise SecurityError(f"largeur de format trop grande ({v} > {MAX_STRING})")


def _wide(fmt: str) -> bool:
    """True when a format string asks for a width beyond :data:`MAX_STRING`."""
    return any(len(w) > 6 or int(w) > MAX_STRING for w in _WIDTH.findall(fmt))


def _safe_range(*args: int) -> Iterator[int]:
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise SecurityError(f"range() trop grand ({len(rng)} > {MAX_RANGE})")
    return rng  # type: ignore[return-value]


def _budgeted_iter(value: Any) -> Iterator[Any]:
    """Each turn of a ``{% for %}`` loop costs one operation."""
    if value is None or isinstance(value, ChainableUndefined):
        return
    for item in value:
        _tick()
        yield item


def _forbidden_attr_filter(*_args: Any, **_kwargs: Any) -> Any:
    raise SecurityError("le filtre « attr » est interdit dans les règles")


def _check_replace(text: Any, old: Any, new: Any) -> None:
    if not isinstance(text, str):
        return
    old, new = str(old), str(new)
    grow = len(new) - len(old)
    if grow > 0:
        times = text.count(old) if old else len(text) + 1
        if len(text) + grow * times > MAX_STRING:
            raise SecurityError("remplacement produisant une chaîne trop grande")


def _guard_filter(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a filter or test: budget, size of arguments and of the result."""
    if getattr(fn, "_scolint_guarded", False):
        return fn
    skip = 1 if _PassArg.from_obj(fn) is not None else 0  # context/environment first

    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        rest = args[skip:]
        # A filter's own work (sort, unique, map, join over a list) costs its input's size.
        first = rest[0] if rest else None
        _tick(1 + (len(first) // 8 if isinstance(first, (list, tuple, str, dict)) else 0))
        if name in _SIZED and rest:
            if name == "format":
                _check_sizes("format", [rest[0]], {})
                if isinstance(rest[0], str) and "*" in rest[0]:
                    _check_star(rest[1:], kwargs)
            else:
                _check_sizes(name, rest[1:], kwargs)
        if name == "replace" and len(rest) >= 3:
            _check_replace(*rest[:3])
        if name == "join" and rest and isinstance(rest[0], (list, tuple)) and _weight(rest[0]) > MAX_STRING:
            raise SecurityError("jointure produisant une chaîne trop grande")
        return _charge(fn(*args, **kwargs))

    guarded._scolint_guarded = True  # type: ignore[attr-defined]
    return guarded


def _plainly_guarded(name: str, fn: Callable[..., Any]) -> bool:
    """True when :func:`_guard_filter` wraps ``fn`` with nothing but the budget and the
    size of the result (no check of its arguments), and ``fn`` gets no context."""
    return (not getattr(fn, "_scolint_guarded", False) and name not in _SIZED
            and name not in ("replace", "join") and _PassArg.from_obj(fn) is None)


class RuleTemplate(Template):
    """A message template: rendered within a budget, its output capped."""

    def render(self, *args: Any, **kwargs: Any) -> str:  # noqa: D102
        token = _budget.set([MAX_OPERATIONS])
        try:
            out: list[str] = []
            size = 0
            for chunk in self.generate(*args, **kwargs):
                size += len(chunk)
                if size > MAX_STRING:
                    raise SecurityError(f"message de plus de {MAX_STRING} caractères")
                out.append(chunk)
            return "".join(out)
        finally:
            _budget.reset(token)


class RuleEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox of rule expressions (see module docstring)."""

    template_class = RuleTemplate

    def __init__(self, filters: Mapping[str, Callable[..., Any]] = {},
                 tests: Mapping[str, Callable[..., Any]] = {}, direct_code: bool = True) -> None:
        """:param direct_code: also build the direct Python code of expressions
            (engine/exprcompile.py, an optimisation behind this one switch); False: Jinja
            only, the reference semantics (rule tests use it)."""
        super().__init__(undefined=ChainableUndefined, autoescape=False,
                         trim_blocks=True, lstrip_blocks=True)
        self.filters.update(filters)
        self.filters["attr"] = _forbidden_attr_filter
        #: unwrapped filters and tests whose wrapper only counts and measures the result
        self._raw: dict[tuple[str, str], Callable[..., Any]] = {}
        for name, fn in list(self.filters.items()):
            self.filters[name] = _guard_filter(name, fn)
            if _plainly_guarded(name, fn):
                self._raw["filter", name] = fn
        self.filters["scolint_budget"] = _budgeted_iter
        self.tests.update(tests)
        for name, fn in list(self.tests.items()):
            self.tests[name] = _guard_filter(name, fn)
            if _plainly_guarded(name, fn):
                self._raw["test", name] = fn
        self.globals.clear()
        self.globals.update(range=_safe_range, true=True, false=False, none=None)
        self._cache: dict[str, Callable[..., Any]] = {}
        self._tcache: dict[str, Any] = {}
        #: :func:`source_problems` of each compiled message, found on the tree it was
        #: compiled from (a message is parsed once, not once more to be checked)
        self._tproblems: dict[str, str | None] = {}
        #: the same for each expression, found on the tree parsed by :meth:`expression`
        self._eproblems: dict[str, str | None] = {}
        self.direct_code = direct_code

    # The sandbox already refuses "_" attributes and unsafe callables; also refuse
    # attribute access to Python's introspection names that do not start with "_".
    _FORBIDDEN = frozenset({"mro", "gi_frame", "gi_code", "f_globals", "f_locals", "f_builtins",
                            "cr_frame", "ag_frame", "tb_frame", "func_globals", "format_map",
                            "format", "f_back", "gi_yieldfrom", "cr_await", "tb_next"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr in self._FORBIDDEN:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        """An unsafe attribute is an error at once (never a silent undefined)."""
        raise SecurityError(f"accès interdit à l'attribut « {attribute} »")

    def wrap_str_format(self, value: Any) -> None:
        """``str.format``/``format_map`` are refused outright (even Jinja's safe wrapper)."""
        return None

    def getattr(self, obj: Any, attribute: str) -> Any:
        _tick()
        if type(obj) is Entity and attribute not in _ENTITY_ATTRS:
            # a field: what the sandbox would find after a failed getattr (an exception
            # for each of the 100 000 field reads of a big audit)
            data = obj.data
            if attribute in data:
                return data[attribute]
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _tick()
        return super().getitem(obj, argument)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _tick()
        name = getattr(__obj, "__name__", "")
        if name in _SIZED:
            _check_sizes(name, args, kwargs)
        if name == "join" and args and _weight(args[0]) > MAX_STRING:
            raise SecurityError("jointure produisant une chaîne trop grande")
        if name == "replace" and len(args) >= 2:
            _check_replace(getattr(__obj, "__self__", None), args[0], args[1])
        return _charge(super().call(__context, __obj, *args, **kwargs))

    intercepted_binops = frozenset(["*", "**", "%", "+", "//", "/"])
    intercepted_unops = frozenset(["-", "+"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _tick()
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int):
                    if max(len(seq), _weight(seq)) * n > MAX_STRING:
                        raise SecurityError("chaîne ou liste trop grande")
        if operator == "**" and isinstance(right, int) and isinstance(left, int):
            if right > 64 or abs(left).bit_length() * max(right, 0) > MAX_INT_BITS:
                raise SecurityError("puissance trop grande")
        if operator == "**" and isinstance(right, (int, float)) and right > 64:
            raise SecurityError("puissance trop grande")
        if operator == "%" and isinstance(left, str) and _wide(left):
            raise SecurityError("largeur de format trop grande")
        if operator == "%" and isinstance(left, str) and "*" in left:
            _check_star(right if isinstance(right, tuple) else (right,), {})
        return _charge(super().call_binop(context, operator, left, right))

    def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
        _tick()
        return super().call_unop(context, operator, arg)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Parse, then make every ``{% for %}`` loop pay one operation a turn."""
        tree = super()._parse(source, name, filename)
        for loop in [n for n in descendants(tree) if isinstance(n, nodes.For)]:
            loop.iter = nodes.Filter(loop.iter, "scolint_budget", [], [], None, None, lineno=loop.lineno)
        return tree

    # -- compiling ------------------------------------------------------------------
    def expression(self, source: str) -> Callable[..., Any]:
        """Compile (once) and return a callable ``f(**variables) -> value``.

        Each call runs within its own operation budget. The callable also has ``fast``,
        the expression's direct Python code (engine/exprcompile.py) or None, ``run``:
        ``run(variables)`` is :func:`run` for this expression (the direct code, the Jinja
        path when there is none or when it raises), and ``batch`` (see :func:`run_many`).
        """
        fn = self._cache.get(source)
        if fn is None:
            _check_source(source, "expression")
            expr = self._parse_expression(source)
            jinja = None
            if expr is None or self._eproblems[source] is not None \
                    or not surely_compiles(self, _as_template(expr)):
                # compiled now, so that an error shows at once (with Jinja's words)
                jinja = _fast_call(self._compile_jinja(source))
            fn = _Expression(self, source, expr, jinja)
            self._cache[source] = fn
        return fn

    def _compile_jinja(self, source: str) -> Any:
        """Jinja's compiled expression (a ``TemplateExpression``); ExpressionError if invalid."""
        try:
            return self.compile_expression(source, undefined_to_none=False)
        except TemplateSyntaxError as exc:
            raise ExpressionError(f"expression invalide « {_short(source)} » : {syntax_fr(exc.message)}") from exc
        except (RecursionError, SyntaxError):  # SyntaxError: Python's limit of nested parentheses
            raise ExpressionError("expression imbriquée trop profondément") from None
        except ValueError:  # an integer literal of more than 4300 digits...
            raise ExpressionError(f"expression invalide « {_short(source)} » : valeur littérale démesurée") from None

    def _parse_expression(self, source: str) -> nodes.Expr | None:
        """The tree of an expression as Jinja's ``compile_expression`` parses it, or None
        when it does not parse (Jinja's compilation then words the error). Its
        :func:`tree_problems` are kept for :func:`source_problems` (one parse, not two)."""
        try:
            parser = Parser(self, source, state="variable")
            expr = parser.parse_expression()
            if not parser.stream.eos:
                return None
        except Exception:  # noqa: BLE001 - Jinja's compilation words the error
            return None
        self._eproblems[source] = tree_problems(self, _as_template(expr))
        return expr

    def _direct(self, expr: nodes.Expr, fn: Callable[..., Any]) -> tuple[Any, ...] | None:
        """``(fast, run, batch)`` of the expression (engine/exprcompile.py), or None."""
        def jinja(variables: dict[str, Any]) -> Any:
            return run_jinja(fn, variables)

        return compile_fast(self, expr, MAX_OPERATIONS, MAX_STRING, self._raw, jinja, check_clock)

    def template(self, source: str) -> Any:
        """Check (once) and return a message template: an object whose ``render`` gives the
        message. Every error shows here; Jinja's code generation and Python's compilation,
        most of the cost, wait for the first rendering when they cannot fail
        (:func:`surely_compiles`): most rules find nothing, their message is never rendered."""
        tpl = self._tcache.get(source)
        if tpl is None:
            _check_source(source, "modèle de message")
            try:
                tree = self._parse(source, None, None)
                # checked before compiling: Jinja's optimiser folds constants in the tree
                problem = tree_problems(self, tree)
                if problem is None and surely_compiles(self, tree):
                    tpl = _DeferredTemplate(self, source, tree if self.direct_code else None)
                else:  # compiled now: its error, if any, before the problem (as ever)
                    tpl = self.from_string(tree)
            except TemplateSyntaxError as exc:
                raise ExpressionError(f"modèle de message invalide : {syntax_fr(exc.message)} (ligne {exc.lineno})") from exc
            except (RecursionError, SyntaxError):
                raise ExpressionError("modèle de message imbriqué trop profondément") from None
            except ValueError:
                raise ExpressionError("modèle de message invalide : valeur littérale démesurée") from None
            self._tcache[source] = tpl
            self._tproblems[source] = problem
        return tpl

    def _compile_template(self, source: str) -> RuleTemplate:
        """The compiled template of a message :meth:`template` accepted."""
        try:
            return self.from_string(self._parse(source, None, None))  # type: ignore[return-value]
        except TemplateSyntaxError as exc:  # not expected (see surely_compiles): a rule error
            raise ExpressionError(f"modèle de message invalide : {syntax_fr(exc.message)} (ligne {exc.lineno})") from exc
        except (RecursionError, SyntaxError):
            raise ExpressionError("modèle de message imbriqué trop profondément") from None
        except ValueError:
            raise ExpressionError("modèle de message invalide : valeur littérale démesurée") from None

    def variables(self, source: str, template: bool = False) -> set[str]:
        """Return ``{"student.name", ...}``: the dotted names read by an expression."""
        if template:
            ast = self.parse(source)
        else:
            ast = self.parse("{{ " + source + " }}")
        found: set[str] = set()
        for node in ast.find_all(nodes.Getattr):
            chain = []
            cur: Any = node
            while isinstance(cur, nodes.Getattr):
                chain.append(cur.attr)
                cur = cur.node
            if isinstance(cur, nodes.Name):
                chain.append(cur.name)
                found.add(".".join(reversed(chain)))
        for node in ast.find_all(nodes.Name):
            if node.ctx == "load":
                found.add(node.name)
        return found


def _fast_call(compiled: Any) -> Callable[..., Any]:
    """``f(**variables)`` running ``compiled`` (a Jinja ``TemplateExpression``) within a budget.

    Jinja builds a new render context for every call of an expression (two thirds of the
    cost of evaluating ``student.left`` once); an audit evaluates expressions tens of
    thousands of times, so the context is built once and refilled for each call. A call
    made while the same expression is running (never the case: filters do not evaluate
    expressions) gets a context of its own.
    """
    template = getattr(compiled, "_template", None)
    root = getattr(template, "root_render_func", None)
    if root is None:  # another Jinja version: the plain (slower) call
        def plain(**variables: Any) -> Any:
            token = _budget.set([MAX_OPERATIONS])
            try:
                return compiled(**variables)
            finally:
                _budget.reset(token)
        return plain
    shared = template.new_context({})
    tglobals = dict(template.globals)
    busy = [False]

    def fn(**variables: Any) -> Any:
        token = _budget.set([MAX_OPERATIONS])
        try:
            if busy[0]:
                return compiled(**variables)
            busy[0] = True
            try:
                shared.vars = {}
                shared.parent = {**tglobals, **variables}
                for _ in root(shared):
                    pass
                return shared.vars.get("result")
            finally:
                shared.vars = {}
                shared.parent = {}
                busy[0] = False
        finally:
            _budget.reset(token)

    return fn


def _short(source: str) -> str:
    source = " ".join(source.split())
    return source if len(source) <= 200 else source[:200] + "…"


def _check_source(source: str, what: str) -> None:
    if not isinstance(source, str):
        raise ExpressionError(f"{what} : texte attendu")
    if len(source) > MAX_SOURCE:
        raise ExpressionError(f"{what} de {len(source)} caractères : trop long (maximum {MAX_SOURCE})")


def source_problems(env: RuleEnvironment, source: str, template: bool) -> str | None:
    """A French reason when a (compiled) expression or message uses something forbidden.

    Checked once when the rule is loaded: attribute or item names starting with ``_`` or
    naming Python internals, forbidden names (``self``, ``cycler``...) and filters
    (``attr``), and in messages any block other than ``{% if %}`` and ``{% for %}``
    (no ``{% set %}``, macro, call, include, import, extends, block) or a recursive loop.
    """
    known = env._tproblems if template else env._eproblems
    if source in known:
        return known[source]
    return tree_problems(env, env.parse(source if template else "{{ " + source + " }}"))


def _as_template(expr: nodes.Expr) -> nodes.Template:
    """``expr`` as the tree of the template ``{{ expr }}``."""
    return nodes.Template([nodes.Output([expr])])


#: Most ``{% for %}`` blocks of a message compiled only when first rendered (Python refuses
#: more than 20 nested blocks in a function).
_MAX_LOOPS = 5
#: Largest integer literal (digits) of a message compiled only when first rendered.
_MAX_DIGITS = 100


def surely_compiles(env: RuleEnvironment, tree: nodes.Template) -> bool:
    """True when Jinja's code generation and Python's compilation of ``tree`` (already
    parsed and checked by :func:`tree_problems`) cannot fail, so they may wait.

    The failures they can raise are checked here, conservatively: a filter or test
    unknown to the sandbox (Jinja refuses it when compiling, unless under an ``if``), a
    ``{% for %}`` writing ``loop``, a constant Jinja's optimiser would fold with a filter
    (the folded value may be unprintable), a large integer literal, a deep tree or many
    loops (the limits of Python's compiler). Any of them: False, and the caller compiles
    now, so that the error (or its absence) is Jinja's and shows when the rule is loaded.
    """
    loops = [0]

    def reads_a_name(node: nodes.Node, depth: int) -> bool:
        """Whether ``node`` reads a variable; raise _NotSure for a doubtful node."""
        if depth > _DEPTH_LIMIT:
            raise _NotSure
        reads = False
        for name in node.fields:
            item = getattr(node, name, None)
            for child in item if isinstance(item, list) else (item,):
                if isinstance(child, nodes.Node) and reads_a_name(child, depth + 1):
                    reads = True
        if isinstance(node, nodes.Name):
            if node.ctx != "load" and node.name == "loop":
                raise _NotSure
            return True
        if isinstance(node, nodes.For):
            loops[0] += 1
            if loops[0] > _MAX_LOOPS:
                raise _NotSure
        elif isinstance(node, (nodes.Filter, nodes.Test)):
            known = env.filters if isinstance(node, nodes.Filter) else env.tests
            if node.name not in known or not reads:  # unknown, or folded by the optimiser
                raise _NotSure
        elif isinstance(node, nodes.Const):
            if isinstance(node.value, int) and len(str(abs(node.value))) > _MAX_DIGITS:
                raise _NotSure
        return reads

    try:
        reads_a_name(tree, 0)
    except _NotSure:
        return False
    return True


class _NotSure(Exception):
    """A node whose compilation might fail (see :func:`surely_compiles`)."""


class _Expression:
    """A compiled expression (:meth:`RuleEnvironment.expression`): ``f(**variables)`` runs
    it by the Jinja path; ``fast``, ``run`` and ``batch`` give its direct code or None.

    Both are built at first use (the expression was parsed and checked when loaded, and
    Jinja's compilation, when it might fail, done then): an audit seldom needs the Jinja
    path (an error to word), and a rule that does not run (its export absent) needs
    neither. ``source`` is named in per-record errors.
    """

    def __init__(self, env: RuleEnvironment, source: str, expr: nodes.Expr | None,
                 jinja: Callable[..., Any] | None) -> None:
        self.source = source
        self._env = env
        self._expr = expr  # the parsed tree, until the direct code is built from it
        self._jinja = jinja

    def __call__(self, **variables: Any) -> Any:
        jinja = self._jinja
        if jinja is None:
            jinja = self._jinja = _fast_call(self._env._compile_jinja(self.source))
        return jinja(**variables)

    def __getattr__(self, name: str) -> Any:
        """``fast``, ``run``, ``batch``: built when first asked, then plain attributes."""
        if name not in ("fast", "run", "batch"):
            raise AttributeError(name)
        env, expr = self.__dict__["_env"], self.__dict__["_expr"]
        direct = env._direct(expr, self) if env.direct_code and expr is not None else None
        self.fast, self.run, self.batch = direct or (None, None, None)
        self._expr = None
        return self.__dict__[name]


class _DeferredTemplate:
    """A message :meth:`RuleEnvironment.template` checked, compiled at its first rendering:
    into direct Python code (engine/exprcompile.py) when ``tree`` is given and that code
    compiles it, else by Jinja. Jinja renders the message whenever the direct code raises
    (its text, or its error, as ever); its compilation waits for that first need.
    """

    __slots__ = ("_env", "_source", "_tree", "_fast", "_compiled")

    def __init__(self, env: RuleEnvironment, source: str, tree: nodes.Template | None = None) -> None:
        self._env = env
        self._source = source
        self._tree = tree  # parsed and checked by RuleEnvironment.template, until compiled
        self._fast: Callable[[dict[str, Any]], str] | None = None
        self._compiled: RuleTemplate | None = None

    def render(self, *args: Any, **kwargs: Any) -> str:
        """:meth:`RuleTemplate.render` of the compiled message."""
        if self._tree is not None:
            self._fast = compile_template_fast(self._env, self._tree, MAX_OPERATIONS, MAX_STRING,
                                               self._env._raw, check_clock)
            self._tree = None
        if self._fast is not None:
            try:
                return self._fast(dict(*args, **kwargs))
            except Exception:  # noqa: BLE001 - Jinja renders it: its text or its error
                pass
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = self._env._compile_template(self._source)
        return compiled.render(*args, **kwargs)


def descendants(tree: nodes.Node) -> list[nodes.Node]:
    """Every node under ``tree``, in the order of Jinja's ``find_all`` (depth first, each
    node before its children, children in field order), in one walk without generators:
    Jinja's ``find_all`` walks the whole tree once per call through nested generators."""
    out: list[nodes.Node] = []
    stack: list[nodes.Node] = [tree]
    node_type = nodes.Node
    while stack:
        node = stack.pop()
        children: list[nodes.Node] = []
        for name in node.fields:
            try:
                item = getattr(node, name)
            except AttributeError:
                continue
            if isinstance(item, list):
                children.extend(n for n in item if isinstance(n, node_type))
            elif isinstance(item, node_type):
                children.append(item)
        if node is not tree:
            out.append(node)
        stack.extend(reversed(children))
    return out


def tree_problems(env: RuleEnvironment, ast: nodes.Template) -> str | None:
    """:func:`source_problems` of an expression or message already parsed into ``ast``."""
    every = descendants(ast)  # one walk of the tree, then each kind of problem in turn
    for node in every:
        if not isinstance(node, (nodes.Getattr, nodes.Getitem)):
            continue
        name = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if isinstance(name, str) and (name.startswith("_") or name in env._FORBIDDEN):
            return f"accès interdit à l'attribut « {name} »"
    for node in every:
        if not isinstance(node, nodes.Name):
            continue
        if node.name.startswith("_") or node.name in FORBIDDEN_NAMES:
            return f"nom interdit dans une règle : « {node.name} »"
    for node in every:
        if isinstance(node, nodes.Filter) and node.name in FORBIDDEN_FILTERS:
            return f"filtre interdit dans une règle : « {node.name} »"
    for node in every:
        if not isinstance(node, nodes.Stmt):
            continue
        if not isinstance(node, ALLOWED_BLOCKS):
            tag = type(node).__name__
            return (f"bloc {{% {_BLOCK_FR.get(tag, tag.lower())} %}} interdit dans un message "
                    "(seuls {% if %} et {% for %} sont permis)")
        if isinstance(node, nodes.For) and node.recursive:
            return "boucle {% for ... recursive %} interdite dans un message"
    return None


_BLOCK_FR = {"Macro": "macro", "CallBlock": "call", "Include": "include", "Import": "import",
             "FromImport": "from ... import", "Extends": "extends", "Block": "block",
             "Assign": "set", "AssignBlock": "set", "With": "with", "FilterBlock": "filter",
             "Scope": "scope", "ScopedEvalContextModifier": "autoescape",
             "EvalContextModifier": "autoescape", "ExprStmt": "do", "Continue": "continue",
             "Break": "break"}


def run(fn: Callable[..., Any], variables: dict[str, Any]) -> Any:
    """Evaluate a compiled expression, turning every failure into ExpressionError.

    The expression's direct Python code (``fn.run``, engine/exprcompile.py) is tried
    first; when it has none, or when it raises, the Jinja path gives the value or the error.
    """
    direct = getattr(fn, "run", None)
    if direct is not None:
        return direct(variables)
    return run_jinja(fn, variables)


def run_many(fn: Callable[..., Any], items: list[Any], base: dict[str, Any],
             varying: tuple[str, ...]) -> tuple[list[Any], ExpressionError | None]:
    """``run(fn, variables)`` for each item, where ``variables`` is ``base`` with each name
    of ``varying`` set to the item: ``(values, None)``, or, when the evaluation of an item
    fails, ``(values of the items before it, its error)``."""
    batch = getattr(fn, "batch", None)
    if batch is not None:
        return batch(items, base, varying)  # type: ignore[no-any-return]
    out: list[Any] = []
    for item in items:
        variables = dict(base)
        for name in varying:
            variables[name] = item
        try:
            out.append(run_jinja(fn, variables))
        except ExpressionError as exc:
            return out, exc
    return out, None


def runner(fn: Callable[..., Any]) -> Callable[[dict[str, Any]], Any]:
    """``run(fn, ·)`` as one callable (for loops over many entities)."""
    direct = getattr(fn, "run", None)
    return direct if direct is not None else functools.partial(run_jinja, fn)


def run_jinja(fn: Callable[..., Any], variables: Mapping[str, Any]) -> Any:
    """:func:`run` by the Jinja path only (the reference the direct code must match)."""
    try:
        value = fn(**variables)
    except ExpressionError:
        raise
    except SecurityError as exc:
        err = ExpressionError(f"opération interdite dans une règle : {french_reason(exc)}")
        err.forbidden = True
        raise err from exc
    except MemoryError:
        raise ExpressionError("mémoire insuffisante pour évaluer l'expression") from None
    except Exception as exc:  # TypeError, ValueError, RecursionError... never a crash
        raise ExpressionError(french_reason(exc)) from exc
    if isinstance(value, ChainableUndefined):
        return None
    return value


# -- the author's words for a failure ---------------------------------------------------
#: Python type names as a rule author knows the values.
_TYPE_FR = {"NoneType": "une valeur vide", "None": "une valeur vide", "int": "un nombre", "float": "un nombre",
            "str": "un texte", "list": "une liste", "tuple": "une liste", "dict": "un dictionnaire",
            "dict object": "un dictionnaire", "bool": "un booléen", "Entity": "une entité",
            "date": "une date", "datetime.date": "une date", "datetime": "une date et heure",
            "timedelta": "une durée", "datetime.timedelta": "une durée", "set": "un ensemble",
            "Undefined": "une valeur indéfinie", "ChainableUndefined": "une valeur indéfinie",
            "EntityLists": "les entités de l'audit", "generator": "une suite de valeurs",
            "builtin_function_or_method": "une fonction", "method": "une fonction", "function": "une fonction"}
_OPS_FR = {"-": "soustraction « - »", "+": "addition « + »", "*": "multiplication « * »", "/": "division « / »",
           "//": "division « // »", "%": "opération « % »", "**": "puissance « ** »"}
#: Words of Python's exceptions that must never reach a rule author.
PYTHON_WORDS = ("Traceback", "TypeError", "ValueError", "AttributeError", "KeyError", "IndexError",
                "NoneType", "dict object", "ZeroDivisionError", "UndefinedError", "RecursionError",
                "SecurityError", "Exception", "object has no attribute", "not subscriptable", "unsupported operand")


def _type_fr(name: str) -> str:
    name = name.strip("'\" ")
    if name.endswith(" object"):
        name = name[: -len(" object")]
    return _TYPE_FR.get(name, "une valeur")


#: Jinja's syntax messages, in the author's words: (pattern, French with the groups).
_SYNTAX_FR = (
    (r"No filter named '(.+?)'\.?", "filtre « {0} » inconnu (voir docs/catalogue.md, filtres)"),
    (r"No test named '(.+?)'\.?", "test « {0} » inconnu"),
    (r"Encountered unknown tag '(.+?)'.*", "balise « {0} » inconnue"),
    (r".*The innermost block that needs to be closed is '(.+?)'.*", "balise « {0} » non fermée (« end{0} » manquant)"),
    (r"[Uu]nexpected end of template, expected '(.+?)'\.?", "fin inattendue : il manque {0}"),
    (r"[Uu]nexpected end of template.*", "fin inattendue : une parenthèse, un crochet ou une balise n'est pas fermé"),
    (r"expected token '(.+?)', got '(.+?)'", "{0} attendu au lieu de {1}"),
    (r"Expected an expression, got '(.+?)'", "expression attendue au lieu de {0}"),
    (r"unexpected '(.+?)', expected '(.+?)'", "{1} attendu au lieu de {0}"),
    (r"unexpected char '(.+?)' at \d+", "caractère « {0} » inattendu"),
    (r"unexpected 'end of template'", "fin inattendue : une parenthèse, un crochet ou une balise n'est pas fermé"),
    (r"unexpected '(.+?)'", "élément inattendu : {0}"),
    (r"tag name expected", "nom de balise attendu après « {{% »"),
    (r"Can't assign to special loop variable.*", "« loop » ne peut pas nommer la variable d'une boucle "
                                                  "(nom réservé par Jinja : choisissez-en un autre)"),
    (r"[Cc]an't assign to .+", "affectation impossible"),
)
#: Jinja's token names as an author reads them.
_TOKENS_FR = {"name": "un nom", "end of print statement": "la fin de l'expression",
              "end of statement block": "la fin de la balise", "end of template": "la fin du modèle",
              "integer": "un nombre", "float": "un nombre", "string": "un texte"}


def _token_fr(token: str) -> str:
    return _TOKENS_FR.get(token, f"« {token} »")


def syntax_fr(message: str | None) -> str:
    """A Jinja syntax message in French (a French summary for one not known here)."""
    text = (message or "").strip()
    for pattern, french in _SYNTAX_FR:
        m = re.fullmatch(pattern, text, re.S)
        if m:
            words = m.groups() if "«" in french else tuple(_token_fr(g) for g in m.groups())
            return french.format(*words)
    return "syntaxe incorrecte (voir docs/premiere-regle.md pour la forme des expressions et des messages)"


def french_reason(exc: BaseException) -> str:
    """What went wrong, in the author's words (never Python's)."""
    text = str(exc)
    if isinstance(exc, UndefinedError):
        m = re.match(r"^'(.+?)' has no attribute '(.+?)'$", text)
        if m:
            owner = m.group(1)
            if owner in ("None", "none"):
                return f"lecture de « {m.group(2)} » dans une valeur vide (le champ ou la relation précédente est vide)"
            if "Entity" in owner:
                return (f"champ « {m.group(2)} » absent de l'entité (non fourni par l'export ; dans un cas de test, "
                        "donnez-le à l'entité)")
            if owner == "dict object":
                return f"« {m.group(2)} » absent (valeur non fournie ; pour audit.{m.group(2)}, voir « audit: » des cas de test)"
            return f"« {m.group(2)} » n'existe pas dans {_type_fr(owner)}"
        m = re.match(r"^'(.+?)' is undefined$", text)
        if m:
            return f"variable « {m.group(1)} » inconnue"
        m = re.match(r"^(.+?) has no element (.+)$", text)
        if m:
            return f"élément {m.group(2)} absent de {_type_fr(m.group(1))}"
        return "valeur indéfinie (champ ou variable absent)"
    if isinstance(exc, SecurityError):
        return _strip_python(text)
    if isinstance(exc, ZeroDivisionError):
        return "division par zéro"
    if isinstance(exc, RecursionError):
        return "expression imbriquée trop profondément"
    if isinstance(exc, TypeError):
        m = re.match(r"^unsupported operand type\(s\) for (.+?): '(.+?)' and '(.+?)'$", text)
        if m:
            op = _OPS_FR.get(m.group(1), f"opération « {m.group(1)} »")
            return f"{op} impossible entre {_type_fr(m.group(2))} et {_type_fr(m.group(3))}"
        m = re.match(r"^'(.+?)' not supported between instances of '(.+?)' and '(.+?)'$", text)
        if m:
            return f"comparaison « {m.group(1)} » impossible entre {_type_fr(m.group(2))} et {_type_fr(m.group(3))}"
        m = re.match(r"^object of type '(.+?)' has no len\(\)$", text)
        if m:
            return f"longueur de {_type_fr(m.group(1))} impossible (« length » attend un texte ou une liste)"
        m = re.match(r"^'(.+?)' object is not iterable$", text)
        if m:
            return f"{_type_fr(m.group(1))} n'est pas une liste (impossible de la parcourir)"
        m = re.match(r"^'(.+?)' object is not (subscriptable|callable)$", text)
        if m:
            what = "indexée (valeur[...])" if m.group(2) == "subscriptable" else "appelée comme une fonction"
            return f"{_type_fr(m.group(1))} ne peut pas être {what}"
        m = re.match(r'^can only concatenate (\w+) \(not "(\w+)"\) to (\w+)$', text)
        if m:
            return (f"concaténation impossible entre {_type_fr(m.group(1))} et {_type_fr(m.group(2))} "
                    "(utilisez « ~ » pour joindre des textes)")
        if "argument" in text:
            return "filtre ou fonction appelé avec des arguments inattendus (nombre ou type)"
        return "opération impossible sur ces valeurs (types incompatibles, ou valeur vide)"
    if isinstance(exc, ValueError):
        m = re.match(r"^invalid literal for (int|float)\(\) with base \d+: (.+)$", text) or \
            re.match(r"^could not convert string to (float): (.+)$", text)
        if m:
            return f"conversion impossible de {m.group(2)} en nombre"
        return "valeur invalide pour cette opération"
    if isinstance(exc, (KeyError, IndexError)):
        return f"élément absent : {_strip_python(text)}"
    return "l'expression n'a pas pu être évaluée sur ces valeurs"


def _strip_python(text: str) -> str:
    """``text`` without Python's type names (already French in the sandbox's own messages)."""
    for word, fr in (("NoneType", "valeur vide"), ("dict object", "dictionnaire")):
        text = text.replace(word, fr)
    return text
