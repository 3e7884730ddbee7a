"""SIECLE (Base Élèves Établissement) XML exports: élèves, responsables, structures,
nomenclature.

Files are detected by their root element (``BEE_ELEVES``, ``BEE_RESPONSABLES``,
``BEE_STRUCTURES``, ``BEE_NOMENCLATURES``), validated against ``schemas/xsd/bee_*.xsd``
(errors become ``ENTREE-SCHEMA`` findings, the loader still reads what it can), and loaded
into the entity kinds of docs/architecture.md. Links between SIECLE records (a pupil's
division, groups and guardians) are set in :func:`link`, after every file is read,
so they hold whatever the order of the files and whichever of them is missing.

Decisions (docs/formats-siecle-sts.md): a pupil has *left* when ``DATE_SORTIE`` is set and
not after the export date (``DATE_EXPORT``, else the date of ``HORODATAGE``, else today);
a guardian is *legal* for a pupil when ``NIVEAU_RESPONSABILITE`` is 1 (current model) or
``RESP_LEGAL`` is 1 or 2 (older model).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from scolint.engine import hookimpl, xmlsafe
from scolint.engine.model import Entity, Export, Graph, Provenance
from scolint.engine.registry import Family, FormatInfo, Registries
from scolint.plugins.common.xmlload import attr, check_schema, fields, fr_date, sex_letter, to_int, val
from scolint.plugins.siecle.kinds import declare_kinds

SYSTEM = "SIECLE"
SOURCE = "siecle"

#: root element -> (format id, XSD file, French label, export name in SIECLE)
ROOTS: dict[str, tuple[str, str, str, str]] = {
    "BEE_ELEVES": ("siecle-eleves", "bee_eleves.xsd",
                   "SIECLE – élèves (BEE_ELEVES)",
                   "« Élèves sans adresses » (ou « Élèves avec adresses »), fichier ExportXML_ElevesSansAdresses.zip"),
    "BEE_RESPONSABLES": ("siecle-responsables", "bee_responsables.xsd",
                         "SIECLE – responsables (BEE_RESPONSABLES)",
                         "« Responsables avec adresses », fichier ExportXML_ResponsablesAvecAdresses.zip"),
    "BEE_STRUCTURES": ("siecle-structures", "bee_structures.xsd",
                       "SIECLE – structures (BEE_STRUCTURES)",
                       "« Structures », fichier ExportXML_Structures.zip"),
    "BEE_NOMENCLATURES": ("siecle-nomenclature", "bee_nomenclatures.xsd",
                          "SIECLE – nomenclatures (BEE_NOMENCLATURES)",
                          "« Nomenclatures », fichier ExportXML_Nomenclature.zip"),
}
#: sections every export of a root carries (the data under DONNEES), with what they hold:
#: a file without one is a partial export (one finding; the rules needing it skip the file)
SECTIONS: dict[str, dict[str, str]] = {
    "BEE_ELEVES": {"ELEVES": "les élèves", "STRUCTURES": "les divisions et groupes des élèves"},
    "BEE_RESPONSABLES": {"PERSONNES": "les responsables", "RESPONSABLES": "les liens entre élèves et responsables"},
}
FORMAT_ROOT = {fmt: root for root, (fmt, *_rest) in ROOTS.items()}


def _how_to_get(what: str) -> str:
    return ("Dans SIECLE (Application SIECLE > Accès Base Élèves), cliquez sur EXPORTATIONS puis "
            f"sélectionnez En XML ; exportez {what}, puis joignez le .zip ou le fichier .xml qu'il "
            "contient aux exports à contrôler. Le tutoriel conseille de toujours récupérer les 7 fichiers.")


@hookimpl
def scolint_register(registries: Registries) -> None:
    """The SIECLE family: its formats (found by their root element), kinds, loader, link."""
    registries.families.add("siecle", Family(
        "siecle", SYSTEM, "SIECLE (Base Élèves Établissement)",
        formats=tuple(FormatInfo(fmt, label, SYSTEM, _how_to_get(what), root=root, xsd=xsd)
                      for root, (fmt, xsd, label, what) in ROOTS.items()),
        load=load, link=link, declare=declare_kinds, stamp=stamp))


_STAMP = {name: re.compile(rb"<" + name.encode() + rb">\s*([^<]*?)\s*</") for name in
          ("UAJ", "DATE_EXPORT", "HORODATAGE")}
_FR_STAMP = re.compile(rb"([0-9]{2})/([0-9]{2})/([0-9]{4})(?:\s+([0-9]{2}:[0-9]{2}(?::[0-9]{2})?))?")


def stamp(path: Path, format_id: str, head: bytes) -> dict[str, Any] | None:
    """UAJ, export day (DATE_EXPORT, else HORODATAGE) and time (HORODATAGE) of a SIECLE
    export, read in its PARAMETRES (at the top); rank 1 for a file with an ADRESSES section
    (« avec adresses »), 0 without."""
    if format_id not in FORMAT_ROOT:
        return None
    found = {name: (m.group(1) if (m := rx.search(head)) else None) for name, rx in _STAMP.items()}
    day = time = None
    for name in ("DATE_EXPORT", "HORODATAGE"):
        m = _FR_STAMP.match(found[name] or b"")
        if m:
            day = day or f"{m.group(3).decode()}-{m.group(2).decode()}-{m.group(1).decode()}"
            if name == "HORODATAGE" and m.group(4):
                time = m.group(4).decode()
    uai = (found["UAJ"] or b"").decode("latin-1").strip() or None
    return {"uai": uai, "date": day, "time": time, "rank": 1 if _has_addresses(path) else 0}


def _has_addresses(path: Path) -> bool:
    """The file has an ADRESSES section (read in chunks: the section is at the end)."""
    tail = b""
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                if b"<ADRESSES" in tail + chunk:
                    return True
                tail = chunk[-16:]
    except OSError:
        return False
    return False


def load(path: Path, format_id: str, graph: Graph, options: dict[str, Any]) -> bool | None:
    root_tag = FORMAT_ROOT.get(format_id)
    if root_tag is None:
        return None
    display = str(options.get("display") or path)
    tree = xmlsafe.parse(path)
    root = tree.getroot()
    _fmt, xsd, label, _what = ROOTS[root_tag]
    if root.tag != root_tag:
        graph.problem("ENTREE-SCHEMA", f"élément racine « {root.tag} » au lieu de « {root_tag} »",
                      display, root.sourceline, severity="error")
        return True
    check_schema(tree, xsd, graph, display, label)
    params = root.find("PARAMETRES")
    exported = fr_date(val(params, "DATE_EXPORT")) or fr_date(val(params, "HORODATAGE"))
    uai = val(params, "UAJ")
    missing = [s for s in SECTIONS.get(root_tag, ()) if root.find(f"DONNEES/{s}") is None]
    graph.add_export(Export(format_id, display, SYSTEM, uai=uai.upper() if uai else None,
                            year=to_int(val(params, "ANNEE_SCOLAIRE")), exported_at=exported,
                            meta={"version": attr(root, "VERSION"), "missing_sections": missing,
                                  "with_addresses": root.find("DONNEES/ADRESSES") is not None}))
    if params is None:
        graph.problem("ENTREE-SCHEMA", "section PARAMETRES absente : l'établissement (UAJ), l'année scolaire "
                      "(ANNEE_SCOLAIRE) et la date de l'export (DATE_EXPORT) de ce fichier sont inconnus ; il ne "
                      "peut pas être comparé aux autres exports", display, root.sourceline, severity="error",
                      fix="Refaites l'export depuis SIECLE (Exportations > En XML) sans modifier le fichier.")
    for section in missing:
        graph.problem("ENTREE-PARTIEL", f"export partiel : la section {section} ({SECTIONS[root_tag][section]}) est "
                      f"absente de ce fichier ; les contrôles qui en dépendent ne sont pas évalués sur ses "
                      f"enregistrements", display, root.sourceline, severity="warning",
                      fix="Refaites l'export complet depuis SIECLE (Exportations > En XML) : un extrait réduit ou "
                          "retouché ne permet pas de vérifier " + SECTIONS[root_tag][section] + ".")
    ctx = _Ctx(graph, display, exported)
    {"BEE_ELEVES": _load_students, "BEE_RESPONSABLES": _load_guardians,
     "BEE_STRUCTURES": _load_structures, "BEE_NOMENCLATURES": _load_nomenclature}[root_tag](root, ctx)
    return True


class _Ctx:
    """What every record loader needs: the graph, the file shown and the export date."""

    def __init__(self, graph: Graph, display: str, exported: str | None) -> None:
        self.graph = graph
        self.display = display
        self.exported = exported

    def prov(self, el: Any) -> Provenance:
        return Provenance(self.display, el.sourceline, SYSTEM)

    def unplaced(self, message: str, line: int | None) -> None:
        """Records the loader cannot place (one finding per file and kind of record)."""
        self.graph.problem("ENTREE-LIEN", message, self.display, line, severity="warning",
                           fix="Refaites l'export complet depuis SIECLE (Exportations > En XML), sans modifier "
                               "le fichier : chaque enregistrement doit renvoyer à une fiche du même fichier.")

    def add_once(self, kind: str, ident: str, el: Any, **fields: Any) -> Entity:
        """Add a structure seen in a pupil's record unless it is known already."""
        ent = self.graph.get(kind, ident, SOURCE)
        return ent if ent is not None else self.graph.add(kind, ident, source=SOURCE, prov=self.prov(el), **fields)


def _digits(value: str | None) -> str | None:
    """Only the digits of a code (Gepi does the same for RESP_LEGAL / NIVEAU_RESPONSABILITE)."""
    if value and value.isascii() and value.isdigit():  # the usual "1": nothing to remove
        return value
    kept = re.sub(r"\D", "", value or "")
    return kept or None


# The children each record loader reads (:func:`fields` reads the text of no other).
_STRUCTURE_FIELDS = frozenset({"CODE_STRUCTURE", "TYPE_STRUCTURE"})
_STUDENT_FIELDS = frozenset({"ID_NATIONAL", "INE_RNIE", "INE_BEA", "ELENOET", "ID_ELEVE_ETAB", "NOM_DE_FAMILLE", "NOM",
                             "NOM_USAGE", "PRENOM", "DATE_NAISS", "CODE_SEXE", "CODE_MEF", "CODE_STATUT",
                             "DATE_ENTREE", "DATE_SORTIE", "ADRESSE_ID"})
_ADDRESS_FIELDS = frozenset({"LIGNE1_ADRESSE", "LIGNE2_ADRESSE", "LIGNE3_ADRESSE", "LIGNE4_ADRESSE", "CODE_POSTAL",
                             "LIBELLE_POSTAL", "LL_COMMUNE_INSEE", "COMMUNE_ETRANGERE"})
_LINK_FIELDS = frozenset({"PERSONNE_ID", "ELEVE_ID", "NIVEAU_RESPONSABILITE", "RESP_LEGAL", "CODE_PARENTE"})
_PERSON_FIELDS = frozenset({"LC_CIVILITE", "LL_CIVILITE", "NOM_DE_FAMILLE", "NOM", "NOM_USAGE", "PRENOM", "MEL",
                            "TEL_PORTABLE", "TEL_PERSONNEL", "ADRESSE_ID"})


# -- élèves ----------------------------------------------------------------------------
def _load_students(root: Any, ctx: _Ctx) -> None:
    memberships: dict[str, tuple[list[tuple[str, Any]], list[tuple[str, Any]]]] = {}
    for se in root.iterfind("DONNEES/STRUCTURES/STRUCTURES_ELEVE"):
        divs, grps = memberships.setdefault(attr(se, "ELEVE_ID") or "", ([], []))
        for st in se.iterfind("STRUCTURE"):
            sf = fields(st, _STRUCTURE_FIELDS)
            code = sf.get("CODE_STRUCTURE")
            kind = (sf.get("TYPE_STRUCTURE") or "").upper()
            if code and kind == "D":
                divs.append((code, st))
            elif code and kind == "G":
                grps.append((code, st))
    ref = ctx.exported or dt.date.today().isoformat()
    add, no_structures = ctx.graph.add, ([], [])
    added: set[tuple[str, str]] = set()  # structures known to be in the graph (one look-up each)
    seen: dict[str, int] = {}
    unplaced: list[int] = []
    for el in root.iterfind("DONNEES/ELEVES/ELEVE"):
        sid = attr(el, "ELEVE_ID")
        if not sid:
            unplaced.append(el.sourceline)
            continue
        if sid in seen:  # reported by the schema's key (with the value); not read twice
            continue
        seen[sid] = el.sourceline
        divs, grps = memberships.get(sid, no_structures)
        f = fields(el, _STUDENT_FIELDS)
        get = f.get
        division_codes = list(dict.fromkeys(code for code, _ in divs))
        for code, st in divs:
            if ("division", code) not in added:
                ctx.add_once("division", code, st, code=code)
                added.add(("division", code))
        group_codes = list(dict.fromkeys(code for code, _ in grps))
        for code, st in grps:
            if ("group", code) not in added:
                ctx.add_once("group", code, st, code=code)
                added.add(("group", code))
        exit_date = fr_date(get("DATE_SORTIE"))
        last = get("NOM_DE_FAMILLE") or get("NOM") or get("NOM_USAGE")
        first = get("PRENOM")
        add(
            "student", sid, source=SOURCE, prov=Provenance(ctx.display, el.sourceline, SYSTEM),
            label=" ".join(p for p in (last, first) if p) or sid,
            ine=get("ID_NATIONAL") or get("INE_RNIE") or get("INE_BEA"),
            elenoet=attr(el, "ELENOET") or get("ELENOET"), id_etab=get("ID_ELEVE_ETAB"),
            last_name=last, usage_name=get("NOM_USAGE"), first_name=first,
            birth_date=fr_date(get("DATE_NAISS")), sex=sex_letter(get("CODE_SEXE")),
            mef=get("CODE_MEF"), status=get("CODE_STATUT"), address_id=get("ADRESSE_ID"),
            division_code=divs[0][0] if divs else None, division_codes=division_codes, group_codes=group_codes,
            entry_date=fr_date(get("DATE_ENTREE")), exit_date=exit_date,
            left=bool(exit_date and exit_date <= ref),
            division=None, divisions=[], groups=[], guardians=[], legal_guardians=[],
        )
    if unplaced:
        ctx.unplaced(f"{len(unplaced)} élément(s) ELEVE sans attribut ELEVE_ID (ligne(s) "
                     f"{', '.join(map(str, unplaced[:10]))}) : ces élèves ne sont pas lus", unplaced[0])
    # A STRUCTURES_ELEVE whose ELEVE_ID names no ELEVE is reported by the schema (keyref
    # STRUCTURES_ELEVE_vers_ELEVE of bee_eleves.xsd), with the id: not said twice here.


# -- responsables ----------------------------------------------------------------------
_ADDRESS_PARTS = ("LIGNE1_ADRESSE", "LIGNE2_ADRESSE", "LIGNE3_ADRESSE", "LIGNE4_ADRESSE", "CODE_POSTAL")


def _address_text(el: Any) -> str | None:
    f = fields(el, _ADDRESS_FIELDS)
    parts = [f.get(name) for name in _ADDRESS_PARTS]
    parts += [f.get("LIBELLE_POSTAL") or f.get("LL_COMMUNE_INSEE"), f.get("COMMUNE_ETRANGERE")]
    text = " ".join(p for p in parts if p)
    return text or None


def _load_guardians(root: Any, ctx: _Ctx) -> None:
    addresses = {attr(a, "ADRESSE_ID"): _address_text(a) for a in root.iterfind("DONNEES/ADRESSES/ADRESSE")}
    links: dict[str, list[dict[str, Any]]] = {}
    for r in root.iterfind("DONNEES/RESPONSABLES/RESPONSABLE_ELEVE"):
        f = fields(r, _LINK_FIELDS)
        pid, sid = f.get("PERSONNE_ID"), f.get("ELEVE_ID")
        if not pid or not sid:
            continue
        level, legacy = _digits(f.get("NIVEAU_RESPONSABILITE")), _digits(f.get("RESP_LEGAL"))
        links.setdefault(pid, []).append({
            "student_id": sid, "level": level, "relation": f.get("CODE_PARENTE"), "resp_legal": legacy,
            "legal": level == "1" or legacy in ("1", "2"), "line": r.sourceline})
    graph = ctx.graph
    seen: dict[str, int] = {}
    for el in root.iterfind("DONNEES/PERSONNES/PERSONNE"):
        pid = attr(el, "PERSONNE_ID")
        if not pid:
            ctx.unplaced("élément PERSONNE sans attribut PERSONNE_ID : ce responsable n'est pas lu", el.sourceline)
            continue
        if pid in seen:  # reported by the schema's key (with the value); not read twice
            continue
        seen[pid] = el.sourceline
        f = fields(el, _PERSON_FIELDS)
        get = f.get
        civility = get("LC_CIVILITE") or get("LL_CIVILITE")
        last = get("NOM_DE_FAMILLE") or get("NOM")
        first = get("PRENOM")
        address_id = get("ADRESSE_ID")
        existing = graph.get("guardian", pid, SOURCE)
        merged = {link["student_id"]: link for link in (existing.get("links") or [] if existing else ())}
        for link in links.get(pid, ()):
            merged[link["student_id"]] = link
        graph.add(
            "guardian", pid, source=SOURCE, prov=Provenance(ctx.display, el.sourceline, SYSTEM),
            label=" ".join(p for p in (civility, last, first) if p) or pid,
            civility=civility, last_name=last, usage_name=get("NOM_USAGE"), first_name=first,
            email=get("MEL"), phone_mobile=get("TEL_PORTABLE"), phone_home=get("TEL_PERSONNEL"),
            address_id=address_id, address=addresses.get(address_id) if address_id else None,
            links=list(merged.values()), legal=any(link["legal"] for link in merged.values()), students=[],
        )
    # A RESPONSABLE_ELEVE whose PERSONNE_ID names no PERSONNE is reported by the schema
    # (keyref RESPONSABLE_ELEVE_vers_PERSONNE of bee_responsables.xsd), with the id.


# -- structures ------------------------------------------------------------------------
def _codes(parent: Any, path: str, child: str, attrib: str) -> list[str]:
    out = []
    for el in parent.iterfind(path):
        code = val(el, child) or attr(el, attrib) or attr(el, "CODE")
        if code:
            out.append(code)
    return list(dict.fromkeys(out))


def _load_structures(root: Any, ctx: _Ctx) -> None:
    for kind, path in (("division", "DONNEES/DIVISIONS/DIVISION"), ("group", "DONNEES/GROUPES/GROUPE")):
        for el in root.iterfind(path):
            code = attr(el, "CODE_STRUCTURE") or val(el, "CODE_STRUCTURE")
            if not code:
                continue
            label = val(el, "LIBELLE_LONG") or val(el, "LIBELLE_COURT")
            fields: dict[str, Any] = {"code": code,
                                      "mefs": _codes(el, "MEFS_APPARTENANCE/MEF_APPARTENANCE", "CODE_MEF", "CODE_MEF")}
            if kind == "group":
                fields["divisions"] = _codes(el, "DIVISIONS_APPARTENANCE/DIVISION_APPARTENANCE",
                                             "CODE_STRUCTURE", "CODE_STRUCTURE")
            ent = ctx.graph.add(kind, code, source=SOURCE, prov=ctx.prov(el), label=label or code, **fields)
            ent.data["label"] = label


# -- nomenclature ----------------------------------------------------------------------
def _load_nomenclature(root: Any, ctx: _Ctx) -> None:
    for el in root.iterfind("DONNEES/MEFS/MEF"):
        code = attr(el, "CODE_MEF")
        if code:
            label = val(el, "LIBELLE_LONG") or val(el, "LIBELLE_EDITION") or val(el, "FORMATION")
            ent = ctx.graph.add("mef", code, source=SOURCE, prov=ctx.prov(el), label=label or code, code=code,
                                edition_label=val(el, "LIBELLE_EDITION"), formation=val(el, "FORMATION"))
            ent.data["label"] = label
    for el in root.iterfind("DONNEES/MATIERES/MATIERE"):
        code = attr(el, "CODE_MATIERE")
        if code:
            label = val(el, "LIBELLE_LONG") or val(el, "LIBELLE_EDITION") or val(el, "LIBELLE_COURT")
            ent = ctx.graph.add("subject", code, source=SOURCE, prov=ctx.prov(el), label=label or code, code=code,
                                management_code=val(el, "CODE_GESTION"), short_label=val(el, "LIBELLE_COURT"))
            ent.data["label"] = label


# -- links -----------------------------------------------------------------------------
def link(graph: Graph) -> None:
    """Join SIECLE records: pupils with their division, groups and guardians."""
    divisions = {d.id: d for d in graph.all("division", SOURCE)}
    groups = {g.id: g for g in graph.all("group", SOURCE)}
    for ent in divisions.values():
        ent.data.setdefault("label", None)
        ent.data.setdefault("mefs", [])
        ent.data.update(students=[], groups=[])
        ent.data.setdefault("sts", None)  # set by the STS link when STS-Web has the same code
    for ent in groups.values():
        ent.data.setdefault("label", None)
        ent.data.setdefault("mefs", [])
        ent.data.setdefault("divisions", [])
        ent.data.setdefault("sts", None)
        ent.data["students"] = []
        for code in ent.data["divisions"]:
            if code in divisions:
                divisions[code].data["groups"].append(ent)
    students = {s.id: s for s in graph.all("student", SOURCE)}
    for st in students.values():
        div = divisions.get(st.data.get("division_code") or "")
        st.data["division"] = div
        codes = st.data.get("division_codes") or ([st.data["division_code"]] if st.data.get("division_code") else [])
        st.data["division_codes"] = codes
        st.data["divisions"] = [divisions[c] for c in codes if c in divisions]
        for one in st.data["divisions"]:
            one.data["students"].append(st)
        st.data["groups"] = [groups[c] for c in st.data.get("group_codes") or [] if c in groups]
        for grp in st.data["groups"]:
            grp.data["students"].append(st)
        st.data.update(guardians=[], legal_guardians=[])
    for person in graph.all("guardian", SOURCE):
        person.data["students"] = []
        person.data["present_students"] = []
        for link in person.data.get("links") or []:
            st = students.get(link["student_id"])
            if st is None:
                continue
            if st not in person.data["students"]:
                person.data["students"].append(st)
            if person not in st.data["guardians"]:
                st.data["guardians"].append(person)
            if link["legal"] and person not in st.data["legal_guardians"]:
                st.data["legal_guardians"].append(person)
        person.data["present_students"] = [s for s in person.data["students"] if not s.data.get("left")]
