"""``scolint explain``: why a rule did or did not fire on one entity, in French.

Each expression of the rule is parsed into its Jinja2 tree; every sub-expression
(``and``/``or``/``not``, comparisons, filters, tests, arithmetic) is written back as
source and evaluated in the *same* sandbox with the same variables, so the author sees
the value of each operand and which part decided. ``and``/``or`` short-circuit as
Jinja2 does (the unevaluated side is shown as such). Values of secret fields
(passwords) are never shown.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from jinja2 import nodes
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.runtime import Undefined

from .errors import ScolintError, internal_error
from .expressions import RuleEnvironment

#: Field names whose values are never shown.
SECRET = re.compile(r"pass|mot_?de_?passe|pwd|secret|hash", re.I)
_OPS = {"eq": "==", "ne": "!=", "gt": ">", "gteq": ">=", "lt": "<", "lteq": "<=", "in": "in", "notin": "not in"}
_PRIMARY = (nodes.Name, nodes.Const, nodes.Getattr, nodes.Getitem, nodes.Call, nodes.List, nodes.Tuple, nodes.Dict)
_SKIPPED = object()


class _Error:
    def __init__(self, text: str) -> None:
        self.text = text


def unparse(n: nodes.Node) -> str:
    """Jinja2 source for an expression node, parenthesised wherever precedence matters."""
    def wrap(c: nodes.Node, also: tuple[type, ...] = ()) -> str:
        s = unparse(c)
        return s if isinstance(c, _PRIMARY + also) else f"({s})"

    def args(call: Any) -> str:
        items = [unparse(a) for a in call.args] + [f"{k.key}={unparse(k.value)}" for k in call.kwargs]
        if call.dyn_args:
            items.append("*" + unparse(call.dyn_args))
        if call.dyn_kwargs:
            items.append("**" + unparse(call.dyn_kwargs))
        return ", ".join(items)

    if isinstance(n, nodes.Const):
        v = n.value
        return {None: "none", True: "true", False: "false"}.get(v, repr(v)) if v is None or isinstance(v, bool) else repr(v)
    if isinstance(n, nodes.Name):
        return n.name
    if isinstance(n, nodes.Getattr):
        return f"{wrap(n.node)}.{n.attr}"
    if isinstance(n, nodes.Getitem):
        return f"{wrap(n.node)}[{unparse(n.arg)}]"
    if isinstance(n, nodes.Slice):
        parts = [unparse(x) if x is not None else "" for x in (n.start, n.stop)]
        return ":".join(parts) + (f":{unparse(n.step)}" if n.step is not None else "")
    if isinstance(n, nodes.Tuple):
        inner = ", ".join(unparse(i) for i in n.items)
        return f"({inner}{',' if len(n.items) == 1 else ''})"
    if isinstance(n, nodes.List):
        return "[" + ", ".join(unparse(i) for i in n.items) + "]"
    if isinstance(n, nodes.Dict):
        return "{" + ", ".join(f"{unparse(p.key)}: {unparse(p.value)}" for p in n.items) + "}"
    if isinstance(n, nodes.Compare):
        return wrap(n.expr, (nodes.Filter,)) + "".join(f" {_OPS[o.op]} {wrap(o.expr, (nodes.Filter,))}" for o in n.ops)
    if isinstance(n, (nodes.And, nodes.Or)):
        op = "and" if isinstance(n, nodes.And) else "or"
        # left-associative: a same-kind operand needs no brackets on the left only
        return f"{wrap(n.left, (nodes.Filter, nodes.Compare, type(n)))} {op} {wrap(n.right, (nodes.Filter, nodes.Compare))}"
    if isinstance(n, nodes.Not):
        return f"not {wrap(n.node, (nodes.Filter,))}"
    if isinstance(n, (nodes.Neg, nodes.Pos)):
        return ("-" if isinstance(n, nodes.Neg) else "+") + wrap(n.node)  # -x | f is (-x) | f
    if isinstance(n, nodes.BinExpr):
        return f"{wrap(n.left, (nodes.Filter,))} {n.operator} {wrap(n.right, (nodes.Filter,))}"
    if isinstance(n, nodes.Concat):
        return " ~ ".join(wrap(x, (nodes.Filter,)) for x in n.nodes)
    if isinstance(n, nodes.CondExpr):
        tail = f" else {wrap(n.expr2)}" if n.expr2 is not None else ""
        return f"{wrap(n.expr1)} if {wrap(n.test)}{tail}"
    if isinstance(n, nodes.Filter):
        a = args(n)
        return f"{wrap(n.node, (nodes.Filter,))} | {n.name}" + (f"({a})" if a else "")
    if isinstance(n, nodes.Test):
        a = args(n)
        return f"{wrap(n.node)} is {n.name}" + (f"({a})" if a else "")
    if isinstance(n, nodes.Call):
        return f"{wrap(n.node)}({args(n)})"
    raise ValueError(f"expression non prise en charge : {type(n).__name__}")


def fmt(value: Any, limit: int = 8) -> str:
    """A value as a French reader expects it."""
    if value is _SKIPPED:
        return "non évalué"
    if isinstance(value, _Error):
        return f"erreur ({value.text})"
    if isinstance(value, Undefined):
        return "indéfini (champ absent)"
    if value is None:
        return "vide"
    if isinstance(value, bool):
        return "vrai" if value else "faux"
    if isinstance(value, str):
        return f"« {value} »" if value else "« » (texte vide)"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "kind") and hasattr(value, "label") and hasattr(value, "data"):
        return f"{value.kind} {value.id} « {value.label} »"
    if hasattr(value, "__next__") and hasattr(value, "__iter__"):  # select(), map()…: a fresh generator
        value = list(itertools.islice(value, 10_000))
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        if not items:
            return "[] (liste vide)"
        shown = ", ".join(fmt(v) for v in items[:limit])
        more = f", … ({len(items)} éléments)" if len(items) > limit else ""
        return f"[{shown}{more}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {fmt(v)}" for k, v in list(value.items())[:limit]) + "}"
    return str(value)


def truthy(value: Any) -> bool:
    return not isinstance(value, _Error) and value is not _SKIPPED and bool(value)


@dataclass
class Step:
    """One evaluated (sub-)expression: its source, value, a note and its operands."""

    text: str
    value: Any
    node: nodes.Node
    note: str = ""
    children: list["Step"] = field(default_factory=list)
    secret: bool = False

    def shown(self) -> str:
        if self.secret and not isinstance(self.value, bool):  # a yes/no about a secret tells nothing of it
            return "(valeur masquée : donnée secrète)"
        return fmt(self.value)


class ExpressionExplainer:
    """Evaluates every sub-expression of an expression with the given variables."""

    def __init__(self, env: RuleEnvironment, variables: dict[str, Any]) -> None:
        self.env = env
        self.variables = variables

    def value(self, source: str) -> Any:
        """Evaluate ``source`` in the sandbox; Undefined is kept, errors become values."""
        try:
            return self.env.expression(source)(**self.variables)
        except (SecurityError, TemplateError, TypeError, ValueError, ArithmeticError, AttributeError,
                LookupError, RecursionError) as exc:
            from .expressions import french_reason
            return _Error(french_reason(exc))
        except ScolintError as exc:  # ExpressionError from a filter: already in French
            return _Error(str(exc))
        except Exception as exc:  # anything a plugin filter raises: its text is shown to nobody
            internal_error(exc)
            return _Error("erreur interne d'un filtre ou d'un test (SCOLINT_DEBUG=1 pour le détail)")

    def explain(self, source: str) -> Step:
        """The tree of steps of expression ``source``."""
        tree = self.env.parse("{{ " + source + " }}")
        out = tree.body[0]
        expr = out.nodes[0] if isinstance(out, nodes.Output) else out
        try:
            return self._step(expr)
        except ValueError:  # a construct unparse() does not know: the whole value only
            return Step(" ".join(source.split()), self.value(source), expr)

    def _step(self, n: nodes.Node) -> Step:
        text = unparse(n)
        secret = any(SECRET.search(part) for part in re.findall(r"\.([A-Za-z_][A-Za-z0-9_]*)", text))
        step = Step(text, None, n, secret=secret)
        if isinstance(n, (nodes.And, nodes.Or)):
            left = self._step(n.left)
            decided = truthy(left.value) != isinstance(n, nodes.And)
            right = self._skip(n.right) if decided else self._step(n.right)
            step.children = [left, right]
            step.value = left.value if decided else right.value
            if decided:
                step.note = f"« {left.text} » suffit, la suite n'est pas évaluée"
        else:
            step.value = self.value(text)
            if isinstance(n, nodes.Not):
                step.children = [self._step(n.node)]
            elif isinstance(n, nodes.Compare):
                step.children = [self._step(n.expr)] + [self._step(o.expr) for o in n.ops]
                vals = [c.shown() for c in step.children]
                step.note = vals[0] + "".join(f" {_OPS[o.op]} {v}" for o, v in zip(n.ops, vals[1:]))
            elif isinstance(n, (nodes.Filter, nodes.Test)):
                step.children = [self._step(n.node)] + [self._step(a) for a in n.args if not isinstance(a, nodes.Const)]
            elif isinstance(n, (nodes.BinExpr, nodes.Concat)):
                subs = [n.left, n.right] if isinstance(n, nodes.BinExpr) else n.nodes
                step.children = [self._step(c) for c in subs]
            elif isinstance(n, nodes.CondExpr):
                test = self._step(n.test)
                branch = n.expr1 if truthy(test.value) else n.expr2
                step.children = [test] + ([self._step(branch)] if branch is not None else [])
        step.children = [c for c in step.children if not isinstance(c.node, nodes.Const)]
        return step

    def _skip(self, n: nodes.Node) -> Step:
        return Step(unparse(n), _SKIPPED, n)


def deciding(step: Step) -> list[Step]:
    """The sub-steps that decided the value of ``step`` (short-circuit aware)."""
    if isinstance(step.node, (nodes.And, nodes.Or)):
        want = isinstance(step.node, nodes.Or)
        evaluated = [c for c in step.children if c.value is not _SKIPPED]
        if truthy(step.value) == want:
            hit = next((c for c in evaluated if truthy(c.value) == want), None)
            return deciding(hit) if hit else [step]
        return [d for c in evaluated for d in deciding(c)]
    return [step]


def because(step: Step) -> str:
    """« parce que … » for the value of ``step``."""
    parts = []
    for d in deciding(step):
        note = f" ({d.note})" if d.note and isinstance(d.node, nodes.Compare) and not d.secret else ""
        parts.append(f"« {d.text} » vaut {d.shown()}{note}")
    return " et ".join(parts)


def render_step(step: Step, indent: int = 2, render: Callable[[Step], str] | None = None) -> list[str]:
    """Indented lines for a step tree (operands below their expression)."""
    note = f"   [{step.note}]" if step.note and not step.secret else ""
    lines = [" " * indent + f"{step.text}  vaut  {step.shown()}{note}"]
    for c in step.children:
        lines.extend(render_step(c, indent + 4))
    return lines


# ---------------------------------------------------------------------------
# One rule on one entity
# ---------------------------------------------------------------------------
def explain_rule(rule: Any, entity: Any, graph: Any, registries: Any, env: RuleEnvironment,
                 audit: dict[str, Any], formats: set[str]) -> tuple[list[str], bool | None]:
    """French lines explaining ``rule`` on ``entity``; and whether it fired (None: not run)."""
    from .evaluate import EvalContext, audit_facts  # local: evaluate imports rules, keep this module light
    from .expressions import ExpressionError

    ctx = EvalContext(graph, env, audit_facts(graph, audit))
    variables = ctx.variables(rule, entity)
    ex = ExpressionExplainer(env, variables)
    lines = [f"Règle {rule.id} — {rule.title} (gravité : {rule.severity})",
             f"Entité : {entity.kind} {entity.id} « {entity.label} » (source {entity.source})"
             + (f", lue dans {entity.prov[0]}" if entity.prov else ""), ""]
    missing = [f for f in rule.requires if f not in formats]
    if missing:
        lines.append(f"Décision : règle NON ÉVALUÉE — export(s) absent(s) : {', '.join(missing)}. "
                     "Fournissez-les pour que la règle s'applique.")
        return lines, None
    kind = registries.checks[rule.check]
    sources: list[tuple[str, str]] = []
    if rule.where:
        sources.append(("where", rule.where))
    if isinstance(rule.options, str):
        sources.append((rule.check, rule.options))
    elif isinstance(rule.options, dict):
        sources.extend((f"{rule.check}.{k}", rule.options[k]) for k in kind.expressions if k in rule.options)
    names: set[str] = set()
    for _, src in sources:
        names |= env.variables(src)
    names |= env.variables(rule.message, template=True)
    roots = {rule.for_each, "entity", "audit"}
    shown = sorted(n for n in names if "." in n and n.split(".")[0] in roots)
    if shown:
        lines.append("Valeurs lues par la règle :")
        for name in shown:
            secret = any(SECRET.search(p) for p in name.split(".")[1:])
            value = "(valeur masquée : donnée secrète)" if secret else fmt(ex.value(name))
            lines.append(f"  {name} = {value}")
        lines.append("")
    if rule.where:
        step = ex.explain(rule.where)
        lines.append(f"Filtre (where) : {rule.where}")
        lines.extend(render_step(step))
        lines.append("")
        if not truthy(step.value):
            lines.append(f"Décision : PAS D'ANOMALIE — l'entité est écartée par le filtre « where » parce que "
                         f"{because(step)} : la règle ne l'examine pas.")
            return lines, False
    steps = {}
    for label, src in sources:
        if label == "where":
            continue
        steps[label] = ex.explain(src)
        lines.append(f"Contrôle {label} : {src}")
        lines.extend(render_step(steps[label]))
        lines.append("")
    try:
        runner = kind.compile(rule, env)
        where_fn = env.expression(rule.where) if rule.where else None
        pool = graph.all(rule.for_each)
        if where_fn is not None:
            pool = [e for e, keep in ctx.each(where_fn, rule, pool) if keep]  # a broken record is left out
        if entity not in pool:
            pool.append(entity)
        hit = next((h for h in runner(pool, ctx) if h.entity is entity or entity in h.related), None)
    except ExpressionError as exc:
        lines.append(f"Décision : ERREUR DE RÈGLE — {exc}")
        return lines, None
    broken = [e for e in ctx.record_errors.get(rule.id, []) if e[0] is entity]
    if broken and hit is None:
        from .errwords import record_problem
        _ent, err, src = broken[0]
        lines.append("Décision : ENREGISTREMENT NON ÉVALUABLE — "
                     + record_problem(rule, entity, err, src, registries, env))
        return lines, None
    if rule.check == "assert" and rule.check in steps:
        why = because(steps[rule.check])
        if hit is None:
            lines.append(f"Décision : PAS D'ANOMALIE — l'assertion est vraie parce que {why}.")
        else:
            lines.append(f"Décision : ANOMALIE — l'assertion est fausse parce que {why}.")
    elif hit is None:
        lines.append(f"Décision : PAS D'ANOMALIE — le contrôle « {rule.check} » ne signale pas cette entité.")
    else:
        lines.append(f"Décision : ANOMALIE — signalée par le contrôle « {rule.check} »"
                     + ("" if hit.entity is entity else f" sur {fmt(hit.entity)}, du même groupe que cette entité")
                     + ".")
        for key, value in hit.variables.items():
            lines.append(f"  {key} = {fmt(value)}")
    if hit is not None:
        try:
            msg_vars = ctx.variables(rule, hit.entity)
            msg_vars.update(hit.variables)
            lines.append(f"Message : {env.template(rule.message).render(msg_vars).strip()}")
        except Exception as exc:  # a broken message is shown, never raised
            from .expressions import french_reason
            lines.append(f"Message : erreur ({french_reason(exc)})")
    return lines, hit is not None
