"""A record a rule could not evaluate, told in the rule author's terms.

When an expression fails on one record (an empty birth date subtracted from a year...),
the rule goes on with the other records (engine/evaluate.py) and the broken one becomes
a finding whose message names the record, the empty field(s) the expression read and
what failed, in French: never Python's exception text.
"""

from __future__ import annotations

from typing import Any

from .expressions import ExpressionError, RuleEnvironment
from .model import Entity
from .registry import Registries

#: Entity attributes that are not fields.
_ATTRS = frozenset({"id", "kind", "source", "label", "prov", "key", "data", "get"})


def _short(source: str, limit: int = 120) -> str:
    text = " ".join(source.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


def empty_fields(rule: Any, ent: Entity, source: str | None, registries: Registries,
                 env: RuleEnvironment) -> list[str]:
    """``["« student.birth_date » (date de naissance)", ...]``: the fields read by ``source``
    that are empty (or missing) on ``ent``."""
    if not source:
        return []
    try:
        names = env.variables(source, template=source == rule.message)
    except Exception:  # noqa: BLE001 - the message then names no field
        return []
    out: list[str] = []
    for dotted in sorted(names):
        parts = dotted.split(".")
        if parts[0] not in (rule.for_each, "entity") or len(parts) < 2:
            continue
        value: Any = ent
        path = parts[0]
        for part in parts[1:]:
            if not isinstance(value, Entity) or part in _ATTRS:
                break
            kind = registries.entities.get(value.kind)
            info = kind.fields.get(part) if kind is not None else None
            value = value.data.get(part)
            if _empty(value):
                desc = info.description.split(" (")[0].split(",")[0].strip() if info is not None else ""
                item = f"« {path}.{part} »" + (f" ({desc})" if desc else "")
                if item not in out:
                    out.append(item)
                break
            path = f"{path}.{part}"
    return out


def record_problem(rule: Any, ent: Entity, error: ExpressionError, source: str | None,
                   registries: Registries, env: RuleEnvironment, audit: dict[str, Any] | None = None) -> str:
    """The French message of a record ``rule`` could not evaluate."""
    empties = empty_fields(rule, ent, source, registries, env)
    who = f"{ent.kind} « {ent.label} » ({ent.id})" if ent.label != ent.id else f"{ent.kind} « {ent.id} »"
    where = "le message" if source == rule.message else f"l'expression « {_short(source)} »" if source else "la règle"
    if empties:
        head = (f"{'champ vide' if len(empties) == 1 else 'champs vides'} {', '.join(empties)} "
                f"pour {who}")
    else:
        head = f"donnée inattendue pour {who}"
    hint = audit_hint(rule, audit, env) if audit is not None else ""
    return (f"{head} : {where} n'a pas pu être évaluée ({error}{hint}). La règle a examiné tous les autres "
            "enregistrements.")


def rule_problem(rule: Any, error: ExpressionError, audit: dict[str, Any], env: RuleEnvironment) -> str:
    """The French reason of a rule in error, with the empty ``audit`` variables it reads."""
    return f"{error}{audit_hint(rule, audit, env)}"


#: How to give each ``audit`` variable in a test case.
_AUDIT_EXAMPLES = {"today": "today: 2024-09-02", "year": "year: 2024", "uai": "uai: 0310001A",
                   "uais": "uais: [0310001A]", "years": "years: [2024]", "formats": "formats: [siecle-eleves]"}


def audit_hint(rule: Any, audit: dict[str, Any], env: RuleEnvironment) -> str:
    """`` ; « audit.today » est vide : …`` when the rule reads an ``audit`` variable that is
    empty (a test case that set it to nothing, an audit without that fact), else ``""``."""
    sources = [rule.where] if rule.where else []
    opts = rule.options
    if isinstance(opts, str):
        sources.append(opts)
    elif isinstance(opts, dict):
        sources.extend(v for v in opts.values() if isinstance(v, str))
    read: set[str] = set()
    for src in sources:
        try:
            read |= env.variables(src)
        except Exception:  # noqa: BLE001 - an option that is not an expression
            continue
    try:
        read |= env.variables(rule.message, template=True)
    except Exception:  # noqa: BLE001
        pass
    empty = sorted({name.split(".")[1] for name in read if name.startswith("audit.") and len(name.split(".")) > 1
                    and name.split(".")[1] in _AUDIT_EXAMPLES and not audit.get(name.split(".")[1])})
    if not empty:
        return ""
    names = ", ".join(f"« audit.{n} »" for n in empty)
    example = ", ".join(_AUDIT_EXAMPLES[n] for n in empty)
    return (f" ; {names} {'est vide' if len(empty) == 1 else 'sont vides'} : dans un cas de test, "
            f"donnez-{'la' if len(empty) == 1 else 'les'} avec « audit: {{{example}}} » (sinon : "
            "today 2024-09-02, year 2024, uai 0000000A) ; dans un audit, elle vient des exports lus")
