"""Conformance to the real EDT samples of ../shared/samples/edt: every file loads, the
clear export gives its courses with decoded weeks, the encrypted one gives its finding."""

from __future__ import annotations

import pytest

from scolint.engine.audit import Auditor

#: sample -> (format id, {(kind, source): count})
EXPECTED = {
    "edt/emp_sts_EDT_STS.xml": ("edt-sts", {("edt_service", "edt_sts"): 1, ("edt_course", "edt_sts"): 1,
                                            ("edt_group", "edt_sts"): 1, ("edt_teacher", "edt_sts"): 1}),
    "edt/ExportEmploiDuTemps_enclair.xml": ("edt-export", {("edt_course", "edt"): 704, ("edt_student", "edt"): 426,
                                                          ("edt_class", "edt"): 16, ("edt_group", "edt"): 48,
                                                          ("edt_teacher", "edt"): 31, ("edt_subject", "edt"): 25,
                                                          ("edt_room", "edt"): 24}),
    "edt/ExportEmploiDuTemps_chiffre.xml": ("edt-chiffre", {("edt_container", "edt_chiffre"): 1}),
    "edt/ExportEmploiDuTemps_chiffre_indente.xml": ("edt-chiffre", {("edt_container", "edt_chiffre"): 1}),
    # read by hand: 701 Cours, 428 Eleve, 16 Classe, 45 Groupe, 31 Professeur, 25 Matiere, 24 Salle
    "edt/ExportEmploiDuTemps_enclair_2012-13.xml": ("edt-export", {("edt_course", "edt"): 701,
                                                                  ("edt_student", "edt"): 428,
                                                                  ("edt_class", "edt"): 16, ("edt_group", "edt"): 45,
                                                                  ("edt_teacher", "edt"): 31,
                                                                  ("edt_subject", "edt"): 25, ("edt_room", "edt"): 24}),
}


@pytest.fixture(scope="module")
def auditor() -> Auditor:
    return Auditor()


def test_every_edt_sample_is_covered(samples):
    assert {p.relative_to(samples).as_posix() for p in (samples / "edt").glob("*")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_loads(samples, auditor, name):
    graph, _ = auditor.load([samples / name])
    fmt, counts = EXPECTED[name]
    mine = [e for e in graph.exports if e.system == "EDT"]
    assert [e.format_id for e in mine] == [fmt] and mine[0].uai
    errors = [(p.code, p.line, p.message) for p in graph.problems if p.code != "ENTREE-CHIFFRE"]
    assert errors == []
    for (kind, source), count in counts.items():
        ents = graph.all(kind, source)
        assert len(ents) == count, kind
        assert all(e.prov and e.prov[0].line for e in ents)


def test_clear_export_weeks_times_and_ids(samples, auditor):
    graph, _ = auditor.load([samples / "edt/ExportEmploiDuTemps_enclair.xml"])
    course = graph.get("edt_course", "J3-P8-M2-G53,P2", "edt")
    # Semaines="35132630760702", commented « Domaine : [1..7,10..16,19..25,28..33,36..44] »
    expected = [*range(1, 8), *range(10, 17), *range(19, 26), *range(28, 34), *range(36, 45)]
    assert course["weeks"] == expected
    assert course["week_dates"][:2] == ["2013-09-02", "2013-09-09"]
    assert (course["day"], course["start"], course["end"], course["duration"]) == (3, "12:00", "13:00", 60)
    assert [t.id for t in course["teachers"]] == ["2"] and course["teachers"][0]["idpn"] == "KVX8NTH4DPQ3SYU7"
    assert [g["name"] for g in course["groups"]] == ["3ATRAVGR.1"] and course["subject"]["code"] == "ATRAV"
    assert course["exported"] is None and course["complex_specified"] is None
    ids = [c.id for c in graph.all("edt_course", "edt")]
    assert len(ids) == len(set(ids)) and "J4-P13-M2-C16,P14#2" in ids
    student = graph.get("edt_student", "1", "edt")
    assert (student["class_name"], student["ine"], student["sex"]) == ("4D", "0000000000001", "M")
    assert [g.id for g in student["guardians"]] == ["14001", "14002"]


def test_clear_export_legal_rank_belongs_to_each_child(samples, auditor):
    """RespLegal is written on each child's Responsable: read by hand, guardian 14666 (CUNY
    Fabien) is RespLegal 1 for pupil 101 (line 1121) and 2 for pupil 282 (line 2347);
    guardian 14001 has one child and RespLegal 1."""
    graph, _ = auditor.load([samples / "edt/ExportEmploiDuTemps_enclair.xml"])
    two = graph.get("edt_guardian", "14666", "edt")
    assert [s.id for s in two["students"]] == ["101", "282"]
    assert two["legal_ranks"] == ["1", "2"] and two["legal_rank"] is None
    one = graph.get("edt_guardian", "14001", "edt")
    assert one["legal_ranks"] == ["1"] and one["legal_rank"] == "1"


def test_encrypted_sample_gives_its_finding(samples, auditor):
    result = auditor.audit([samples / "edt/ExportEmploiDuTemps_chiffre.xml"])
    finding = next(f for f in result.findings if f.rule_id == "ENTREE-CHIFFRE")
    assert "INDEXEDUCATION, LaclasseCom" in finding.message and "0134567A" in finding.message
    assert "PRONOTE 2013" in finding.message and "en clair" in finding.fix
    assert finding.severity == "warning"
    graph, _ = auditor.load([samples / "edt/ExportEmploiDuTemps_chiffre.xml"])
    assert graph.all("edt_container")[0]["partners"] == ["INDEXEDUCATION", "LaclasseCom"]
