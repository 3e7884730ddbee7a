"""The students and guardians of ExportEmploiDuTemps (``edt_student``, ``edt_guardian``).

Read by :func:`~scolint.plugins.edt.export.load_export` after the classes, parts and
groups, which get their ``students``; or skipped (:func:`student_refs`) when the audit's
rules read neither kind (``options["kinds"]``, docs/architecture.md). A membership
(Classe / PartieDeClasse of an Eleve) is current unless its ``DateSortie`` is before the
end of the school year (``AnneeScolaire@DateFin``).
"""

from __future__ import annotations

from functools import lru_cache, partial
from sys import intern
from typing import Any

from scolint.engine.model import Entity, Provenance
from scolint.plugins.common.xmlload import attr, iso_date
from scolint.plugins.edt.reader import NS, SOURCE, SYSTEM, _date, _Reader, q


def is_current(r: _Reader, exit_date: str | None) -> bool:
    """A membership is current unless it ends before the end of the school year."""
    end = _date(exit_date)
    return end is None or r.year_end is None or end >= r.year_end


def _clean(value: str | None) -> str | None:
    """What :func:`~scolint.plugins.common.xmlload.attr` gives for an attribute value."""
    if value is None:
        return None
    value = value.strip()
    return value or None


#: Dates repeat (entry and exit dates of memberships): converted once each.
_iso = lru_cache(maxsize=8192)(iso_date)
_SEX = {"masculin": "M", "feminin": "F", "féminin": "F"}
_STUDENT_CHILDREN = {q("Responsable"): "Responsable", q("Classe"): "Classe", q("PartieDeClasse"): "PartieDeClasse"}


def _local(tag: Any) -> str:
    return tag.split("}")[-1] if isinstance(tag, str) else ""


def read_students(r: _Reader) -> None:
    """The students of the file, their guardians, memberships and groups."""
    for kind in ("edt_class", "edt_class_part", "edt_group"):
        for ent in r.graph.all(kind, SOURCE):
            ent.data["students"] = []
    ref, children, add, byid, display = r.ref, _STUDENT_CHILDREN, r.graph.add, r.byid, r.display
    class_groups: dict[Entity, list[Entity]] = {}
    spans: dict[tuple[str | None, str | None], tuple[str | None, str | None, bool]] = {}
    for el in r.root.iterfind(f"{q('Eleves')}/{q('Eleve')}"):
        a = {k: intern(v.strip()) for k, v in el.items()}  # as attr() reads them: stripped, blank = None
        ident = a.get("Ident")
        if not ident:
            continue
        last, first = a.get("Nom") or None, a.get("Prenom") or None
        st = add("edt_student", ident, source=SOURCE, prov=Provenance(display, el.sourceline, SYSTEM),
                 label=" ".join(p for p in (last, first) if p) or ident,
                 last_name=last, first_name=first, birth_date=_iso(a.get("DateNaissance") or None),
                 sex=_SEX.get((a.get("Sexe") or "").lower()), ine=a.get("NumeroNational") or None,
                 siecle_id=a.get("IDSconet") or None, id_etab=a.get("IDEtablissement") or None,
                 idpn=a.get("IDPN") or a.get("IdPN") or None, idcas=a.get("IDCAS") or None,
                 memberships=[], classes=[], past_classes=[], class_parts=[], groups=[], guardians=[],
                 student=None, link=None)
        byid[("edt_student", ident)] = st
        data = st.data
        for child in el:
            tag = children.get(child.tag) or _local(child.tag)
            if tag == "Responsable":
                _guardian(r, child, st)
            elif tag in ("Classe", "PartieDeClasse"):
                kind = "edt_class" if tag == "Classe" else "edt_class_part"
                target = ref(kind, _clean(child.get("Ident")), child)
                if target is None:
                    continue
                raw = (child.get("DateEntree"), child.get("DateSortie"))
                dates = spans.get(raw)
                if dates is None:  # (entry, exit, current): a few distinct pairs in a whole file
                    leaving = _clean(raw[1])
                    dates = spans[raw] = (_iso(_clean(raw[0])), _iso(leaving), is_current(r, leaving))
                entry, leaving_iso, current = dates
                data["memberships"].append({"kind": "classe" if tag == "Classe" else "partie", "id": target.id,
                                            "entry": entry, "exit": leaving_iso, "current": current})
                if tag == "Classe":
                    (data["classes"] if current else data["past_classes"]).append(target)
                elif current:
                    data["class_parts"].append(target)
        _student_structures(st, class_groups)


def people_needed(r: _Reader, kinds: frozenset[str] | set[str] | None) -> bool:
    """True when the students (and guardians) must be built.

    Besides the kinds asked for, the PRONOTE plugin's link turns the IDPN of EDT's people
    into PRONOTE identifiers (``pronote_identifier``: built when that kind is needed) and
    marks the export as providing them: if no teacher of the file has an IDPN but a
    student or guardian may have one, the students are built so that the formats of the
    audit (``audit.formats``, rules' ``requires``) stay the same.
    """
    if kinds is None or not {"edt_student", "edt_guardian", "pronote_identifier"}.isdisjoint(kinds):
        return True
    if any(ent.data.get("idpn") for (kind, _i), ent in r.byid.items() if kind == "edt_teacher"):
        return False
    return bool(r.root.xpath("boolean(e:Eleves/e:Eleve[@IDPN or @IdPN]"
                             " | e:Eleves/e:Eleve/*[local-name() = 'Responsable'][@IDPN or @IdPN])",
                             namespaces={"e": NS}))


def student_refs(r: _Reader) -> None:
    """What :func:`read_students` does to the other kinds, without building students: the
    ``students`` lists of structures are set (empty), and a class or part a student names
    but the file does not declare is created bare, in the same order and at the same line."""
    for kind in ("edt_class", "edt_class_part", "edt_group"):
        for ent in r.graph.all(kind, SOURCE):
            ent.data["students"] = []
    xpath = partial(r.root.xpath, namespaces={"e": NS}, smart_strings=False)
    if xpath("count(e:Eleves/e:Eleve/*) = count(e:Eleves/e:Eleve/e:*)"):  # no child in another namespace
        named = {kind: xpath(f"e:Eleves/e:Eleve/e:{tag}/@Ident")
                 for tag, kind in (("Classe", "edt_class"), ("PartieDeClasse", "edt_class_part"))}
        # each distinct name once (a class is named by each of its students)
        if all((kind, ident.strip()) in r.byid for kind, idents in named.items() for ident in set(idents)
               if ident.strip()):
            return  # every structure a student names is declared (a valid file): nothing to create
    for el in r.root.iterfind(f"{q('Eleves')}/{q('Eleve')}"):
        if not attr(el, "Ident"):
            continue
        for child in el:
            tag = child.tag.split("}")[-1] if isinstance(child.tag, str) else ""
            if tag in ("Classe", "PartieDeClasse"):
                r.ref("edt_class" if tag == "Classe" else "edt_class_part", attr(child, "Ident"), child)


def _student_structures(st: Entity, class_groups: dict[Entity, list[Entity]]) -> None:
    """A student's class, groups (those of its classes as whole classes, and of its parts)
    and group names; the student joins its structures. ``class_groups`` caches, per
    class, its groups made of the whole class (the structures are read before)."""
    classes = st.data["classes"]
    st.data["edt_class"] = classes[0] if classes else None
    st.data["class_name"] = classes[0].data.get("name") if classes else None
    groups: list[Entity] = []
    for cls in classes:
        cls.data["students"].append(st)
        whole = class_groups.get(cls)
        if whole is None:
            whole = class_groups[cls] = [g for g in cls.data["groups"] if cls in g.data["whole_classes"]]
        groups.extend(g for g in whole if g not in groups)
    for part in st.data["class_parts"]:
        part.data["students"].append(st)
        groups.extend(g for g in part.data["groups"] if g not in groups)
    for grp in groups:
        grp.data["students"].append(st)
    st.data["groups"] = groups
    st.data["group_names"] = [g.data.get("name") or g.id for g in groups]


def _guardian(r: _Reader, el: Any, st: Entity) -> None:
    ident = _clean(el.get("Ident"))
    if not ident:
        return
    g = r.byid.get(("edt_guardian", ident))
    rank = _clean(el.get("RespLegal"))
    if g is None:  # a guardian of several students is read once
        a = {k: intern(v.strip()) for k, v in el.items()}
        last, first = a.get("Nom") or None, a.get("Prenom") or None
        g = r.graph.add("edt_guardian", ident, source=SOURCE, prov=r.prov(el),
                        label=" ".join(p for p in (last, first) if p) or ident,
                        last_name=last, first_name=first, civility=a.get("Civilite") or None,
                        legal_rank=rank, legal_ranks=[], idpn=a.get("IDPN") or a.get("IdPN") or None,
                        idcas=a.get("IDCAS") or None, students=[])
        r.byid[("edt_guardian", ident)] = g
    elif rank != g.data["legal_rank"]:
        # RespLegal belongs to each child's record (a real export has a guardian 1 for one
        # child and 2 for another): no single rank then, each one is in legal_ranks
        g.data["legal_rank"] = None
    g.data["students"].append(st)
    g.data["legal_ranks"].append(rank)
    st.data["guardians"].append(g)
