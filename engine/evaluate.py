"""Run rules over a graph and turn hits into findings.

A check kind's ``compile(rule, env)`` returns a runner; the runner is called with the
entities of the rule's kind that pass ``where`` and an :class:`EvalContext`, and
yields :class:`Hit` objects. This module knows no check kind by name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from jinja2.exceptions import SecurityError

from .expressions import RULE_TIME_LIMIT, ExpressionError, RuleEnvironment, run, run_many, time_limit
from .findings import FAILED, NOT_EVALUATED, PASSED, RULE_ERROR, Finding, RuleOutcome, fingerprint
from .model import Entity, Graph, Provenance
from .registry import Registries
from .rules import Rule
from .uai import uai_problem

#: Tag of the findings that say a record could not be evaluated by a rule.
RULE_ERROR_TAG = "erreur-de-regle"
#: Records of one rule that may fail before the rule is given up as a whole.
MAX_RECORD_ERRORS = 1000


class RecordError(ExpressionError):
    """An expression failed on one record: the rule goes on with the others."""

    def __init__(self, entity: Entity, error: ExpressionError, source: str | None) -> None:
        super().__init__(str(error))
        self.entity = entity
        self.error = error
        self.source = source


class EntityLists:
    """``audit.entities``: every entity of a kind, by kind (``audit.entities.division``).

    A rule reaches the entities of another kind through it, to count or collect across
    them (``audit.entities.student | selectattr('division_code', 'eq', division.id) | list``).
    An unknown kind gives an empty list (``rules lint`` names the known ones).
    """

    __slots__ = ("_graph",)

    def __init__(self, graph: Graph) -> None:
        self._graph = graph

    def __getattr__(self, kind: str) -> list[Entity]:
        if kind.startswith("_"):
            raise AttributeError(kind)
        return self._graph.all(kind)

    def __getitem__(self, kind: str) -> list[Entity]:
        return self._graph.all(str(kind))

    def __repr__(self) -> str:
        return f"<entités de {', '.join(self._graph.kinds())}>"


def audit_facts(graph: Graph, audit: dict[str, Any]) -> dict[str, Any]:
    """``audit`` with the facts read across the whole graph: ``exports`` (the export
    entities: format, system, uai, year, exported_at, file) and ``entities`` (every
    entity of a kind), unless already given."""
    out = dict(audit)
    out.setdefault("exports", graph.all("export"))
    out.setdefault("entities", EntityLists(graph))
    return out


@dataclass
class Hit:
    """One failing entity: extra message variables and related entities."""

    entity: Entity
    variables: dict[str, Any] = field(default_factory=dict)
    related: list[Entity] = field(default_factory=list)


@dataclass
class EvalContext:
    """What runners may use besides the entities: the graph, the sandbox, globals."""

    graph: Graph
    env: RuleEnvironment
    audit: dict[str, Any]
    counter: list[int] = field(default_factory=lambda: [0])
    #: entities of a kind passing a ``where`` expression, by (kind, expression): rules
    #: sharing their filter (``edt_course.source == 'edt'``...) evaluate it once an entity
    filtered: dict[tuple[str, str], list[Entity]] = field(default_factory=dict)
    #: records an expression failed on, by rule id: ``[(entity, error, source)]``
    record_errors: dict[str, list[tuple[Entity, ExpressionError, str | None]]] = field(default_factory=dict)
    #: evaluations that gave a value, by rule id (a rule failing on every record is in error)
    evaluated: dict[str, int] = field(default_factory=dict)

    def variables(self, rule: Rule, entity: Entity) -> dict[str, Any]:
        """The variables an expression of ``rule`` sees for ``entity``."""
        return {rule.for_each: entity, "audit": self.audit, "entity": entity}

    def evaluate(self, fn: Callable[..., Any], rule: Rule, entity: Entity, **extra: Any) -> Any:
        """Evaluate a compiled expression for ``entity`` (counts evaluations)."""
        self.counter[0] += 1
        variables = {rule.for_each: entity, "audit": self.audit, "entity": entity}
        if extra:
            variables.update(extra)
        try:
            value = run(fn, variables)
        except RecordError:
            raise
        except ExpressionError as exc:
            if exc.forbidden:
                raise
            raise RecordError(entity, exc, getattr(fn, "source", None)) from None
        self.evaluated[rule.id] = self.evaluated.get(rule.id, 0) + 1
        return value

    def each(self, fn: Callable[..., Any], rule: Rule, entities: Iterable[Entity]) -> Iterator[tuple[Entity, Any]]:
        """``(entity, value)`` for each entity: what :meth:`evaluate` gives, computed in one
        loop (:func:`run_many`). An entity whose evaluation fails is left out and kept in
        :attr:`record_errors` (the rule goes on with the others)."""
        entities = entities if isinstance(entities, list) else list(entities)
        # {for_each: entity, "audit": audit, "entity": entity}, "audit" being the audit
        varying = tuple(n for n in dict.fromkeys((rule.for_each, "entity")) if n != "audit")
        pairs: list[tuple[Entity, Any]] = []
        start = 0
        while start < len(entities):
            rest = entities[start:] if start else entities
            values, error = run_many(fn, rest, {"audit": self.audit}, varying)
            pairs.extend(zip(rest, values))
            self.counter[0] += len(values)
            self.evaluated[rule.id] = self.evaluated.get(rule.id, 0) + len(values)
            if error is None:
                break
            self.counter[0] += 1
            if error.forbidden:
                raise error
            bad = rest[len(values)]
            self.record_error(rule, bad, error, getattr(fn, "source", None))
            start += len(values) + 1
        return iter(pairs)

    def record_error(self, rule: Rule, entity: Entity, error: ExpressionError, source: str | None) -> None:
        """Keep that ``rule`` could not evaluate ``entity``; too many: the rule fails."""
        errors = self.record_errors.setdefault(rule.id, [])
        errors.append((entity, error, source))
        if len(errors) > MAX_RECORD_ERRORS:
            raise ExpressionError(f"plus de {MAX_RECORD_ERRORS} enregistrements non évaluables ; "
                                  f"le premier : {errors[0][1]}")

    def each_value(self, fn: Callable[..., Any], rule: Rule, entity: Entity, name: str,
                   values: list[Any]) -> list[Any]:
        """``[evaluate(fn, rule, entity, **{name: value}) for value in values]`` in one loop."""
        base = {rule.for_each: entity, "audit": self.audit, "entity": entity}
        results, error = run_many(fn, values, base, (name,))
        self.counter[0] += len(results)
        self.evaluated[rule.id] = self.evaluated.get(rule.id, 0) + len(results)
        if error is not None:
            self.counter[0] += 1
            if error.forbidden:
                raise error
            raise RecordError(entity, error, getattr(fn, "source", None))
        return results

    def _counted(self, pairs: Iterable[tuple[Any, Any]], error: ExpressionError | None) -> Iterator[tuple[Any, Any]]:
        counter = self.counter
        for pair in pairs:
            counter[0] += 1
            yield pair
        if error is not None:
            counter[0] += 1
            raise error

def _mixed_establishments(rule: Rule, graph: Graph) -> str:
    """Why a cross-export rule is not evaluated: its exports come from several UAIs.

    A rule that joins two or more exports (``requires`` names two formats or more) never
    pairs records of different establishments: X-UAI-001 says the set is mixed, and the
    join would only add false findings (every pupil "without guardian"...). An invalid UAI
    (a typo that X-UAI-002 reports) names no establishment: it does not make the set mixed."""
    if len(rule.requires) < 2:
        return ""
    wanted = set(rule.requires)
    uais = sorted({e.uai.upper() for e in graph.exports
                   if e.format_id in wanted and e.uai and uai_problem(e.uai) is None})
    if len(uais) < 2:
        return ""
    return (f"les exports nécessaires viennent d'établissements différents ({', '.join(uais)}) : "
            "ils ne sont pas rapprochés (voir X-UAI-001)")


def _partial_files(rule: Rule, graph: Graph) -> tuple[set[str], str]:
    """Files whose records the rule must not judge (their export lacks a section the rule
    needs), and a reason when no export of the format has the section at all."""
    skipped: set[str] = set()
    for need in rule.requires_sections:
        fmt, _sep, section = need.partition(":")
        exports = [e for e in graph.exports if e.format_id == fmt]
        partial = [e for e in exports if section in (e.meta.get("missing_sections") or ())]
        if exports and len(partial) == len(exports) and fmt in rule.requires:
            names = ", ".join(e.meta.get("name") or e.path for e in partial)
            return set(), f"export partiel : la section {section} manque dans {names}"
        skipped.update(e.meta.get("display") or e.path for e in partial)
    return skipped, ""


def drop_superseded(rules: list[Rule], findings: list[Finding],
                    outcomes: list[RuleOutcome]) -> list[Finding]:
    """Say each fact once: a finding of a rule that another rule ``supersedes`` is dropped
    when that rule found the same record (its entity, or one of the entities it cites), or
    found the export the record was read from (a fact about a whole file says it for each
    of its records). The superseded rule's outcome keeps its status and counts what was
    not repeated."""
    replaced: dict[str, set[str]] = {}
    for rule in rules:
        for other in rule.supersedes:
            replaced.setdefault(other, set()).add(rule.id)
    if not replaced:
        return findings
    said: dict[str, set[tuple[str, str, str]]] = {}
    files: dict[str, set[str]] = {}
    for f in findings:
        keys = said.setdefault(f.rule_id, set())
        keys.add((f.entity_kind, f.entity_source, f.entity_id))
        keys.update((r["kind"], r["source"], r["id"]) for r in f.related)
        if f.entity_kind == "export":
            files.setdefault(f.rule_id, set()).update(p.file for p in f.provenance)
    kept: list[Finding] = []
    dropped: dict[str, int] = {}
    for f in findings:
        by = replaced.get(f.rule_id)
        key = (f.entity_kind, f.entity_source, f.entity_id)
        if by and (any(key in said.get(r, ()) for r in by)
                   or any(p.file in files.get(r, ()) for r in by for p in f.provenance)):
            dropped[f.rule_id] = dropped.get(f.rule_id, 0) + 1
            continue
        kept.append(f)
    for outcome in outcomes:
        if outcome.rule_id in dropped:
            outcome.superseded = dropped[outcome.rule_id]
            outcome.count -= outcome.superseded
    return kept


def make_environment(registries: Registries, direct_code: bool | None = None) -> RuleEnvironment:
    """The sandbox with every registered filter and test.

    :param direct_code: build direct Python code for expressions (the optimisation of
        engine/exprcompile.py); None: yes, unless ``SCOLINT_EXPRESSIONS=jinja`` is set.
        Jinja alone is the reference, used by rule tests.
    """
    if direct_code is None:
        direct_code = os.environ.get("SCOLINT_EXPRESSIONS", "").strip().lower() != "jinja"
    return RuleEnvironment(dict(registries.filters.items()), dict(registries.tests.items()),
                           direct_code=direct_code)


def _env_limit() -> float:
    try:
        return float(os.environ.get("SCOLINT_DUREE_MAX_REGLE", RULE_TIME_LIMIT))
    except ValueError:
        return RULE_TIME_LIMIT


class Evaluator:
    """Compiles rules once and evaluates them over graphs."""

    def __init__(self, rules: Iterable[Rule], registries: Registries, env: RuleEnvironment,
                 rule_error_severity: str = "error", time_limit: float | None = None,
                 helpers: Iterable[Rule] = ()) -> None:
        self.rules = list(rules)
        #: severity of the finding made for each record a rule cannot evaluate
        self.rule_error_severity = rule_error_severity
        #: Seconds one rule may take (``--duree-max-regle``, ``$SCOLINT_DUREE_MAX_REGLE``; 0: no bound).
        self.time_limit = time_limit if time_limit is not None else _env_limit()
        #: rules evaluated only to know which findings of ``rules`` they supersede
        self.helpers = list(helpers)
        self.registries = registries
        self.env = env
        self._runners: dict[str, Any] = {}
        self._where: dict[str, Any] = {}
        for rule in self.rules + self.helpers:
            self._runners[rule.id] = registries.checks[rule.check].compile(rule, env)
            if rule.where:
                self._where[rule.id] = env.expression(rule.where)

    def run(self, graph: Graph, audit: dict[str, Any],
            present_formats: set[str] | None = None) -> tuple[list[Finding], list[RuleOutcome], EvalContext]:
        """Evaluate every rule; return findings, one outcome per rule, and the context."""
        ctx = EvalContext(graph, self.env, audit_facts(graph, audit))
        formats = graph.formats() if present_formats is None else present_formats
        findings: list[Finding] = []
        outcomes: list[RuleOutcome] = []
        helper_ids = {r.id for r in self.helpers}
        for rule in self.rules + self.helpers:
            outcome = RuleOutcome(rule.id, rule.title, rule.severity, rule.flow, PASSED,
                                  fix=rule.fix, tags=list(rule.tags), description=rule.description,
                                  owner=str(rule.raw.get("responsable") or ""))
            outcomes.append(outcome)
            missing = [f for f in rule.requires if f not in formats]
            if missing:
                outcome.status = NOT_EVALUATED
                outcome.missing = missing
                continue
            reason = _mixed_establishments(rule, graph)
            skipped, reason = (set(), reason) if reason else _partial_files(rule, graph)
            if reason:
                outcome.status = NOT_EVALUATED
                outcome.reason = reason
                continue
            try:
                with time_limit(self.time_limit):
                    new = self._rule_findings(rule, graph, ctx)
                if skipped:  # records of a file lacking a section the rule needs
                    new = [f for f in new if not (f.provenance and f.provenance[0].file in skipped)]
                broken = [self._record_finding(rule, ent, err, src, ctx.audit)
                          for ent, err, src in ctx.record_errors.get(rule.id, [])]
            except ExpressionError as exc:
                from .errwords import rule_problem
                outcome.status = RULE_ERROR
                outcome.error = rule_problem(rule, exc, ctx.audit, self.env)
                continue
            except SecurityError as exc:  # time or size bound hit outside an expression's own guard
                outcome.status = RULE_ERROR
                outcome.error = f"règle {rule.id} arrêtée : {exc}"
                continue
            except MemoryError:
                outcome.status = RULE_ERROR
                outcome.error = f"règle {rule.id} arrêtée : mémoire insuffisante"
                continue
            except Exception:  # a check kind's bug must not end the audit
                outcome.status = RULE_ERROR
                outcome.error = (f"erreur interne du contrôle « {rule.check} » : la règle n'a pas pu être évaluée "
                                 "(signalez-la à l'équipe scolint avec le fichier de la règle)")
                continue
            findings.extend(new)
            findings.extend(broken)
            outcome.count = len(new)
            outcome.status = FAILED if new else PASSED
            if broken:
                outcome.error = (f"{len(broken)} enregistrement(s) non évaluable(s) par la règle (anomalies "
                                 f"étiquetées « {RULE_ERROR_TAG} »), la règle a examiné tous les autres")
        kept = drop_superseded(self.rules + self.helpers, findings, outcomes)
        if helper_ids:
            kept = [f for f in kept if f.rule_id not in helper_ids]
            outcomes = [o for o in outcomes if o.rule_id not in helper_ids]
        return kept, outcomes, ctx

    def _rule_findings(self, rule: Rule, graph: Graph, ctx: EvalContext) -> list[Finding]:
        """The findings of ``rule``; a record an expression fails on is left out (kept in
        ``ctx.record_errors``) and the rule is evaluated again without it."""
        skipped: dict[Entity, tuple[Entity, ExpressionError, str | None]] = {}
        while True:
            ctx.record_errors[rule.id] = list(skipped.values())
            try:
                hits = list(self._hits(rule, graph, ctx, set(skipped)))
                out = []
                for hit in hits:
                    try:
                        out.append(self._finding(rule, hit, ctx))
                    except ExpressionError as exc:
                        if exc.forbidden or not out and hit is hits[-1]:
                            raise  # the message fails on every finding: the rule is wrong
                        ctx.record_error(rule, hit.entity, exc, rule.message)
                errors = ctx.record_errors.get(rule.id)
                if errors and not ctx.evaluated.get(rule.id):  # it failed on every record
                    raise errors[0][1]
                return out
            except RecordError as exc:
                if exc.error.forbidden or exc.entity in skipped or len(skipped) >= MAX_RECORD_ERRORS:
                    raise exc.error from None
                skipped[exc.entity] = (exc.entity, exc.error, exc.source)

    def _record_finding(self, rule: Rule, ent: Entity, error: ExpressionError, source: str | None,
                        audit: dict[str, Any]) -> Finding:
        """A record ``rule`` could not evaluate, as a finding naming the record and the field."""
        from .errwords import record_problem
        message = record_problem(rule, ent, error, source, self.registries, self.env, audit)
        fix = ("Vérifiez la donnée signalée dans l'export (champ vide ou mal formé) et refaites l'export ; "
               "auteur de la règle : rendez l'expression tolérante à une valeur vide (par exemple "
               "« valeur | default('') », ou une condition « where: ») puis relancez scolint rules test.")
        return Finding(
            rule_id=rule.id, severity=self.rule_error_severity, title=f"{rule.title} (enregistrement non évaluable)",
            message=message, fix=fix, entity_kind=ent.kind, entity_id=ent.id, entity_source=ent.source,
            entity_label=ent.label, provenance=list(ent.prov), flow=rule.flow,
            tags=[*rule.tags, RULE_ERROR_TAG],
            fingerprint=fingerprint(f"{rule.id}!{RULE_ERROR_TAG}", ent.kind, ent.source, [ent.id]))

    def _hits(self, rule: Rule, graph: Graph, ctx: EvalContext, skipped: set[Entity] = frozenset()) -> Iterator[Hit]:  # type: ignore[assignment]
        entities = graph.all(rule.for_each)
        where = self._where.get(rule.id)
        if where is not None and rule.where is not None:
            key = (rule.for_each, rule.where)
            kept = ctx.filtered.get(key)
            if kept is None:
                before = {k: len(v) for k, v in ctx.record_errors.items()}
                kept = [e for e, keep in ctx.each(where, rule, entities) if keep]
                if all(len(v) == before.get(k, 0) for k, v in ctx.record_errors.items()):
                    ctx.filtered[key] = kept  # shared only when no record failed (errors are per rule)
            entities = list(kept)
        if skipped:
            entities = [e for e in entities if e not in skipped]
        return self._runners[rule.id](entities, ctx)

    def _finding(self, rule: Rule, hit: Hit, ctx: EvalContext) -> Finding:
        ent = hit.entity
        variables = ctx.variables(rule, ent)
        variables.update(hit.variables)
        try:
            message = ctx.env.template(rule.message).render(variables).strip()
        except ExpressionError:
            raise
        except Exception as exc:  # sandbox errors, undefined, type errors in the template
            from jinja2.exceptions import SecurityError

            from .expressions import french_reason
            err = ExpressionError(f"message : {french_reason(exc)}")
            err.forbidden = isinstance(exc, SecurityError)
            raise err from exc
        prov: list[Provenance] = list(ent.prov)
        for other in hit.related:
            prov.extend(p for p in other.prov if p not in prov)
        context = {}
        for key in ("division", "class_name"):
            value = ent.data.get(key)
            if value:
                context["classe"] = str(value)
                break
        return Finding(
            rule_id=rule.id, severity=rule.severity, title=rule.title, message=message,
            fix=rule.fix, entity_kind=ent.kind, entity_id=ent.id, entity_source=ent.source,
            entity_label=ent.label, provenance=prov, flow=rule.flow, tags=list(rule.tags),
            related=[{"kind": o.kind, "id": o.id, "source": o.source, "label": o.label}
                     for o in hit.related],
            context=context,
        )
