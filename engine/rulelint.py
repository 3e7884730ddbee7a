"""``scolint rules lint``: check rule files beyond what loading checks.

Loading (engine/rules.py) stops at the first problem of a file (YAML, schema,
expression, security). On a file that loads, lint adds: unique ids (also against
other loaded packs), every variable of ``where``, the check's expressions and
``message`` exists for the entity kind (declared fields, relations followed), the
``reference`` target is a known kind, and tests are present with at least one case
that fires and one that does not, whose ``given`` kinds and fields exist.
Every problem is one line ``file:line: CODE: phrase``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml
from jinja2 import nodes

from .errors import RuleFileError
from .expressions import RuleEnvironment, french_reason
from .registry import Registries
from .rules import Rule, load_rule_file, rule_files
from .testing import RuleCase, cases_of, kind_of_key, load_case_file

#: Attributes every entity has besides its declared fields.
ENTITY_ATTRS = frozenset({"id", "kind", "source", "label", "prov", "key", "data", "get"})
#: Fields of the global ``audit`` variable.
AUDIT_FIELDS = frozenset({"uai", "uais", "year", "years", "formats", "today", "exports", "entities"})
#: Names every expression may use.
GLOBAL_NAMES = frozenset({"entity", "audit", "range", "loop", "true", "false", "none"})


@dataclass
class LintProblem:
    """One problem: where, a code, a French sentence."""

    path: str
    line: int | None
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.code}: {self.message}"


def is_case_file(path: Path) -> bool:
    """True for a fixture file of cases (``rule:`` and ``cases:``, no ``id:``)."""
    try:
        data = yaml.safe_load(path.read_text("utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and "rule" in data and "cases" in data and "id" not in data


def relation_kinds(info: Any, registries: Registries) -> tuple[list[str], bool]:
    """``(kinds, is_list)`` when a field's declared type names entity kinds
    (``entité division``, ``liste d'entités group``, ``entité division ou group``),
    else ``([], False)``."""
    words = re.findall(r"\w+", str(getattr(info, "type", "")).lower())
    kinds = list(dict.fromkeys(w for w in words if w in registries.entities))
    plural = {"liste", "list", "entités", "entites"} & set(words)
    return (kinds, bool(plural)) if kinds else ([], False)


def relation_of(info: Any, registries: Registries) -> tuple[str | None, bool]:
    """``(kind, is_list)`` when a field's declared type names an entity kind (the last
    one named when it names several), else ``(None, False)``."""
    kinds, is_list = relation_kinds(info, registries)
    return (kinds[-1], is_list) if kinds else (None, False)


def _suggest(name: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(options), n=1)
    return f" (vouliez-vous dire « {close[0]} » ?)" if close else ""


def _bound_names(ast: nodes.Node) -> set[str]:
    """Names a template binds itself (``for`` targets, ``set``, macro arguments)."""
    return {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}


def check_variable(dotted: str, rule: Rule, registries: Registries, extra: set[str]) -> str | None:
    """A French reason when ``dotted`` (``student.division.code``) cannot exist, else None."""
    parts = dotted.split(".")
    root = parts[0]
    if root == "audit":
        if len(parts) > 1 and parts[1] not in AUDIT_FIELDS:
            return (f"« audit.{parts[1]} » n'existe pas{_suggest(parts[1], AUDIT_FIELDS)} "
                    f"(audit a : {', '.join(sorted(AUDIT_FIELDS))})")
        if len(parts) > 2 and parts[1] == "entities" and parts[2] not in registries.entities:
            return (f"« audit.entities.{parts[2]} » : type d'entité inconnu{_suggest(parts[2], registries.entities)} "
                    "(voir scolint entities)")
        if len(parts) > 3 and parts[1] == "entities":
            return (f"« audit.entities.{parts[2]} » est une liste d'entités : on ne peut pas y lire un champ "
                    f"directement (utilisez un filtre : audit.entities.{parts[2]} | selectattr(…) | list)")
        return None
    if root in extra or (root in GLOBAL_NAMES and root != "entity"):
        return None
    if root not in (rule.for_each, "entity"):
        allowed = sorted({rule.for_each, "entity", "audit"} | extra)
        return (f"variable inconnue « {root} »{_suggest(root, allowed)} : cette règle examine des "
                f"« {rule.for_each} » (variables possibles : {', '.join(allowed)})")
    return check_path(root, rule.for_each, parts[1:], registries)


def check_path(path: str, kind_id: str, parts: list[str], registries: Registries) -> str | None:
    """A French reason when the fields ``parts`` cannot be read from an entity of ``kind_id``
    (relations followed), else None."""
    kinds = [k for k in [registries.entities.get(kind_id)] if k is not None]
    for i, part in enumerate(parts):
        if not kinds or part in ENTITY_ATTRS or not all(k.fields for k in kinds):
            return None
        infos = [k.fields[part] for k in kinds if part in k.fields]
        if not infos:
            known = {f for k in kinds for f in k.fields}
            names = " ou ".join(f"« {k.id} »" for k in kinds)
            return (f"« {path}.{part} » : le type {names} n'a pas de champ « {part} »"
                    f"{_suggest(part, list(known) + list(ENTITY_ATTRS))} (voir scolint entities {kinds[0].id})")
        targets: list[str] = []
        is_list = False
        for info in infos:
            t, lst = relation_kinds(info, registries)
            targets += [x for x in t if x not in targets]
            is_list = is_list or lst
        path = f"{path}.{part}"
        if targets and is_list and i < len(parts) - 1:
            return (f"« {path} » est une liste d'entités « {targets[0]} » : on ne peut pas y lire un champ "
                    f"directement (utilisez un filtre : {path} | codes, {path} | map(attribute='…'))")
        kinds = [k for k in (registries.entities.get(t) for t in targets) if k is not None]
    return None


def check_reference(rule: Rule, registries: Registries) -> list[LintProblem]:
    """``reference``: the target kind, ``target_key`` (a field of the target kind) and
    ``target_source`` (one of its sources) exist."""
    opts = rule.options
    if not isinstance(opts, dict) or "target" not in opts:
        return []
    target = opts["target"]
    kind = registries.entities.get(target)
    if kind is None:
        return [LintProblem(rule.path, rule.line(rule.check, "target"), "ENTITE",
                            f"type d'entité cible inconnu « {target} »{_suggest(str(target), registries.entities)}")]
    out = []
    key = opts.get("target_key", "id")
    if key not in ENTITY_ATTRS and kind.fields and key not in kind.fields:
        out.append(LintProblem(rule.path, rule.line(rule.check, "target_key"), "CHAMP",
                               f"{rule.check}.target_key : le type « {target} » n'a pas de champ « {key} »"
                               f"{_suggest(str(key), list(kind.fields) + ['id'])} ; la clé doit être un champ de la "
                               f"cible (voir scolint entities {target})"))
    src = opts.get("target_source")
    if src is not None and kind.sources and src not in kind.sources:
        out.append(LintProblem(rule.path, rule.line(rule.check, "target_source"), "SOURCE",
                               f"{rule.check}.target_source : « {src} » n'est pas une source du type « {target} »"
                               f"{_suggest(str(src), kind.sources)} (sources : {', '.join(kind.sources)})"))
    return out


def expressions_of(rule: Rule, registries: Registries) -> list[tuple[tuple[Any, ...], str, bool]]:
    """``(location, source, is_template)`` for ``where``, the check's expressions, ``message``."""
    out: list[tuple[tuple[Any, ...], str, bool]] = []
    if rule.where:
        out.append((("where",), rule.where, False))
    kind = registries.checks[rule.check]
    if isinstance(rule.options, str):
        out.append(((rule.check,), rule.options, False))
    elif isinstance(rule.options, dict):
        out.extend(((rule.check, k), rule.options[k], False) for k in kind.expressions if k in rule.options)
    out.append((("message",), rule.message, True))
    return out


def lint_rule(rule: Rule, registries: Registries, env: RuleEnvironment,
              extra_cases: Iterable[RuleCase] = ()) -> list[LintProblem]:
    """Problems of a rule that loaded (variables, reference target, tests)."""
    problems: list[LintProblem] = []
    msg_vars = set(getattr(registries.checks[rule.check], "message_variables", ()))
    opt_vars = set(getattr(registries.checks[rule.check], "option_variables", ()))
    for loc, source, is_template in expressions_of(rule, registries):
        ast = env.parse(source if is_template else "{{ " + source + " }}")
        extra = _bound_names(ast) | (msg_vars if is_template else opt_vars if len(loc) > 1 else set())
        for dotted in sorted(env.variables(source, template=is_template)):
            reason = check_variable(dotted, rule, registries, extra)
            if reason:
                problems.append(LintProblem(rule.path, rule.line(*loc), "VARIABLE",
                                            f"{'.'.join(map(str, loc))} : {reason}"))
                break
    problems.extend(check_reference(rule, registries))
    cases = cases_of(rule) + [c for c in extra_cases if c.rule_id == rule.id]
    problems.extend(_lint_cases(rule, cases, registries))
    return problems


def _lint_cases(rule: Rule, cases: list[RuleCase], registries: Registries) -> list[LintProblem]:
    line = rule.line("tests") or rule.line("id")
    if not cases:
        return [LintProblem(rule.path, line, "TESTS", "aucun cas de test (clé « tests: ») : ajoutez au moins "
                            "un cas qui déclenche et un cas sans anomalie")]
    out: list[LintProblem] = []
    if not any(c.expect and c.expect != "non_evaluee" for c in cases):
        out.append(LintProblem(rule.path, line, "TESTS", "aucun cas qui déclenche (un « expect » non vide) : "
                               "sans lui, rien ne prouve que la règle détecte l'anomalie"))
    if not any(c.expect == [] for c in cases):
        out.append(LintProblem(rule.path, line, "TESTS", "aucun cas sans anomalie (« expect: [] ») : sans lui, "
                               "rien ne prouve que la règle se tait sur des données correctes"))
    for case in cases:
        for key, items in case.given.items():
            if key == "formats":
                bad = [f for f in items or [] if f not in registries.formats]
                if bad:
                    out.append(LintProblem(case.path, case.line, "CAS", f"cas « {case.name} » : format inconnu "
                                           f"« {bad[0]} »{_suggest(bad[0], registries.formats)}"))
                continue
            kind = registries.entities.get(kind_of_key(key, registries))
            if kind is None:
                out.append(LintProblem(case.path, case.line, "CAS", f"cas « {case.name} » : type d'entité inconnu "
                                       f"« {key} »{_suggest(key, registries.entities)}"))
                continue
            for item in items if isinstance(items, list) else []:
                unknown = [k for k in (item if isinstance(item, dict) else {})
                           if k not in ("id", "label", "source", "kind", "prov") and kind.fields and k not in kind.fields]
                if unknown:
                    out.append(LintProblem(case.path, case.line, "CAS", f"cas « {case.name} » : le type « {kind.id} » "
                                           f"n'a pas de champ « {unknown[0]} »{_suggest(unknown[0], kind.fields)}"))
                    break
    return out


def lint_paths(paths: Iterable[Path], registries: Registries, env: RuleEnvironment,
               case_paths: Iterable[Path] = (), other_ids: dict[str, str] | None = None,
               ) -> tuple[list[Rule], list[LintProblem]]:
    """Lint every rule file under ``paths``; ``other_ids`` are ids already taken elsewhere
    (``id -> file``). Returns the rules that loaded and every problem found."""
    problems: list[LintProblem] = []
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    taken = dict(other_ids or {})
    cases: list[RuleCase] = []
    for f in rule_files(case_paths):
        try:
            cases.extend(load_case_file(f))
        except Exception as exc:  # a broken case file is one problem, not a crash
            problems.append(LintProblem(str(f), None, "CAS", "fichier de cas illisible : "
                                        f"{getattr(exc, 'detail', None) or french_reason(exc)}"))
    for f in rule_files(paths):
        if is_case_file(f):
            problems.append(LintProblem(str(f), 1, "CAS", "fichier de cas de test (rule:/cases:) dans un dossier "
                                        "de règles : scolint check le lirait comme une règle ; rangez-le à part "
                                        "et donnez-le avec --cases"))
            continue
        try:
            rule = load_rule_file(f, registries, env)
        except RuleFileError as exc:
            problems.append(LintProblem(exc.path, exc.line, exc.code, exc.detail))
            continue
        other = seen.get(rule.id) or taken.get(rule.id)
        if other and Path(other).resolve() != f.resolve():
            problems.append(LintProblem(str(f), rule.line("id"), "DOUBLON",
                                        f"identifiant « {rule.id} » déjà utilisé par {other}"))
            continue
        seen[rule.id] = str(f)
        rules.append(rule)
    for rule in rules:
        problems.extend(lint_rule(rule, registries, env, cases))
    return rules, problems
