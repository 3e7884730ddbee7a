"""The encrypted container of Index Education's exports (root ``EXPORT_INDEX_EDUCATION``).

scolint never decrypts it (that needs a partner's RSA private key, formats.md §4.1): it
checks the envelope against ``schemas/xsd/conteneur_export_chiffre.xsd``, records an
``edt_container`` entity (partners, software, date, UAI) and a warning ``ENTREE-CHIFFRE``
saying that a clear export, or the partner's key, is needed to audit the timetable.
"""

from __future__ import annotations

from typing import Any

from scolint.engine import xmlsafe
from scolint.engine.model import Export, Graph, Provenance
from scolint.plugins.common.xmlload import MAX_SCHEMA_ERRORS, attr, french

NS = "http://www.index-education.com/conteneurexportchiffre"
FORMAT = "edt-chiffre"
SOURCE = "edt_chiffre"
SYSTEM = "EDT"
FIX = ("1. Dans EDT (ou PRONOTE), refaites l'export de l'emploi du temps pour l'ENT « en clair » : "
       "Fichier > IMPORTS/EXPORTS, export vers l'ENT, en décochant le chiffrement ; le fichier obtenu a pour "
       "racine ExportEmploiDuTemps.\n"
       "2. Joignez ce fichier en clair aux exports à contrôler (gardez le fichier chiffré pour l'ENT : c'est lui "
       "que l'ENT importe).\n"
       "3. Sinon, seul le partenaire destinataire (l'éditeur de l'ENT) peut déchiffrer le fichier avec sa clé "
       "privée : scolint ne vérifie alors que l'enveloppe.")


def _text(root: Any, tag: str) -> str | None:
    el = root.find(f"{{{NS}}}{tag}")
    if el is None or el.text is None:
        return None
    return el.text.strip() or None


def _check_envelope(tree: Any, graph: Graph, display: str) -> None:
    """XSD check of the envelope only (the shared value checks would flag the base64 payload)."""
    seen: set[int | None] = set()
    for line, msg in xmlsafe.validate(tree, "conteneur_export_chiffre.xsd", MAX_SCHEMA_ERRORS):
        text = french(msg)
        if text and not (line in seen and "valeur obligatoire absente" in text):
            seen.add(line)
            graph.problem("ENTREE-SCHEMA", f"non conforme au schéma conteneur_export_chiffre.xsd : {text}", display,
                          line, severity="error", fix="Refaites l'export depuis EDT ou PRONOTE sans modifier le fichier.")


def load_container(tree: Any, graph: Graph, display: str) -> None:
    """Record the container, its partners, and the finding that its content is unreadable."""
    root = tree.getroot()
    _check_envelope(tree, graph, display)
    partners = [n for n in (attr(p, "NOM") for p in root.iterfind(f"{{{NS}}}CLES/{{{NS}}}PARTENAIRE")) if n]
    uai = _text(root, "UAI")
    name = _text(root, "NOMETABLISSEMENT")
    content = root.find(f"{{{NS}}}CONTENU")
    flag = (attr(content, "CompresseAvantChiffrement") or "").lower() if content is not None else ""
    software, when = _text(root, "LOGICIEL"), _text(root, "DATEHEURE")
    graph.add_export(Export(FORMAT, display, SYSTEM, uai=uai.upper() if uai else None, exported_at=when,
                            meta={"establishment": name} if name else {}))
    graph.add("edt_container", display, source=SOURCE, prov=Provenance(display, root.sourceline, SYSTEM),
              label=f"export chiffré {software or ''}".strip(), partners=partners, software=software,
              version=_text(root, "VERSION"), exported_at=when, uai=uai, school_name=name,
              city=_text(root, "CODEPOSTALVILLE"), compressed=flag in ("1", "true", "oui") if flag else None)
    who = ", ".join(partners) if partners else "aucun partenaire déclaré (CLES vide)"
    details = "; ".join(p for p in (f"logiciel : {software}" if software else "",
                                    f"exporté le {when}" if when else "",
                                    f"UAI {uai}" if uai else "", name or "") if p)
    graph.problem("ENTREE-CHIFFRE",
                  f"export EDT/PRONOTE chiffré, illisible sans la clé privée d'un partenaire ; il est chiffré pour : "
                  f"{who}" + (f" ({details})" if details else "") + ". Fournissez l'export en clair "
                  "(ExportEmploiDuTemps) pour que les contrôles EDT soient évalués.",
                  display, root.sourceline, severity="warning", fix=FIX)
