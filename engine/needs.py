"""Which entity kinds an audit must build: those its rules read, and their link partners.

A loader may skip the kinds nobody reads (``options["kinds"]`` of the loaders
hook, see docs/architecture.md): with three EDT rules selected, the students and guardians
of a timetable export need not be built. This module derives that set from the rules, the
declared entity kinds and the formats of the files given; it names no format nor kind.

:func:`kinds_read` starts from each rule's ``for_each`` kind and the kinds named by its
options (a ``reference`` target), then follows, to a fixed point, every relation field
(a field declared ``entité X`` / ``liste d'entités X``) whose name the rule's expressions
or message use anywhere (attribute, ``map(attribute='…')``, ``get('…')``: any name or
string constant counts, whatever entity it is read on: a superset is harmless) and every
*single* relation (``entité X``) of a kind already kept: link steps join records through
single relations and copy each other's provenance or label into them, so a kept record
keeps the records it may be joined with.

:func:`kinds_to_load` adds, for one input set, the kinds a link step could report about:
a kind with a single relation to a kind that another format of the input set may produce
(EDT students with SIECLE students: « élève d'EDT introuvable dans SIECLE »). A format
that does not declare its kinds (``FormatInfo.kinds`` None) may produce any kind.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from jinja2 import nodes

from .expressions import RuleEnvironment
from .registry import EntityKind, Registries
from .rules import Rule

#: The kind added by the Auditor itself for each export read (never skipped).
EXPORT_KIND = "export"

_WORD = re.compile(r"\w+")
_PLURAL = frozenset({"liste", "list", "entités", "entites"})


def relations(kind: EntityKind, registries: Registries) -> Iterable[tuple[str, list[str], bool]]:
    """``(field, target kinds, is_list)`` for each relation field declared on ``kind``.

    A field is a relation when its declared type names entity kinds (``entité division``,
    ``liste d'entités edt_course``, ``entité edt_class ou edt_group``).
    """
    for name, info in kind.fields.items():
        words = _WORD.findall(str(info.type).lower())
        targets = [w for w in words if w in registries.entities]
        if targets:
            yield name, targets, bool(_PLURAL & set(words))


def _names(source: str, template: bool, env: RuleEnvironment) -> set[str]:
    """Every attribute name, variable name and string constant of an expression/template
    (constants split on dots: ``map(attribute='teacher.label')`` reads both)."""
    ast = env.parse(source if template else "{{ " + source + " }}")
    found: set[str] = set()
    for node in ast.find_all((nodes.Getattr, nodes.Name, nodes.Const)):
        if isinstance(node, nodes.Getattr):
            found.add(node.attr)
        elif isinstance(node, nodes.Name):
            found.add(node.name)
        elif isinstance(node.value, str):
            found.update(node.value.split("."))
    return found


def _rule_names(rule: Rule, registries: Registries, env: RuleEnvironment) -> tuple[set[str], set[str]]:
    """(names read by the rule's expressions and message, kinds named by its options)."""
    names: set[str] = set()
    seeds = {rule.for_each}
    sources: list[tuple[str, bool]] = [(rule.message, True)]
    if rule.where:
        sources.append((rule.where, False))
    check = registries.checks.get(rule.check)
    expression_keys = set(check.expressions) if check else set()
    if isinstance(rule.options, str):
        sources.append((rule.options, False))
    values = rule.options.items() if isinstance(rule.options, dict) else ()
    for key, value in values:
        if isinstance(value, str) and key in expression_keys:
            sources.append((value, False))
        for text in _strings(value):
            if text in registries.entities:
                seeds.add(text)
            names.update(text.split("."))
    for source, template in sources:
        names |= _names(source, template, env)
    return names, seeds


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def closure(seeds: Iterable[str], names: set[str], registries: Registries) -> set[str]:
    """``seeds`` and every kind reached by a relation named in ``names`` or by a single relation."""
    kept = {k for k in seeds if k in registries.entities}
    todo = list(kept)
    while todo:
        kind = registries.entities.get(todo.pop())
        if kind is None:
            continue
        for name, targets, is_list in relations(kind, registries):
            if is_list and name not in names:
                continue
            for target in targets:
                if target not in kept:
                    kept.add(target)
                    todo.append(target)
        for name, info in kind.fields.items():  # derived fields: the kinds they are computed from
            for target in getattr(info, "needs", ()):
                if name in names and target not in kept and target in registries.entities:
                    kept.add(target)
                    todo.append(target)
    return kept


def kinds_read(rules: Iterable[Rule], registries: Registries, env: RuleEnvironment) -> tuple[set[str], set[str]]:
    """``(kinds, names)``: the kinds ``rules`` read (closed as the module says) and the
    names their expressions use (kept for :func:`kinds_to_load`)."""
    names: set[str] = set()
    seeds: set[str] = {EXPORT_KIND}
    for rule in rules:
        rule_names, rule_seeds = _rule_names(rule, registries, env)
        names |= rule_names
        seeds |= rule_seeds
        if "entities" in rule_names:  # audit.entities.<kind>: every kind named may be read
            seeds |= {n for n in rule_names if n in registries.entities}
    return closure(seeds, names, registries), names


def kinds_to_load(read: set[str], names: set[str], format_ids: Iterable[str],
                  registries: Registries) -> set[str] | None:
    """The kinds loaders must build for an input set whose files have ``format_ids``;
    None (every kind) when a format does not declare the kinds it produces."""
    producers: dict[str, set[str]] = {}
    for fmt in set(format_ids):
        info = registries.formats.get(fmt)
        declared = getattr(info, "kinds", None) if info is not None else None
        if declared is None:
            return None
        for kind in declared:
            producers.setdefault(kind, set()).add(fmt)
    kept = set(read)
    while True:
        extra = set()
        for kind_id, made_by in producers.items():
            kind = registries.entities.get(kind_id)
            if kind_id in kept or kind is None:
                continue
            for _name, targets, is_list in relations(kind, registries):
                if not is_list and any(producers.get(t, set()) - made_by for t in targets):
                    extra.add(kind_id)
                    break
        if not extra:
            return kept
        kept = closure(kept | extra, names, registries)
