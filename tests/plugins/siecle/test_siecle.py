"""SIECLE loader: detection by content, ISO-8859-15, both guardian models, links in any
file order, schema problems located, and the SIECLE rules on real-shaped exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from scolint.engine.audit import Auditor
from scolint.engine.findings import NOT_EVALUATED

PARAMS = """<PARAMETRES><UAJ>0310040A</UAJ><ANNEE_SCOLAIRE>2024</ANNEE_SCOLAIRE>
    <DATE_EXPORT>15/01/2025</DATE_EXPORT><HORODATAGE>15/01/2025 10:12:00</HORODATAGE></PARAMETRES>"""

ELEVES = f"""<?xml version="1.0" encoding="ISO-8859-15"?>
<BEE_ELEVES VERSION="3.0">
  {PARAMS}
  <DONNEES>
    <ELEVES>
      <ELEVE ELEVE_ID="1001" ELENOET="501">
        <ID_NATIONAL>123456789AB</ID_NATIONAL>
        <NOM_DE_FAMILLE>CŒURDEROY</NOM_DE_FAMILLE>
        <PRENOM>Héloïse</PRENOM>
        <DATE_NAISS>03/04/2011</DATE_NAISS>
        <CODE_SEXE>2</CODE_SEXE>
        <CODE_MEF>10310019110</CODE_MEF>
        <DATE_ENTREE>02/09/2024</DATE_ENTREE>
        <CHAMP_D_UNE_VERSION_FUTURE>x</CHAMP_D_UNE_VERSION_FUTURE>
      </ELEVE>
      <ELEVE ELEVE_ID="1002">
        <NOM_DE_FAMILLE>MARTIN</NOM_DE_FAMILLE>
        <PRENOM>Noé</PRENOM>
        <CODE_SEXE>1</CODE_SEXE>
        <DATE_SORTIE>10/12/2024</DATE_SORTIE>
      </ELEVE>
      <ELEVE ELEVE_ID="1003">
        <NOM_DE_FAMILLE>GARCIA</NOM_DE_FAMILLE>
        <PRENOM>Inès</PRENOM>
        <DATE_SORTIE>30/06/2025</DATE_SORTIE>
      </ELEVE>
      <ELEVE ELEVE_ID="1004">
        <NOM_DE_FAMILLE>LEFÈVRE</NOM_DE_FAMILLE>
        <PRENOM>Jérôme</PRENOM>
      </ELEVE>
    </ELEVES>
    <OPTIONS/>
    <STRUCTURES>
      <STRUCTURES_ELEVE ELEVE_ID="1001">
        <STRUCTURE><CODE_STRUCTURE>3 A</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE>
        <STRUCTURE><CODE_STRUCTURE>3ALL2</CODE_STRUCTURE><TYPE_STRUCTURE>G</TYPE_STRUCTURE></STRUCTURE>
      </STRUCTURES_ELEVE>
      <STRUCTURES_ELEVE ELEVE_ID="1002">
        <STRUCTURE><CODE_STRUCTURE>3 A</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE>
      </STRUCTURES_ELEVE>
      <STRUCTURES_ELEVE ELEVE_ID="1003">
        <STRUCTURE><CODE_STRUCTURE>4B</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE>
      </STRUCTURES_ELEVE>
    </STRUCTURES>
    <BOURSES/>
  </DONNEES>
</BEE_ELEVES>
"""

RESP_NEW = f"""<?xml version="1.0" encoding="ISO-8859-15"?>
<BEE_RESPONSABLES VERSION="2.1">
  {PARAMS}
  <DONNEES>
    <PERSONNES>
      <PERSONNE PERSONNE_ID="9001">
        <LC_CIVILITE>MME</LC_CIVILITE><NOM_DE_FAMILLE>CŒURDEROY</NOM_DE_FAMILLE><PRENOM>Hélène</PRENOM>
        <TEL_PORTABLE>+33611223344</TEL_PORTABLE><MEL>h.coeur@example.fr</MEL><ADRESSE_ID>7001</ADRESSE_ID>
      </PERSONNE>
      <PERSONNE PERSONNE_ID="9002">
        <LC_CIVILITE>MME</LC_CIVILITE><NOM_DE_FAMILLE>Coeurderoy</NOM_DE_FAMILLE><PRENOM>HELENE</PRENOM>
        <ADRESSE_ID>7002</ADRESSE_ID>
      </PERSONNE>
      <PERSONNE PERSONNE_ID="9003">
        <LC_CIVILITE>M.</LC_CIVILITE><NOM_DE_FAMILLE>MARTIN</NOM_DE_FAMILLE><PRENOM>Paul</PRENOM>
        <ADRESSE_ID>7001</ADRESSE_ID>
      </PERSONNE>
    </PERSONNES>
    <RESPONSABLES>
      <RESPONSABLE_ELEVE><ELEVE_ID>1001</ELEVE_ID><PERSONNE_ID>9001</PERSONNE_ID>
        <NIVEAU_RESPONSABILITE>1</NIVEAU_RESPONSABILITE><CODE_PARENTE>10</CODE_PARENTE></RESPONSABLE_ELEVE>
      <RESPONSABLE_ELEVE><ELEVE_ID>1004</ELEVE_ID><PERSONNE_ID>9002</PERSONNE_ID>
        <NIVEAU_RESPONSABILITE>1</NIVEAU_RESPONSABILITE><CODE_PARENTE>10</CODE_PARENTE></RESPONSABLE_ELEVE>
      <RESPONSABLE_ELEVE><ELEVE_ID>1003</ELEVE_ID><PERSONNE_ID>9003</PERSONNE_ID>
        <NIVEAU_RESPONSABILITE>3</NIVEAU_RESPONSABILITE><CODE_PARENTE>90</CODE_PARENTE></RESPONSABLE_ELEVE>
    </RESPONSABLES>
    <ADRESSES>
      <ADRESSE ADRESSE_ID="7001"><LIGNE1_ADRESSE>3 rue des Écoles</LIGNE1_ADRESSE>
        <CODE_POSTAL>31000</CODE_POSTAL><LIBELLE_POSTAL>TOULOUSE</LIBELLE_POSTAL></ADRESSE>
      <ADRESSE ADRESSE_ID="7002"><LIGNE1_ADRESSE>3 RUE DES ECOLES</LIGNE1_ADRESSE>
        <CODE_POSTAL>31000</CODE_POSTAL><LIBELLE_POSTAL>Toulouse</LIBELLE_POSTAL></ADRESSE>
    </ADRESSES>
  </DONNEES>
</BEE_RESPONSABLES>
"""

RESP_OLD = f"""<?xml version="1.0" encoding="ISO-8859-15"?>
<BEE_RESPONSABLES VERSION="1.5">
  {PARAMS}
  <DONNEES>
    <PERSONNES>
      <PERSONNE PERSONNE_ID="8001"><NOM>DUPONT</NOM><PRENOM>Zoé</PRENOM></PERSONNE>
      <PERSONNE PERSONNE_ID="8002"><NOM>DUPONT</NOM><PRENOM>Marc</PRENOM></PERSONNE>
      <PERSONNE PERSONNE_ID="8003"><NOM>ROUX</NOM><PRENOM>Anaïs</PRENOM></PERSONNE>
    </PERSONNES>
    <RESPONSABLES>
      <RESPONSABLE_ELEVE><ELEVE_ID>1001</ELEVE_ID><PERSONNE_ID>8001</PERSONNE_ID><RESP_LEGAL>1</RESP_LEGAL>
        <RESP_FINANCIER>1</RESP_FINANCIER></RESPONSABLE_ELEVE>
      <RESPONSABLE_ELEVE><ELEVE_ID>1001</ELEVE_ID><PERSONNE_ID>8002</PERSONNE_ID><RESP_LEGAL>2</RESP_LEGAL>
      </RESPONSABLE_ELEVE>
      <RESPONSABLE_ELEVE><ELEVE_ID>1004</ELEVE_ID><PERSONNE_ID>8003</PERSONNE_ID><RESP_LEGAL>0</RESP_LEGAL>
        <PERS_CONTACT>1</PERS_CONTACT></RESPONSABLE_ELEVE>
    </RESPONSABLES>
  </DONNEES>
</BEE_RESPONSABLES>
"""

STRUCTURES = f"""<?xml version="1.0" encoding="ISO-8859-15"?>
<BEE_STRUCTURES VERSION="2.0">
  {PARAMS}
  <DONNEES>
    <DIVISIONS>
      <DIVISION CODE_STRUCTURE="3 A"><LIBELLE_LONG>3e A (sciences et œnologie)</LIBELLE_LONG>
        <MEFS_APPARTENANCE><MEF_APPARTENANCE><CODE_MEF>10310019110</CODE_MEF></MEF_APPARTENANCE></MEFS_APPARTENANCE>
      </DIVISION>
      <DIVISION CODE_STRUCTURE="4B"><LIBELLE_LONG>4e B</LIBELLE_LONG></DIVISION>
    </DIVISIONS>
    <GROUPES>
      <GROUPE CODE_STRUCTURE="3ALL2"><LIBELLE_LONG>Allemand LV2</LIBELLE_LONG>
        <DIVISIONS_APPARTENANCE><DIVISION_APPARTENANCE><CODE_STRUCTURE>3 A</CODE_STRUCTURE></DIVISION_APPARTENANCE>
        </DIVISIONS_APPARTENANCE></GROUPE>
    </GROUPES>
  </DONNEES>
</BEE_STRUCTURES>
"""

NOMENCLATURE = f"""<?xml version="1.0" encoding="ISO-8859-15"?>
<BEE_NOMENCLATURES VERSION="3.1">
  {PARAMS}
  <DONNEES>
    <MEFS><MEF CODE_MEF="10310019110"><FORMATION>3EME</FORMATION><LIBELLE_LONG>3EME</LIBELLE_LONG>
      <LIBELLE_EDITION>3ème</LIBELLE_EDITION></MEF></MEFS>
    <MATIERES><MATIERE CODE_MATIERE="030201"><CODE_GESTION>AGL1 </CODE_GESTION><LIBELLE_COURT>ANGLAIS LV1</LIBELLE_COURT>
      <LIBELLE_LONG>ANGLAIS LV1</LIBELLE_LONG></MATIERE></MATIERES>
    <LIENS_PARENTE><LIEN_PARENTE CODE_PARENTE="10"><LIBELLE_COURT>MERE</LIBELLE_COURT></LIEN_PARENTE></LIENS_PARENTE>
  </DONNEES>
</BEE_NOMENCLATURES>
"""


def write(folder: Path, name: str, text: str, encoding: str = "iso-8859-15") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def siecle_dir(tmp_path: Path) -> Path:
    write(tmp_path, "ElevesSansAdresses.xml", ELEVES)
    write(tmp_path, "ResponsablesAvecAdresses.xml", RESP_NEW)
    write(tmp_path, "Structures.xml", STRUCTURES)
    write(tmp_path, "Nomenclature.xml", NOMENCLATURE)
    return tmp_path


@pytest.fixture(scope="module")
def auditor() -> Auditor:
    return Auditor()


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_detection_by_root_element_not_by_name(tmp_path, host):
    odd = write(tmp_path, "export.txt", ELEVES)
    fake = write(tmp_path, "ElevesSansAdresses.xml", "<?xml version='1.0'?>\n<!-- x -->\n<AUTRE/>")
    assert host.detect_format(path=odd, head=odd.read_bytes()[:8192]) == "siecle-eleves"
    assert host.detect_format(path=fake, head=fake.read_bytes()[:8192]) is None
    for text, fmt in ((RESP_NEW, "siecle-responsables"), (STRUCTURES, "siecle-structures"),
                      (NOMENCLATURE, "siecle-nomenclature")):
        p = write(tmp_path, "x.xml", text)
        assert host.detect_format(path=p, head=p.read_bytes()[:8192]) == fmt


def test_students_loaded_from_iso_8859_15_with_provenance(siecle_dir, auditor):
    graph, _ = auditor.load([siecle_dir])
    assert graph.problems == []
    st = graph.get("student", "1001", "siecle")
    assert (st["last_name"], st["first_name"]) == ("CŒURDEROY", "Héloïse")
    assert st["birth_date"] == "2011-04-03" and st["sex"] == "F" and st["ine"] == "123456789AB"
    assert st["elenoet"] == "501" and st["mef"] == "10310019110"
    assert st.prov[0].file.endswith("ElevesSansAdresses.xml")
    assert st.prov[0].line == line_of(ELEVES, '<ELEVE ELEVE_ID="1001"')
    assert st["division"].id == "3 A" and [g.id for g in st["groups"]] == ["3ALL2"]
    export = next(e for e in graph.exports if e.format_id == "siecle-eleves")
    assert (export.uai, export.year, export.exported_at) == ("0310040A", 2024, "2025-01-15")


def test_left_means_exit_date_not_after_the_export(siecle_dir, auditor):
    graph, _ = auditor.load([siecle_dir])
    assert graph.get("student", "1002", "siecle")["left"] is True
    future = graph.get("student", "1003", "siecle")
    assert future["exit_date"] == "2025-06-30" and future["left"] is False
    assert graph.get("student", "1004", "siecle")["division"] is None


def test_structures_and_nomenclature(siecle_dir, auditor):
    graph, _ = auditor.load([siecle_dir])
    div = graph.get("division", "3 A", "siecle")
    assert div["label"] == "3e A (sciences et œnologie)" and div["mefs"] == ["10310019110"]
    assert sorted(s.id for s in div["students"]) == ["1001", "1002"]
    assert [g.id for g in div["groups"]] == ["3ALL2"]
    assert graph.get("group", "3ALL2", "siecle")["divisions"] == ["3 A"]
    subject = graph.get("subject", "030201", "siecle")
    assert subject["management_code"] == "AGL1" and subject["label"] == "ANGLAIS LV1"
    assert graph.get("mef", "10310019110", "siecle")["edition_label"] == "3ème"


@pytest.mark.parametrize("order", [("e", "r"), ("r", "e")])
def test_guardian_links_whatever_the_file_order(tmp_path, auditor, order):
    files = {"e": write(tmp_path, "a.xml", ELEVES), "r": write(tmp_path, "b.xml", RESP_NEW)}
    graph, _ = auditor.load([files[k] for k in order])
    st = graph.get("student", "1001", "siecle")
    assert [p.id for p in st["guardians"]] == ["9001"] and [p.id for p in st["legal_guardians"]] == ["9001"]
    contact = graph.get("guardian", "9003", "siecle")
    assert contact["legal"] is False and [s.id for s in contact["students"]] == ["1003"]
    assert graph.get("student", "1003", "siecle")["legal_guardians"] == []
    mother = graph.get("guardian", "9001", "siecle")
    assert mother["address"] == "3 rue des Écoles 31000 TOULOUSE" and mother["phone_mobile"] == "+33611223344"


def test_guardians_without_students_file(tmp_path, auditor):
    graph, _ = auditor.load([write(tmp_path, "r.xml", RESP_NEW)])
    person = graph.get("guardian", "9001", "siecle")
    assert person["students"] == [] and person["links"][0]["student_id"] == "1001"
    result = auditor.evaluate(graph, [], "")
    status = {o.rule_id: o.status for o in result.outcomes}
    assert status["SIE-RESP-001"] == NOT_EVALUATED and status["SIE-DIV-001"] == NOT_EVALUATED


def test_old_resp_legal_model(tmp_path, auditor):
    graph, _ = auditor.load([write(tmp_path, "e.xml", ELEVES), write(tmp_path, "r.xml", RESP_OLD)])
    assert graph.problems == []
    st = graph.get("student", "1001", "siecle")
    assert [p.id for p in st["legal_guardians"]] == ["8001", "8002"]
    assert graph.get("guardian", "8001", "siecle")["last_name"] == "DUPONT"
    jerome = graph.get("student", "1004", "siecle")
    assert [p.id for p in jerome["guardians"]] == ["8003"] and jerome["legal_guardians"] == []


def test_utf8_export(tmp_path, auditor):
    text = ELEVES.replace('encoding="ISO-8859-15"', 'encoding="UTF-8"')
    graph, _ = auditor.load([write(tmp_path, "e.xml", text, "utf-8")])
    assert graph.problems == []
    assert graph.get("student", "1001", "siecle")["last_name"] == "CŒURDEROY"


def test_schema_problems_are_located_and_the_rest_is_loaded(tmp_path, auditor):
    bad = ELEVES.replace('<ELEVE ELEVE_ID="1003">', "<ELEVE>").replace(
        "<TYPE_STRUCTURE>G</TYPE_STRUCTURE>", "<TYPE_STRUCTURE>X</TYPE_STRUCTURE>")
    graph, _ = auditor.load([write(tmp_path, "e.xml", bad)])
    problems = [(p.code, p.line, p.severity) for p in graph.problems]
    assert ("ENTREE-SCHEMA", line_of(bad, "<ELEVE>\n"), "error") in problems
    assert ("ENTREE-SCHEMA", line_of(bad, "<TYPE_STRUCTURE>X"), "error") in problems
    assert all(p.file.endswith("e.xml") for p in graph.problems)
    assert any("ELEVE_ID" in p.message and "obligatoire" in p.message for p in graph.problems)
    assert {s.id for s in graph.all("student")} == {"1001", "1002", "1004"}
    assert graph.get("student", "1001", "siecle")["group_codes"] == []


def test_siecle_rules_on_the_exports(siecle_dir, auditor):
    result = auditor.audit([siecle_dir])
    found = {(f.rule_id, f.entity_id) for f in result.findings if f.rule_id.startswith("SIE-")}
    assert found == {
        ("SIE-SORTIE-001", "1002"),   # left in December, still in 3 A
        ("SIE-DIV-001", "1004"),      # present, no division
        ("SIE-RESP-001", "1003"),     # only a contact person (level 3)
        ("SIE-RESP-002", "9001"),     # 9002 is the same person, accents and case aside
        ("SIE-INE-001", "1003"),      # present (leaves in June), no ID_NATIONAL
        ("SIE-INE-001", "1004"),      # present, no ID_NATIONAL
    }
    dup = next(f for f in result.findings if f.rule_id == "SIE-RESP-002")
    assert "9002" in dup.message and dup.provenance[0].line == line_of(RESP_NEW, 'PERSONNE_ID="9001"')


@pytest.mark.parametrize("text, old, new, words", [
    (ELEVES, '<ELEVE ELEVE_ID="1003">', '<ELEVE ELEVE_ID="1001">', "valeur en double ['1001']"),
    (RESP_NEW, "<PERSONNE_ID>9003</PERSONNE_ID>", "<PERSONNE_ID>9999</PERSONNE_ID>",
     "la valeur ['9999'] ne renvoie à aucun élément"),
    (RESP_NEW, "<UAJ>0310040A</UAJ>", "", "valeur obligatoire absente (contrainte « UAJ_obligatoire »)"),
    (STRUCTURES, '<DIVISION CODE_STRUCTURE="4B">', "<DIVISION>", "l'attribut 'CODE_STRUCTURE' est obligatoire"),
    (NOMENCLATURE, 'CODE_MATIERE="030201"', 'CODE_MATIERE="30201"', "ne respecte pas le motif"),
])
def test_ids_and_links_are_strict(tmp_path, auditor, text, old, new, words):
    bad = text.replace(old, new)
    graph, _ = auditor.load([write(tmp_path, "f.xml", bad)])
    messages = [p.message for p in graph.problems if p.code == "ENTREE-SCHEMA"]
    assert any(words in m for m in messages), messages
    assert graph.problems[0].line is not None and graph.exports and graph.exports[0].readable
