"""The bench's table of targets and the measured part of docs/performance.md (French).

docs/performance.md keeps its hand-written analysis: only the text between the markers
:data:`BEGIN` and :data:`END` is replaced by each run.
"""

from __future__ import annotations

import pstats
from pathlib import Path
from typing import Any

from measure import Runs

BEGIN = "<!-- début des mesures (écrit par bench/run.py) -->"
END = "<!-- fin des mesures -->"

HEADER = """# Performances de scolint

Banc d'essai, depuis la racine du dépôt, dans le venv du projet :
`python bench/run.py` (`--reps N` pour le nombre de répétitions, `--regenerate` pour
refaire les données, `--keep-data` pour garder celles du cache même si le générateur a
changé depuis, `--skip-academy` pour une exécution courte sans `scolint batch`). Il génère les données avec le
générateur du projet (mises en cache dans `bench/out/`, ignoré par git), mesure chaque
commande dans un **processus neuf** (démarrage de Python, imports, lecture des règles
compris), plusieurs fois, et retient la **médiane**. Les chiffres ci-dessous sont ceux de
la dernière exécution ; l'analyse qui suit a été écrite à partir de son profil.

"""


def _fmt_s(x: float) -> str:
    return f"{x:.3f} s" if x < 1 else f"{x:.2f} s" if x < 100 else f"{x:.0f} s"


def targets(facts: dict[str, Any], r: dict[str, Runs]) -> list[tuple[str, str, str, str]]:
    """``(objectif, mesure, cible, résultat)`` for each target of issue 7."""
    rows: list[tuple[str, str, str, str]] = []

    failed = [x.label for x in r.values() if x.stderr]

    def verdict(ok: bool, *labels: str) -> str:
        if any(label in failed for label in labels):
            return "**mesure invalide** (échec de la commande)"
        return "atteint" if ok else "**manqué**"

    if "audit" in r and "floor" in r:
        ratio = r["audit"].median / r["floor"].median
        rows.append(("T_audit / T_plancher (grand établissement)",
                     f"{_fmt_s(r['audit'].median)} / {_fmt_s(r['floor'].median)} = {ratio:.2f}", "≤ 2,5",
                     verdict(ratio <= 2.5, "audit", "floor")))
    if "lot10" in r and "lot1" in r:
        growth = r["lot10"].median / r["lot1"].median
        rows.append(("croissance : 10 établissements vs 1 (une commande `scolint batch --jobs 1`)",
                     f"{_fmt_s(r['lot10'].median)} / {_fmt_s(r['lot1'].median)} = {growth:.1f} ×", "≤ 12 ×",
                     verdict(growth <= 12, "lot1", "lot10")))
    if "audit" in r:
        rss = r["audit"].peak_mib
        rows.append(("mémoire maximale (RSS) de l'audit du grand établissement", f"{rss:.0f} Mio", "≤ 200 Mo",
                     verdict(rss * 1.048576 <= 200, "audit")))
    batch = facts.get("batch")
    if batch is None:
        rows.append(("scolint batch --jobs 2 vs --jobs 1", "non mesuré (--skip-academy)", "≥ 1,8 ×", "non mesuré"))
    elif batch.get("absent"):
        rows.append(("scolint batch --jobs 2 vs --jobs 1", "commande `scolint batch` absente de ce dépôt",
                     "≥ 1,8 ×", "non mesurable"))
    else:
        speed = r["batch1"].median / r["batch2"].median
        rows.append(("scolint batch --jobs 2 vs --jobs 1", f"{_fmt_s(r['batch1'].median)} / "
                     f"{_fmt_s(r['batch2'].median)} = {speed:.2f} ×", "≥ 1,8 ×", verdict(speed >= 1.8, "batch1", "batch2")))
    sch = facts.get("schematron", {})
    if sch.get("absent"):
        why = ("pas de fichier EDT généré" if not sch.get("file") else
               "règles absentes : " + ", ".join(x for x in sch["rules"] if x not in sch.get("present", [])))
        rows.append(("3 règles EDT : scolint vs Schematron ISO", why, "scolint plus rapide", "non mesurable"))
    elif "schematron" in r:
        a, b = r["scolint3"].median, r["schematron"].median
        rows.append(("3 règles EDT : scolint vs Schematron ISO", f"{_fmt_s(a)} vs {_fmt_s(b)}",
                     "scolint plus rapide", verdict(a < b, "scolint3", "schematron")))
        if "schematron_xsd" in r:
            c = r["schematron_xsd"].median
            rows.append(("3 règles EDT : scolint vs Schematron ISO précédé de la validation XSD (information)",
                         f"{_fmt_s(a)} vs {_fmt_s(c)}", "scolint plus rapide",
                         verdict(a < c, "scolint3", "schematron_xsd")))
    return rows


def text_table(rows: list[tuple[str, str, str, str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def profile_top(path: Path, count: int = 15) -> list[tuple[str, int, float, float]]:
    """The functions with the most own time: ``(function, calls, own s, cumulated s)``."""
    stats = pstats.Stats(str(path))
    rows = []
    for (filename, line, name), (_cc, calls, own, cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        short = filename
        for marker in ("/site-packages/", "/work/main/", "/lib/python3"):
            if marker in filename:
                short = filename.split(marker, 1)[1]
                break
        rows.append((f"{short}:{line}({name})", calls, own, cum))
    rows.sort(key=lambda x: -x[2])
    return rows[:count]


def _runs_table(r: dict[str, Runs]) -> list[str]:
    labels = {
        "floor": "T_plancher : lxml + XSD, grand établissement", "audit": "T_audit : scolint check --format json",
        "lot1": "croissance : scolint batch --jobs 1, 1 établissement",
        "lot10": "croissance : scolint batch --jobs 1, 10 établissements",
        "floor10": "T_plancher, 10 établissements (information)",
        "audit10": "scolint check des 10 établissements en un seul graphe (information)",
        "batch1": "scolint batch --jobs 1 (académie)", "batch2": "scolint batch --jobs 2 (académie)",
        "schematron": "Schematron ISO, 3 règles EDT", "scolint3": "scolint check --select (3 règles EDT)",
        "schematron_xsd": "Schematron ISO après validation XSD du fichier (à égalité de travail avec scolint)",
    }
    out = ["| mesure | médiane | min–max | n | CPU (médiane) | RSS max | codes de sortie |",
           "|---|---|---|---|---|---|---|"]
    for key, label in labels.items():
        if key in r:
            x = r[key]
            out.append(f"| {label} | {_fmt_s(x.median)} | {x.spread} s | {len(x.walls)} | {_fmt_s(x.cpu)} | "
                       f"{x.peak_mib:.0f} Mio | "
                       f"{', '.join(sorted({str(c) for c in x.codes}))} |")
    return out


def measured_section(facts: dict[str, Any], r: dict[str, Runs], rows: list[tuple[str, str, str, str]]) -> str:
    m = facts["machine"]
    ly, gr = facts["lycee"], facts["growth"]
    rep = facts.get("audit_report", {})
    out = [BEGIN, "", f"## Dernière exécution : {facts['date']}", "",
           f"Commit `{facts['commit']}`{' (avec modifications locales)' if facts['dirty'] else ''}, "
           f"durée totale {facts['duration_s']:.0f} s (dont {facts['generation_s']:.0f} s de génération ou de cache), "
           f"{facts['reps']} répétitions par mesure (moitié pour la croissance, une pour les dix établissements en un graphe, {facts['batch_reps']} pour les lots).",  # noqa: E501
           "", "### Machine", "",
           "| processeur | cœurs | mémoire | Python | lxml | système | charge avant / après |",
           "|---|---|---|---|---|---|---|",
           f"| {m['cpu']} | {m['cores']} | {m['ram']} | {m['python']} | {m['lxml']} | {m['os']} | "
           f"{facts['load_before']} → {facts['load_after']} |", "",
           "La machine est partagée (d'autres processus tournaient pendant la mesure : voir la charge) ; "
           "les médianes et l'alternance des commandes (plancher, audit, plancher, audit…) limitent cet effet.",
           "", "### Données", "",
           f"- Familles d'exports écrites par le générateur : **{', '.join(facts['families'])}** "
           f"(absentes : {', '.join(x for x in ('siecle', 'sts', 'edt', 'pronote', 'ent', 'aaf') if x not in facts['families']) or 'aucune'}).",  # noqa: E501
           f"- Formats reconnus par l'audit du grand établissement : {', '.join(rep.get('formats', [])) or '?'} ; "
           f"{rep.get('rules', '?')} règles par défaut, non évaluées faute d'export : "
           f"{', '.join(rep.get('not_evaluated', [])) or 'aucune'}.",
           f"- Grand établissement : {ly['students']} élèves, {ly['guardians']} responsables, {ly['teachers']} "
           f"enseignants ({ly['staff']} personnels STS), {ly['courses']} cours hebdomadaires, {ly['services']} "
           f"services, {ly['files']} fichiers, {ly['bytes'] / 1e6:.1f} Mo.",
           f"- Croissance : 10 établissements de même forme (autres graines), {gr['students']} élèves, "
           f"{gr['guardians']} responsables, {gr['files']} fichiers, {gr['bytes'] / 1e6:.0f} Mo, audités chacun "
           "à part par une seule commande `scolint batch --jobs 1`, comparée à la même commande sur le premier "
           "d'entre eux seul ; pour information, les dix réunis dans un seul `scolint check` (un seul graphe).",
           ]
    if "academy" in facts:
        ac = facts["academy"]
        out.append(f"- Académie : {ac['establishments']} établissements de {ac['min']} à {ac['max']} élèves "
                   f"(médiane {ac['median']}), {ac['students']} élèves, {ac['bytes'] / 1e6:.0f} Mo.")
    out += ["", "### Objectifs", "", "| objectif | mesure | cible | résultat |", "|---|---|---|---|"]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    out += ["", "### Toutes les mesures", ""] + _runs_table(r)
    sch = facts.get("schematron", {})
    if sch.get("schematron_counts"):
        out += ["", f"Règles EDT comparées ({sch['file']}) : anomalies trouvées par Schematron "
                    f"{sch['schematron_counts'].get('failed', sch['schematron_counts'])}, par scolint "
                    f"{sch.get('scolint_counts')}."]
    if isinstance(sch.get("warm"), dict) and sch["warm"] and "erreur" not in sch["warm"]:
        out += ["", "Les mêmes règles dans un seul processus, étape par étape (meilleur de 5) :", "",
                "| étape | s |", "|---|---|"]
        out += [f"| {k} | {v:.3f} |" for k, v in sch["warm"].items()]
    ph = facts.get("phases", {})
    if "phases" in ph:
        total = sum(ph["phases"].values())
        out += ["", "### Où va le temps de l'audit (grand établissement, un processus, sans profileur)", "",
                "| étape | s | part |", "|---|---|---|"]
        out += [f"| {k} | {v:.3f} | {100 * v / total:.0f} % |" for k, v in ph["phases"].items()]
        out += ["", f"{ph['entities']} entités, {ph['evaluations']} évaluations d'expressions, "
                    f"{ph['findings']} anomalies. Temps par règle (évaluée seule) :", "",
                "| règle | s |", "|---|---|"]
        out += [f"| {k} | {v:.3f} |" for k, v in sorted(ph["rules"].items(), key=lambda kv: -kv[1])[:12]]
    elif ph:
        out += ["", f"Découpage par étape impossible : {ph.get('error', '?')}"]
    if facts.get("profile"):
        out += ["", "### Profil (cProfile de l'audit, fonctions au plus grand temps propre)", "",
                "| fonction | appels | temps propre (s) | cumulé (s) |", "|---|---|---|---|"]
        out += [f"| `{f}` | {c} | {o:.3f} | {cu:.3f} |" for f, c, o, cu in facts["profile"]]
    out += ["", END]
    return "\n".join(out)


def markdown(facts: dict[str, Any], r: dict[str, Runs], rows: list[tuple[str, str, str, str]],
             previous: str | None = None) -> str:
    """The whole document: ``previous`` with its measured part replaced (or a new one)."""
    section = measured_section(facts, r, rows)
    if previous and BEGIN in previous and END in previous:
        head, rest = previous.split(BEGIN, 1)
        _old, tail = rest.split(END, 1)
        return head + section + tail
    return HEADER + section + "\n"
