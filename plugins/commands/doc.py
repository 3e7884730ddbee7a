"""Documents generated from the things themselves: the rule catalogue (from the rule
files), the entity reference (from the declared entity kinds) and the skeleton of a
new rule. All output is deterministic (no date), so a test can tell a stale copy."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import yaml

from scolint.engine.findings import SEVERITY_FR
from scolint.engine.registry import Registries
from scolint.engine.rulelint import ENTITY_ATTRS, relation_kinds
from scolint.engine.rules import Rule
from scolint.engine.testing import cases_of

GENERATED = "<!-- Fichier généré par « {cmd} » : ne pas le modifier à la main. -->"


def rule_location(rule: Rule, roots: Iterable[Path]) -> str:
    """``rules/edt/EDT-PRN-001.yml``: the path inside its pack (stable across machines)."""
    path = Path(rule.path).resolve()
    for root in roots:
        root = Path(root).resolve()
        if root in path.parents:
            return f"{root.name}/{path.relative_to(root).as_posix()}"
    return path.name


def _yaml(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, default_flow_style=None, width=100).strip()


def _check_text(rule: Rule) -> str:
    if isinstance(rule.options, str):
        return f"```jinja\n{rule.options.strip()}\n```"
    return f"```yaml\n{_yaml({rule.check: rule.options})}\n```"


def catalogue_markdown(rules: list[Rule], registries: Registries, roots: Iterable[Path]) -> str:
    """The rule catalogue in Markdown: a summary table, then each rule by flow."""
    roots = list(roots)
    rules = sorted(rules, key=lambda r: r.id)
    order = registries.families.flows()
    flows = [f for f in ["GENERAL", *order[:-1]] if any(r.flow == f for r in rules)]
    flows += sorted({r.flow for r in rules} - set(flows))
    out = [GENERATED.format(cmd="scolint rules doc -o docs/catalogue.md"), "",
           "# Catalogue des règles", "",
           f"{len(rules)} règles. Chaque fiche reprend le fichier de la règle : contrôle, message, "
           "correction et exemples (ses cas de test). Voir aussi [les types d'entités](entites.md) et "
           "[Écrire sa première règle](premiere-regle.md).", "",
           "| Règle | Gravité | Flux | Titre |", "|---|---|---|---|"]
    for r in rules:
        out.append(f"| [{r.id}](#{r.id.lower()}) | {SEVERITY_FR.get(r.severity, r.severity)} | {r.flow} | "
                   f"{r.title.replace('|', '/')} |")
    for flow in flows:
        out += ["", f"## Flux {flow}"]
        for r in (x for x in rules if x.flow == flow):
            out += _rule_section(r, roots, registries)
    out += check_kinds_markdown(registries)
    return "\n".join(out) + "\n"


#: Jinja's own filters and tests most useful in rules: (name, French description, example).
JINJA_FILTERS = (
    ("length", "nombre d'éléments d'une liste ou de caractères d'un texte", "student.guardians | length == 0"),
    ("default", "valeur de remplacement quand la valeur est vide ou absente", "student.birth_date | default('')"),
    ("map", "le même champ (`attribute=`) ou le même filtre pour chaque élément",
     "student.divisions | map(attribute='code') | list"),
    ("selectattr", "les éléments dont un champ passe un test (`'eq'`, `'ne'`, `'in'`…)",
     "audit.entities.student | selectattr('division_code', 'eq', division.id) | list | length"),
    ("rejectattr", "les éléments dont un champ ne passe pas le test",
     "student.guardians | rejectattr('email') | list"),
    ("select", "les éléments qui passent un test (sans argument : les non vides)",
     "audit.exports | map(attribute='exported_at') | select | list"),
    ("join", "les éléments réunis en un texte", "student.group_codes | join(', ')"),
    ("unique", "les éléments sans doublon", "edt_teacher.subject_codes | unique | list"),
    ("first", "le premier élément, ou vide", "student.divisions | first"),
    ("list", "une suite de valeurs (résultat de `map`, `select`…) en liste", "student.groups | map(attribute='code') | list"),
    ("sum", "la somme (d'un champ avec `attribute=`)", "teacher.services | sum(attribute='hours')"),
)


def check_kinds_markdown(registries: Registries) -> list[str]:
    """The French reference of check kinds and filters, each with an example (from the
    declarations: ``CheckKind.doc_fr``/``example``, ``registries.filter_docs``)."""
    out = ["", "## Types de contrôle", "",
           "Une règle a exactement un contrôle, écrit sous sa clé (`assert:`, `unique:`…). Chaque expression "
           "voit l'entité examinée (sous le nom donné par `for_each`, ou `entity`) et la variable `audit` "
           "(voir [les types d'entités](entites.md#la-variable-audit)).", ""]
    for kind in sorted(registries.checks.values(), key=lambda k: k.id):
        doc = " ".join((getattr(kind, "doc_fr", "") or kind.doc or "").split())
        out += [f"### `{kind.id}`", "", doc, ""]
        if kind.expressions:
            out.append(f"Expressions : {', '.join(f'`{e}`' for e in kind.expressions)}.")
        if getattr(kind, "message_variables", ()):
            out.append(f"Variables du message : {', '.join(f'`{v}`' for v in kind.message_variables)}.")
        if getattr(kind, "option_variables", ()):
            out.append(f"Variables des options : {', '.join(f'`{v}`' for v in kind.option_variables)}.")
        example = getattr(kind, "example", "")
        if example:
            out += ["", "Exemple :", "", "```yaml", example, "```"]
        out.append("")
    out += ["## Filtres et tests des expressions", "",
            "Un filtre s'écrit `valeur | filtre` ou `valeur | filtre(arguments)`. Tous les filtres de scolint "
            "acceptent une valeur vide sans erreur.", "",
            "| Filtre | Ce qu'il fait | Exemple |", "|---|---|---|"]
    docs = getattr(registries, "filter_docs", {})
    for name, fn in sorted(registries.filters.items()):
        desc, example = docs.get(name, (((fn.__doc__ or "").strip().splitlines() or [""])[0], ""))
        out.append(f"| `{name}` | {desc.replace('|', '/')} | `{example.replace('|', '&#124;')}` |")
    for name, fn in sorted(registries.tests.items()):
        desc, example = docs.get(name, (((fn.__doc__ or "").strip().splitlines() or [""])[0], ""))
        out.append(f"| test `{name}` | {desc.replace('|', '/')} | `{example.replace('|', '&#124;')}` |")
    out += ["", "Filtres de Jinja utiles (fournis par Jinja, dans le même bac à sable) :", "",
            "| Filtre | Ce qu'il fait | Exemple |", "|---|---|---|"]
    for name, desc, example in JINJA_FILTERS:
        out.append(f"| `{name}` | {desc} | `{example.replace('|', '&#124;')}` |")
    return out


def _rule_section(r: Rule, roots: list[Path], registries: Registries) -> list[str]:
    out = ["", f"### {r.id}", "", f"**{r.title}**", "",
           f"- Gravité : {SEVERITY_FR.get(r.severity, r.severity)}",
           f"- Étiquettes : {', '.join(f'`{t}`' for t in r.tags) or 'aucune'}",
           f"- Exports requis : {', '.join(f'`{x}`' for x in r.requires) or 'aucun'}",
           f"- Examine : chaque entité `{r.for_each}`" + (f", si `{r.where.strip()}`" if r.where else ""),
           f"- Fichier : `{rule_location(r, roots)}`"]
    if r.requires_sections:
        out.append("- Sections requises (un fichier sans elles n'est pas examiné) : "
                   + ", ".join(f"`{x}`" for x in r.requires_sections))
    if r.supersedes:
        out.append("- Remplace, sur le même enregistrement (le fait est dit une fois) : "
                   + ", ".join(f"`{x}`" for x in r.supersedes))
    if r.description:
        out += ["", " ".join(r.description.split())]
    out += ["", f"Contrôle `{r.check}` :", "", _check_text(r), "",
            "Message :", "", f"```jinja\n{r.message.strip()}\n```", "", "Correction :", "", r.fix.strip()]
    if r.references:
        out += ["", "Références : " + " ; ".join(r.references)]
    cases = cases_of(r)
    if cases:
        out += ["", "Exemples (cas de test de la règle) :", ""]
        for c in cases:
            verdict = ("non évaluée" if c.expect == "non_evaluee" else
                       f"anomalie sur {', '.join(f'`{x}`' for x in c.expect)}" if c.expect else "aucune anomalie")
            out.append(f"- *{c.name}* : {verdict}")
            out += ["", "  ```yaml", *("  " + line for line in _yaml(c.given).splitlines()), "  ```", ""]
            msg = _example_message(r, c, registries) if c.expect and c.expect != "non_evaluee" else None
            if msg:
                out += [f"  Message produit : « {msg} »", ""]
    return out


def _example_message(rule: Rule, case: Any, registries: Registries) -> str | None:
    """The first message the rule gives on a firing case (None when it cannot run)."""
    from scolint.engine.evaluate import Evaluator, make_environment
    from scolint.engine.testing import build_graph
    try:
        env = make_environment(registries)
        formats = set(case.given["formats"]) if "formats" in case.given else set(rule.requires)
        from scolint.engine.testing import case_audit
        audit = case_audit(case, formats)
        findings, _, _ = Evaluator([rule], registries, env).run(build_graph(case, registries), audit, formats)
    except Exception:  # a documentation page never fails on a rule's runtime error
        return None
    return " ".join(findings[0].message.split()) if findings else None


def relations(registries: Registries) -> dict[str, list[tuple[str, str, bool]]]:
    """``{kind: [(field, target kind, is_list)]}`` from the declared field types."""
    out: dict[str, list[tuple[str, str, bool]]] = {}
    for kid, kind in registries.entities.items():
        for name, info in kind.fields.items():
            targets, is_list = relation_kinds(info, registries)
            for target in targets:
                out.setdefault(kid, []).append((name, target, is_list))
    return out


def entities_markdown(registries: Registries) -> str:
    """The entity reference: every kind, its fields (type, description) and relations."""
    rel = relations(registries)
    out = [GENERATED.format(cmd="scolint entities --markdown -o docs/entites.md"), "",
           "# Types d'entités", "",
           "Ce qu'une règle peut lire après `student.`, `teacher.`, `edt_course.`… Chaque entité a aussi "
           f"{', '.join(f'`{a}`' for a in sorted(ENTITY_ATTRS - {'data', 'get', 'key'}))} "
           "(`label` : le nom affiché dans les rapports). Une relation est un champ qui contient une "
           "entité (`student.division.code`) ou une liste d'entités (`student.groups | codes`). "
           "La variable `audit` est décrite [à la fin de cette page](#la-variable-audit).", ""]
    kinds = sorted(registries.entities.items())
    out.append(" · ".join(f"[`{k}`](#{k})" for k, _ in kinds))
    for kid, kind in kinds:
        out += ["", f"## {kid}", "", kind.description or "(sans description)", "",
                f"Sources : {', '.join(f'`{s}`' for s in kind.sources) or 'non précisé'} · déclaré par le "
                f"plugin `{registries.entities.owner(kid)}`", ""]
        if kind.fields:
            out += ["| Champ | Type | Description |", "|---|---|---|"]
            for name, info in kind.fields.items():
                out.append(f"| `{name}` | {info.type} | {info.description.replace('|', '/')} |")
        links = rel.get(kid, [])
        incoming = [(k, f) for k, items in rel.items() for f, t, _ in items if t == kid and k != kid]
        if links or incoming:
            out.append("")
        for name, target, is_list in links:
            out.append(f"- `{kid}.{name}` → {'liste de ' if is_list else ''}[`{target}`](#{target})")
        for k, f in sorted(incoming):
            out.append(f"- reliée depuis `{k}.{f}`")
    out += ["", "## La variable audit", "", *AUDIT_DOC]
    return "\n".join(out) + "\n"


#: The fields of the ``audit`` variable (docs/entites.md).
AUDIT_DOC = [
    "Toute expression lit aussi `audit`, ce qui vaut pour tout l'audit :", "",
    "| Champ | Contenu | Dans un cas de test (défaut) |", "|---|---|---|",
    "| `audit.uai` | UAI le plus fréquent des exports | `0000000A` |",
    "| `audit.uais` | tous les UAI lus | `[audit.uai]` |",
    "| `audit.year` | année scolaire la plus fréquente (2024 pour 2024-2025) | `2024` |",
    "| `audit.years` | toutes les années lues | `[audit.year]` |",
    "| `audit.today` | date du jour (une date : `audit.today.year`) | `2024-09-02` |",
    "| `audit.formats` | formats d'export présents (identifiants de `requires:`) | ceux de `requires:` ou de `formats:` |",
    "| `audit.exports` | les exports lus : liste d'entités [`export`](#export) (`format`, `system`, `uai`, `year`, "
    "`exported_at`, `file`) | les `exports:` du cas |",
    "| `audit.entities.<type>` | toutes les entités d'un type (`audit.entities.student`), pour compter ou "
    "rassembler au-delà de l'entité examinée | les entités du cas |",
    "",
    "Un cas de test change ces valeurs avec `audit:` (par exemple `audit: {year: 2025, today: 2025-09-01}`).",
]


def entities_text(registries: Registries, only: str | None = None) -> str:
    """The entity reference for the console."""
    rel = relations(registries)
    out: list[str] = []
    for kid, kind in sorted(registries.entities.items()):
        if only and kid != only:
            continue
        out.append(f"{kid} — {kind.description} (sources : {', '.join(kind.sources) or '?'})")
        width = max((len(n) for n in kind.fields), default=0)
        for name, info in kind.fields.items():
            out.append(f"    {name.ljust(width)}  {info.type} : {info.description}")
        for name, target, is_list in rel.get(kid, []):
            out.append(f"    -> {kid}.{name} : {'liste de ' if is_list else ''}{target}")
        out.append("")
    return "\n".join(out)


def skeleton(rule_id: str, kind: str, registries: Registries) -> str:
    """A commented rule that loads, lints and passes its own tests, to be edited."""
    info = registries.entities.get(kind)
    from scolint.engine.expressions import RuleEnvironment
    text_fields = [n for n, f in (info.fields.items() if info else [])
                   if ("texte" in f.type or f.type == "str") and n not in RuleEnvironment._FORBIDDEN]
    fld = text_fields[0] if text_fields else "label"
    plural = kind + ("es" if kind.endswith("s") else "s")
    sources = set(info.sources) if info else set()
    fmts = [fid for fid, f in registries.formats.items() if f.system.lower() in sources]
    req = f"# requires: [{fmts[0]}]" if fmts else "# requires: []"
    return f"""\
# yaml-language-server: $schema=rule.schema.json
# Règle scolint : un fichier par règle, nommé comme son identifiant ({rule_id}.yml).
# Guide : docs/premiere-regle.md. Champs utilisables : « scolint entities {kind} ».
# Vérifier : scolint rules lint DOSSIER ; tester : scolint rules test DOSSIER.

# Identifiant stable : FLUX-SUJET-NNN, en majuscules, trois chiffres à la fin.
id: {rule_id}
# Titre court affiché dans les rapports.
title: À compléter — titre de la règle
# Gravité : error (bloquant), warning (à corriger), info (pour information).
severity: warning
# Étiquettes pour choisir les règles (--tags, profils du fichier .scolint.yaml).
tags: [academie]
# Pourquoi ce contrôle, et ce qui arrive si on ne corrige pas.
description: >
  À compléter.
# Exports nécessaires : s'il en manque un, la règle est « non évaluée ».
{req}
# Type d'entité examiné, une entité à la fois.
for_each: {kind}
# Filtre facultatif : seules les entités pour lesquelles il est vrai sont examinées.
# where: "{kind}.{fld}"
# Contrôle : une anomalie pour chaque entité où cette expression est fausse.
assert: "{kind}.{fld}"
# Message de l'anomalie (modèle Jinja2, les variables entre {{{{ }}}}).
message: "{{{{ {kind}.label }}}} : le champ {fld} est vide."
# Étapes de correction, en français, reprises telles quelles dans le rapport.
fix: |
  1. À compléter : où corriger (logiciel, menu).
  2. Refaire l'export, puis relancer scolint.
# Cas de test : au moins un cas qui déclenche et un cas sans anomalie.
tests:
  - name: le champ {fld} est vide
    given:
      {plural}:
        - {{id: X1, {fld}: ""}}
    expect: [X1]
  - name: le champ {fld} est rempli
    given:
      {plural}:
        - {{id: X2, {fld}: "EXEMPLE"}}
    expect: []
"""
