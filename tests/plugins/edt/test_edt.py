"""EDT loaders and links on the generated establishment (real shapes): exports read without
problem, weeks decoded, course ids, joins with SIECLE and STS-Web on both sides, located
schema errors, ambiguous and impossible joins as findings."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scolint.engine.audit import Auditor
from scolint.engine.model import Graph, Provenance
from scolint.plugins.edt.export import decode_weeks
from scolint.plugins.edt.link import link_students
from scolint.plugins.gen.edt import mask
from scolint.plugins.gen.edt_defects import flags
from scolint.plugins.gen.generate import generate


@pytest.fixture(scope="module")
def auditor() -> Auditor:
    return Auditor()


@pytest.fixture(scope="module", params=[2, 3], ids=["ids-explicites", "ine-et-noms"])
def loaded(request, auditor, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"edt{request.param}")
    est, truth = generate(out, 120, request.param)
    graph, _ = auditor.load([out])
    return out, est, truth, graph


def test_generated_exports_load_without_problem(loaded):
    out, est, _truth, graph = loaded
    formats = {e.format_id: e for e in graph.exports}
    assert {"edt-export", "edt-sts"} <= set(formats)
    assert all((formats[f].uai, formats[f].year) == (est.uai, est.year) for f in ("edt-export", "edt-sts"))
    assert [(p.code, p.file, p.line, p.message) for p in graph.problems] == []
    assert all(e.prov and e.prov[0].line for k in ("edt_course", "edt_student", "edt_group", "edt_service")
               for e in graph.all(k))


def _written(est) -> list:
    """The courses of the establishment written in its ExportEmploiDuTemps: edt.export-partiel
    (seeds multiple of 3) leaves out those of one division and of its groups."""
    untaught = flags(est)["untaught"]
    return [c for c in est.courses
            if not untaught or not (untaught in c.divisions or any(untaught in est.group(g).divisions for g in c.groups))]


def test_weeks_days_and_times(loaded):
    _out, est, _truth, graph = loaded
    courses = graph.all("edt_course", "edt")
    written = _written(est)
    assert len(courses) >= len(written) and (flags(est)["untaught"] is None) == (len(written) == len(est.courses))
    first_week = (est.week1_monday + dt.timedelta(days=7 * (est.school_weeks[0] - 1))).isoformat()
    for c in courses:
        assert c["weeks"] == list(est.school_weeks)
        assert c["week_dates"][0] == first_week and len(c["week_dates"]) == len(c["weeks"])
        assert re.fullmatch(r"\d\d:\d\d", c["start"]) and c["duration"] % 60 == 0 and 1 <= c["day"] <= 5
    remontee = graph.all("edt_course", "edt_sts")
    # edt.semaine-hors-annee (even seeds) adds one week after the school year to the remontée
    late = any(f.rule == "EDT-REM-002" for f in _truth.findings)
    assert remontee and all(len(c["week_dates"]) == len(est.school_weeks) + late and c["service"] for c in remontee)
    assert all((c["week_dates"][-1] > est.end_date.isoformat()) == late for c in remontee)


def test_course_ids_follow_the_architecture(loaded):
    _out, est, _truth, graph = loaded
    course = est.courses[0]
    assert all(re.fullmatch(r"J\d-P\d+-M\d+-[PCGK0-9,]*(#\d+)?", c.id) for c in graph.all("edt_course", "edt"))
    found = [c for c in graph.all("edt_course", "edt")
             if (c["day"], c["first_place"], c["subject"]["code"]) ==
             (course.day, course.start, est.subjects[course.subject].gestion)
             and {t.label for t in c["teachers"]} == {f"{est.teacher(t).last_name} {est.teacher(t).first_name}"
                                                    for t in course.teachers}]
    assert len(found) == 1
    refs = found[0].id.split("-", 3)[3].split(",")
    assert refs == sorted(refs) and all(r[0] in "PCGK" for r in refs)


def test_students_and_teachers_are_joined_on_both_sides(loaded):
    out, est, truth, graph = loaded
    absent = {f.id for f in truth.findings if f.rule == "X-SIE-EDT-001"}
    expected_method = "IDSconet" if est.seed % 2 == 0 else "INE"
    for s in est.current_students():
        student = graph.get("student", s.eleve_id, "siecle")
        if not s.division or s.eleve_id in absent:
            assert student["edt"] is None
            continue
        edt = student["edt"]
        assert edt["student"] is student and edt["link"] == expected_method
        assert {p.file for p in student.prov} >= {str(out / "ElevesSansAdresses.xml"),
                                                  str(out / f"ExportEmploiDuTemps_{est.uai}_enclair.xml")}
        assert any(p.system == "SIECLE" for p in edt.prov)
    for t in graph.all("edt_teacher", "edt"):
        assert t["teacher"] is not None and t["teacher"]["edt"] is t
        assert t["link"] == ("IDSTS" if est.seed % 2 == 0 else "nom")
    for svc in graph.all("edt_service", "edt_sts"):
        if svc["subject"] is not None and svc["teacher_id"] in {x.sts_id for x in est.teachers}:
            assert svc["service"] is None or svc["service"]["edt"] is svc
    classes = graph.all("edt_class", "edt")
    assert all(c["division"] is not None and c["division"]["edt"] is c for c in classes if c["name"] != "ULIS")


def test_stale_group_membership_is_read_from_dates(loaded):
    _out, est, truth, graph = loaded
    for f in truth.findings:
        if f.rule != "X-SIE-EDT-003":
            continue
        student = graph.get("student", f.id, "siecle")
        edt = student["edt"]
        assert edt["class_name"] == student["division_code"] and edt["past_classes"]
        assert [m for m in edt["memberships"] if m["kind"] == "classe" and not m["current"]]
        assert set(edt["group_names"]) - {g["name"] for g in student["division"]["edt"]["groups"]}


@given(st.sets(st.integers(min_value=0, max_value=63)))
def test_semaines_mask_round_trip(weeks):
    assert decode_weeks(str(mask(sorted(weeks)))) == sorted(weeks)


def test_semaines_examples():
    assert decode_weeks("2") == [1]
    assert decode_weeks("") is None and decode_weeks("-1") is None and decode_weeks("x") is None


def _broken(src: Path, dest: Path, old: str, new: str) -> Path:
    text = src.read_text("utf-8")
    assert old in text
    dest.write_text(text.replace(old, new, 1), "utf-8")
    return dest


def test_broken_reference_is_located_and_the_rest_is_read(loaded, auditor, tmp_path):
    out, est, _truth, _graph = loaded
    src = out / f"ExportEmploiDuTemps_{est.uai}_enclair.xml"
    bad = _broken(src, tmp_path / "edt.xml", '<Matiere Ident="1"/>', '<Matiere Ident="4242"/>')
    line = bad.read_text("utf-8").splitlines().index(next(
        x for x in bad.read_text("utf-8").splitlines() if 'Ident="4242"' in x)) + 1
    graph, _ = auditor.load([bad])
    problems = [(p.code, p.line) for p in graph.problems]
    assert problems == [("ENTREE-SCHEMA", line)] and "4242" in graph.problems[0].message
    assert len(graph.all("edt_course", "edt")) >= len(_written(est))


def test_container_without_partner_still_gives_its_finding(auditor, tmp_path):
    path = tmp_path / "chiffre.xml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<EXPORT_INDEX_EDUCATION xmlns='
                    '"http://www.index-education.com/conteneurexportchiffre"><VERSION>1.0</VERSION><CLES/>'
                    '<CONTENU>AAAA</CONTENU><UAI>0310040A</UAI></EXPORT_INDEX_EDUCATION>\n', "utf-8")
    graph, _ = auditor.load([path])
    assert [p.code for p in graph.problems] == ["ENTREE-CHIFFRE"]
    assert "aucun partenaire" in graph.problems[0].message and "0310040A" in graph.problems[0].message
    assert graph.exports[0].uai == "0310040A"


def _student(graph: Graph, sid: str, source: str, **fields) -> None:
    kind = "student" if source == "siecle" else "edt_student"
    graph.add(kind, sid, source=source, prov=Provenance(f"{source}.xml", 3, source), label=f"É {sid}", **fields)


def test_ambiguous_and_impossible_joins_are_findings():
    graph = Graph()
    _student(graph, "1", "siecle", ine="123", last_name="Dupont", first_name="Léa", birth_date="2012-01-02")
    _student(graph, "2", "siecle", ine="123", last_name="Durand", first_name="Noé", birth_date="2012-03-04")
    _student(graph, "10", "edt", ine="123", siecle_id=None, last_name="Dupont", first_name="Léa", birth_date="2012-01-02")
    _student(graph, "11", "edt", ine=None, siecle_id=None, last_name="DURAND", first_name="Noe", birth_date="2012-03-04")
    _student(graph, "12", "edt", ine="999", siecle_id="77", last_name="X", first_name="Y", birth_date="2011-01-01")
    link_students(graph)
    assert [p.code for p in graph.problems] == ["ENTREE-LIEN", "ENTREE-LIEN"]
    assert "plusieurs fiches" in graph.problems[0].message and graph.problems[0].line == 3
    assert "1 élève(s) d'EDT introuvable(s) dans SIECLE : É 12" in graph.problems[1].message
    assert graph.get("edt_student", "10", "edt")["student"] is None
    joined = graph.get("edt_student", "11", "edt")
    assert joined["student"].id == "2" and joined["link"] == "nom+naissance"


def test_container_partner_without_name_is_a_located_schema_error(auditor, tmp_path):
    path = tmp_path / "chiffre.xml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<EXPORT_INDEX_EDUCATION xmlns='
                    '"http://www.index-education.com/conteneurexportchiffre">\n<CLES><PARTENAIRE>QUJD</PARTENAIRE>'
                    '</CLES>\n<CONTENU>AAAA</CONTENU></EXPORT_INDEX_EDUCATION>\n', "utf-8")
    graph, _ = auditor.load([path])
    assert [(p.code, p.line) for p in graph.problems] == [("ENTREE-SCHEMA", 3), ("ENTREE-CHIFFRE", 2)]
    assert "NOM" in graph.problems[0].message


def test_groups_nested_in_divisions_are_read_and_flagged(loaded, auditor, tmp_path):
    out, est, _truth, _graph = loaded
    src = out / f"emp_sts_{est.uai}_{est.year}.xml"
    text = src.read_text("iso-8859-15")
    first_group = text.index("<GROUPE CODE=")
    end = text.index("</GROUPE>", first_group) + len("</GROUPE>")
    group = text[first_group:end]
    nested = text[:first_group] + text[end:]
    nested = nested.replace("</DIVISIONS>", f"<GROUPES>{group}</GROUPES></DIVISIONS>", 1)
    path = tmp_path / "emp_sts.xml"
    path.write_text(nested, "iso-8859-15")
    graph, _ = auditor.load([path])
    code = group.split('"')[1]
    assert graph.get("edt_group", code, "edt_sts")["nested"] is True
    assert graph.problems == []  # said once, by the rule EDT-REM-003 (not also a reading problem)
    result = auditor.audit([path])
    (finding,) = [f for f in result.findings if f.rule_id == "EDT-REM-003"]
    assert finding.entity_id == code and "DIVISIONS" in finding.message and finding.provenance[0].line
