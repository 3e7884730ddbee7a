"""STS-Web loader (sts_emp, root STS_EDT): pretty-printed values, teachers and their
services, schema problems located, EDT_STS left to another plugin, STS-SERV-001."""

from __future__ import annotations

from pathlib import Path

import pytest

from scolint.engine.audit import Auditor


def pretty(tag: str, value: str, indent: str = "                ") -> str:
    """A value written the way the STS fixtures do: on its own indented line."""
    return f"<{tag}>\n{indent}    {value}\n{indent}</{tag}>"


STS = f"""<?xml version="1.0" encoding="ISO-8859-15"?>
<STS_EDT>
    <PARAMETRES>
        <UAJ CODE="0310040A">
            {pretty("SIGLE", "CLG")}
            {pretty("DENOM_PRINC", "COLLEGE")}
            {pretty("DENOM_COMPL", "JEAN-FRANÇOIS CHAMPOLLION")}
        </UAJ>
        <ANNEE_SCOLAIRE ANNEE="2024">
            {pretty("DATE_DEBUT", "2024-09-01")}
            {pretty("DATE_FIN", "2025-08-31")}
        </ANNEE_SCOLAIRE>
    </PARAMETRES>
    <NOMENCLATURES>
        <MATIERES>
            <MATIERE CODE="020700">
                {pretty("CODE_GESTION", "FRANC")}
                {pretty("LIBELLE_COURT", "FRANCAIS")}
                {pretty("LIBELLE_LONG", "FRANCAIS")}
                {pretty("LIBELLE_EDITION", "Français")}
            </MATIERE>
        </MATIERES>
        <MEFS>
            <MEF CODE="10310019110">
                {pretty("FORMATION", "3EME")}
                {pretty("LIBELLE_LONG", "3EME")}
                {pretty("LIBELLE_EDITION", "3ème")}
            </MEF>
        </MEFS>
    </NOMENCLATURES>
    <DONNEES>
        <INDIVIDUS>
            <INDIVIDU ID="1111" TYPE="epp">
                {pretty("SEXE", "2")}
                {pretty("NOM_USAGE", "BŒUF")}
                {pretty("NOM_PATRONYMIQUE", "LAÏK")}
                {pretty("PRENOM", "Anaïs")}
                {pretty("DATE_NAISSANCE", "1980-05-17")}
                {pretty("FONCTION", "ENS")}
            </INDIVIDU>
            <INDIVIDU ID="2222" TYPE="epp">
                {pretty("NOM_USAGE", "DURAND")}
                {pretty("PRENOM", "Éric")}
                {pretty("FONCTION", "ENS")}
            </INDIVIDU>
            <INDIVIDU ID="3333" TYPE="local">
                {pretty("NOM_USAGE", "PRINCIPAL")}
                {pretty("PRENOM", "Léa")}
                {pretty("FONCTION", "DIR")}
            </INDIVIDU>
        </INDIVIDUS>
        <STRUCTURE>
            <DIVISIONS>
                <DIVISION CODE="3A">
                    {pretty("LIBELLE_LONG", "3e A")}
                    <MEFS_APPARTENANCE><MEF_APPARTENANCE CODE="10310019110"/></MEFS_APPARTENANCE>
                    <SERVICES>
                        <SERVICE CODE_MATIERE="020700" CODE_MOD_COURS="CG">
                            <ENSEIGNANTS>
                                <ENSEIGNANT ID="1111" TYPE="epp">
                                    {pretty("HEURES_AGENT", "4.50")}
                                </ENSEIGNANT>
                            </ENSEIGNANTS>
                        </SERVICE>
                    </SERVICES>
                </DIVISION>
            </DIVISIONS>
            <GROUPES>
                <GROUPE CODE="3A_G1">
                    {pretty("LIBELLE_LONG", "G1")}
                    <DIVISIONS_APPARTENANCE><DIVISION_APPARTENANCE CODE="3A"/></DIVISIONS_APPARTENANCE>
                    <SERVICES>
                        <SERVICE CODE_MATIERE="020700" CODE_MOD_COURS="TD">
                            <ENSEIGNANTS><ENSEIGNANT ID="1111" TYPE="epp"/></ENSEIGNANTS>
                        </SERVICE>
                    </SERVICES>
                </GROUPE>
            </GROUPES>
        </STRUCTURE>
    </DONNEES>
</STS_EDT>
"""

EDT_STS = """<?xml version="1.0" encoding="ISO-8859-15"?>
<EDT_STS>
    <PARAMETRES><UAJ>0310040A</UAJ><ANNEE_SCOLAIRE>2024</ANNEE_SCOLAIRE></PARAMETRES>
    <DONNEES/>
</EDT_STS>
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_bytes(text.encode("iso-8859-15"))
    return path


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.fixture(scope="module")
def auditor() -> Auditor:
    return Auditor()


def test_detection_edt_sts_is_not_an_sts_export(tmp_path, host):
    sts = write(tmp_path, "donnees.xml", STS)
    back = write(tmp_path, "sts_emp_0310040A_2024.xml", EDT_STS)
    assert host.detect_format(path=sts, head=sts.read_bytes()[:8192]) == "sts-emp"
    assert host.detect_format(path=back, head=back.read_bytes()[:8192]) != "sts-emp"


def test_pretty_printed_values_are_stripped(tmp_path, auditor):
    graph, _ = auditor.load([write(tmp_path, "sts_emp_0310040A_2024.xml", STS)])
    assert graph.problems == []
    export = graph.exports[0]
    assert (export.format_id, export.uai, export.year) == ("sts-emp", "0310040A", 2024)
    assert export.meta["establishment"] == "COLLEGE JEAN-FRANÇOIS CHAMPOLLION"
    t = graph.get("teacher", "1111", "sts")
    assert (t["last_name"], t["birth_name"], t["first_name"]) == ("BŒUF", "LAÏK", "Anaïs")
    assert (t["sex"], t["birth_date"], t["function"], t["type"], t["is_teacher"]) == (
        "F", "1980-05-17", "ENS", "epp", True)
    assert t.prov[0].line == line_of(STS, '<INDIVIDU ID="1111"')
    assert graph.get("teacher", "3333", "sts")["is_teacher"] is False
    subject = graph.get("subject", "020700", "sts")
    assert (subject["management_code"], subject["label"]) == ("FRANC", "FRANCAIS")
    assert graph.get("mef", "10310019110", "sts")["edition_label"] == "3ème"


def test_services_are_linked(tmp_path, auditor):
    graph, _ = auditor.load([write(tmp_path, "sts.xml", STS)])
    teacher = graph.get("teacher", "1111", "sts")
    ids = sorted(s.id for s in teacher["services"])
    assert ids == ["1111:3A:020700:CG", "1111:3A_G1:020700:TD"]
    svc = graph.get("service", "1111:3A:020700:CG", "sts")
    assert svc["teacher"] is teacher and svc["hours"] == 4.5 and svc["structure_type"] == "division"
    assert svc["structure"] is graph.get("division", "3A", "sts")
    assert svc["subject"] is graph.get("subject", "020700", "sts")
    division = graph.get("division", "3A", "sts")
    assert division["label"] == "3e A" and division["mefs"] == ["10310019110"]
    assert [s.id for s in division["services"]] == ["1111:3A:020700:CG"]
    group = graph.get("group", "3A_G1", "sts")
    assert group["divisions"] == ["3A"] and [g.id for g in division["groups"]] == ["3A_G1"]
    assert graph.get("teacher", "2222", "sts")["services"] == []


def test_unknown_teacher_in_a_service_is_a_located_schema_problem(tmp_path, auditor):
    bad = STS.replace('<ENSEIGNANTS><ENSEIGNANT ID="1111" TYPE="epp"/>', '<ENSEIGNANTS><ENSEIGNANT ID="9999" TYPE="epp"/>')
    graph, _ = auditor.load([write(tmp_path, "sts.xml", bad)])
    problems = [p for p in graph.problems if p.code == "ENTREE-SCHEMA"]
    assert len(problems) == 1 and problems[0].line == line_of(bad, '<ENSEIGNANT ID="9999"')
    assert "9999" in problems[0].message and problems[0].severity == "error"
    orphan = graph.get("service", "9999:3A_G1:020700:TD", "sts")
    assert orphan["teacher"] is None
    assert len(graph.get("teacher", "1111", "sts")["services"]) == 1


def test_sts_serv_001(tmp_path, auditor):
    result = auditor.audit([write(tmp_path, "sts.xml", STS)])
    assert [(f.rule_id, f.entity_id) for f in result.findings if f.rule_id.startswith("STS-")] == [
        ("STS-SERV-001", "2222")]
