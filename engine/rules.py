"""Read rule files (YAML, one rule a file) and check them against the rule schema.

Every error is one French line ``file:line: CODE: sentence`` (no schema-error
cascade): YAML syntax, unknown key, bad value, missing key, expression that does not
compile, forbidden attribute.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from .errors import RuleFileError
from .expressions import ExpressionError, RuleEnvironment, source_problems
from .registry import Registries

if TYPE_CHECKING:
    import jsonschema

#: Largest rule file (characters): a rule is a page of YAML.
MAX_RULE_CHARS = 200_000


@dataclass
class Rule:
    """A loaded, checked rule."""

    id: str
    title: str
    severity: str
    for_each: str
    message: str
    fix: str
    check: str
    options: Any
    path: str
    tags: list[str] = field(default_factory=list)
    flow: str = ""
    description: str = ""
    requires: list[str] = field(default_factory=list)
    where: str | None = None
    #: ``format:SECTION`` an export must carry for the rule to judge its records
    requires_sections: list[str] = field(default_factory=list)
    #: rules whose finding on the same record this rule's finding replaces
    supersedes: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    tests: list[dict[str, Any]] = field(default_factory=list)
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict, repr=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    #: False: only read (YAML, ``id``, ``tags``, ``supersedes``), not checked against the
    #: schema: a rule a selection leaves out (:func:`load_rules` with ``check_all=False``);
    #: :func:`check_rule` gives the checked rule
    checked: bool = field(default=True, repr=False)

    def line(self, *path: Any) -> int | None:
        """Line of a key in the rule file."""
        return line_for(self.lines, path)


def line_for(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...]) -> int | None:
    """:func:`scolint.engine.yamlines.line_for` (imported on first use)."""
    from .yamlines import line_for as _line_for
    return _line_for(lines, path)


@lru_cache(maxsize=1)
def base_schema() -> dict[str, Any]:
    """The keys every rule shares (``schemas/rule-core.schema.json``), without check kinds."""
    text = resources.files("scolint.schemas").joinpath("rule-core.schema.json").read_text("utf-8")
    return json.loads(text)


def full_schema(registries: Registries) -> dict[str, Any]:
    """The rule schema: the shared keys plus every registered check kind's options, as each
    check kind declares them beside its code. ``schemas/rule.schema.json`` is this schema for
    scolint's own plugins (``scolint rules schema -o schemas/rule.schema.json``; a test
    keeps it in step)."""
    schema = copy.deepcopy(base_schema())
    schema.pop("$comment", None)
    for kind in registries.checks.values():
        if kind.id not in schema["properties"]:
            sub = dict(kind.options_schema)
            sub.setdefault("description", kind.doc.strip().splitlines()[0] if kind.doc else kind.id)
            schema["properties"][kind.id] = sub
    return schema


_VALIDATOR_MSG = {
    "required": lambda e: f"clé obligatoire absente : « {_missing(e)} »",
    "additionalProperties": lambda e: f"clé inconnue : « {_extra(e)} »",
    "enum": lambda e: f"« {e.instance} » n'est pas une valeur permise ({', '.join(map(str, e.validator_value))})",
    "const": lambda e: f"la valeur attendue est « {e.validator_value} »",
    "type": lambda e: f"type attendu : {_type_fr(e.validator_value)}, trouvé : {_type_fr(type(e.instance).__name__)}",
    "pattern": lambda e: f"« {e.instance} » n'a pas la forme attendue ({e.validator_value})",
    "minLength": lambda e: f"texte trop court (au moins {e.validator_value} caractères)",
    "maxLength": lambda e: f"texte trop long (au plus {e.validator_value} caractères)",
    "uniqueItems": lambda e: "la liste contient des doublons",
    "oneOf": lambda e: "valeur non conforme (liste d'identifiants ou « non_evaluee » attendue)",
    "minItems": lambda e: f"la liste doit contenir au moins {e.validator_value} élément(s)",
}

_TYPES_FR = {"string": "texte", "str": "texte", "object": "dictionnaire", "dict": "dictionnaire",
             "array": "liste", "list": "liste", "integer": "entier", "int": "entier",
             "boolean": "booléen", "bool": "booléen", "number": "nombre", "float": "nombre",
             "NoneType": "vide", "null": "vide"}


def _type_fr(t: Any) -> str:
    if isinstance(t, list):
        return " ou ".join(_type_fr(x) for x in t)
    return _TYPES_FR.get(str(t), str(t))


def _missing(e: jsonschema.ValidationError) -> str:
    for key in e.validator_value:
        if isinstance(e.instance, dict) and key not in e.instance:
            return key
    return "?"


def _extra(e: jsonschema.ValidationError) -> str:
    allowed = set(e.schema.get("properties", {}))
    extras = [k for k in e.instance if k not in allowed] if isinstance(e.instance, dict) else []
    return ", ".join(map(str, extras)) or "?"


def _schema_error(path: str, lines: dict[Any, int], err: jsonschema.ValidationError) -> RuleFileError:
    loc = tuple(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        extra = _extra(err).split(", ")[0]
        loc = loc + (extra,)
    text = _VALIDATOR_MSG.get(err.validator, lambda e: e.message)(err)
    key = ".".join(str(p) for p in err.absolute_path)
    prefix = f"{key} : " if key else ""
    return RuleFileError(path, line_for(lines, loc), prefix + text, "SCHEMA")


class RuleSchema:
    """The rule schema of a set of registries, ready to check many rules: built once per
    :func:`load_rules` (one jsonschema validator, made at the first rule)."""

    def __init__(self, registries: Registries) -> None:
        self.registries = registries
        self._validator: jsonschema.protocols.Validator | None = None

    def first_error(self, data: Any) -> jsonschema.ValidationError | None:
        """jsonschema's first error for ``data`` (see :func:`_first_error`), or None."""
        if self._validator is None:  # built (and jsonschema imported) for the first rule checked
            import jsonschema
            self._validator = jsonschema.Draft202012Validator(full_schema(self.registries))
        return _first_error(self._validator, data)


def _first_error(validator: jsonschema.protocols.Validator, data: Any) -> jsonschema.ValidationError | None:
    errors = list(validator.iter_errors(data))
    if not errors:
        return None
    # Report the shallowest, earliest error only: no cascade.
    return sorted(errors, key=lambda e: (len(e.absolute_path), str(list(e.absolute_path))))[0]


def _check_attrs(env: RuleEnvironment, source: str, template: bool) -> str | None:
    """Return a French reason when an expression or message uses something forbidden
    (see :func:`scolint.engine.expressions.source_problems`)."""
    return source_problems(env, source, template)


def parse_rule(path: str | Path, text: str, registries: Registries, env: RuleEnvironment,
               schema: RuleSchema | None = None, expressions: bool = True, check: bool = True) -> Rule:
    """Parse and check one rule; raise :class:`RuleFileError` on the first problem.

    :param schema: the rule schema of ``registries`` (:class:`RuleSchema`), when the caller
        checks many rules; built here otherwise.
    :param expressions: also compile and check its expressions and message
        (:func:`check_expressions`); False: the caller does it for the rules it runs.
    :param check: False: a rule whose ``id``, ``tags`` and ``supersedes`` have the types of
        a valid rule is only read (``Rule.checked`` False, see :func:`load_rules`).
    """
    spath = str(path)
    data, lines = _read_rule_data(spath, text)
    # only read when its id, tags and supersedes are sure; checked in full otherwise
    rule = (None if check else _read_head(spath, data, lines)) \
        or _checked_rule(spath, data, lines, registries, schema or RuleSchema(registries))
    if expressions and rule.checked:
        check_expressions(rule, registries, env)
    return rule


def _read_rule_data(spath: str, text: str) -> tuple[dict[str, Any], dict[Any, int]]:
    """The YAML mapping of a rule file and the line of each key; :class:`RuleFileError`
    when the file is too big, is not YAML, repeats a key or is not a mapping."""
    import yaml

    from .yamlines import load_with_lines
    if len(text) > MAX_RULE_CHARS:
        raise RuleFileError(spath, None, f"fichier de règle trop gros ({len(text)} caractères, "
                            f"maximum {MAX_RULE_CHARS})", "YAML")
    try:
        data, lines, dups = load_with_lines(text)
    except RecursionError:
        raise RuleFileError(spath, None, "YAML imbriqué trop profondément", "YAML") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        if isinstance(exc, yaml.reader.ReaderError):  # a control character: no mark, a position
            line = text[: exc.position].count("\n") + 1
            problem = f"caractère interdit (code {exc.character:#x})" if isinstance(exc.character, int) else "caractère interdit"
        problem = " ".join(str(problem).split())
        ctx = getattr(exc, "context_mark", None)
        opened = f" (structure ouverte ligne {ctx.line + 1})" if ctx and mark and ctx.line != mark.line else ""
        raise RuleFileError(spath, line, f"YAML invalide : {problem}{opened}", "YAML") from None
    if dups:
        key, line = dups[0]
        raise RuleFileError(spath, line, f"clé « {key} » répétée", "YAML")
    if not isinstance(data, dict):
        raise RuleFileError(spath, 1, "le fichier doit contenir une règle (un dictionnaire YAML)", "SCHEMA")
    return data, lines


#: Keys of a rule shown as they are written (never rendered): a Jinja mark in them would
#: reach the reports as is (« {{ edt_room.id }} » in a fix).
_PLAIN_TEXTS = ("title", "fix", "description")
_TEMPLATE_MARK = re.compile(r"\{[{%#]")


def _checked_rule(spath: str, data: dict[str, Any], lines: dict[Any, int], registries: Registries,
                  schema: RuleSchema) -> Rule:
    """The rule of ``data`` checked against the schema, the check kinds, entity kinds and
    formats (not its expressions); :class:`RuleFileError` on the first problem."""
    err = schema.first_error(data)
    if err is not None:
        raise _schema_error(spath, lines, err)
    for key in _PLAIN_TEXTS:
        text = data.get(key)
        mark = _TEMPLATE_MARK.search(text) if isinstance(text, str) else None
        if mark:
            raise RuleFileError(spath, line_for(lines, (key,)),
                                f"{key} : texte simple, repris tel quel dans les rapports : « {mark.group(0)} » y "
                                "resterait écrit ; seul le message est un modèle (citez-y la valeur)", "TEXTE")
    checks = [k for k in data if k in registries.checks]
    if len(checks) != 1:
        kinds = ", ".join(registries.checks)
        found = ", ".join(checks) or "aucun"
        raise RuleFileError(spath, lines.get((checks[1],)) if len(checks) > 1 else 1,
                            f"une règle a exactement un contrôle parmi {kinds} (trouvé : {found})", "CONTROLE")
    check = checks[0]
    if data["for_each"] not in registries.entities:
        known = ", ".join(sorted(registries.entities))
        raise RuleFileError(spath, lines.get(("for_each",)),
                            f"type d'entité inconnu « {data['for_each']} » (connus : {known})", "ENTITE")
    for fmt in data.get("requires", []):
        if fmt not in registries.formats:
            raise RuleFileError(spath, line_for(lines, ("requires",)),
                                f"format d'export inconnu « {fmt} » (connus : {', '.join(registries.formats)})",
                                "EXPORT")
    for item in data.get("requires_sections", []):
        fmt = item.split(":", 1)[0]
        if fmt not in registries.formats:
            raise RuleFileError(spath, line_for(lines, ("requires_sections",)),
                                f"format d'export inconnu « {fmt} » dans « {item} »", "EXPORT")
    if data["id"] in data.get("supersedes", []):
        raise RuleFileError(spath, line_for(lines, ("supersedes",)),
                            "une règle ne peut pas se remplacer elle-même (supersedes)", "SUPERSEDES")
    flow = data.get("flow") or ""
    if not flow:
        reqs = data.get("requires") or []
        flow = registries.formats[reqs[0]].system if reqs else "GENERAL"
    return Rule(
        id=data["id"], title=data["title"], severity=data["severity"], for_each=data["for_each"],
        message=data["message"], fix=data["fix"].strip(), check=check, options=data[check], path=spath,
        tags=list(data.get("tags", [])), flow=flow, description=data.get("description", ""),
        requires=list(data.get("requires", [])), where=data.get("where"),
        requires_sections=list(data.get("requires_sections", [])), supersedes=list(data.get("supersedes", [])),
        references=list(data.get("references", [])), tests=list(data.get("tests", [])),
        lines=lines, raw=data,
    )


def _read_head(spath: str, data: dict[str, Any], lines: dict[Any, int]) -> Rule | None:
    """The rule of ``data`` only read, not checked (``checked=False``: its id, tags and
    supersedes, what a selection and its replacements need), when those three keys have the
    types every valid rule gives them (an id text, lists of texts); None otherwise (the
    caller checks the rule in full, which reports the problem)."""
    rid = data.get("id")
    if not isinstance(rid, str):
        return None
    for key in ("tags", "supersedes"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            return None
    return Rule(id=rid, title="", severity="", for_each="", message="", fix="", check="", options=None,
                path=spath, tags=list(data.get("tags", [])), supersedes=list(data.get("supersedes", [])),
                lines=lines, raw=data, checked=False)


def check_rule(rule: Rule, registries: Registries, schema: RuleSchema | None = None) -> Rule:
    """``rule`` checked against the schema, the check kinds, entity kinds and formats (not its
    expressions: :func:`check_expressions`): ``rule`` itself when it already is, else a new
    :class:`Rule` (a rule only read by ``load_rules(..., check_all=False)``);
    :class:`RuleFileError` on the first problem."""
    if rule.checked:
        return rule
    return _checked_rule(rule.path, rule.raw, rule.lines, registries, schema or RuleSchema(registries))


def check_expressions(rule: Rule, registries: Registries, env: RuleEnvironment) -> None:
    """Compile and check every expression and the message of ``rule`` (once: ``env``
    keeps them); raise :class:`RuleFileError` on the first problem. A rule that does not
    compile never runs: whoever runs or explains a rule loaded without its expressions
    (``parse_rule(..., expressions=False)``) calls this first."""
    exprs: list[tuple[tuple[Any, ...], str, bool]] = []
    if rule.where:
        exprs.append((("where",), rule.where, False))
    opts = rule.options
    if isinstance(opts, str):
        exprs.append(((rule.check,), opts, False))
    elif isinstance(opts, dict):
        for key in registries.checks[rule.check].expressions:
            if key in opts:
                exprs.append(((rule.check, key), opts[key], False))
    exprs.append((("message",), rule.message, True))
    for loc, source, is_template in exprs:
        try:
            env.template(source) if is_template else env.expression(source)
        except ExpressionError as exc:
            raise RuleFileError(rule.path, rule.line(*loc), f"{'.'.join(map(str, loc))} : {exc}",
                                "EXPRESSION") from None
        reason = _check_attrs(env, source, is_template)
        if reason:
            raise RuleFileError(rule.path, rule.line(*loc), f"{'.'.join(map(str, loc))} : {reason}",
                                "SECURITE")


def load_rule_file(path: Path, registries: Registries, env: RuleEnvironment) -> Rule:
    """Read and parse one rule file; the file name must be the rule id."""
    return _rule_from_bytes(path, _read_rule_file(path), registries, env)


def _read_rule_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RuleFileError(str(path), None, f"fichier illisible : {exc.strerror}", "FICHIER") from None


def _rule_from_bytes(path: Path, raw: bytes, registries: Registries, env: RuleEnvironment,
                     schema: RuleSchema | None = None, expressions: bool = True, check: bool = True) -> Rule:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RuleFileError(str(path), line, "le fichier n'est pas en UTF-8", "ENCODAGE") from None
    rule = parse_rule(path, text, registries, env, schema, expressions, check)
    if path.stem != rule.id:
        raise RuleFileError(str(path), rule.line("id"),
                            f"le fichier doit s'appeler {rule.id}{path.suffix} (nom = identifiant)", "NOM")
    return rule


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """All ``*.yml``/``*.yaml`` files under ``paths`` (folders or files), sorted, each once
    (a file reached twice, by the same folder given twice or by a link, is listed once)."""
    out: list[Path] = []
    seen: set[Path] = set()  # a folder given twice (packs: and --rules) is read once
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(x for x in p.rglob("*") if x.suffix in (".yml", ".yaml") and x.is_file())
        elif p.is_file():
            found = [p]
        else:  # a mistyped --regles (or pack path) must not leave its rules silently out of the audit
            raise RuleFileError(str(p), None, "dossier ou fichier de règles introuvable" if not p.exists()
                                else "ni un dossier ni un fichier ordinaire : non lu", "FICHIER")
        for x in found:
            real = x.resolve()
            if real not in seen:
                seen.add(real)
                out.append(x)
    return out


def load_rules(paths: Iterable[Path], registries: Registries, env: RuleEnvironment,
               expressions: bool = True, check_all: bool = True) -> list[Rule]:
    """Load every rule under ``paths``; ids must be unique.

    :param expressions: also compile and check each rule's expressions and message;
        False: only those of the rules the caller runs, by :func:`check_expressions`.
    :param check_all: check every rule against the schema (and its entity kind, formats);
        False: a rule whose ``id``, ``tags`` and ``supersedes`` have the types of a valid
        rule is only read (``Rule.checked`` False), and the caller checks those it runs with
        :func:`check_rule` (the ``Auditor`` with a selection). The YAML of every file, the
        file names, duplicate ids and ``supersedes`` (known rules, no cycle) are checked
        either way.
    """
    files = rule_files(paths)
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    schema = RuleSchema(registries) if files else None
    for f in files:
        rule = _rule_from_bytes(f, _read_rule_file(f), registries, env, schema, expressions, check_all)
        if rule.id in seen:
            raise RuleFileError(str(f), rule.line("id"),
                                f"identifiant « {rule.id} » déjà utilisé par {seen[rule.id]}", "DOUBLON")
        seen[rule.id] = str(f)
        rules.append(rule)
    check_supersedes(rules)
    return rules


def check_supersedes(rules: list[Rule]) -> None:
    """Every ``supersedes:`` names a loaded rule, and no two rules replace each other."""
    by_id = {r.id: r for r in rules}
    for rule in rules:
        for other in rule.supersedes:
            if other not in by_id:
                raise RuleFileError(rule.path, rule.line("supersedes"),
                                    f"supersedes : règle inconnue « {other} »", "SUPERSEDES")
            if rule.id in _superseded_by(by_id, other):
                raise RuleFileError(rule.path, rule.line("supersedes"),
                                    f"supersedes : {rule.id} et {other} se remplacent l'un l'autre (cycle)",
                                    "SUPERSEDES")


def _superseded_by(by_id: dict[str, Rule], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in by_id[todo.pop()].supersedes:
            if nxt in by_id and nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen
