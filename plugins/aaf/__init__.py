"""AAF (Annuaire Académique Fédérateur) XML feeds: ``ficAlimMENESR`` files.

Each file holds ``addRequest`` / ``modifyRequest`` / ``deleteRequest`` records of one
category (Eleve, PersRelEleve, PersEducNat, EtabEducNat, MatiereEducNat, MefEducNat),
UTF-8 or ISO-8859-15. The public files carry ``<!DOCTYPE ficAlimMENESR SYSTEM
"ficAlimMENESR.dtd">``: the DTD is never loaded (:mod:`scolint.engine.xmlsafe`). Files are
checked against ``schemas/xsd/aaf.xsd`` and loaded into ``aaf_student``,
``aaf_guardian``, ``aaf_teacher`` and ``aaf_establishment`` (subjects and MEF files are
recognised, recorded as exports, and not loaded further).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from scolint.engine import hookimpl, xmlsafe
from scolint.engine.model import Export, Graph, Provenance
from scolint.engine.registry import Family, FormatInfo, Registries
from scolint.plugins.aaf.feed import first, records
from scolint.plugins.common.xmlload import check_schema_status, root_name

SYSTEM = "AAF"
SOURCE = "aaf"
ROOT = "ficAlimMENESR"
#: AAF category -> (format id, French label)
CATEGORIES: dict[str, tuple[str, str]] = {
    "Eleve": ("aaf-eleve", "AAF – élèves (Eleve)"),
    "PersRelEleve": ("aaf-persrel", "AAF – responsables (PersRelEleve)"),
    "PersEducNat": ("aaf-perseducnat", "AAF – personnels (PersEducNat)"),
    "EtabEducNat": ("aaf-etab", "AAF – établissements (EtabEducNat)"),
    "MatiereEducNat": ("aaf-matiere", "AAF – matières (MatiereEducNat)"),
    "MefEducNat": ("aaf-mef", "AAF – MEF (MefEducNat)"),
}
FORMATS = {fmt: cat for cat, (fmt, _label) in CATEGORIES.items()}
_CAT = re.compile(rb'name\s*=\s*["\']categorie(?:Personne|Structure|Matiere|Mef)["\']\s*>\s*<value>\s*([A-Za-z]+)')
_NAME_DATE = re.compile(r"_Complet_((?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))_")
_NAME_CAT = re.compile(r"_(Eleve|PersRelEleve|PersEducNat|EtabEducNat|MatiereEducNat|MefEducNat)_")
HOW_TO_GET = ("Les fichiers AAF (ficAlimMENESR) sont produits par l'académie et livrés à l'ENT : demandez à "
              "l'administrateur de l'ENT ou au pôle d'appui le dernier fichier complet « {cat} » "
              "(<préfixe>_Complet_<AAAAMMJJ>_{cat}_<NNNN>.xml) et joignez-le aux exports à contrôler.")


@hookimpl
def scolint_register(registries: Registries) -> None:
    """The AAF family: one format per record category (one root element), kinds, loader, link."""
    from scolint.plugins.aaf.kinds import declare_aaf
    registries.families.add("aaf", Family(
        "aaf", SYSTEM, "AAF (annuaire académique fédérateur)",
        formats=tuple(FormatInfo(fmt, label, SYSTEM, HOW_TO_GET.format(cat=cat), root=ROOT, xsd="aaf.xsd")
                      for cat, (fmt, label) in CATEGORIES.items()),
        load=load, detect=detect, link=link, link_after=("siecle", "sts"), link_before=("ent",),
        declare=declare_aaf))


def detect(path: Path, head: bytes) -> str | None:
    """Its category, read in the first record (else in the file name)."""
    if root_name(head) != ROOT:
        return None
    m = _CAT.search(head)
    cat = m.group(1).decode("ascii") if m else None
    if cat not in CATEGORIES:
        n = _NAME_CAT.search(path.name)
        cat = n.group(1) if n else None
    return CATEGORIES[cat][0] if cat in CATEGORIES else "aaf-eleve"


def load(path: Path, format_id: str, graph: Graph, options: dict[str, Any]) -> bool | None:
    if format_id not in FORMATS:
        return None
    display = str(options.get("display") or path)
    tree = xmlsafe.parse(path)
    root = tree.getroot()
    label = CATEGORIES[FORMATS[format_id]][1]
    if root.tag != ROOT:
        graph.problem("ENTREE-SCHEMA", f"élément racine « {root.tag} » au lieu de « {ROOT} »", display,
                      root.sourceline)
        return True
    _count, valid = check_schema_status(tree, "aaf.xsd", graph, display, label)
    recs = records(root, valid)
    uais = {first(a, "ENTStructureUAI") for _o, _c, _i, a, _l in recs} - {None}
    day = _NAME_DATE.search(Path(display.split("!")[-1]).name)
    graph.add_export(Export(format_id, display, SYSTEM, uai=uais.pop().upper() if len(uais) == 1 else None,
                            exported_at=f"{day[1][:4]}-{day[1][4:6]}-{day[1][6:]}" if day else None,
                            meta={"category": FORMATS[format_id]}))
    from scolint.plugins.aaf import entities as aaf_records
    loader = aaf_records.LOADERS.get(FORMATS[format_id])
    added: dict[str, int] = {}
    #: the attributes of each record read in this file: a modifyRequest replaces only the
    #: attributes it names (``operation="replace"``), the others stay those of the record
    known: dict[str, dict[str, list[str]]] = {}
    elsewhere: list[int] = []  # lines of records already read from another file
    other_files: dict[str, None] = {}  # those files, in the order met
    kind = _KINDS.get(FORMATS[format_id])
    # looked up per record only when another file of the audit already gave records of this kind
    earlier = loader is not None and kind is not None and bool(graph.all(kind, SOURCE))
    for op, cat, ident, attrs, line in recs:
        if cat and cat != FORMATS[format_id]:
            graph.problem("ENTREE-SCHEMA", f"fiche de catégorie « {cat} » dans un fichier {FORMATS[format_id]}",
                          display, line, severity="warning")
            continue
        if op == "add" and ident:  # the same record added twice: the feed was concatenated or replayed
            if ident in added:
                graph.problem("ENTREE-SCHEMA", f"fiche « {ident} » ajoutée deux fois (déjà ligne {added[ident]})",
                              display, line, severity="warning")
            else:
                added[ident] = line
        if op == "modify" and ident in known:
            attrs = {**known[ident], **attrs}
        elif earlier and ident and ident not in known:
            other = _read_elsewhere(graph, str(kind), FORMATS[format_id], attrs, ident, display)
            if other is not None:
                elsewhere.append(line)
                other_files[other] = None
        if ident:
            known[ident] = attrs
        if loader is not None:
            loader(graph, Provenance(display, line, SYSTEM), op, ident, attrs)
    if elsewhere:
        names = ", ".join(other_files)
        graph.problem("ENTREE-DOUBLON", f"{len(elsewhere)} fiche(s) de ce fichier déjà lue(s) dans {names} (première "
                      f"ligne {elsewhere[0]}) : la fiche lue en dernier remplace l'autre, et une modification "
                      "(modifyRequest) n'en garde que les valeurs modifiées",
                      display, elsewhere[0], severity="warning",
                      fix="Auditez le dernier fichier complet (…_Complet_…) de chaque catégorie, sans les fichiers de "
                          "modifications qui le suivent ni un autre fichier complet de la même catégorie.")
    return True


#: entity kind of each AAF category's records (those the family builds)
_KINDS = {"Eleve": "aaf_student", "PersRelEleve": "aaf_guardian", "PersEducNat": "aaf_teacher",
          "EtabEducNat": "aaf_establishment"}


def _read_elsewhere(graph: Graph, kind: str, category: str, attrs: dict[str, list[str]], ident: str,
                    display: str) -> str | None:
    """The other file of the audit a record was already read from (its entity exists), or
    None: its attributes there are not kept, so this record replaces them all."""
    key = first(attrs, "ENTStructureJointure" if category == "EtabEducNat" else "ENTPersonJointure") or ident
    ent = graph.get(kind, key, SOURCE)
    if ent is None:
        return None
    return next((p.file for p in ent.prov if p.file != display), None)


def _home_structures(graph: Graph) -> set[str]:
    """Structure jointures of the audited UAI (empty: no EtabEducNat file, keep every class)."""
    uais = Counter(e.uai.upper() for e in graph.exports if e.uai and e.system != SYSTEM)
    if not uais:
        return set()
    uai = uais.most_common(1)[0][0]
    return {e.get("jointure") for e in graph.all("aaf_establishment", SOURCE) if (e.get("uai") or "").upper() == uai}


def link(graph: Graph) -> None:
    """AAF records to SIECLE students and guardians and STS teachers."""
    if not any(graph.all(kind, SOURCE) for kind in ("aaf_student", "aaf_guardian", "aaf_teacher")):
        return  # no AAF record: no index of people to build, no module to import
    from scolint.plugins.aaf.entities import link
    link(graph, _home_structures(graph))
