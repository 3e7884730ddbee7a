"""STS-Web export for timetable software: ``sts_emp_<UAI>_<année>.xml`` (root ``STS_EDT``).

Detected by its root element only (``EDT_STS``, the file EDT sends back to STS-Web, is
left to the EDT plugin). Validated against ``schemas/xsd/sts_edt.xsd``; values are often
pretty-printed on several lines, so every value is stripped. Loads teachers
(``INDIVIDUS``), divisions and groups with their services (``STRUCTURE``) and the
subjects, MEFs and programmes of the nomenclature, as described in docs/architecture.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from scolint.engine import hookimpl, xmlsafe
from scolint.engine.model import Export, Graph, Provenance
from scolint.engine.registry import Family, FormatInfo, Registries
from scolint.plugins.common.xmlload import attr, check_schema, fields, iso_date, sex_letter, to_float, to_int, val

FORMAT = "sts-emp"
ROOT = "STS_EDT"
SYSTEM = "STS"
SOURCE = "sts"
LABEL = "STS-Web – export pour l'emploi du temps (sts_emp, STS_EDT)"
HOW_TO_GET = ("Dans STS-Web, faites l'export destiné au logiciel d'emploi du temps : c'est le fichier "
              "sts_emp_<UAI>_<année>.xml que l'on importe ensuite dans EDT (Fichier > IMPORTS/EXPORTS > "
              "Avec STSWEB). Joignez-le tel quel aux exports à contrôler. Attention à ne pas le confondre avec "
              "le fichier de remontée produit par EDT (racine EDT_STS).")


@hookimpl
def scolint_register(registries: Registries) -> None:
    """The STS-Web family: the sts_emp export (root STS_EDT), its kinds, loader and link."""
    registries.families.add("sts", Family(
        "sts", SYSTEM, "STS-Web",
        formats=(FormatInfo(FORMAT, LABEL, SYSTEM, HOW_TO_GET, root=ROOT, xsd="sts_edt.xsd"),),
        load=load, link=link, link_after=("siecle",), declare=declare_kinds, stamp=stamp))


def declare_kinds(registries: Registries) -> None:
    """The entity kinds read from sts_emp."""
    ent = registries.entities
    ent.declare(
        "teacher", "Un personnel de STS-Web (INDIVIDU du fichier sts_emp), identifié par INDIVIDU@ID.", ("sts",),
        last_name=("texte", "nom d'usage (NOM_USAGE, à défaut NOM_PATRONYMIQUE)"),
        birth_name=("texte", "nom de naissance (NOM_PATRONYMIQUE)"),
        first_name=("texte", "prénom (PRENOM)"),
        civility=("texte", "code civilité (CIVILITE)"),
        sex=("texte", "sexe : M ou F (SEXE 1 ou 2)"),
        birth_date=("texte", "date de naissance (date ISO AAAA-MM-JJ)"),
        function=("texte", "fonction (FONCTION : ENS pour un enseignant, DIR, EDU…)"),
        type=("texte", "type d'individu : epp (gestion nationale) ou local"),
        is_teacher=("booléen", "enseignant : FONCTION = ENS, ou FONCTION absente avec un nom renseigné"),
        services=("liste d'entités service", "services d'enseignement de la personne dans STS-Web"),
        ent_accounts=("liste d'entités ent_account", "comptes du fichier des identifiants ENT rapprochés de la personne"),
        ent_candidates=("liste d'entités ent_account", "comptes ENT qui pourraient être la personne (ambigu)"),
        disciplines=("liste de dictionnaires", "disciplines de poste (DISCIPLINES/DISCIPLINE) : code (L0202…), "
                     "label (LIBELLE_COURT, ex. « LET MODERN »), hours (NB_HEURES)"),
        discipline_codes=("liste de textes", "codes des disciplines de poste (DISCIPLINE@CODE, ex. L0202, L1300)"),
    )
    ent.declare(
        "service", "Un service d'enseignement de STS-Web : un enseignant × une division ou un groupe × "
        "une matière × une modalité de cours.", ("sts",),
        teacher_id=("texte", "INDIVIDU@ID de l'enseignant"),
        teacher=("entité teacher", "l'enseignant, ou rien s'il manque dans INDIVIDUS"),
        structure_code=("texte", "code de la division ou du groupe"),
        structure_type=("texte", "division ou group"),
        structure=("entité division ou group", "la division ou le groupe du service"),
        subject_code=("texte", "code matière (SERVICE@CODE_MATIERE, 6 chiffres)"),
        subject=("entité subject", "la matière de la nomenclature STS, ou rien si elle n'y est pas"),
        mod=("texte", "modalité de cours (SERVICE@CODE_MOD_COURS : CG, TD, TP…)"),
        hours=("nombre", "heures hebdomadaires (HEURES_AGENT, à défaut HEURES_STRUCTURE), si données"),
    )
    for kind in ("division", "group"):
        ent.declare(kind, sources=("sts",),
                    services=("liste d'entités service", "services STS-Web rattachés à cette structure (source sts)"),
                    planned_count=("entier", "effectif prévu dans STS-Web (EFFECTIF_PREVU, source sts), ou rien"),
                    computed_count=("entier", "effectif calculé par STS-Web (EFFECTIF_CALCULE, source sts), ou rien"),
                    sts=(f"entité {kind}", "la structure de même code dans STS-Web (sur la division ou le groupe "
                         "de SIECLE), ou rien"))
    ent.declare("subject", sources=("sts",))
    ent.declare("mef", sources=("sts",))
    ent.declare(
        "sts_programme", "Une ligne de programme de la nomenclature de STS-Web (NOMENCLATURES/PROGRAMMES/PROGRAMME) : "
        "une matière enseignée dans un MEF ; identifiant = <code MEF>:<code matière>.", ("sts",),
        mef_code=("texte", "code MEF (CODE_MEF)"),
        subject_code=("texte", "code matière (CODE_MATIERE)"),
        hours=("nombre", "horaire hebdomadaire (HORAIRE), si donné"),
        subject=("entité subject", "la matière de la nomenclature STS-Web (MATIERES), ou rien si elle n'y est pas"),
        mef=("entité mef", "le MEF de la nomenclature STS-Web (MEFS), ou rien s'il n'y est pas"),
    )


_STAMP_UAI = re.compile(rb"<UAJ\s[^>]*CODE\s*=\s*[\"']\s*([^\"'<]*?)\s*[\"']")
_STAMP_YEAR = re.compile(rb"<ANNEE_SCOLAIRE\s[^>]*ANNEE\s*=\s*[\"']\s*([0-9]{4})")


def stamp(path: Path, format_id: str, head: bytes) -> dict[str, Any] | None:
    """UAJ@CODE and ANNEE_SCOLAIRE@ANNEE of an sts_emp file: it carries no export date."""
    if format_id != FORMAT:
        return None
    uai, year = _STAMP_UAI.search(head), _STAMP_YEAR.search(head)
    return {"uai": uai.group(1).decode("latin-1") if uai else None, "date": None, "time": None,
            "year": int(year.group(1)) if year else None, "rank": 0}


def _prov(display: str, el: Any) -> Provenance:
    return Provenance(display, el.sourceline, SYSTEM)


def load(path: Path, format_id: str, graph: Graph, options: dict[str, Any]) -> bool | None:
    if format_id != FORMAT:
        return None
    display = str(options.get("display") or path)
    tree = xmlsafe.parse(path)
    root = tree.getroot()
    if root.tag != ROOT:
        graph.problem("ENTREE-SCHEMA", f"élément racine « {root.tag} » au lieu de « {ROOT} »",
                      display, root.sourceline, severity="error")
        return True
    check_schema(tree, "sts_edt.xsd", graph, display, "STS-Web (sts_emp)")
    if root.find("PARAMETRES") is None:
        graph.problem("ENTREE-SCHEMA", "section PARAMETRES absente : l'établissement (UAJ@CODE) et l'année "
                      "scolaire (ANNEE_SCOLAIRE@ANNEE) de ce fichier sont inconnus ; il ne peut pas être comparé "
                      "aux autres exports", display, root.sourceline, severity="error",
                      fix="Refaites l'export sts_emp depuis STS-Web sans modifier le fichier.")
    uaj = root.find("PARAMETRES/UAJ")
    name = " ".join(p for p in (val(uaj, "DENOM_PRINC"), val(uaj, "DENOM_COMPL")) if p)
    uai = attr(uaj, "CODE")
    graph.add_export(Export(FORMAT, display, SYSTEM, uai=uai.upper() if uai else None,
                            year=to_int(attr(root.find("PARAMETRES/ANNEE_SCOLAIRE"), "ANNEE")),
                            meta={"establishment": name} if name else {}))
    _load_nomenclatures(root, graph, display)
    _load_individuals(root, graph, display)
    for kind, path_ in (("division", "DONNEES/STRUCTURE/DIVISIONS/DIVISION"),
                        ("group", "DONNEES/STRUCTURE/GROUPES/GROUPE")):
        for el in root.iterfind(path_):
            _load_structure(kind, el, graph, display)
    return True


def _load_nomenclatures(root: Any, graph: Graph, display: str) -> None:
    for el in root.iterfind("NOMENCLATURES/MATIERES/MATIERE"):
        code = attr(el, "CODE")
        if code:
            label = val(el, "LIBELLE_LONG") or val(el, "LIBELLE_EDITION") or val(el, "LIBELLE_COURT")
            ent = graph.add("subject", code, source=SOURCE, prov=_prov(display, el), label=label or code,
                            code=code, management_code=val(el, "CODE_GESTION"), short_label=val(el, "LIBELLE_COURT"))
            ent.data["label"] = label
    for el in root.iterfind("NOMENCLATURES/MEFS/MEF"):
        code = attr(el, "CODE")
        if code:
            label = val(el, "LIBELLE_LONG") or val(el, "LIBELLE_EDITION") or val(el, "FORMATION")
            ent = graph.add("mef", code, source=SOURCE, prov=_prov(display, el), label=label or code, code=code,
                            edition_label=val(el, "LIBELLE_EDITION"), formation=val(el, "FORMATION"))
            ent.data["label"] = label
    for el in root.iterfind("NOMENCLATURES/PROGRAMMES/PROGRAMME"):
        f = fields(el, _PROGRAMME_FIELDS)
        mef, subject = f.get("CODE_MEF"), f.get("CODE_MATIERE")
        if mef or subject:
            graph.add("sts_programme", f"{mef or ''}:{subject or ''}", source=SOURCE, prov=_prov(display, el),
                      label=f"programme {subject or '?'} du MEF {mef or '?'}", mef_code=mef, subject_code=subject,
                      hours=to_float(f.get("HORAIRE")), subject=None, mef=None)


_PROGRAMME_FIELDS = frozenset({"CODE_MEF", "CODE_MATIERE", "HORAIRE"})
_INDIVIDUAL_FIELDS = frozenset({"NOM_USAGE", "NOM_PATRONYMIQUE", "PRENOM", "FONCTION", "CIVILITE", "SEXE",
                                "DATE_NAISSANCE"})
_LABELS = frozenset({"LIBELLE_LONG", "LIBELLE_COURT", "EFFECTIF_PREVU", "EFFECTIF_CALCULE"})
_SERVICE_HOURS = frozenset({"HEURES_STRUCTURE"})
_TEACHER_HOURS = frozenset({"HEURES_AGENT"})


def _load_individuals(root: Any, graph: Graph, display: str) -> None:
    seen: dict[str, int] = {}
    for el in root.iterfind("DONNEES/INDIVIDUS/INDIVIDU"):
        tid = attr(el, "ID")
        if not tid:
            graph.problem("ENTREE-LIEN", "élément INDIVIDU sans attribut ID : cette personne n'est pas lue",
                          display, el.sourceline, severity="warning",
                          fix="Refaites l'export sts_emp depuis STS-Web sans modifier le fichier.")
            continue
        if tid in seen:  # the schema's key INDIVIDU_ID_unique reports it, with the value
            continue
        seen[tid] = el.sourceline
        f = fields(el, _INDIVIDUAL_FIELDS)
        get = f.get
        last = get("NOM_USAGE") or get("NOM_PATRONYMIQUE")
        first = get("PRENOM")
        function = get("FONCTION")
        graph.add(
            "teacher", tid, source=SOURCE, prov=_prov(display, el),
            label=" ".join(p for p in (last, first) if p) or tid,
            last_name=last, birth_name=get("NOM_PATRONYMIQUE"), first_name=first,
            civility=get("CIVILITE"), sex=sex_letter(get("SEXE")),
            birth_date=iso_date(get("DATE_NAISSANCE")), function=function, type=attr(el, "TYPE"),
            is_teacher=(function or "").upper() == "ENS" or (function is None and bool(last)),
            services=[], **_disciplines(el),
        )


_DISCIPLINE_FIELDS = frozenset({"LIBELLE_COURT", "NB_HEURES"})


def _disciplines(el: Any) -> dict[str, Any]:
    """``disciplines`` (code, label, hours of each DISCIPLINES/DISCIPLINE) and their codes."""
    out = []
    for d in el.iterfind("DISCIPLINES/DISCIPLINE"):
        code = attr(d, "CODE") or val(d, "CODE")
        if not code:
            continue
        f = fields(d, _DISCIPLINE_FIELDS)
        out.append({"code": code, "label": f.get("LIBELLE_COURT"), "hours": to_float(f.get("NB_HEURES"))})
    return {"disciplines": out, "discipline_codes": list(dict.fromkeys(d["code"] for d in out))}


def _codes(el: Any, path: str) -> list[str]:
    return list(dict.fromkeys(c for c in (attr(x, "CODE") or val(x, "CODE") for x in el.iterfind(path)) if c))


def _count(text: str | None) -> int | None:
    value = to_float(text)
    return int(value) if value is not None else None


def _load_structure(kind: str, el: Any, graph: Graph, display: str) -> None:
    code = attr(el, "CODE")
    if not code:
        return
    labels = fields(el, _LABELS)
    label = labels.get("LIBELLE_LONG") or labels.get("LIBELLE_COURT")
    fields_: dict[str, Any] = {"code": code, "mefs": _codes(el, "MEFS_APPARTENANCE/*"), "services": [],
                               "planned_count": _count(labels.get("EFFECTIF_PREVU")),
                               "computed_count": _count(labels.get("EFFECTIF_CALCULE"))}
    if kind == "group":
        fields_["divisions"] = _codes(el, "DIVISIONS_APPARTENANCE/DIVISION_APPARTENANCE")
    ent = graph.add(kind, code, source=SOURCE, prov=_prov(display, el), label=label or code, **fields_)
    ent.data["label"] = label
    add = graph.add
    for svc in el.iterfind("SERVICES/SERVICE"):
        subject, mod = attr(svc, "CODE_MATIERE"), attr(svc, "CODE_MOD_COURS")
        if not subject:
            continue
        svc_hours = to_float(fields(svc, _SERVICE_HOURS).get("HEURES_STRUCTURE"))
        for ens in svc.iterfind("ENSEIGNANTS/ENSEIGNANT"):
            tid = attr(ens, "ID")
            if not tid:
                continue
            hours = to_float(fields(ens, _TEACHER_HOURS).get("HEURES_AGENT")) if len(ens) else None
            add("service", f"{tid}:{code}:{subject}:{mod or ''}", source=SOURCE, prov=_prov(display, ens),
                label=f"{subject} {mod or ''} en {code} ({tid})".replace("  ", " "),
                teacher_id=tid, teacher=None, structure_code=code, structure_type=kind, structure=None,
                subject_code=subject, subject=None, mod=mod,
                hours=hours if hours is not None else svc_hours)


def link(graph: Graph) -> None:
    """Join STS records: services with their teacher, structure and subject."""
    teachers = {t.id: t for t in graph.all("teacher", SOURCE)}
    structures = {(k, e.id): e for k in ("division", "group") for e in graph.all(k, SOURCE)}
    subjects = {s.id: s for s in graph.all("subject", SOURCE)}
    for ent in teachers.values():
        ent.data["services"] = []
    for (kind, _code), ent in structures.items():
        ent.data["services"] = []
        ent.data.setdefault("mefs", [])
        if kind == "division":
            ent.data["groups"] = []
        else:
            ent.data.setdefault("divisions", [])
    for (kind, _code), ent in structures.items():
        if kind == "group":
            for div in ent.data["divisions"]:
                if ("division", div) in structures:
                    structures[("division", div)].data["groups"].append(ent)
    for kind in ("division", "group"):  # SIECLE structure -> STS-Web structure of the same code
        for ent in graph.all(kind, "siecle"):
            ent.data["sts"] = structures.get((kind, ent.id))
    mefs = {m.id: m for m in graph.all("mef", SOURCE)}
    for prog in graph.all("sts_programme", SOURCE):
        prog.data.update(subject=subjects.get(prog.data["subject_code"] or ""), mef=mefs.get(prog.data["mef_code"] or ""))
    for svc in graph.all("service", SOURCE):
        teacher = teachers.get(svc.data["teacher_id"])
        structure = structures.get((svc.data["structure_type"], svc.data["structure_code"]))
        svc.data.update(teacher=teacher, structure=structure, subject=subjects.get(svc.data["subject_code"]))
        if teacher is not None:
            teacher.data["services"].append(svc)
        if structure is not None:
            structure.data["services"].append(svc)
