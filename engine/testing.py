"""Run the ``tests:`` of rules (inline, or sqlfluff-style fixture files).

Shipped in the engine so academy rule packs reuse it. A case gives entities by kind
(``students: [{id: E1, ...}]``, plural or singular kind names) and the ids expected
in findings, or ``non_evaluee``. The key ``formats`` lists the exports present (default:
every export the rule requires). Nested dictionaries become entities too (kind = key),
so ``division: {id: 3A, code: 3A}`` can be read as ``student.division.code``: its kind is
the one the field's declared relation names (``teacher.edt`` is an ``edt_teacher``), else
the key's, and ``kind:`` chooses it for a relation to several kinds (``person: {id: G1,
kind: guardian}``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .evaluate import RULE_ERROR_TAG, Evaluator
from .expressions import RuleEnvironment
from .findings import NOT_EVALUATED, RULE_ERROR
from .model import Entity, Graph, Provenance
from .registry import Registries
from .rules import Rule
from .yamlines import load_with_lines


@dataclass
class RuleCase:
    """One test case of a rule."""

    rule_id: str
    name: str
    given: dict[str, Any]
    expect: Any
    audit: dict[str, Any] = field(default_factory=dict)
    path: str = ""
    line: int | None = None


@dataclass
class CaseResult:
    """The outcome of one case: ``ok`` and, when not, expected vs found."""

    case: RuleCase
    ok: bool
    expected: Any
    found: Any
    error: str = ""


def cases_of(rule: Rule) -> list[RuleCase]:
    """The inline cases of ``rule``."""
    out = []
    for i, raw in enumerate(rule.tests):
        out.append(RuleCase(rule.id, str(raw.get("name", f"cas {i + 1}")), raw.get("given") or {},
                            raw.get("expect"), raw.get("audit") or {}, rule.path, rule.line("tests", i)))
    return out


def load_case_file(path: Path) -> list[RuleCase]:
    """Cases from a fixture file: ``rule: ID`` then a list ``cases:`` of cases.

    :raises RuleFileError: a French ``file:line`` reason when the file is not one.
    """
    import yaml

    from .errors import RuleFileError
    try:
        data, lines, _ = load_with_lines(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError):
        raise RuleFileError(str(path), None, "fichier illisible (UTF-8 attendu)", "CAS") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RuleFileError(str(path), mark.line + 1 if mark else None,
                            f"YAML invalide : {getattr(exc, 'problem', None) or 'syntaxe incorrecte'}", "CAS") from None
    if not isinstance(data, dict) or not isinstance(data.get("rule"), str):
        raise RuleFileError(str(path), 1, "un fichier de cas commence par « rule: IDENTIFIANT » puis « cases: » "
                            "(une liste de cas)", "CAS")
    cases = data.get("cases", [])
    if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases):
        raise RuleFileError(str(path), lines.get(("cases",)), "« cases: » doit être une liste de cas "
                            "(name, given, expect)", "CAS")
    rule_id = data["rule"]
    return [RuleCase(rule_id, str(c.get("name", f"cas {i + 1}")), c.get("given") or {}, c.get("expect"),
                     c.get("audit") or {}, str(path), lines.get(("cases", i)))
            for i, c in enumerate(cases)]


def _kind_name(key: str, registries: Registries) -> str:
    if key in registries.entities:
        return key
    for cand in (key[:-1] if key.endswith("s") else key, key[:-2] if key.endswith("es") else key):
        if cand in registries.entities:
            return cand
    return key


def kind_of_key(key: str, registries: Registries) -> str:
    """The entity kind a ``given:`` key names (``students`` -> ``student``), or the key."""
    return _kind_name(key, registries)


def _default_source(kind: str, registries: Registries) -> str:
    info = registries.entities.get(kind)
    return info.sources[0] if info and info.sources else "test"


def _field_kind(parent: str, key: str, registries: Registries) -> str | None:
    """The entity kind the declared type of field ``key`` of ``parent`` names (the first
    one: ``entité student ou guardian ou teacher`` gives ``student``, a nested entity may
    say ``kind: guardian``); None when the field is not a declared relation."""
    info = registries.entities.get(parent)
    field_info = info.fields.get(key) if info is not None else None
    if field_info is None:
        return None
    for word in re.findall(r"\w+", str(field_info.type).lower()):
        if word in registries.entities:
            return word
    return None


def _entity(kind: str, raw: Any, registries: Registries, path: str, counter: list[int]) -> Any:
    if isinstance(raw, dict):
        counter[0] += 1
        data = {}
        if isinstance(raw.get("kind"), str) and raw["kind"] in registries.entities:
            kind = raw["kind"]  # a relation to several kinds: the case says which
        for k, v in raw.items():
            if k in ("id", "label", "source", "kind", "prov"):
                continue
            data[k] = _value(k, v, registries, path, counter, kind)
        ident = str(raw.get("id", f"{kind}-{counter[0]}"))
        return Entity(kind, ident, str(raw.get("source", _default_source(kind, registries))),
                      [_provenance(raw.get("prov"), path)], str(raw.get("label", ident)), data)
    return raw


def _provenance(raw: Any, path: str) -> Provenance:
    """Where a case's entity was "read": ``prov: {file: edt.xml, line: 3}`` in the case (a
    rule may compare it with an export's ``file``), else the rule file itself."""
    if not isinstance(raw, dict):
        return Provenance(path, None, "test")
    line = raw.get("line")
    return Provenance(str(raw.get("file") or path), line if isinstance(line, int) else None,
                      str(raw.get("system") or "test"))


def _value(key: str, v: Any, registries: Registries, path: str, counter: list[int], parent: str = "") -> Any:
    kind = _field_kind(parent, key, registries) or _kind_name(key, registries)
    if isinstance(v, dict):
        return _entity(kind, v, registries, path, counter)
    if isinstance(v, list):
        return [_entity(kind, x, registries, path, counter) if isinstance(x, dict) else x for x in v]
    return v


def build_graph(case: RuleCase, registries: Registries) -> Graph:
    """A graph holding the case's entities (loaders and linkers are not run)."""
    graph = Graph()
    counter = [0]
    for key, items in case.given.items():
        if key == "formats":
            continue
        kind = _kind_name(key, registries)
        for raw in items or []:
            ent = _entity(kind, raw, registries, case.path, counter)
            graph.add(ent.kind, ent.id, source=ent.source, prov=ent.prov, label=ent.label, **ent.data)
    return graph


#: The ``audit`` variable of a test case when the case does not set it (``audit:`` of a
#: case replaces any of them): fixed, so that a test gives the same result every day.
TEST_AUDIT_DEFAULTS: dict[str, Any] = {"uai": "0000000A", "year": 2024, "today": dt.date(2024, 9, 2)}


def case_audit(case: RuleCase, formats: set[str]) -> dict[str, Any]:
    """The ``audit`` variable of a case: :data:`TEST_AUDIT_DEFAULTS`, then the case's ``audit:``
    (``today`` written as a text AAAA-MM-JJ becomes a date)."""
    audit: dict[str, Any] = dict(TEST_AUDIT_DEFAULTS)
    audit.update(case.audit)
    if isinstance(audit.get("today"), str):
        try:
            audit["today"] = dt.date.fromisoformat(audit["today"].strip())
        except ValueError:
            pass
    audit.setdefault("uais", [audit["uai"]] if audit.get("uai") else [])
    audit.setdefault("years", [audit["year"]] if audit.get("year") else [])
    audit.setdefault("formats", sorted(formats))
    return audit


def run_case(rule: Rule, case: RuleCase, registries: Registries, env: RuleEnvironment) -> CaseResult:
    """Evaluate ``rule`` on the case's graph and compare with ``expect``."""
    graph = build_graph(case, registries)
    formats = set(case.given["formats"]) if "formats" in case.given else set(rule.requires)
    audit = case_audit(case, formats)
    evaluator = Evaluator([rule], registries, env)
    findings, outcomes, _ = evaluator.run(graph, audit, formats)
    outcome = outcomes[0]
    if outcome.status == RULE_ERROR:
        return CaseResult(case, False, case.expect, None, outcome.error)
    broken = [f for f in findings if RULE_ERROR_TAG in f.tags]
    if broken:
        return CaseResult(case, False, case.expect, sorted(f.entity_id for f in findings if f not in broken),
                          " ; ".join(f.message for f in broken))
    if case.expect == "non_evaluee":
        return CaseResult(case, outcome.status == NOT_EVALUATED, "non_evaluee",
                          "non_evaluee" if outcome.status == NOT_EVALUATED else sorted(f.entity_id for f in findings))
    if outcome.status == NOT_EVALUATED:
        return CaseResult(case, False, sorted(map(str, case.expect or [])), "non_evaluee")
    expected = sorted(str(x) for x in (case.expect or []))
    found = sorted(f.entity_id for f in findings)
    return CaseResult(case, expected == found, expected, found)


def run_rule_tests(rules: Iterable[Rule], registries: Registries, env: RuleEnvironment,
                   extra_cases: Iterable[RuleCase] = ()) -> list[CaseResult]:
    """Run every inline case of ``rules`` plus ``extra_cases`` (matched by rule id)."""
    rules = list(rules)
    by_id = {r.id: r for r in rules}
    results = [run_case(r, c, registries, env) for r in rules for c in cases_of(r)]
    for case in extra_cases:
        if case.rule_id in by_id:
            results.append(run_case(by_id[case.rule_id], case, registries, env))
    return results
