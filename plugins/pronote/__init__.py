"""PRONOTE identifiers (IDPN) and guardians' Espace Parents authorisation.

Two sources of identifiers, merged by IDPN into ``pronote_identifier`` entities:

- the IDPN that EDT/PRONOTE's ExportEmploiDuTemps carries on Professeur, Eleve and
  Responsable (read by the EDT plugin as ``edt_teacher``, ``edt_student``,
  ``edt_guardian`` with an ``idpn`` field);
- the CSV export of the identifiers for the ENT (format ``pronote-identifiants``), whose
  layout is NOT publicly known: it is read through a YAML profile
  (``plugins/common/profiles/pronote-identifiants-suppose.yaml``, a documented guess; an academy
  gives the real layout with ``--profile``).

The guardians' export carrying « Est autorisé à accéder à l'Espace Parents » (format
``pronote-responsables``) is read the same way, from a guessed, configurable profile.
CSV files are detected by :mod:`scolint.plugins.ent` (one detector for every CSV family).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Collection

from scolint.engine import hookimpl
from scolint.engine.model import Entity, Export, Graph, Provenance
from scolint.engine.registry import Family, FormatInfo, Registries
from scolint.plugins.common import csvread
from scolint.plugins.common.people import People, people_index

SYSTEM = "PRONOTE"
SOURCE = "pronote"
IDENTIFIERS = "pronote-identifiants"
GUARDIANS = "pronote-responsables"
_EDT_PROFILES = {"edt_teacher": "enseignant", "edt_student": "eleve", "edt_guardian": "responsable"}


#: Where a school finds each file (formats.md §5; layouts not published: --profile).
HOW_TO_GET = {
    IDENTIFIERS: "Dans PRONOTE, exportez les identifiants des utilisateurs pour l'ENT (« Export manuel des "
                 "identifiants PRONOTE » du tutoriel), ou fournissez l'export EDT/PRONOTE pour l'ENT "
                 "(ExportEmploiDuTemps en clair), qui porte l'IDPN de chaque professeur, élève et responsable. "
                 "Ses colonnes n'étant pas publiées, la personne qui lance le contrôle les décrit au besoin "
                 "(option --profil de scolint, docs/profils-csv.md).",
    GUARDIANS: "Dans PRONOTE, onglet Ressources > Élèves > Dossier des élèves, sous-onglet Responsables : "
               "exportez la liste des responsables avec la colonne « Est autorisé à accéder à l'Espace "
               "Parents » (colonnes non publiées : la personne qui lance le contrôle les décrit au besoin, option "
               "--profil de scolint, docs/profils-csv.md).",
}


@hookimpl
def scolint_register(registries: Registries) -> None:
    """The PRONOTE family: identifiers and Espace Parents files (CSV), loader, link."""
    from scolint.plugins.pronote.kinds import declare_pronote
    registries.families.add("pronote", Family(
        "pronote", SYSTEM, "PRONOTE",
        formats=(FormatInfo(IDENTIFIERS, "PRONOTE – identifiants (IDPN) des utilisateurs", SYSTEM,
                            HOW_TO_GET[IDENTIFIERS], kinds=("pronote_identifier",)),
                 FormatInfo(GUARDIANS, "PRONOTE – responsables (accès à l’Espace Parents)", SYSTEM,
                            HOW_TO_GET[GUARDIANS], kinds=("pronote_guardian",))),
        load=load, link=link, link_after=("edt",), declare=declare_pronote))


def load(path: Path, format_id: str, graph: Graph, options: dict[str, Any]) -> bool | None:
    if format_id not in (IDENTIFIERS, GUARDIANS):
        return None
    display = str(options.get("display") or path)
    prof, table, mapped = csvread.rows_of(path, format_id, options, display)
    csvread.report_problems(graph, display, mapped, prof)
    load_family(graph, display, prof, table, mapped, options.get("kinds"))
    return True


def load_family(graph: Graph, display: str, prof: csvread.Profile, table: csvread.Table,
                mapped: csvread.Mapped, kinds: Collection[str] | None = None) -> None:
    """Add the export and the rows of a PRONOTE CSV (identifiers or guardians).

    ``kinds`` (``options["kinds"]``, None = every kind): rows of a kind left out are not
    built (the export is the same).
    """
    graph.add_export(Export(prof.family, display, SYSTEM, meta={"profile": prof.id, "encoding": table.encoding,
                                                               "guessed_layout": prof.status != "connu"}))
    kind = "pronote_identifier" if prof.family == IDENTIFIERS else "pronote_guardian"
    if kinds is not None and kind not in kinds:
        return
    joined = csvread.joined
    for row in mapped.rows:
        get = row.fields.get
        prov = Provenance(display, row.line, SYSTEM)
        if prof.family == IDENTIFIERS:
            child = joined(get("child_first_name"), get("child_last_name"))
            add_identifier(graph, str(row.fields["idpn"]), prov, IDENTIFIERS, {
                "profile": str(get("profile") or ""), "last_name": get("last_name") or None,
                "first_name": get("first_name") or None, "birth_date": csvread.iso_date(get("birth_date")),
                "division_code": get("division") or None, "siecle_id": get("siecle_id") or None,
                "ine": get("ine") or None, "sts_id": get("sts_id") or None, "cas_id": get("cas_id") or None,
                "child_names": [child] if child else [], "child_ids": []})
        else:
            last, first = get("last_name") or None, get("first_name") or None
            s_last, s_first = get("student_last_name") or None, get("student_first_name") or None
            ident = get("idpn") or f"{last or ''} {first or ''} / {s_last or ''} {s_first or ''}".strip()
            same = graph.get("pronote_guardian", ident, SOURCE)
            if same is not None and (not same.data.get("espace_parents") or get("espace_parents") == "oui"):
                # Another row of the same guardian (one row per child): one entity. Access
                # refused on any row stays refused, named with the child of the first row
                # that refuses it (a later row that allows it hides nothing): only its line is added.
                graph.add("pronote_guardian", ident, source=SOURCE, prov=prov)
                continue
            graph.add("pronote_guardian", ident, source=SOURCE, prov=prov,
                      label=f"{joined(last, first)} (responsable de {joined(s_last, s_first)})").data.update({
                "last_name": last, "first_name": first, "student_last_name": s_last, "student_first_name": s_first,
                "division_code": get("division") or None, "student_siecle_id": get("student_siecle_id") or None,
                "rank": get("rank") or None, "espace_parents": get("espace_parents") == "oui",
                "idpn": get("idpn") or None, "student": None, "guardian": None})


def add_identifier(graph: Graph, idpn: str, prov: Provenance, origin: str, fields: dict[str, Any]) -> Entity:
    """Add (or merge into) the ``pronote_identifier`` of ``idpn``; empty values never overwrite."""
    existing = graph.get("pronote_identifier", idpn, SOURCE)
    if existing is not None:
        data = existing.data
        for key, value in fields.items():
            if key == "child_names" or key == "child_ids":
                data[key] = list(dict.fromkeys((data.get(key) or []) + list(value)))
            elif value and not data.get(key):
                data[key] = value
        if origin not in data["origins"]:
            data["origins"].append(origin)
        if prov not in existing.prov:
            existing.prov.append(prov)
        return existing
    name = csvread.joined(fields.get("last_name"), fields.get("first_name"))
    ident = graph.add("pronote_identifier", idpn, source=SOURCE, prov=prov, label=f"{name} ({idpn})" if name else idpn)
    ident.data.update({"idpn": idpn, "origins": [origin], "person": None, "persons": [], "ent_accounts": []})
    ident.data.update(fields)  # one dict, not keyword arguments (they cost more than the entity)
    return ident


def _from_edt(graph: Graph) -> None:
    """``pronote_identifier`` entities from the IDPN of the EDT export's people."""
    displays: set[str] = set()
    for kind, profile in _EDT_PROFILES.items():
        for ent in graph.all(kind):
            get = ent.data.get
            idpn = str(get("idpn") or "").strip()
            if not idpn:
                continue
            prov = ent.prov[0] if ent.prov else Provenance("?", None, "EDT")
            displays.add(prov.file)
            kids = get("students") or []
            add_identifier(graph, idpn, prov, "edt-export", {
                "profile": profile, "last_name": get("last_name"), "first_name": get("first_name"),
                "birth_date": get("birth_date"), "siecle_id": get("siecle_id"), "ine": get("ine"),
                "sts_id": get("sts_id"), "cas_id": get("idcas"), "division_code": get("class_name"),
                "child_names": [f"{k.data.get('first_name')} {k.data.get('last_name')}" for k in kids],
                "child_ids": [str(k.data["siecle_id"]) for k in kids if k.data.get("siecle_id")]})
    for exp in graph.exports:
        if exp.format_id == "edt-export" and exp.path in displays:
            provides = exp.meta.setdefault("provides", [])
            if IDENTIFIERS not in provides:
                provides.append(IDENTIFIERS)


def link_identifiers(graph: Graph) -> People:
    """Merge EDT's IDPN, then tie identifiers and guardians' rows to SIECLE/STS people
    (the shared index of people, built once per graph). Returns that index."""
    _from_edt(graph)
    people = people_index(graph)
    for ident in graph.all("pronote_identifier", SOURCE):
        get = ident.data.get
        profile = get("profile")
        last, first = get("last_name"), get("first_name")
        if profile == "eleve":
            person, cands, _how = people.student(get("siecle_id"), get("ine"), last, first,
                                                 get("birth_date"), get("division_code"))
        elif profile == "responsable":
            person, cands, _how = people.guardian(last, first, get("child_ids") or [], get("child_names") or [])
        elif profile in ("enseignant", "personnel"):
            person, cands, _how = people.teacher(get("sts_id"), last, first, get("birth_date"))
        else:
            person, cands = None, []
        ident.data.update(person=person, persons=cands)
    for row in graph.all("pronote_guardian", SOURCE):
        get = row.data.get
        student, _c, _h = people.student(get("student_siecle_id"), None, get("student_last_name"),
                                         get("student_first_name"), None, get("division_code"))
        guardian = None
        if student is not None:
            guardian, _c, _h = people.guardian(get("last_name"), get("first_name"), [student.id])
        row.data.update(student=student, guardian=guardian)
    return people


def link(graph: Graph) -> None:
    """EDT's IDPN merged, PRONOTE identifiers and guardians' rows tied to people."""
    link_identifiers(graph)
