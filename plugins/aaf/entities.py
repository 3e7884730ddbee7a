"""AAF records -> entities, and their links to SIECLE/STS (helpers of :mod:`scolint.plugins.aaf`).

Multi-part values are ``$``-joined (formats.md §7): ``ENTEleveClasses`` = ``struct$CLASSE``,
``ENTAuxEnsClassesMatieres`` = ``struct$classe$matière``, ``ENTElevePersRelEleve`` =
``jointure$parenté$financier$légal$contact$paiement``. The structure prefix is kept aside
(``_refs``) so that, when an EtabEducNat file tells which structure is the audited school,
classes of other schools of an academy-wide feed are left out.
"""

from __future__ import annotations

from typing import Any, Callable

from scolint.engine.model import Graph, Provenance
from scolint.plugins.aaf.feed import after_struct, first, multi
from scolint.plugins.common.people import people_index
from scolint.plugins.common.xmlload import fr_date

SOURCE = "aaf"
Attrs = dict[str, list[str]]


def _common(prov: Provenance, op: str, ident: str, attrs: Attrs) -> dict[str, Any]:
    return dict(prov=prov, source=SOURCE, jointure=first(attrs, "ENTPersonJointure") or ident, operation=op,
                last_name=first(attrs, "sn") or first(attrs, "ENTPersonNomPatro"),
                first_name=first(attrs, "givenName"), civility=first(attrs, "personalTitle"),
                birth_date=fr_date(first(attrs, "ENTPersonDateNaissance")))


def _label(fields: dict[str, Any]) -> str:
    return " ".join(p for p in (fields["last_name"], fields["first_name"]) if p) or fields["jointure"]


def load_student(graph: Graph, prov: Provenance, op: str, ident: str, attrs: Attrs) -> None:
    f = _common(prov, op, ident, attrs)
    relatives = [v.split("$") for v in multi(attrs, "ENTElevePersRelEleve")]
    divisions = [("D", s, p[0]) for s, p in after_struct(multi(attrs, "ENTEleveClasses"))]
    groups = [("G", s, p[0]) for s, p in after_struct(multi(attrs, "ENTEleveGroupes"))]
    graph.add("aaf_student", f["jointure"], label=_label(f), **f,
              ine=first(attrs, "ENTEleveINE"), siecle_id=first(attrs, "ENTEleveStructRattachId"),
              mef=first(attrs, "ENTEleveMEF"), structure=first(attrs, "ENTPersonStructRattach"),
              division_codes=[c for _k, _s, c in divisions], group_codes=[c for _k, _s, c in groups],
              relative_jointures=[r[0] for r in relatives if r[0]],
              legal_relative_jointures=list(dict.fromkeys(r[0] for r in relatives
                                                          if len(r) > 3 and r[0] and r[3] in ("1", "2"))),
              legal_relatives=[], student=None, person=None, _refs=divisions + groups)


def load_guardian(graph: Graph, prov: Provenance, op: str, ident: str, attrs: Attrs) -> None:
    # _common's fields written out: a guardian feed has twice as many records as the pupils'
    jointure = first(attrs, "ENTPersonJointure") or ident
    birth = first(attrs, "ENTPersonNomPatro")
    last, given = first(attrs, "sn") or birth, first(attrs, "givenName")
    graph.add("aaf_guardian", jointure, label=" ".join(p for p in (last, given) if p) or jointure,
              prov=prov, source=SOURCE, jointure=jointure, operation=op, last_name=last, birth_name=birth,
              first_name=given,
              civility=first(attrs, "personalTitle"), birth_date=fr_date(first(attrs, "ENTPersonDateNaissance")),
              email=first(attrs, "mail"),
              student_jointures=[v.split("$")[0] for v in multi(attrs, "ENTAuxPersRelEleveEleve")],
              students=[], guardian=None, guardian_candidates=[], person=None)


def load_staff(graph: Graph, prov: Provenance, op: str, ident: str, attrs: Attrs) -> None:
    f = _common(prov, op, ident, attrs)
    functions = after_struct(multi(attrs, "ENTPersonFonctions"))
    refs: list[tuple[str, str, str]] = []
    pairs: list[tuple[str, str]] = []
    for name in ("ENTAuxEnsClassesMatieres", "ENTAuxEnsGroupesMatieres"):
        for struct, parts in after_struct(multi(attrs, name)):
            refs.append(("S", struct, parts[0]))
            if len(parts) > 1 and parts[1]:
                pairs.append((struct, f"{parts[0]}${parts[1]}"))
    for name in ("ENTAuxEnsClasses", "ENTAuxEnsGroupes"):
        refs.extend(("S", struct, parts[0]) for struct, parts in after_struct(multi(attrs, name)))
    graph.add("aaf_teacher", f["jointure"], label=_label(f), **f, sts_id=first(attrs, "ENTPersonSTSId"),
              functions=list(dict.fromkeys(p[0] for _s, p in functions)),
              is_teacher=any(p[0] == "ENS" for _s, p in functions),
              class_subjects=list(dict.fromkeys(p for _s, p in pairs)),
              structure_codes=list(dict.fromkeys(c for _k, _s, c in refs)),
              sts_structure_codes=[], teacher=None, person=None, _refs=refs, _pairs=pairs)


def load_establishment(graph: Graph, prov: Provenance, op: str, ident: str, attrs: Attrs) -> None:
    jointure = first(attrs, "ENTStructureJointure") or ident
    name = first(attrs, "ENTStructureNomCourant")
    graph.add("aaf_establishment", jointure, source=SOURCE, prov=prov, label=name or jointure,
              jointure=jointure, uai=first(attrs, "ENTStructureUAI"), name=name,
              siren=first(attrs, "ENTStructureSIREN"), academy=first(attrs, "ENTServAcAcademie"),
              contract=first(attrs, "ENTEtablissementContrat"), operation=op,
              file=prov.file.split("!")[-1].replace("\\", "/").rsplit("/", 1)[-1])


LOADERS: dict[str, Callable[[Graph, Provenance, str, str, Attrs], None]] = {
    "Eleve": load_student, "PersRelEleve": load_guardian, "PersEducNat": load_staff,
    "EtabEducNat": load_establishment,
}


def link(graph: Graph, home: set[str]) -> None:
    """Keep the audited school's classes, then find each record's SIECLE/STS person."""
    people = people_index(graph)
    students = {s.id: s for s in graph.all("aaf_student", SOURCE)}
    for st in students.values():
        refs = [r for r in st.get("_refs") or [] if not home or r[1] in home]
        st.data["division_codes"] = list(dict.fromkeys(c for k, _s, c in refs if k == "D"))
        st.data["group_codes"] = list(dict.fromkeys(c for k, _s, c in refs if k == "G"))
        person, _c, _h = people.student(st.get("siecle_id"), st.get("ine"), st.get("last_name"),
                                        st.get("first_name"), st.get("birth_date"))
        st.data.update(student=person, person=person)
    relatives: dict[str, list[str]] = {}  # guardian jointure -> students naming it (one pass, not one per guardian)
    for s in students.values():
        for j in s.get("relative_jointures") or []:
            relatives.setdefault(j, []).append(s.id)
    guardians = {}
    for g in graph.all("aaf_guardian", SOURCE):
        guardians.setdefault(g.id, g)
        joins = list(g.get("student_jointures") or [])
        joins += relatives.get(g.id, [])
        kids = [students[j] for j in dict.fromkeys(joins) if j in students]
        child_ids = [k["student"].id for k in kids if k.get("student") is not None]
        person, cands, _h = people.guardian(g.get("last_name"), g.get("first_name"), child_ids,
                                            other_last=g.get("birth_name"))
        g.data.update(students=kids, student_jointures=list(dict.fromkeys(joins)), guardian=person, person=person,
                      guardian_candidates=cands if person is None else [])
    for st in students.values():
        st.data["legal_relatives"] = [guardians[j] for j in st.get("legal_relative_jointures") or [] if j in guardians]
    for t in graph.all("aaf_teacher", SOURCE):
        refs = [r for r in t.get("_refs") or [] if not home or r[1] in home]
        t.data["structure_codes"] = list(dict.fromkeys(c for _k, _s, c in refs))
        t.data["class_subjects"] = list(dict.fromkeys(p for s, p in t.get("_pairs") or [] if not home or s in home))
        person, _c, _h = people.teacher(t.get("sts_id"), t.get("last_name"), t.get("first_name"), t.get("birth_date"))
        t.data.update(teacher=person, person=person)
        services = person.get("services") or [] if person is not None else []
        t.data["sts_structure_codes"] = list(dict.fromkeys(s.get("structure_code") for s in services
                                                           if s.get("structure_code")))
