"""ENT identifier file (``ENT-Identifiants-<UAI>.csv``) and CSV detection for every CSV family.

The column layout comes from a YAML profile (:mod:`scolint.plugins.common.csvread`,
docs/profils-csv.md). Each row becomes an ``ent_account`` whose code (password) is never
kept: only ``code_present`` and ``code_changed`` ({SHA}, « modifié par l'utilisateur »)
enter the graph. The publipostage command re-reads the file itself.

This plugin also detects the PRONOTE CSV exports (their profiles are in the same folder)
and, through the format ``csv-profil``, any CSV whose layout only a user profile
(``--profile``) knows. Links (:func:`link`, declared after the PRONOTE and AAF links) tie each account to its
SIECLE/STS person (:mod:`scolint.plugins.common.people`) and to its PRONOTE identifier.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Collection

from scolint.engine import hookimpl
from scolint.engine.errors import InputError
from scolint.engine.model import Export, Graph, Provenance
from scolint.engine.registry import Family, FormatInfo, Registries
from scolint.plugins.common import csvread

SYSTEM = "ENT"
SOURCE = "ent"
FORMAT = "ent-identifiants"
KIND = "ent_account"
GENERIC = "csv-profil"
PROFILES = ("eleve", "responsable", "enseignant", "personnel")
_NAME_UAI = re.compile(r"ENT-Identifiants-(?:EMP-)?([0-9]{7})\.?([A-Za-z])", re.I)

HOW_TO_GET = ("Dans l'ENT : Annuaire > Administration > Fichiers des identifiants ; téléchargez le dernier "
              "fichier ENT-Identifiants-<UAI>.csv (ou « Régénérer le(s) fichier(s) des identifiants » en "
              "laissant la date vide pour avoir tous les comptes), puis joignez-le tel quel aux exports à "
              "contrôler, sans l'ouvrir ni l'enregistrer dans un tableur.")


@hookimpl
def scolint_register(registries: Registries) -> None:
    """The ENT family: the identifier file, CSV detection by layout profile, loader, link."""
    from scolint.plugins.ent.kinds import declare_ent
    registries.families.add("ent", Family(
        "ent", SYSTEM, "ENT (annuaire et comptes)",
        formats=(
            FormatInfo(FORMAT, "ENT – fichier des identifiants (ENT-Identifiants)", SYSTEM, HOW_TO_GET, kinds=(KIND,)),
            FormatInfo(GENERIC, "CSV à disposition déclarée par un profil (--profile)", SYSTEM,
                       "Donnez le profil de colonnes du fichier avec --profile FICHIER.yaml (voir docs/profils-csv.md).",
                       kinds=(KIND, "pronote_identifier", "pronote_guardian")),  # a profile of any CSV family
        ),
        load=load, detect=detect, detect_last=True, link=link, link_after=("pronote", "aaf"),
        declare=declare_ent))


def looks_like_csv(path: Path, head: bytes) -> bool:
    """A text file with ``;`` or ``,`` separated columns on its first line."""
    if b"\x00" in head or head.lstrip().startswith((b"<", b"{", b"[")):
        return False
    text, _enc = csvread.decode(head)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    return first.count(";") >= 1 or first.count(",") >= 2


def detect(path: Path, head: bytes) -> str | None:
    """A CSV file whose header matches a shipped layout profile (any CSV family), else the
    generic CSV format when it is named .csv/.txt."""
    if not looks_like_csv(path, head):
        return None
    try:
        table = csvread.read_table(path, data=head[: head.rfind(b"\n") + 1] or head, detecting=True)
    except InputError:
        return None
    prof = csvread.match_profile(table, csvread.builtin_profiles())
    if prof is not None:
        return prof.family
    if path.suffix.lower() in (".csv", ".txt"):
        return GENERIC
    return None


def uai_of(rows: list[csvread.Row], display: str) -> str | None:
    """The UAI: first RNE cell, else the one in the file name (``ENT-Identifiants-0310040.A.csv``)."""
    for row in rows:
        value = str(row.fields.get("uai") or "").replace(".", "").upper()
        if re.fullmatch(r"[0-9]{7}[A-Z]", value):
            return value
    m = _NAME_UAI.search(Path(display.split("!")[-1]).name)
    return (m.group(1) + m.group(2)).upper() if m else None


def load(path: Path, format_id: str, graph: Graph, options: dict[str, Any]) -> bool | None:
    if format_id not in (FORMAT, GENERIC):
        return None
    display = str(options.get("display") or path)
    family = FORMAT if format_id == FORMAT else None
    table = csvread.read_table(path, display)
    prof = csvread.match_profile(table, csvread.all_profiles(options), family)
    if prof is None:
        graph.problem("ENTREE-INCONNU", "fichier CSV dont aucun profil de colonnes ne reconnaît l'en-tête : ignoré",
                      display, table.rows[0][0] if table.rows else None, severity="info",
                      fix="S'il s'agit d'un export ENT ou PRONOTE, décrivez ses colonnes dans un profil et donnez-le "
                          "avec --profile (docs/profils-csv.md) ; sinon retirez-le du dossier.")
        return True
    mapped = csvread.map_rows(prof, table)
    csvread.report_problems(graph, display, mapped, prof)
    if prof.family == FORMAT:
        load_accounts(graph, display, prof, table, mapped, options.get("kinds"))
    else:  # a profile of another CSV family: read by the family that declares that format
        load_as = options.get("load_as")
        if load_as is None or not load_as(prof.family):
            graph.problem("ENTREE-INCONNU", f"aucun chargeur pour le format « {prof.family} » (profil {prof.id})",
                          display, None, severity="warning")
    return True


def load_accounts(graph: Graph, display: str, prof: csvread.Profile, table: csvread.Table,
                  mapped: csvread.Mapped, kinds: Collection[str] | None = None) -> None:
    """Add the export and one ``ent_account`` per valid row (keyed by login).

    ``kinds`` (``options["kinds"]``, None = every kind): without ``ent_account``, the
    accounts are not built (the export and the problems are the same).
    """
    build = kinds is None or KIND in kinds
    graph.add_export(Export(FORMAT, display, SYSTEM, uai=uai_of(mapped.rows, display),
                            meta={"profile": prof.id, "encoding": table.encoding, "delimiter": table.delimiter}))
    seen: dict[str, int] = {}
    known = frozenset(PROFILES)
    for row in mapped.rows:
        f = row.fields
        get = f.get
        login = str(f["login"])
        if login in seen:
            graph.problem("ENTREE-SCHEMA", f"identifiant de connexion identique à celui de la ligne {seen[login]} : "
                          "ligne ignorée", display, row.line, severity="error",
                          fix="Régénérez le fichier des identifiants dans l'ENT (Annuaire > Administration > "
                              "Fichiers des identifiants).")
            continue
        seen[login] = row.line
        if not build:
            continue
        raw_profile = str(get("profile") or "")
        last, first = get("last_name") or None, get("first_name") or None
        child = csvread.joined(get("child_first_name"), get("child_last_name"))
        child_names = ([child] if child else []) + list(get("children") or [])
        # the fields as one dict: ~40 keyword arguments cost more than the entity itself
        graph.add(KIND, login, source=SOURCE, prov=Provenance(display, row.line, SYSTEM),
                  label=f"{csvread.joined(last, first)} ({login})").data.update({
            "login": login, "uid": get("uid") or None, "uai": (get("uai") or "").replace(".", "").upper() or None,
            "profile": raw_profile if raw_profile in known else "autre", "profile_label": raw_profile,
            "last_name": last, "first_name": first,
            "division_code": get("division") or None, "jointure": get("jointure") or None,
            "siecle_id": get("siecle_id") or None, "idpn": get("idpn") or None,
            "birth_date": csvread.iso_date(get("birth_date")), "layout": prof.id,
            "code_present": bool(get("code_present")), "code_changed": bool(get("code_changed")),
            "parent_uids": list(get("parent_uids") or []), "parent_names": list(get("parents") or []),
            "child_names": child_names, "parents": [], "children": [],
            "person": None, "person_candidates": [], "match": None, "student": None, "guardian": None,
            "teacher": None, "aaf": None, "pronote": None, "pronote_candidates": [],
            "person_pronote": [], "idpn_owner": None, "colleague_pronote": None,
        })


def link(graph: Graph) -> None:
    """After the PRONOTE and AAF links: accounts to people and identifiers."""
    from scolint.plugins.common import people as ent_link
    ent_link.link_accounts(graph)
