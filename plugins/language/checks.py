"""Built-in check kinds: ``assert``, ``unique``, ``reference``, ``compare_sets``."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterator

from scolint.engine import hookimpl
from scolint.engine.model import Entity
from scolint.engine.registry import CheckKind, Registries

if TYPE_CHECKING:  # the rule engine (and Jinja) is imported when a rule is compiled, not at registration
    from scolint.engine.evaluate import EvalContext, Hit
    from scolint.engine.rules import Rule


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


def _hashable(value: Any) -> Any:
    if type(value) is str:  # most keys and key parts
        return value
    if isinstance(value, list):
        return tuple([v if type(v) is str else _hashable(v) for v in value])
    if isinstance(value, Entity):
        return value.key
    return value


def compile_assert(rule: Rule, env: Any) -> Any:
    """Expression that must be true for every entity; a finding where it is false."""
    from scolint.engine.evaluate import Hit
    fn = env.expression(rule.options)

    def runner(entities: list[Entity], ctx: EvalContext) -> Iterator[Hit]:
        for ent, ok in ctx.each(fn, rule, entities):
            if not ok:
                yield Hit(ent)

    return runner


def _linked(members: list[Entity], shared: dict[str, list[Any]]) -> list[tuple[list[Entity], list[Any]]]:
    """Split ``members`` into the groups whose records share at least one element (a
    record linked to another by a shared element, transitively), with what they share."""
    parent = list(range(len(members)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[Any, int] = {}
    common: dict[int, list[Any]] = {}
    for i, ent in enumerate(members):
        for value in shared[ent.key]:
            j = owner.setdefault(value, i)
            if j != i:
                parent[find(i)] = find(j)
                common.setdefault(j, []).append(value)
    comps: dict[int, list[int]] = {}
    for i in range(len(members)):
        comps.setdefault(find(i), []).append(i)
    out = []
    for idx in comps.values():
        if len(idx) > 1:
            values = list(dict.fromkeys(v for i in idx for v in common.get(i, ())))
            out.append(([members[i] for i in idx], values))
    return out


def compile_unique(rule: Rule, env: Any) -> Any:
    """Entities sharing one key are duplicates: one finding per group, on its first
    entity, with ``duplicates`` (the others) and ``group`` (all) in the message.

    ``shared`` (optional): an expression giving a list of elements of the record
    (an address id, an e-mail, a phone, a child...). Records of one key are then
    duplicates only when they share one of these elements (two homonyms with nothing
    in common are not); ``shared`` in the message lists the elements they share."""
    from scolint.engine.evaluate import Hit
    key_fn = env.expression(rule.options["key"])
    distinct_src = rule.options.get("distinct")
    distinct_fn = env.expression(distinct_src) if distinct_src else None
    shared_src = rule.options.get("shared")
    shared_fn = env.expression(shared_src) if shared_src else None

    def runner(entities: list[Entity], ctx: EvalContext) -> Iterator[Hit]:
        groups: dict[Any, list[Entity]] = {}
        for ent, value in ctx.each(key_fn, rule, entities):
            key = _hashable(value)
            if key in (None, "", ()) or (isinstance(key, tuple) and not any(key)):
                continue
            groups.setdefault(key, []).append(ent)
        if shared_fn is not None:
            candidates = [m for ms in groups.values() if len(ms) > 1 for m in ms]
            shared = {ent.key: [_hashable(v) for v in _as_list(value) if v not in (None, "")]
                      for ent, value in ctx.each(shared_fn, rule, candidates)}
            split: dict[Any, list[Entity]] = {}
            commons: dict[Any, list[Any]] = {}
            for key, members in groups.items():
                if len(members) < 2:
                    continue
                for n, (part, values) in enumerate(_linked(members, shared)):
                    split[(key, n)] = part
                    commons[(key, n)] = values
            groups = split
        else:
            commons = {}
        for key, members in groups.items():
            if len(members) < 2:
                continue
            if distinct_fn is not None:
                values = {_hashable(ctx.evaluate(distinct_fn, rule, m)) for m in members}
                if len(values) < 2:
                    continue
            yield Hit(members[0], {"duplicates": members[1:], "group": members, "key": key,
                                   "shared": commons.get(key, [])}, members[1:])

    return runner


def compile_reference(rule: Rule, env: Any) -> Any:
    """Every value computed for the entity must exist in ``target`` (by ``target_key``,
    among the entities of ``target_source`` when given); ``missing`` lists those that do not."""
    from scolint.engine.evaluate import Hit
    value_fn = env.expression(rule.options["value"])
    target = rule.options["target"]
    target_key = rule.options.get("target_key", "id")
    target_source = rule.options.get("target_source")

    def runner(entities: list[Entity], ctx: EvalContext) -> Iterator[Hit]:
        index = ctx.graph.index(target, target_key, target_source)
        # keys compared as _hashable gives them (an entity by its graph key, a list as a tuple)
        keys = index if all(type(k) is str for k in index) else {_hashable(k) for k in index}
        for ent, value in ctx.each(value_fn, rule, entities):
            values = _as_list(value)
            missing = [v for v in values if _hashable(v) not in keys]
            if missing:
                yield Hit(ent, {"missing": missing})

    return runner


def compile_compare_sets(rule: Rule, env: Any) -> Any:
    """Two sets computed for the entity are compared; ``only_left`` / ``only_right`` list
    what is missing on each side.

    Options: ``key`` (expression of ``item``, one element of either list) compares the
    elements by that key, so entities of two sources can be compared by a code while the
    message still gets the entities; ``mode``: ``equal`` (default: a finding when the
    sets differ), ``subset`` (a finding only when the left set has elements the right
    one lacks) or ``superset`` (only when the right set has elements the left one lacks).
    """
    from scolint.engine.evaluate import Hit
    left_fn = env.expression(rule.options["left"])
    right_fn = env.expression(rule.options["right"])
    key_src = rule.options.get("key")
    key_fn = env.expression(key_src) if key_src else None
    mode = rule.options.get("mode", "equal")
    labels = {"left_label": rule.options.get("left_label", "gauche"),
              "right_label": rule.options.get("right_label", "droite")}

    def keyed(values: list[Any], ent: Entity, ctx: EvalContext) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        if key_fn is None:
            for v in values:
                out.setdefault(_hashable(v), v)
        else:
            for v, k in zip(values, ctx.each_value(key_fn, rule, ent, "item", values)):
                out.setdefault(_hashable(k), v)
        return out

    def runner(entities: list[Entity], ctx: EvalContext) -> Iterator[Hit]:
        rights = dict(ctx.each(right_fn, rule, entities))  # a record that fails is left out
        for ent, left_value in ctx.each(left_fn, rule, entities):
            if ent not in rights:
                continue
            left = keyed(_as_list(left_value), ent, ctx)
            right = keyed(_as_list(rights[ent]), ent, ctx)
            only_left = [left[k] for k in sorted(set(left) - set(right), key=str)]
            only_right = [right[k] for k in sorted(set(right) - set(left), key=str)]
            if (only_left and mode != "superset") or (only_right and mode != "subset"):
                yield Hit(ent, {"only_left": only_left if mode != "superset" else [],
                                "only_right": only_right if mode != "subset" else [], **labels})

    return runner


#: Each check kind, declared beside its code with named fields: the JSON Schema of its
#: options (schemas/rule.schema.json is generated from these declarations, see
#: ``scolint rules schema``), which options are expressions, the variables it gives to the
#: rule's message.
CHECK_KINDS = (
    CheckKind(
        id="assert", doc=compile_assert.__doc__ or "", compile=compile_assert,
        options_schema={
            "type": "string",
            "description": (
                "Contrôle « assert » : expression Jinja2 qui doit être vraie ; sinon, une anomalie est "
                "signalée pour l'entité."),
            "examples": [
                "student.legal_guardians | length > 0"
            ]
        },
    ),
    CheckKind(
        id="unique", doc=compile_unique.__doc__ or "", compile=compile_unique,
        options_schema={
            "type": "object",
            "description": "Contrôle « unique » : signale les entités qui partagent la même clé (doublons).",
            "required": [
                "key"
            ],
            "additionalProperties": False,
            "properties": {
                "key": {
                    "type": "string",
                    "description": (
                        "Expression Jinja2 calculant la clé ; une clé vide n'est jamais un doublon."),
                    "examples": [
                        "(guardian.last_name | fold, guardian.first_name | fold)"
                    ]
                },
                "shared": {
                    "type": "string",
                    "description": (
                        "Expression facultative donnant une liste d'éléments de la fiche (identifiant d'adresse, "
                        "courriel, téléphone, enfant…) : des fiches de même clé ne sont des doublons que si elles "
                        "partagent l'un de ces éléments ; « shared » les liste dans le message."),
                    "examples": [
                        "(guardian.address_id | prefixed('ADRESSE_ID ')) + (guardian.students | ids)"
                    ]
                },
                "distinct": {
                    "type": "string",
                    "description": (
                        "Expression facultative : ne signaler que si cette valeur diffère dans le groupe (ex. "
                        "l'orthographe exacte)."),
                    "examples": [
                        "(guardian.last_name, guardian.first_name)"
                    ]
                }
            },
            "examples": [
                {
                    "key": "(guardian.last_name | fold, guardian.first_name | fold)",
                    "distinct": "(guardian.last_name, guardian.first_name)"
                }
            ]
        },
        expressions=("key", "distinct", "shared"), message_variables=("duplicates", "group", "key", "shared"),
    ),
    CheckKind(
        id="reference", doc=compile_reference.__doc__ or "", compile=compile_reference,
        options_schema={
            "type": "object",
            "description": (
                "Contrôle « reference » : la valeur calculée pour l'entité doit exister chez une entité "
                "d'un autre type (autre source)."),
            "required": [
                "value",
                "target"
            ],
            "additionalProperties": False,
            "properties": {
                "value": {
                    "type": "string",
                    "description": "Expression Jinja2 : la valeur (ou la liste de valeurs) à retrouver.",
                    "examples": [
                        "teacher.sts_id"
                    ]
                },
                "target": {
                    "type": "string",
                    "description": "Type d'entité où chercher.",
                    "examples": [
                        "teacher"
                    ]
                },
                "target_key": {
                    "type": "string",
                    "description": "Champ de la cible à comparer (par défaut : id).",
                    "examples": [
                        "id"
                    ]
                },
                "target_source": {
                    "type": "string",
                    "description": (
                        "Source des entités cibles (siecle, sts, edt…) ; par défaut : toutes les sources."),
                    "examples": [
                        "sts"
                    ]
                }
            },
            "examples": [
                {
                    "value": "edt_teacher.sts_id",
                    "target": "teacher",
                    "target_key": "id"
                }
            ]
        },
        expressions=("value",), message_variables=("missing",),
    ),
    CheckKind(
        id="compare_sets", doc=compile_compare_sets.__doc__ or "", compile=compile_compare_sets,
        options_schema={
            "type": "object",
            "description": (
                "Contrôle « compare_sets » : compare deux ensembles calculés pour l'entité et signale ce "
                "qui manque de chaque côté."),
            "required": [
                "left",
                "right"
            ],
            "additionalProperties": False,
            "properties": {
                "left": {
                    "type": "string",
                    "description": "Expression Jinja2 : le premier ensemble (liste).",
                    "examples": [
                        "teacher.services | map(attribute='structure_code') | list"
                    ]
                },
                "right": {
                    "type": "string",
                    "description": "Expression Jinja2 : le second ensemble (liste).",
                    "examples": [
                        "teacher.edt_structures"
                    ]
                },
                "left_label": {
                    "type": "string",
                    "description": "Nom du premier ensemble dans le message (ex. « EDT »).",
                    "examples": [
                        "STS"
                    ]
                },
                "right_label": {
                    "type": "string",
                    "description": "Nom du second ensemble dans le message (ex. « STS »).",
                    "examples": [
                        "EDT"
                    ]
                },
                "key": {
                    "type": "string",
                    "description": (
                        "Expression Jinja2 de « item » (un élément de l'une ou l'autre liste) : la clé qui compare "
                        "les éléments (ex. un code), les anomalies gardent les éléments eux-mêmes."),
                    "examples": [
                        "item.structure_code ~ ' ' ~ item.subject_code"
                    ]
                },
                "mode": {
                    "enum": [
                        "equal",
                        "subset",
                        "superset"
                    ],
                    "description": (
                        "equal (défaut) : anomalie si les ensembles diffèrent ; subset : seulement si la gauche a "
                        "des éléments absents à droite ; superset : seulement si la droite a des éléments absents à"
                        " gauche."),
                    "examples": [
                        "subset"
                    ]
                }
            },
            "examples": [
                {
                    "left": "teacher.services | map(attribute='structure_code') | list",
                    "right": "teacher.edt_structures",
                    "left_label": "STS",
                    "right_label": "EDT"
                }
            ]
        },
        expressions=("left", "right", "key"),
        message_variables=("only_left", "only_right", "left_label", "right_label"), option_variables=("item",),
    ),
)


#: French description and YAML example of each check kind (docs/catalogue.md).
DOCS = {
    "assert": (
        "Une expression qui doit être vraie pour chaque entité examinée ; une anomalie sur chaque entité où "
        "elle est fausse (ou vide).",
        'for_each: student\nwhere: not student.left\nassert: student.division is not none'),
    "unique": (
        "Les entités qui ont la même clé (`key`) sont des doublons : une anomalie par groupe, sur sa première "
        "entité ; le message reçoit `duplicates` (les autres), `group` (toutes) et `key`. Avec `distinct`, "
        "le groupe n'est signalé que si cette seconde expression y prend au moins deux valeurs.",
        "for_each: student\nunique:\n  key: \"student.ine\""),
    "reference": (
        "Chaque valeur calculée par `value` (une valeur ou une liste) doit exister parmi les entités `target`, "
        "comparée à leur champ `target_key` (défaut : `id`), parmi celles de la source `target_source` si elle "
        "est donnée ; le message reçoit `missing` (les valeurs introuvables). `rules lint` vérifie la cible, "
        "la clé et la source.",
        "for_each: pronote_guardian\nreference:\n  value: pronote_guardian.guardian\n  target: ent_account\n"
        "  target_key: person"),
    "compare_sets": (
        "Deux listes calculées pour l'entité (`left`, `right`) sont comparées ; le message reçoit `only_left` et "
        "`only_right` (ce qui manque de chaque côté), `left_label` et `right_label`. `key` (expression de "
        "`item`) compare les éléments par un code ; `mode` : `equal` (défaut), `subset` (seul ce qui manque à "
        "droite compte) ou `superset` (seul ce qui manque à gauche compte).",
        "for_each: edt_student\nwhere: edt_student.student\ncompare_sets:\n  left: edt_student.group_names\n"
        "  right: edt_student.student.group_codes\n  left_label: EDT\n  right_label: SIECLE"),
}


@hookimpl
def scolint_register(registries: Registries) -> None:
    for kind in CHECK_KINDS:
        doc, example = DOCS[kind.id]
        registries.checks.add(kind.id, replace(kind, doc_fr=doc, example=example))
