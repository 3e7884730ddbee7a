"""The faster EDT loaders build exactly what the straightforward ones built (issue 7).

The courses and students of ExportEmploiDuTemps are now read with cached weeks and dates,
one attribute dictionary per element and a per-class cache of groups; the courses of
EDT_STS with one pass over their children. The reference below is the straightforward
reading as it was before: both must give the same graph (every entity, field, label,
provenance and list order) on generated exports, on the public samples and on spoilt
trees (unknown references, blank or padded identifiers, foreign elements, bad week
masks, duplicates, comments).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from scolint.engine import xmlsafe
from scolint.engine.model import Entity, Graph
from scolint.plugins import edt_export as E
from scolint.plugins.edt import people as edt_people
from scolint.plugins.edt import remontee as edt_sts
from scolint.plugins.gen.generate import generate
from scolint.plugins.common.xmlload import attr, iso_date, to_int, val

NS = E.NS


# -- the reference: the straightforward reading (before the speed-ups) -----------------
def ref_students(r: Any) -> None:
    for kind in ("edt_class", "edt_class_part", "edt_group"):
        for ent in r.graph.all(kind, E.SOURCE):
            ent.data["students"] = []
    for el in r.root.iterfind(f"{E.q('Eleves')}/{E.q('Eleve')}"):
        ident = attr(el, "Ident")
        if not ident:
            continue
        last, first = attr(el, "Nom"), attr(el, "Prenom")
        sex = {"masculin": "M", "feminin": "F", "féminin": "F"}.get((attr(el, "Sexe") or "").lower())
        st = r.add("edt_student", ident, el, " ".join(p for p in (last, first) if p) or ident,
                   last_name=last, first_name=first, birth_date=iso_date(attr(el, "DateNaissance")), sex=sex,
                   ine=attr(el, "NumeroNational"), siecle_id=attr(el, "IDSconet"), id_etab=attr(el, "IDEtablissement"),
                   idpn=attr(el, "IDPN") or attr(el, "IdPN"), idcas=attr(el, "IDCAS"), memberships=[], classes=[],
                   past_classes=[], class_parts=[], groups=[], guardians=[], student=None, link=None)
        for child in el:
            tag = child.tag.split("}")[-1] if isinstance(child.tag, str) else ""
            if tag == "Responsable":
                ref_guardian(r, child, st)
            elif tag in ("Classe", "PartieDeClasse"):
                kind = "edt_class" if tag == "Classe" else "edt_class_part"
                target = r.ref(kind, attr(child, "Ident"), child)
                if target is None:
                    continue
                current = edt_people.is_current(r, attr(child, "DateSortie"))
                st.data["memberships"].append({"kind": "classe" if tag == "Classe" else "partie", "id": target.id,
                                               "entry": iso_date(attr(child, "DateEntree")),
                                               "exit": iso_date(attr(child, "DateSortie")), "current": current})
                if tag == "Classe":
                    (st.data["classes"] if current else st.data["past_classes"]).append(target)
                elif current:
                    st.data["class_parts"].append(target)
        classes = st.data["classes"]
        st.data["edt_class"] = classes[0] if classes else None
        st.data["class_name"] = classes[0].data.get("name") if classes else None
        groups: list[Entity] = []
        for cls in classes:
            cls.data["students"].append(st)
            groups.extend(g for g in cls.data["groups"] if g not in groups and cls in g.data["whole_classes"])
        for part in st.data["class_parts"]:
            part.data["students"].append(st)
            groups.extend(g for g in part.data["groups"] if g not in groups)
        for grp in groups:
            grp.data["students"].append(st)
        st.data["groups"] = groups
        st.data["group_names"] = [g.data.get("name") or g.id for g in groups]


def ref_guardian(r: Any, el: Any, st: Entity) -> None:
    ident = attr(el, "Ident")
    if not ident:
        return
    existing = r.byid.get(("edt_guardian", ident))
    last, first = attr(el, "Nom"), attr(el, "Prenom")
    g = existing or r.add("edt_guardian", ident, el, " ".join(p for p in (last, first) if p) or ident,
                          last_name=last, first_name=first, civility=attr(el, "Civilite"),
                          legal_rank=attr(el, "RespLegal"), idpn=attr(el, "IDPN") or attr(el, "IdPN"),
                          idcas=attr(el, "IDCAS"), students=[])
    g.data["students"].append(st)
    st.data["guardians"].append(g)


def ref_courses(r: Any) -> None:
    places, place_minutes = E._places(r.root)
    seen: dict[str, int] = {}
    for el in r.root.iterfind(f"{E.q('Cours')}/{E.q('Cours')}"):
        day, first, count = to_int(attr(el, "Jour")), to_int(attr(el, "NumeroPlaceDebut")), to_int(attr(el, "NombrePlaces"))
        res: dict[str, list[Entity]] = {k: [] for k in E.RESOURCES}
        refs: list[str] = []
        weeks: set[int] = set()
        has_weeks = False
        subject = None
        for child in el:
            tag = child.tag.split("}")[-1] if isinstance(child.tag, str) else ""
            if tag == "Matiere":
                subject = r.ref("edt_subject", attr(child, "Ident"), child)
            elif tag in E.RESOURCES:
                prefix, kind = E.RESOURCES[tag]
                ent = r.ref(kind, attr(child, "Ident"), child)
                if ent is None:
                    continue
                res[tag].append(ent)
                if prefix != "S":
                    refs.append(f"{prefix}{ent.id}")
                decoded = E.decode_weeks(attr(child, "Semaines"))
                if decoded is not None:
                    has_weeks = True
                    weeks.update(decoded)
        base = f"J{day if day is not None else ''}-P{first if first is not None else ''}-M{subject.id if subject else ''}-" \
               + ",".join(sorted(refs))
        seen[base] = seen.get(base, 0) + 1
        cid = base if seen[base] == 1 else f"{base}#{seen[base]}"
        start = places.get(first or 0, (None, None))[0] if first is not None else None
        last = (first or 0) + (count or 1) - 1
        end = places.get(last, (None, None))[1] if first is not None else None
        week_list = sorted(weeks) if has_weeks else None
        names = [e.label for e in res["Classe"] + res["Groupe"] + res["PartieDeClasse"]]
        label = f"{subject.label if subject else 'sans matière'} – {', '.join(names) or 'sans classe'} – " \
                f"{E.DAYS.get(day or 0, '?')} {start or '?'}"
        course = r.add("edt_course", cid, el, label, day=day, day_name=E.DAYS.get(day or 0), start=start, end=end,
                       duration=(count * place_minutes) if count and place_minutes else None,
                       first_place=first, places=count, weeks=week_list,
                       week_dates=E.week_dates(week_list, r.first_monday), alternance=None,
                       teachers=res["Professeur"], classes=res["Classe"], groups=res["Groupe"],
                       class_parts=res["PartieDeClasse"], subject=subject,
                       subject_code=subject.data.get("code") if subject else None,
                       rooms=res["Salle"], room=res["Salle"][0] if res["Salle"] else None, service=None,
                       exported=None, complex_specified=None)
        for tag in ("Professeur", "Classe", "Groupe"):
            for ent in res[tag]:
                ent.data.setdefault("courses", []).append(course)


def ref_sts_course(ctx: Any, el: Any, service: Entity, teacher: Entity, structure: Entity, kind: str,
                   subject: str) -> None:
    day = to_int(val(el, "JOUR"))
    start = edt_sts._minutes(val(el, "HEURE_DEBUT"))
    duration = edt_sts._minutes(val(el, "DUREE"))
    alt = val(el, "CODE_ALTERNANCE")
    base = f"{service.id}:J{day if day is not None else ''}-{val(el, 'HEURE_DEBUT') or ''}-{alt or ''}"
    ctx.seen[base] = ctx.seen.get(base, 0) + 1
    cid = base if ctx.seen[base] == 1 else f"{base}#{ctx.seen[base]}"
    room = ctx.room(val(el, "CODE_SALLE"), el)
    clock = edt_sts._clock
    course = ctx.graph.add(
        "edt_course", cid, source=edt_sts.SOURCE, prov=ctx.prov(el),
        label=f"{subject} – {structure.id} – {E.DAYS.get(day or 0, '?')} {clock(start) or '?'}",
        day=day, day_name=E.DAYS.get(day or 0), start=clock(start),
        end=clock(start + duration) if start is not None and duration is not None else None,
        duration=duration, first_place=None, places=None, weeks=None, week_dates=ctx.weeks.get(alt or "", []),
        alternance=alt, teachers=[teacher], classes=[structure] if kind == "edt_class" else [],
        groups=[structure] if kind == "edt_group" else [], class_parts=[], subject=None, subject_code=subject,
        rooms=[room] if room else [], room=room, service=service, exported=True, complex_specified=None)
    service.data["courses"].append(course)
    teacher.data["courses"].append(course)
    structure.data["courses"].append(course)


# -- comparison -----------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if isinstance(value, Entity):
        return ["@", value.kind, value.source, value.id]
    if isinstance(value, dict):
        return [[str(k), _plain(v)] for k, v in value.items()]  # key order kept
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [_plain(v) for v in value]]
    return value


def snapshot(graph: Graph) -> list[Any]:
    out = [[e.kind, e.source, e.id, e.label, [str(p) for p in e.prov], _plain(e.data)] for e in graph]
    return out + [[p.code, p.message, p.line] for p in graph.problems]


def _load_export(tree: Any, monkeypatch: pytest.MonkeyPatch, reference: bool, kinds: Any = None) -> Graph:
    graph = Graph()
    with monkeypatch.context() as m:
        if reference:
            m.setattr(edt_people, "read_students", ref_students)
            m.setattr(E, "_courses", ref_courses)
        E.load_export(tree, graph, "x.xml", kinds)
    return graph


def _load_sts(tree: Any, monkeypatch: pytest.MonkeyPatch, reference: bool) -> Graph:
    graph = Graph()
    with monkeypatch.context() as m:
        if reference:
            m.setattr(edt_sts, "_course", ref_sts_course)
        edt_sts.load_edt_sts(tree, graph, "y.xml")
    return graph


def spoil(tree: Any) -> Any:
    """A copy of an ExportEmploiDuTemps tree with what a careless export or edit leaves."""
    tree = copy.deepcopy(tree)
    root = tree.getroot()
    q = E.q
    courses = root.find(q("Cours"))
    first = courses[0]
    courses.append(copy.deepcopy(first))                      # exact duplicate: "#2"
    odd = copy.deepcopy(first)
    etree.SubElement(odd, "{urn:autre}Professeur", Ident="1")  # a resource in another namespace
    etree.SubElement(odd, q("Classe"), Ident="  9999 ", Semaines="abc")  # unknown, padded; bad mask
    etree.SubElement(odd, q("Groupe"), Ident=" ", Semaines="")          # blank: ignored
    etree.SubElement(odd, q("Salle"), Ident="S-inconnue", Semaines="-4")
    odd.append(etree.Comment(" commentaire "))
    odd.set("Jour", " 3 ")
    courses.append(odd)
    bare = etree.SubElement(courses, q("Cours"), NumeroPlaceDebut="x")  # no day, no resource
    etree.SubElement(bare, q("Matiere"), Ident="4242")
    twice = copy.deepcopy(first)                              # a second Matiere, without Ident
    etree.SubElement(twice, q("Matiere"), Ident=" ")
    etree.SubElement(twice, q("Professeur"))
    courses.append(twice)
    other = copy.deepcopy(first)                              # a second Matiere, another one
    etree.SubElement(other, q("Matiere"), Ident="4243")
    courses.append(other)
    students = root.find(q("Eleves"))
    if students is not None and len(students):
        one = students[0]
        etree.SubElement(one, q("Classe"), Ident="8888", DateEntree="2024-09-02", DateSortie="2024-10-01")
        etree.SubElement(one, q("PartieDeClasse"), Ident=" 7777 ")
        etree.SubElement(one, "{urn:autre}Classe", Ident="6666")
        one.append(etree.Comment(" note "))
        twin = copy.deepcopy(one)
        twin.set("Ident", "   ")                                 # blank id: skipped, its refs too
        etree.SubElement(twin, q("Classe"), Ident="5555")
        students.append(twin)
        other = copy.deepcopy(students[len(students) // 2])
        other.set("Ident", " nouvel ")
        other.set("Nom", "  ")
        students.append(other)                                   # shares its guardians
    return tree


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("etab")
    generate(folder, 150, 3)
    return folder


def _by_root(folder: Path, root: bytes) -> list[Path]:
    return sorted(p for p in folder.rglob("*.xml") if root in p.read_bytes()[:3000])


def _export_trees(generated: Path, samples: Path) -> list[Any]:
    paths = _by_root(generated, b"<ExportEmploiDuTemps") + [samples / "edt" / "ExportEmploiDuTemps_enclair.xml"]
    trees = [xmlsafe.parse(p) for p in paths]
    return trees + [spoil(t) for t in trees]


def test_export_loader_builds_what_the_reference_builds(generated: Path, samples: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    for tree in _export_trees(generated, samples):
        fast, slow = _load_export(tree, monkeypatch, False), _load_export(tree, monkeypatch, True)
        assert len(fast) > 100
        assert snapshot(fast) == snapshot(slow)


def test_export_loader_without_people_builds_the_rest_identically(generated: Path, samples: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``kinds`` lacking students and guardians, every other entity is the same but
    for the ``students`` lists (empty) — bare structures named by students included."""
    kinds = frozenset({"edt_course", "edt_class", "edt_class_part", "edt_group", "edt_teacher", "edt_subject"})
    compared = 0
    for tree in _export_trees(generated, samples):
        full, light = _load_export(tree, monkeypatch, True), _load_export(tree, monkeypatch, False, kinds)
        has_idpn = any(e.get("idpn") for e in full.all("edt_teacher"))
        if not has_idpn:  # the PRONOTE identifiers of the people still need them
            continue
        assert not light.all("edt_student") and not light.all("edt_guardian")
        expected = []
        for e in full:
            if e.kind in ("edt_student", "edt_guardian"):
                continue
            data = dict(e.data)
            if isinstance(data.get("students"), list):
                data["students"] = []
            expected.append([e.kind, e.source, e.id, e.label, [str(p) for p in e.prov], _plain(data)])
        expected += [[p.code, p.message, p.line] for p in full.problems]
        assert snapshot(light) == expected
        compared += 1
    assert compared >= 2  # the generated export and its spoilt copy at least


def test_people_are_built_when_only_they_carry_pronote_identifiers(generated: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    tree = copy.deepcopy(xmlsafe.parse(_by_root(generated, b"<ExportEmploiDuTemps")[0]))
    for teacher in tree.getroot().iterfind(f"{E.q('Professeurs')}/{E.q('Professeur')}"):
        teacher.attrib.pop("IDPN", None)
    graph = _load_export(tree, monkeypatch, False, frozenset({"edt_course"}))
    assert graph.all("edt_student")


def test_sts_loader_builds_what_the_reference_builds(generated: Path, samples: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _by_root(generated, b"<EDT_STS") + [samples / "edt" / "emp_sts_EDT_STS.xml"]
    for path in paths:
        tree = xmlsafe.parse(path)
        spoilt = copy.deepcopy(tree)
        for i, course in enumerate(spoilt.getroot().iter("COURS")):
            if i % 7 == 0:
                etree.SubElement(course, "JOUR").text = "5"      # a second JOUR: the first one counts
            if i % 11 == 0 and len(course):
                course[0].text = "  "                           # blank first value
        for t in (tree, spoilt):
            fast, slow = _load_sts(t, monkeypatch, False), _load_sts(t, monkeypatch, True)
            assert fast.all("edt_course")
            assert snapshot(fast) == snapshot(slow)


def test_course_weeks_are_not_shared_between_courses(generated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Courses with the same masks get equal but distinct lists (a rule or a link may
    change one course's list without touching the others)."""
    tree = xmlsafe.parse(_by_root(generated, b"<ExportEmploiDuTemps")[0])
    courses = _load_export(tree, monkeypatch, False).all("edt_course")
    by_weeks: dict[str, list[Entity]] = {}
    for c in courses:
        by_weeks.setdefault(json.dumps(c.get("weeks")), []).append(c)
    same = max(by_weeks.values(), key=len)
    assert len(same) > 1 and same[0].get("week_dates")
    assert same[0].get("weeks") is not same[1].get("weeks")
    assert same[0].get("week_dates") is not same[1].get("week_dates")


# -- link: EDT students found in SIECLE --------------------------------------------------
def ref_link_students(graph: Graph) -> None:
    """The straightforward join (every index and key computed up front)."""
    from scolint.plugins import link_edt as L
    students = graph.all("student", "siecle")
    for st in students:
        st.data.setdefault("edt", None)
    edt_students = graph.all("edt_student", "edt")
    for es in edt_students:
        es.data.setdefault("student", None)
        es.data.setdefault("link", None)
    if not students or not edt_students:
        return
    by_id = {s.id: [s] for s in students}
    by_ine = L._index(students, lambda s: (s.get("ine") or "").upper())
    by_name = L._index(students, lambda s: f"{L._person_key(s)}|{s.get('birth_date') or ''}" if s.get("birth_date") else "")
    missing = []
    for es in edt_students:
        steps = (("IDSconet", by_id, es.get("siecle_id")), ("INE", by_ine, (es.get("ine") or "").upper()),
                 ("nom+naissance", by_name, f"{L._person_key(es)}|{es.get('birth_date')}" if es.get("birth_date") else ""))
        for method, index, key in steps:
            found = index.get(key, []) if key else []
            if len(found) > 1:
                L._ambiguous(graph, es, "l'élève d'EDT", found)
                break
            if found:
                if found[0].data.get("edt") is not None:
                    L._ambiguous(graph, es, "l'élève d'EDT", [found[0], found[0].data["edt"]])
                    break
                L.join(es, "student", found[0], "edt")
                es.data["link"] = method
                break
        else:
            missing.append(es)
    if missing:
        L._absent(graph, missing, "élève(s) d'EDT", "SIECLE")


def _spoilt_students(graph: Graph) -> None:
    """EDT students found by INE, by name, twice, or not at all."""
    edt = graph.all("edt_student", "edt")
    for i, es in enumerate(edt):
        if i % 5 == 1:
            es.data["siecle_id"] = None                      # found by INE
        elif i % 5 == 2:
            es.data.update(siecle_id="inconnu", ine=None)    # found by name and birth date
        elif i % 5 == 3:
            es.data.update(siecle_id=None, ine=None, birth_date=None)  # not found
        elif i % 7 == 4 and i > 10:
            es.data["siecle_id"] = edt[i - 5].get("siecle_id")  # a SIECLE student already taken


def _linked(folder: Path, reference: bool, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    from scolint.engine.audit import Auditor
    from scolint.plugins import link_edt as L
    auditor = Auditor()
    with monkeypatch.context() as m:
        if reference:
            m.setattr(L, "link_students", ref_link_students)
        real_link = auditor.host.link

        def link(graph: Graph) -> None:
            _spoilt_students(graph)
            real_link(graph)
        m.setattr(auditor.host, "link", link)
        graph, _shown = auditor.load([folder])
    return snapshot(graph)


def test_edt_students_join_siecle_as_the_reference_does(generated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = _linked(generated, False, monkeypatch), _linked(generated, True, monkeypatch)
    assert any(row[0] == "ENTREE-LIEN" for row in fast)
    assert fast == slow


def test_edt_students_found_by_id_need_no_folded_name(generated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The generated EDT students are all found by INE: no name is folded for them (the
    straightforward join folded every SIECLE and EDT student's name)."""
    from scolint.engine.audit import Auditor
    from scolint.plugins import link_edt as L
    calls = [0]
    inside = [False]
    real_key, real_link = L._person_key, L.link_students

    def counted(ent: Entity) -> str:
        calls[0] += inside[0]
        return real_key(ent)

    def link_students(graph: Graph) -> None:
        inside[0] = True
        try:
            real_link(graph)
        finally:
            inside[0] = False
    monkeypatch.setattr(L, "_person_key", counted)
    monkeypatch.setattr(L, "link_students", link_students)
    graph, _shown = Auditor().load([generated])
    links = {es.get("link") for es in graph.all("edt_student")}
    assert links and links <= {"IDSconet", "INE"}
    assert calls[0] == 0
