"""Paquet de règles d'exemple : le contrôle « regex » et les règles du dossier regles/.

Un paquet de règles est un module Python déclaré dans le groupe d'entry points
« scolint ». Il fournit ses dossiers de règles (hook ``scolint_rule_paths``) et, s'il
le veut, des types de contrôle, filtres ou commandes (hook ``scolint_register``).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

from scolint.engine import hookimpl
from scolint.engine.evaluate import EvalContext, Hit
from scolint.engine.registry import CheckKind, Registries


def compile_regex(rule: Any, env: Any) -> Any:
    """La valeur calculée pour l'entité doit correspondre entièrement à l'expression
    régulière ``pattern`` ; une valeur vide n'est signalée que si ``required`` est vrai."""
    value_fn = env.expression(rule.options["value"])
    pattern = re.compile(rule.options["pattern"])
    required = bool(rule.options.get("required", False))

    def runner(entities: list[Any], ctx: EvalContext) -> Iterator[Hit]:
        for ent in entities:
            value = ctx.evaluate(value_fn, rule, ent)
            text = "" if value is None else str(value)
            if (text or required) and not pattern.fullmatch(text):
                yield Hit(ent, {"value": text, "pattern": pattern.pattern})

    return runner


OPTIONS = {
    "type": "object",
    "description": "Contrôle « regex » : la valeur doit avoir la forme donnée par une expression régulière.",
    "required": ["value", "pattern"],
    "additionalProperties": False,
    "properties": {
        "value": {"type": "string", "description": "Expression Jinja2 : la valeur à vérifier.",
                  "examples": ["student.ine"]},
        "pattern": {"type": "string", "description": "Expression régulière que toute la valeur doit respecter.",
                    "examples": ["[0-9]{9}[A-Z]{2}"]},
        "required": {"type": "boolean", "description": "Signaler aussi une valeur vide (faux par défaut).",
                     "examples": [True]},
    },
}


@hookimpl
def scolint_register(registries: Registries) -> None:
    registries.checks.add("regex", CheckKind("regex", compile_regex.__doc__ or "", OPTIONS, compile_regex,
                                             ("value",), ("value", "pattern")))


@hookimpl
def scolint_rule_paths() -> list[Path]:
    return [Path(str(resources.files(__name__).joinpath("regles")))]
