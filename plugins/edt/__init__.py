"""EDT (Index Education) exports: the remontée file EDT_STS, the timetable export
ExportEmploiDuTemps and its encrypted container EXPORT_INDEX_EDUCATION.

Files are detected by their root element (never their name). Loading is split by format
(:mod:`~scolint.plugins.edt.remontee`, :mod:`~scolint.plugins.edt.export`,
:mod:`~scolint.plugins.edt.crypt`), the entity kinds are declared in
:mod:`~scolint.plugins.edt.kinds` and the joins with SIECLE and STS-Web are made in
:mod:`~scolint.plugins.edt.link`. See docs/formats-edt.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from scolint.engine import hookimpl, xmlsafe
from scolint.engine.model import Graph
from scolint.engine.registry import Family, FormatInfo, Registries
from scolint.plugins.edt import crypt as edt_crypt
from scolint.plugins.edt import export as edt_export
from scolint.plugins.edt import link as link_edt
from scolint.plugins.edt import remontee as edt_sts
from scolint.plugins.edt.kinds import declare_kinds

SYSTEM = "EDT"
#: root element -> format id
ROOTS = {"EDT_STS": edt_sts.FORMAT, "ExportEmploiDuTemps": edt_export.FORMAT,
         "EXPORT_INDEX_EDUCATION": edt_crypt.FORMAT}
#: format id -> (expected root tag, loader)
LOADERS = {
    edt_sts.FORMAT: ("EDT_STS", edt_sts.load_edt_sts),
    edt_export.FORMAT: (f"{{{edt_export.NS}}}ExportEmploiDuTemps", edt_export.load_export),
    edt_crypt.FORMAT: (f"{{{edt_crypt.NS}}}EXPORT_INDEX_EDUCATION", edt_crypt.load_container),
}
#: format id -> entity kinds its loader adds (``FormatInfo.kinds``: which link steps may run)
KINDS = {
    edt_sts.FORMAT: ("edt_alternance", "edt_room", "edt_teacher", "edt_class", "edt_group", "edt_service",
                     "edt_course"),
    edt_export.FORMAT: ("edt_subject", "edt_room", "edt_teacher", "edt_class", "edt_class_part", "edt_group",
                        "edt_student", "edt_guardian", "edt_course"),
    edt_crypt.FORMAT: ("edt_container",),
}
#: Format of EDT's export to PRONOTE 2012: not public, so not read (formats.md §11); rules
#: needing what only it carries (a course's « Ne pas exporter » status) stay « non évaluées ».
PRONOTE_FORMAT = "edt-pronote"

FORMATS = (
    (edt_sts.FORMAT, "EDT – remontée des services vers STS-Web (EDT_STS)",
     "Dans EDT : Fichier > IMPORTS/EXPORTS > Avec STSWEB > Exporter avec l'assistant ; validez chaque étape, "
     "puis joignez le fichier XML produit (racine EDT_STS) aux exports à contrôler, avant de l'importer dans "
     "STSWEB."),
    (edt_export.FORMAT, "EDT/PRONOTE – emploi du temps pour l’ENT, en clair (ExportEmploiDuTemps)",
     "Dans EDT (ou PRONOTE) : Fichier > IMPORTS/EXPORTS, export de l'emploi du temps vers l'ENT, sans "
     "chiffrement (« en clair ») ; joignez le fichier XML (racine ExportEmploiDuTemps) aux exports à "
     "contrôler."),
    (edt_crypt.FORMAT, "EDT/PRONOTE – emploi du temps pour l’ENT, chiffré (EXPORT_INDEX_EDUCATION)",
     "C'est l'export chiffré destiné à l'ENT ; scolint ne peut en lire que l'enveloppe. Pour les contrôles, "
     "fournissez l'export en clair (ExportEmploiDuTemps)."),
    (PRONOTE_FORMAT, "EDT – export vers PRONOTE 2012 (format non publié, non lu par scolint)",
     "Le fichier d'EDT pour PRONOTE 2012 n'a pas de format public : scolint ne sait pas le lire. Dans EDT, "
     "utilisez Extraire > Extraire les cours non exportables vers PRONOTE et vérifiez le statut lors de "
     "l'export vers PRONOTE 2012 des cours listés."),
)


#: format id -> XSD file
XSDS = {edt_sts.FORMAT: "edt_sts.xsd", edt_export.FORMAT: "export_emploi_du_temps.xsd",
        edt_crypt.FORMAT: "conteneur_export_chiffre.xsd"}


@hookimpl
def scolint_register(registries: Registries) -> None:
    """The EDT family: remontée, timetable export (clear and encrypted), kinds, loader, link."""
    roots = {fmt: root for root, fmt in ROOTS.items()}
    registries.families.add("edt", Family(
        "edt", SYSTEM, "EDT (Index Éducation)",
        formats=tuple(FormatInfo(fmt, label, SYSTEM, how, kinds=KINDS.get(fmt, ()), root=roots.get(fmt),
                                 xsd=XSDS.get(fmt), readable=fmt != PRONOTE_FORMAT) for fmt, label, how in FORMATS),
        load=load, link=link, link_after=("siecle", "sts"), declare=declare_kinds, stamp=stamp))


_STAMP = {
    "uai_text": re.compile(rb"<UAJ>\s*([^<]*?)\s*</UAJ>"),
    "uai_attr": re.compile(rb"<(?:[A-Za-z_]+:)?ExportEmploiDuTemps\b[^>]*\sUAI\s*=\s*[\"']([^\"']*)[\"']"),
    "uai_elem": re.compile(rb"<(?:[A-Za-z_]+:)?UAI>\s*([^<]*?)\s*</"),
    "year_text": re.compile(rb"<ANNEE_SCOLAIRE>\s*([0-9]{4})"),
    "year_attr": re.compile(rb"<(?:[A-Za-z_]+:)?AnneeScolaire\b[^>]*DateDebut\s*=\s*[\"']([0-9]{4})"),
    "when": re.compile(rb"<(?:[A-Za-z_]+:)?DATEHEURE>\s*([0-9]{4}-[0-9]{2}-[0-9]{2})(?:T([0-9:]{5,8}))?"),
}


def stamp(path: Path, format_id: str, head: bytes) -> dict[str, Any] | None:
    """UAI and school year of an EDT file; the encrypted container also gives its DATEHEURE."""
    if format_id not in LOADERS:
        return None
    text = head
    if format_id == edt_crypt.FORMAT:  # UAI and DATEHEURE follow the (big) encrypted CONTENU
        try:
            with open(path, "rb") as fh:
                fh.seek(max(0, path.stat().st_size - 4096))
                text = head + b"\n" + fh.read()
        except OSError:
            pass
    found = {k: rx.search(text) for k, rx in _STAMP.items()}
    uai = found["uai_text"] or found["uai_attr"] or found["uai_elem"]
    year = found["year_text"] or found["year_attr"]
    when = found["when"]
    return {"uai": uai.group(1).decode("latin-1").strip() if uai else None,
            "date": when.group(1).decode() if when else None,
            "time": when.group(2).decode() if when and when.group(2) else None,
            "year": int(year.group(1)) if year else None, "rank": 0}


def load(path: Path, format_id: str, graph: Graph, options: dict[str, Any]) -> bool | None:
    if format_id not in LOADERS:
        return None
    display = str(options.get("display") or path)
    expected, loader = LOADERS[format_id]
    tree = xmlsafe.parse(path)
    root = tree.getroot()
    if root.tag != expected:
        graph.problem("ENTREE-SCHEMA", f"élément racine « {root.tag} » au lieu de « {expected} » "
                      "(espace de noms Index Education attendu)", display, root.sourceline, severity="error",
                      fix="Refaites l'export depuis EDT sans modifier le fichier.")
        return True
    if format_id == edt_export.FORMAT:  # the only EDT loader that skips kinds nobody reads
        edt_export.load_export(tree, graph, display, options.get("kinds"))
    else:
        loader(tree, graph, display)
    return True


def link(graph: Graph) -> None:
    """Join EDT's records with SIECLE's and STS-Web's (after their own links)."""
    link_edt.link(graph)
