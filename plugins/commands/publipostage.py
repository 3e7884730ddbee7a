"""``scolint publipostage``: the mail-merge CSV of the ENT codes that can still be sent.

Reads the ENT identifier file itself (the audit never keeps the codes), keeps the accounts
whose code was not changed by its user (no ``{SHA}``, not « modifié par l'utilisateur »),
sorts them by profile then class then name, and writes a CSV for a word processor's mail
merge (UTF-8 with BOM, ``;``). That CSV is the only output of scolint that holds codes; the
summary printed says who was left out and why, without any code.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scolint.engine import hookimpl
from scolint.engine.errors import InputError, UsageError
from scolint.plugins.common import csvprofile, csvread
from scolint.plugins.common.csvsafe import FORMULA_STARTS

ORDER = ("eleve", "responsable", "enseignant", "personnel", "autre")
LABELS = {"eleve": "élève", "responsable": "responsable", "enseignant": "enseignant", "personnel": "personnel",
          "autre": "autre profil"}
HEADER = ["Profil", "Classe", "Nom", "Prénom", "Identifiant", "Code", "Enfant(s)"]


@dataclass
class Merge:
    """The rows to write and the accounts left out, with their reason (no code anywhere but ``rows``)."""

    rows: list[list[str]] = field(default_factory=list)
    left_out: list[tuple[str, str, str]] = field(default_factory=list)  # (reason, who, line)
    counts: Counter = field(default_factory=Counter)
    layout: str = ""


def build(path: Path, options: dict[str, Any], profiles: set[str] | None = None) -> Merge:
    """Read the ENT identifier file and build the mail merge (raises InputError when unreadable)."""
    prof, _table, mapped = csvread.rows_of(path, "ent-identifiants", options, str(path), with_secrets=True)
    merge = Merge(layout=prof.id)
    if "code" not in prof.columns:
        raise InputError(str(path), None, f"la disposition « {prof.id} » n'a pas de colonne de code : "
                                          "rien à publiposter")
    bad_lines = {line for line, _col, _msg in mapped.problems if line is not None} - {r.line for r in mapped.rows}
    for line in sorted(bad_lines):
        merge.left_out.append(("ligne non conforme (voir scolint check)", f"ligne {line}", str(line)))
    by_uid = {r.fields.get("uid"): r for r in mapped.rows if r.fields.get("uid")}
    classes_of_parent: dict[str, list[str]] = {}
    children_of_parent: dict[str, list[str]] = {}
    for r in mapped.rows:
        for uid in r.fields.get("parent_uids") or []:
            if uid in by_uid:
                classes_of_parent.setdefault(uid, []).append(str(r.fields.get("division") or ""))
                children_of_parent.setdefault(uid, []).append(
                    f"{r.fields.get('first_name') or ''} {r.fields.get('last_name') or ''}".strip())
    kept = []
    for r in mapped.rows:
        f = r.fields
        profile = f.get("profile") if f.get("profile") in ORDER else "autre"
        who = f"{f.get('last_name') or ''} {f.get('first_name') or ''} ({f.get('login')}, {LABELS[profile]})".strip()
        code = str(f.get("code") or "")
        if profiles and profile not in profiles:
            continue
        if not code:
            merge.left_out.append(("aucun code dans le fichier", who, str(r.line)))
            continue
        scheme = csvprofile.hash_scheme(code)
        if scheme and not code.startswith(tuple(prof.changed_prefixes)):
            merge.left_out.append(("empreinte de mot de passe, pas un code ({SCHEME} ou hachage reconnu)", who, str(r.line)))
            continue
        if code[:1] in FORMULA_STARTS:
            merge.left_out.append(("code commençant par =, +, -, @, une tabulation ou un retour chariot : un tableur "
                                   "l'exécuterait comme une formule, à transmettre à la main", who, str(r.line)))
            continue
        if prof.code_changed(code):
            merge.left_out.append(("code déjà modifié par l'utilisateur ({SHA} ou « modifié par l'utilisateur »)",
                                   who, str(r.line)))
            continue
        uid = f.get("uid")
        division = str(f.get("division") or "") or ", ".join(sorted(set(classes_of_parent.get(uid, [])) - {""}))
        children = ", ".join(children_of_parent.get(uid, [])) or " ".join(
            p for p in (f.get("child_first_name"), f.get("child_last_name")) if p)
        kept.append((ORDER.index(profile), csvread.fold(division), csvread.fold(f.get("last_name")),
                     csvread.fold(f.get("first_name")),
                     [LABELS[profile], division, str(f.get("last_name") or ""), str(f.get("first_name") or ""),
                      str(f.get("login")), code, children]))
        merge.counts[profile] += 1
    merge.rows = [row for *_key, row in sorted(kept, key=lambda k: k[:4])]
    return merge


def to_csv(merge: Merge) -> bytes:
    from scolint.plugins.common.csvsafe import safe_row
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(safe_row(row) for row in merge.rows)
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def summary(merge: Merge, output: str) -> str:
    """French summary: counts by profile, then every account left out and why (never a code)."""
    lines = [f"Publipostage écrit dans {output} (disposition lue : {merge.layout}) : "
             f"{len(merge.rows)} compte(s) à qui envoyer identifiant et code."]
    for profile in ORDER:
        if merge.counts[profile]:
            lines.append(f"  - {LABELS[profile]} : {merge.counts[profile]}")
    if merge.left_out:
        lines.append(f"{len(merge.left_out)} compte(s) ou ligne(s) laissé(s) de côté :")
        by_reason: dict[str, list[str]] = {}
        for reason, who, _line in merge.left_out:
            by_reason.setdefault(reason, []).append(who)
        for reason, people in by_reason.items():
            lines.append(f"  * {reason} : {len(people)}")
            lines.extend(f"      {p}" for p in people)
    else:
        lines.append("Aucun compte laissé de côté.")
    lines.append("Ce fichier contient des codes d'accès : ne le transmettez qu'aux personnes chargées du "
                 "publipostage et supprimez-le après usage.")
    return "\n".join(lines)


def cmd_publipostage(args: argparse.Namespace) -> int:
    source = Path(args.fichier)
    if not source.is_file():
        raise UsageError(f"{args.fichier} : fichier des identifiants ENT introuvable")
    from scolint.engine.outputs import Inputs, check_output, write_file
    inputs = Inputs([source, *(args.csv_profiles or [])])
    out = check_output(args.output, inputs, "fichier de publipostage")
    if out.is_file():  # only a previous mail merge is ever replaced, never another file
        with open(out, "rb") as fh:
            head = fh.read(64)
        if not head.startswith(b"\xef\xbb\xbf" + ";".join(HEADER).encode("utf-8")[:40]):
            raise UsageError(f"fichier de publipostage {args.output} refusé : ce fichier existe et n'est pas un "
                             "publipostage écrit par scolint ; il serait écrasé. Choisissez un nouveau nom.")
    options = {"profiles": [csvread.load_profile_file(p) for p in args.csv_profiles or []]}
    wanted = set(csvread.fold(p) for p in (args.profils or "").split(",") if p.strip()) or None
    if wanted and not wanted <= set(ORDER):
        raise UsageError(f"profil(s) inconnu(s) : {', '.join(sorted(wanted - set(ORDER)))} "
                         f"(connus : {', '.join(ORDER)})")
    try:
        merge = build(source, options, wanted)
    except InputError as exc:
        print(f"scolint : {exc}", file=sys.stderr)
        return 2
    write_file(out, to_csv(merge), inputs, private=True, what="fichier de publipostage")
    print(summary(merge, str(out)))
    return 0


@hookimpl
def scolint_cli_commands(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "publipostage", help="écrit le CSV de publipostage des identifiants et codes ENT encore valables",
        description="Lit le fichier des identifiants ENT (ENT-Identifiants-<UAI>.csv) et écrit le CSV de "
                    "publipostage des comptes dont le code peut encore être envoyé (ni {SHA}, ni « modifié par "
                    "l'utilisateur »), trié par profil puis par classe, avec le bilan des comptes écartés.")
    p.add_argument("fichier", metavar="FICHIER", help="fichier des identifiants ENT (.csv)")
    p.add_argument("-o", "--output", required=True, metavar="SORTIE.csv",
                   help="CSV de publipostage à écrire (le seul fichier de scolint qui contient des codes)")
    p.add_argument("--profils", metavar="LISTE",
                   help="ne garder que ces profils, séparés par des virgules : eleve, responsable, enseignant, "
                        "personnel")
    p.add_argument("--profile", dest="csv_profiles", action="append", metavar="FICHIER.yaml",
                   help="profil de colonnes du fichier, essayé avant les profils fournis (docs/profils-csv.md)")
    p.set_defaults(handler=cmd_publipostage)
