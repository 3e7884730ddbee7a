"""Sandboxed Jinja2 expressions and message templates.

Rule authors write Jinja2 expressions (``assert``, ``where``, keys) and Jinja2
templates (``message``). Both run in an immutable sandbox: attributes starting with
``_`` are refused, no Python callable is reachable except the registered filters and
tests, ``range`` is capped, and each evaluation has an operation budget so a rule
cannot hang the audit.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from jinja2 import ChainableUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import ScolintError

#: Longest range() a rule may build.
MAX_RANGE = 10_000
#: Longest string a rule may build with ``*`` or ``~``.
MAX_STRING = 100_000


class ExpressionError(ScolintError):
    """An expression does not compile, or failed at run time."""


def _safe_range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise SecurityError(f"range() trop grand ({len(rng)} > {MAX_RANGE})")
    return rng


class RuleEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox of rule expressions (see module docstring)."""

    def __init__(self, filters: Mapping[str, Callable[..., Any]] = {},
                 tests: Mapping[str, Callable[..., Any]] = {}) -> None:
        super().__init__(undefined=ChainableUndefined, autoescape=False,
                         trim_blocks=True, lstrip_blocks=True)
        self.filters.update(filters)
        self.tests.update(tests)
        self.globals.clear()
        self.globals.update(range=_safe_range, true=True, false=False, none=None)
        self._cache: dict[str, Callable[..., Any]] = {}
        self._tcache: dict[str, Any] = {}

    # The sandbox already refuses "_" attributes and unsafe callables; also refuse
    # attribute access to Python's introspection names that do not start with "_".
    _FORBIDDEN = frozenset({"mro", "gi_frame", "gi_code", "f_globals", "f_locals", "f_builtins",
                            "cr_frame", "ag_frame", "tb_frame", "func_globals", "format_map",
                            "format"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr in self._FORBIDDEN:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*" and isinstance(left, (str, list, tuple)) and isinstance(right, int):
            if len(left) * right > MAX_STRING:
                raise SecurityError("chaîne ou liste trop grande")
        if operator == "*" and isinstance(right, (str, list, tuple)) and isinstance(left, int):
            if len(right) * left > MAX_STRING:
                raise SecurityError("chaîne ou liste trop grande")
        if operator == "**" and isinstance(right, int) and right > 64:
            raise SecurityError("puissance trop grande")
        return super().call_binop(context, operator, left, right)

    intercepted_binops = frozenset(["*", "**"])

    # -- compiling ------------------------------------------------------------------
    def expression(self, source: str) -> Callable[..., Any]:
        """Compile (once) and return a callable ``f(**variables) -> value``."""
        fn = self._cache.get(source)
        if fn is None:
            try:
                fn = self.compile_expression(source, undefined_to_none=False)
            except TemplateSyntaxError as exc:
                raise ExpressionError(f"expression invalide « {source} » : {exc.message}") from exc
            self._cache[source] = fn
        return fn

    def template(self, source: str) -> Any:
        """Compile (once) and return a message template."""
        tpl = self._tcache.get(source)
        if tpl is None:
            try:
                tpl = self.from_string(source)
            except TemplateSyntaxError as exc:
                raise ExpressionError(f"modèle de message invalide : {exc.message} (ligne {exc.lineno})") from exc
            self._tcache[source] = tpl
        return tpl

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


def run(fn: Callable[..., Any], variables: Mapping[str, Any]) -> Any:
    """Evaluate a compiled expression, turning sandbox failures into ExpressionError."""
    try:
        value = fn(**variables)
    except SecurityError as exc:
        raise ExpressionError(f"opération interdite dans une règle : {exc}") from exc
    except UndefinedError as exc:
        raise ExpressionError(f"valeur indéfinie : {exc}") from exc
    except (TypeError, ValueError, ArithmeticError, AttributeError, LookupError, RecursionError) as exc:
        raise ExpressionError(f"{type(exc).__name__}: {exc}") from exc
    if isinstance(value, ChainableUndefined):
        return None
    return value
