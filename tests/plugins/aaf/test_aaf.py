"""AAF (ficAlimMENESR) loader: categories detected by content, UTF-8 and ISO-8859-15, DTD
never loaded, schema problems located, multi-part values split, links to SIECLE/STS."""

from __future__ import annotations

from pathlib import Path

import pytest

from scolint.engine.audit import Auditor

HEAD = '<?xml version="1.0" encoding="{enc}"?>\n<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">\n<ficAlimMENESR>\n'


def _req(cat: str, ident: str, attrs: dict[str, list[str]], op: str = "add", key: str = "categoriePersonne") -> str:
    body = "".join(f'<attr name="{k}">' + "".join(f"<value>{v}</value>" for v in vs) + "</attr>" for k, vs in attrs.items())
    return (f'<{op}Request><operationalAttributes><attr name="{key}"><value>{cat}</value></attr>'
            f"</operationalAttributes><identifier><id>{ident}</id></identifier><attributes>{body}</attributes>"
            f"</{op}Request>\n")


def _file(folder: Path, name: str, records: str, enc: str = "UTF-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes((HEAD.format(enc=enc) + records + "</ficAlimMENESR>\n").encode("utf-8" if enc == "UTF-8" else "iso-8859-15"))
    return path


def _load(folder: Path):
    return Auditor(use_default_rules=False).load([folder])[0]


def test_categories_and_fields(tmp_path):
    _file(tmp_path, "ENT_Complet_20250101_Eleve_0000.xml", _req("Eleve", "5001", {
        "ENTPersonJointure": ["5001"], "ENTEleveINE": ["123456789AB"], "ENTEleveStructRattachId": ["1001"],
        "sn": ["CŒURDEROY"], "givenName": ["Héloïse"], "ENTPersonDateNaissance": ["03/04/2011"],
        "ENTElevePersRelEleve": ["6001$10$1$1$1$1", "6002$90$0$0$1$0"],
        "ENTEleveClasses": ["9001$3 A", "9999$AUTRE"], "ENTEleveGroupes": ["9001$3ALL2"]}), enc="ISO-8859-15")
    _file(tmp_path, "x_PersEducNat.xml", _req("PersEducNat", "7001", {
        "ENTPersonJointure": ["7001"], "sn": ["DURAND"], "givenName": ["Paul"],
        "ENTPersonFonctions": ["9001$ENS$ENSEIGNEMENT$L1500$HISTOIRE"],
        "ENTAuxEnsClassesMatieres": ["9001$3 A$100100", "9999$6Z$100100"],
        "ENTAuxEnsGroupesMatieres": ["9001$3ALL2$030201"]}))
    _file(tmp_path, "y.xml", _req("EtabEducNat", "9001", {"ENTStructureJointure": ["9001"],
                                                        "ENTStructureUAI": ["0310040A"]}, key="categorieStructure"))
    graph = _load(tmp_path)
    assert not graph.problems, graph.problems
    assert sorted(e.format_id for e in graph.exports) == ["aaf-eleve", "aaf-etab", "aaf-perseducnat"]
    (st,) = graph.all("aaf_student")
    assert (st["last_name"], st["first_name"], st["birth_date"], st["siecle_id"]) == \
        ("CŒURDEROY", "Héloïse", "2011-04-03", "1001")
    assert st["legal_relative_jointures"] == ["6001"] and st["relative_jointures"] == ["6001", "6002"]
    # without SIECLE/STS exports the audited UAI is unknown: every class is kept
    assert st["division_codes"] == ["3 A", "AUTRE"] and st["group_codes"] == ["3ALL2"]
    (t,) = graph.all("aaf_teacher")
    assert t["is_teacher"] and t["functions"] == ["ENS"]
    assert t["structure_codes"] == ["3 A", "6Z", "3ALL2"]
    assert t["class_subjects"] == ["3 A$100100", "6Z$100100", "3ALL2$030201"]


def test_schema_problem_and_dtd_never_loaded(tmp_path):
    dtd = tmp_path / "ficAlimMENESR.dtd"
    dtd.write_text('<!ENTITY secret "fuite">', encoding="utf-8")
    bad = _req("Eleve", "5001", {"sn": ["X"]}).replace("<id>5001</id>", "<id> </id>")
    _file(tmp_path, "ENT_Complet_20250101_Eleve_0000.xml", bad)
    graph = _load(tmp_path)
    schema = [p for p in graph.problems if p.code == "ENTREE-SCHEMA"]
    assert schema and schema[0].line == 4 and "aaf.xsd" in schema[0].message
    assert "fuite" not in repr([e.data for e in graph])


def test_entity_declaration_refused(tmp_path):
    path = tmp_path / "ENT_Complet_20250101_Eleve_0000.xml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE ficAlimMENESR [<!ENTITY a "b">]><ficAlimMENESR/>', encoding="utf-8")
    graph = _load(tmp_path)
    assert [p.code for p in graph.problems] == ["ENTREE-FICHIER"]
    assert "refusée" in graph.problems[0].message


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_aaf_links_to_siecle_and_sts(tmp_path, seed):
    from scolint.plugins.gen.generate import generate
    est, _truth = generate(tmp_path, 80, seed, defects=False)
    graph = _load(tmp_path)
    students = graph.all("aaf_student")
    assert len(students) == len(est.current_students())
    assert all(s["student"] is not None and s["student"].id == s["siecle_id"] for s in students)
    guardians = graph.all("aaf_guardian")
    assert guardians and all(g["guardian"] is not None for g in guardians)
    teachers = [t for t in graph.all("aaf_teacher") if t["is_teacher"]]
    assert teachers and all(t["teacher"] is not None for t in teachers)
    assert all(sorted(t["structure_codes"]) == sorted(t["sts_structure_codes"]) for t in teachers)


def test_modify_request_and_other_schools_classes(tmp_path):
    modify = ('<modifyRequest><operationalAttributes><attr name="categoriePersonne"><value>PersEducNat</value>'
              '</attr></operationalAttributes><identifier><id>7002</id></identifier><modifications>'
              '<modification name="sn" operation="replace"><value>MARTIN</value></modification>'
              '<modification name="ENTAuxEnsClasses" operation="replace"><value>9001$4B</value>'
              '<value>9002$6Z</value></modification></modifications></modifyRequest>\n')
    _file(tmp_path, "ENT_Complet_20250101_PersEducNat_0000.xml", modify)
    _file(tmp_path, "ENT_Complet_20250101_EtabEducNat_0000.xml",
          _req("EtabEducNat", "9001", {"ENTStructureJointure": ["9001"], "ENTStructureUAI": ["0310040A"]},
               key="categorieStructure")
          + _req("EtabEducNat", "9002", {"ENTStructureJointure": ["9002"], "ENTStructureUAI": ["0311111B"]},
                 key="categorieStructure"))
    (tmp_path / "ENT-Identifiants-0310040A.csv").write_text("0310040A;u;;Enseignant;Jo;MARTIN;jo.martin;c;7002;;;;\n",
                                                          encoding="utf-8")
    graph = _load(tmp_path)
    assert not graph.problems, graph.problems
    (t,) = graph.all("aaf_teacher")
    assert (t.id, t["operation"], t["last_name"]) == ("7002", "modify", "MARTIN")
    assert t["structure_codes"] == ["4B"]  # the audited UAI is 0310040A: structure 9001 only
    etab = next(e for e in graph.exports if e.format_id == "aaf-etab")
    assert etab.uai is None and etab.exported_at == "2025-01-01"  # two schools in the file


def _modify(cat: str, ident: str, mods: dict[str, list[str]]) -> str:
    body = "".join(f'<modification name="{k}" operation="replace">' + "".join(f"<value>{v}</value>" for v in vs)
                   + "</modification>" for k, vs in mods.items())
    return (f'<modifyRequest><operationalAttributes><attr name="categoriePersonne"><value>{cat}</value></attr>'
            f"</operationalAttributes><identifier><id>{ident}</id></identifier><modifications>{body}"
            f"</modifications></modifyRequest>\n")


_PUPIL = {"ENTPersonJointure": ["5001"], "ENTEleveINE": ["123456789AB"], "ENTEleveStructRattachId": ["1001"],
          "sn": ["MARTIN"], "givenName": ["Léa"], "ENTPersonDateNaissance": ["03/04/2011"],
          "ENTElevePersRelEleve": ["6001$10$1$1$1$1"], "ENTEleveClasses": ["9001$4A"]}


def test_modify_replaces_only_the_attributes_it_names(tmp_path):
    """A modifyRequest after the record's addRequest, in the same file: formats.md §7 gives
    ``modification@operation="replace"``, so the attributes it does not name are kept."""
    _file(tmp_path, "ENT_Complet_20250101_Eleve_0000.xml",
          _req("Eleve", "5001", _PUPIL) + _modify("Eleve", "5001", {"ENTEleveClasses": ["9001$3B"]}))
    graph = _load(tmp_path)
    assert not graph.problems, graph.problems
    (st,) = graph.all("aaf_student")
    assert (st["operation"], st["division_codes"]) == ("modify", ["3B"])
    assert (st["ine"], st["siecle_id"], st["last_name"], st["first_name"], st["birth_date"]) == \
        ("123456789AB", "1001", "MARTIN", "Léa", "2011-04-03")
    assert st["legal_relative_jointures"] == ["6001"]


def test_modify_of_a_record_read_from_another_file_is_said(tmp_path):
    """A complete file and a file of modifications audited together: the modified record
    loses the values of the complete file, and the audit says so (never silently)."""
    _file(tmp_path, "ENT_Complet_20250101_Eleve_0000.xml", _req("Eleve", "5001", _PUPIL)
          + _req("Eleve", "5002", dict(_PUPIL, ENTPersonJointure=["5002"], ENTEleveStructRattachId=["1002"])))
    _file(tmp_path, "ENT_Delta_20250102_Eleve_0000.xml", _modify("Eleve", "5001", {"ENTEleveClasses": ["9001$3B"]})
          + _modify("Eleve", "5003", {"ENTEleveClasses": ["9001$3C"]}))
    graph = _load(tmp_path)
    (problem,) = graph.problems
    assert problem.code == "ENTREE-DOUBLON" and problem.severity == "warning" and problem.line == 4
    assert problem.file.endswith("ENT_Delta_20250102_Eleve_0000.xml")
    assert problem.message.startswith("1 fiche(s) de ce fichier déjà lue(s) dans ") and "(première ligne 4)" in problem.message
    assert "ENT_Complet_20250101_Eleve_0000.xml" in problem.message
    (first, second) = sorted(graph.all("aaf_student"), key=lambda e: e.id)[:2]
    assert first["division_codes"] == ["3B"] and second["division_codes"] == ["4A"]


def test_same_record_in_two_complete_files_is_said(tmp_path):
    """Two complete files of one category naming the same record (an old feed left beside
    the new one): the one read last wins, and the audit says so."""
    _file(tmp_path, "ENT_Complet_20250101_Eleve_0000.xml", _req("Eleve", "5001", _PUPIL))
    _file(tmp_path, "ENT_Complet_20250101_Eleve_0001.xml",
          _req("Eleve", "5004", dict(_PUPIL, ENTPersonJointure=["5004"]))
          + _req("Eleve", "5001", dict(_PUPIL, ENTEleveClasses=["9001$5C"])))
    graph = _load(tmp_path)
    (problem,) = graph.problems
    assert (problem.code, problem.line) == ("ENTREE-DOUBLON", 5) and problem.file.endswith("_Eleve_0001.xml")
    assert problem.message.startswith("1 fiche(s) de ce fichier déjà lue(s) dans ") and "_Eleve_0000.xml" in problem.message
