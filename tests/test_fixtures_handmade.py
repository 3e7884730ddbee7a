"""A hand-made establishment (tests/fixtures/etab/, written by hand following
../shared/formats.md §1.2-1.3): each defect was put there on purpose and its expected
finding decided by reading the file (element cited next to it), not by running scolint.

- ElevesSansAdresses.xml (UAJ 0310040A: 0310040 mod 23 = 0 -> A, right):
  ELEVE 1001 and 1002 share ID_NATIONAL 123456789AB (one INE, two pupils);
  ELEVE 1003 has ID_NATIONAL « 12345 » (not an INE form);
  STRUCTURES_ELEVE 1004 has two TYPE_STRUCTURE D (3A and 3B);
  ELEVE 1005 has no STRUCTURES_ELEVE (no division) and no guardian;
  STRUCTURES_ELEVE@ELEVE_ID 1999 names no pupil of ELEVES (a record the loader cannot place).
- ResponsablesSansAdresses.xml (no ADRESSES section, as the real « sans adresses » export):
  PERSONNE 7001 « LEFÈVRE Hélène » and 7002 « LEFEVRE Helene » share ADRESSE_ID 500: one
  guardian typed twice (accents forgotten); 7003 « PETIT Jean » and 7004 « Petit Jean »
  have different ADRESSE_ID (600/601) and different children: homonyms, nothing in common.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

from found import counted_findings

from scolint.engine.audit import Auditor
from scolint.engine.cli import main
from scolint.engine.findings import NOT_EVALUATED

ETAB = Path(__file__).parent / "fixtures" / "etab"


def test_handmade_establishment_findings():
    result = Auditor().audit([ETAB])
    assert dict(counted_findings(result)) == {
        ("SIE-INE-002", "1001"): 1,           # 1001 + 1002: one INE
        ("SIE-INE-001", "1003"): 1,           # « 12345 »
        ("SIE-DIV-002", "1004"): 1,           # two divisions
        ("SIE-DIV-001", "1005"): 1,           # no division
        ("SIE-RESP-001", "1005"): 1,          # no legal guardian
        ("SIE-RESP-002", "7001"): 1,          # LEFÈVRE / LEFEVRE, ADRESSE_ID 500
        ("ENTREE-SCHEMA", "ElevesSansAdresses.xml"): 1,  # STRUCTURES_ELEVE 1999 (the XSD's keyref)
    }
    by_rule = {f.rule_id: f for f in result.findings}
    assert "1002" in by_rule["SIE-INE-002"].message and "123456789AB" in by_rule["SIE-INE-002"].message
    assert "7002" in by_rule["SIE-RESP-002"].message and "ADRESSE_ID" in by_rule["SIE-RESP-002"].message
    assert "3A" in by_rule["SIE-DIV-002"].message and "3B" in by_rule["SIE-DIV-002"].message
    assert "1999" in by_rule["ENTREE-SCHEMA"].message


def test_pupil_with_two_divisions_keeps_both():
    graph, _ = Auditor().load([ETAB])
    st = graph.get("student", "1004", "siecle")
    assert st["division_codes"] == ["3A", "3B"]
    assert [d.id for d in st["divisions"]] == ["3A", "3B"]
    assert st in graph.get("division", "3B", "siecle")["students"]


def test_two_exports_of_one_kind_the_newest_is_used(tmp_path):
    shutil.copy(ETAB / "ElevesSansAdresses.xml", tmp_path / "ElevesSansAdresses.xml")
    old = (ETAB / "ElevesSansAdresses.xml").read_bytes()
    old = old.replace(b"<DATE_EXPORT>02/09/2024", b"<DATE_EXPORT>20/06/2024")
    old = old.replace(b"<HORODATAGE>02/09/2024", b"<HORODATAGE>20/06/2024")
    old = old.replace(b"<PRENOM>Eva</PRENOM>", b"<PRENOM>Evaa</PRENOM>")
    (tmp_path / "ElevesSansAdresses_juin.xml").write_bytes(old)
    out = tmp_path / "r.json"
    main(["check", str(tmp_path), "--format", "json", "-o", str(out)])
    findings = json.loads(out.read_text("utf-8"))["anomalies"]
    (dup,) = [f for f in findings if f["rule"] == "ENTREE-DOUBLON"]
    assert "ElevesSansAdresses.xml" in dup["message"] and "ElevesSansAdresses_juin.xml" in dup["message"]
    assert "02/09/2024" in dup["message"] or "2024-09-02" in dup["message"]
    graph, _ = Auditor().load([tmp_path])
    assert graph.get("student", "1005", "siecle")["first_name"] == "Eva"  # the newer one
    # each finding once: the older file's records are not read
    assert Counter(f["rule"] for f in findings)["SIE-DIV-001"] == 1


def test_two_exports_without_a_date_say_so(tmp_path):
    for name in ("a.xml", "b.xml"):
        data = (ETAB / "ResponsablesSansAdresses.xml").read_bytes()
        data = data.replace(b"<DATE_EXPORT>02/09/2024</DATE_EXPORT>", b"")
        data = data.replace(b"<HORODATAGE>02/09/2024 10:14:41</HORODATAGE>", b"")
        (tmp_path / name).write_bytes(data)
    result = Auditor().audit([tmp_path])
    (dup,) = [f for f in result.findings if f.rule_id == "ENTREE-DOUBLON"]
    assert "aucune date" in dup.message and "a.xml" in dup.message and "b.xml" in dup.message


def test_avec_and_sans_adresses_of_one_date_are_one_export(tmp_path):
    sans = (ETAB / "ElevesSansAdresses.xml").read_bytes()
    avec = sans.replace(b"    </STRUCTURES>\n", b"    </STRUCTURES>\n    <ADRESSES>\n      <ADRESSE ADRESSE_ID=\"9\">"
                        b"<LIGNE1_ADRESSE>1 rue Haute</LIGNE1_ADRESSE><CODE_POSTAL>31000</CODE_POSTAL></ADRESSE>\n"
                        b"    </ADRESSES>\n")
    assert avec != sans
    (tmp_path / "ElevesSansAdresses.xml").write_bytes(sans)
    (tmp_path / "ElevesAvecAdresses.xml").write_bytes(avec)
    result = Auditor().audit([tmp_path])
    (dup,) = [f for f in result.findings if f.rule_id == "ENTREE-DOUBLON"]
    assert dup.severity == "info" and "ElevesAvecAdresses.xml" in dup.message
    assert Counter(f.rule_id for f in result.findings)["SIE-DIV-001"] == 1


EDT_STS = Path(__file__).parent / "fixtures" / "etab-edt"
ENT = Path(__file__).parent / "fixtures" / "etab-ent"


def test_handmade_timetable_and_services():
    """tests/fixtures/etab-edt (UAI 0310040A everywhere, right key), written by hand:

    - sts_emp: INDIVIDU 100 DUPONT Marie (ENS, SERVICE 020700 CG in DIVISION 3A),
      INDIVIDU 101 MARTIN Paul (ENS, no SERVICE), INDIVIDU 102 LEROY Anne (FONCTION DIR).
    - emp_sts (remontée): ENSEIGNANT 100 with 020700 CG in 3A (as STS); ENSEIGNANT 999, known
      to no INDIVIDU of sts_emp; ENSEIGNANT 101 with 061300 CG in 3A, a service STS lacks:
      said once, by the cross-export rule (101 « has no service » in sts_emp is the same fact).
    - ExportEmploiDuTemps: Professeur 2 NOUVEAU Jean, no IDSTS and no namesake in STS, has a
      course; Cours Jour=3 has only a Matiere (no teacher, no class: said once); Cours Jour=4
      has a Groupe and no Professeur; Groupe « 3A_LATIN_G » has 10 characters (cut for STSWEB);
      Eleve 2 has NumeroNational « 12345 » and Eleve 3 « 1234567890 », not INE forms (Eleve 4,
      malformed too, left in December; Eleve 5 has none).
    """
    result = Auditor().audit([EDT_STS])
    assert dict(counted_findings(result)) == {
        ("X-STS-EDT-001", "999"): 1,
        ("X-STS-EDT-002", "101"): 1,
        ("X-STS-EDT-004", "2"): 1,
        ("EDT-PRN-001", "J4-P3-M1-G1"): 1,
        ("EDT-PRN-002", "J3-P2-M2-"): 1,
        ("EDT-STS-002", "1"): 1,
        ("EDT-INE-002", "2"): 1,
        ("EDT-INE-002", "3"): 1,
    }
    by_rule = {f.rule_id: f for f in result.findings}
    ine = {f.entity_id: f.message for f in result.findings if f.rule_id == "EDT-INE-002"}
    assert "« 12345 »" in ine["2"] and "PETIT Zoé" in ine["2"] and "1234567890" in ine["3"] and "BLANC Tom" in ine["3"]
    assert "NOUVEAU Jean" in by_rule["X-STS-EDT-004"].message and "correspondances" in by_rule["X-STS-EDT-004"].fix
    assert "ni professeur" in by_rule["EDT-PRN-002"].message
    outcome = next(o for o in result.outcomes if o.rule_id == "STS-SERV-001")
    assert outcome.superseded == 1


def test_handmade_ent_identifier_file():
    """tests/fixtures/etab-ent/ENT-Identifiants-0310040A.csv (gepi layout, no header), with
    the SIECLE files of tests/fixtures/etab: pupils 1001-1004 have a line, 1005 NOIR Eva
    none (late arrival); guardian 7004 « Petit Jean » (legal guardian of 1004) has no line;
    helene.lefevre and helene.lefevre1 are the two ENT accounts of the guardian typed twice
    in SIECLE (7001/7002, one ADRESSE_ID 500)."""
    result = Auditor().audit([ETAB, ENT])
    found = counted_findings(result)
    assert {k: v for k, v in found.items() if k[0].startswith("ENT-")} == {
        ("ENT-COMPTE-001", "1005"): 1,
        ("ENT-COMPTE-002", "7004"): 1,
        ("ENT-DOUBLON-001", "helene.lefevre"): 1,
    }
    # the SIECLE findings are those of the establishment alone
    alone = counted_findings(Auditor().audit([ETAB]))
    assert {k: v for k, v in found.items() if not k[0].startswith("ENT-")} == dict(alone)
    dup = next(f for f in result.findings if f.rule_id == "ENT-DOUBLON-001")
    assert "helene.lefevre1" in dup.message and "ADRESSE_ID 500" in dup.message


def _etab_with_aaf(tmp_path: Path) -> Path:
    for folder in (ETAB, ETAB.parent / "etab-aaf"):
        for f in folder.iterdir():
            shutil.copy(f, tmp_path / f.name)
    return tmp_path


def test_aaf_class_compared_only_where_siecle_gives_a_division(tmp_path):
    """tests/fixtures/etab-aaf (its comment says what is due): the AAF puts pupil 1001 in 3B
    while SIECLE has 3A; pupil 1005 has no division in SIECLE, so there is nothing to compare;
    1002-1004 are in their SIECLE divisions."""
    result = Auditor().audit([_etab_with_aaf(tmp_path)])
    assert sorted(f.entity_id for f in result.findings if f.rule_id == "X-SIE-AAF-001") == ["1001"]


def test_aaf_guardians_found_in_siecle_by_name_and_child(tmp_path):
    """ENT_Complet_20240902_PersRelEleve_0000.xml: each record is the SIECLE PERSONNE of the
    same name who has one of its children; the homonyms PETIT Jean (7003, 7004) and the
    guardian typed twice (7001 LEFÈVRE Hélène, 7002 LEFEVRE Helene) are told apart by their
    child (8003 by his ENTPersonNomPatro, his sn being a usage name SIECLE does not give);
    BERNARD Claire is nobody in SIECLE."""
    graph, _ = Auditor().load([_etab_with_aaf(tmp_path)])
    found = {g.id: (g["guardian"].id if g["guardian"] is not None else None) for g in graph.all("aaf_guardian")}
    assert found == {"8001": "7001", "8002": "7002", "8003": "7003", "8004": "7004", "8005": None,
                     "8006": None, "8007": None}


def test_aaf_legal_guardians_against_siecle(tmp_path):
    """The AAF pupils' legal guardians (ENTElevePersRelEleve, légal 1 or 2) against SIECLE's
    (NIVEAU_RESPONSABILITE 1), as the comment of ENT_Complet_20240902_Eleve_0000.xml reads:
    1003 also has 8001 LEFÈVRE Hélène, SIECLE's guardian of 1001 only; 1004 has BERNARD
    Claire, unknown to SIECLE, and lacks 7004 « Petit Jean » (a mere contact in the AAF).
    1001 and 1002 are right; 1005 (no guardian in SIECLE) and 1006 (not in SIECLE) have
    nothing to compare with. Every other finding is that of the establishment alone."""
    result = Auditor().audit([_etab_with_aaf(tmp_path)])
    found = counted_findings(result)
    assert {k: v for k, v in found.items() if k[0].startswith("X-SIE-AAF")} == {
        ("X-SIE-AAF-001", "1001"): 1,
        ("X-SIE-AAF-002", "1003"): 1,
        ("X-SIE-AAF-002", "1004"): 1,
    }
    assert {k: v for k, v in found.items() if not k[0].startswith("X-SIE-AAF")} == dict(counted_findings(Auditor().audit([ETAB])))
    msg = {f.entity_id: f.message for f in result.findings if f.rule_id == "X-SIE-AAF-002"}
    assert "LEFÈVRE Hélène" in msg["1003"] and "8001" in msg["1003"] and "DURAND Léa" in msg["1003"]
    assert "8003" not in msg["1003"] and "7003" not in msg["1003"]  # 8003 = 7003 is right
    assert "BERNARD Claire" in msg["1004"] and "8005" in msg["1004"]
    assert "Petit Jean" in msg["1004"] and "7004" in msg["1004"]


def test_edt_national_number_said_once_beside_siecle(tmp_path):
    """ExportEmploiDuTemps_0310040A.xml beside tests/fixtures/etab: Eleve 2 (IDSconet 1003)
    carries SIECLE's own malformed ID_NATIONAL « 12345 », said once, by SIE-INE-001 on the
    SIECLE pupil; Eleve 3 (IDSconet 1004) « 1234567890 » while SIECLE has 1234567890F: an
    EDT fault, said by EDT-INE-002 with SIECLE's INE."""
    for folder in (ETAB, EDT_STS):
        for f in folder.iterdir():
            shutil.copy(f, tmp_path / f.name)
    result = Auditor().audit([tmp_path])
    found = counted_findings(result)
    assert {k: v for k, v in found.items() if k[0] in ("EDT-INE-002", "SIE-INE-001")} == {
        ("SIE-INE-001", "1003"): 1,
        ("EDT-INE-002", "3"): 1,
    }
    (msg,) = [f.message for f in result.findings if f.rule_id == "EDT-INE-002"]
    assert "1234567890F" in msg and "« 1234567890 »" in msg


def test_aaf_guardian_ambiguous_between_homonyms_is_not_a_disagreement(tmp_path):
    """A variant of tests/fixtures/etab-aaf: pupil 1004's record names 8003 (PETIT Jean, the
    record of 1003's father) as its legal guardian instead of BERNARD Claire's 8005. 8003 then
    has children 1003 and 1004, and SIECLE has two PETIT Jean (7003 of 1003, 7004 of 1004):
    the record may be either, so it is neither's (guardian_candidates), and each pupil
    compares it with its own PETIT Jean: 1004 is no longer reported for 7004; 1003 still is
    for LEFÈVRE Hélène."""
    folder = _etab_with_aaf(tmp_path)
    eleve = folder / "ENT_Complet_20240902_Eleve_0000.xml"
    text = eleve.read_text("utf-8")
    assert "<value>8005$20$1$1$1$1</value>" in text
    eleve.write_text(text.replace("<value>8005$20$1$1$1$1</value>", "<value>8003$10$1$1$1$1</value>"), "utf-8")
    result = Auditor().audit([folder])
    assert sorted(f.entity_id for f in result.findings if f.rule_id == "X-SIE-AAF-002") == ["1003"]
    graph, _ = Auditor().load([folder])
    g = graph.get("aaf_guardian", "8003", "aaf")
    assert g["guardian"] is None and sorted(c.id for c in g["guardian_candidates"]) == ["7003", "7004"]


GROUPS = Path(__file__).parent / "fixtures" / "etab-groupes"


def test_handmade_groups_and_partial_timetable():
    """tests/fixtures/etab-groupes (UAI 0310040A in the three files): SIECLE pupils with their
    groups (STRUCTURE of TYPE_STRUCTURE G), sts_emp GROUPES, and a timetable export whose
    comment lists, by element, what is wrong (decided by reading the three files):

    - SIECLE's 3A_G1 is {2001, 2002}; EDT's Groupe 1 « 3A_G1 » (PartieDeClasse 11) holds only
      Eleve 1 (IDSconet 2001): one finding for the group, naming BERNARD Chloé.
    - Groupe 4 « ATELIER » (whole 3B, one Cours) and Groupe 5 « 3A_THEATRE » (one Cours) are
      in no STRUCTURE of SIECLE and no GROUPE of sts_emp: one finding each; 3A_THEATRE's name
      cut to « 3A_THEAT » for STSWEB is said in that finding, not again on its own.
    - SIECLE's 3B_ESP (2005, 2006 of 3B, which has Cours) has no Groupe in EDT.
    - Classe 3 « 4A » (Eleve 7 and 8, SIECLE's 2007 and 2008) has no Cours at all while 3A
      and 3B have: the export is partial, said once for the file; SIECLE's 4A_ALL (4A pupils
      only) is missing from EDT as a consequence and is not reported.
    - 2009 IMBERT Léo (3A_G2 in SIECLE) is in no Eleve: « absent from EDT » for him, and
      3A_G2 (2003, 2004 on both sides) is not reported for it.
    - Groupe 3 « 3A_LATIN_G » is SIECLE's 3A_LATIN under the name cut for STSWEB (same pupils
      2001, 2003): only the cut name is reported.
    """
    result = Auditor().audit([GROUPS])
    assert dict(counted_findings(result)) == {
        ("X-SIE-EDT-001", "2009"): 1,
        ("EDT-STS-002", "3"): 1,
        ("X-SIE-EDT-004", "3B_ESP"): 1,
        ("X-SIE-EDT-005", "4"): 1,
        ("X-SIE-EDT-005", "5"): 1,
        ("X-SIE-EDT-006", "3A_G1"): 1,
        ("EDT-EXP-001", "ExportEmploiDuTemps_0310040A.xml"): 1,
    }
    by_key = {(f.rule_id, f.entity_id): f for f in result.findings}
    members = by_key[("X-SIE-EDT-006", "3A_G1")].message
    assert "BERNARD Chloé" in members and "ARNAUD" not in members
    assert "3A_THEAT" in by_key[("X-SIE-EDT-005", "5")].message
    assert "ATELIER" in by_key[("X-SIE-EDT-005", "4")].message
    assert "EVRARD Nina" in by_key[("X-SIE-EDT-004", "3B_ESP")].message
    partial = next(f for f in result.findings if f.rule_id == "EDT-EXP-001")
    assert "4A" in partial.message and "3A" not in partial.message and "3B" not in partial.message
    assert partial.severity == "warning"
    outcome = next(o for o in result.outcomes if o.rule_id == "EDT-STS-002")
    assert outcome.superseded == 1


def test_handmade_timetable_alone_is_partial_and_its_groups_are_not_judged(tmp_path):
    """The timetable of tests/fixtures/etab-groupes without the SIECLE and STS-Web files: the
    group comparisons are not evaluated (nothing to compare with); the partial export is
    still seen in the file alone (Classe 3 « 4A » has pupils and no Cours)."""
    shutil.copy(GROUPS / "ExportEmploiDuTemps_0310040A.xml", tmp_path / "ExportEmploiDuTemps_0310040A.xml")
    result = Auditor().audit([tmp_path])
    assert dict(counted_findings(result)) == {
        ("EDT-STS-002", "3"): 1,
        ("EDT-STS-002", "5"): 1,
        ("EDT-EXP-001", "ExportEmploiDuTemps_0310040A.xml"): 1,
    }
    status = {o.rule_id: o.status for o in result.outcomes}
    assert status["X-SIE-EDT-004"] == status["X-SIE-EDT-005"] == status["X-SIE-EDT-006"] == NOT_EVALUATED


def test_handmade_timetable_with_every_class_taught_is_not_partial(tmp_path):
    """The same timetable with one Cours given to Classe 3 « 4A »: every class with pupils
    has a course, nothing is partial."""
    text = (GROUPS / "ExportEmploiDuTemps_0310040A.xml").read_text("utf-8")
    course = ('    <Cours Jour="5" NumeroPlaceDebut="0" NombrePlaces="1">\n      <Matiere Ident="1"/>\n'
              '      <Professeur Ident="1" Semaines="35184372088830"/>\n'
              '      <Classe Ident="3" Semaines="35184372088830"/>\n    </Cours>\n  </Cours>')
    text = text.replace("  </Cours>\n</ExportEmploiDuTemps>", course + "\n</ExportEmploiDuTemps>")
    assert 'Classe Ident="3" Semaines' in text
    (tmp_path / "ExportEmploiDuTemps_0310040A.xml").write_text(text, "utf-8")
    result = Auditor().audit([tmp_path])
    assert not [f for f in result.findings if f.rule_id == "EDT-EXP-001"]


def test_handmade_groups_with_the_remontee_file(tmp_path):
    """tests/fixtures/etab-groupes with the remontée file of the same EDT base
    (tests/fixtures/etab-groupes-remontee, its comment says what it holds): EDT sends ATELIER
    and 3A_THEATRE (as GROUPE 3A_THEAT) to STSWEB, which does not know them: that is said on
    the remontée's groups (X-STS-REM-002), not again on the timetable's (no X-SIE-EDT-005);
    3A_THEATRE's cut name is then said on its own (EDT-STS-002, nothing supersedes it);
    DUPONT Marie (100) gets the services of the two groups in the remontée only. The rest is
    as without the remontée file."""
    for folder in (GROUPS, GROUPS.parent / "etab-groupes-remontee"):
        for f in folder.iterdir():
            shutil.copy(f, tmp_path / f.name)
    result = Auditor().audit([tmp_path])
    assert dict(counted_findings(result)) == {
        ("X-SIE-EDT-001", "2009"): 1,
        ("EDT-STS-002", "3"): 1,
        ("EDT-STS-002", "5"): 1,
        ("X-SIE-EDT-004", "3B_ESP"): 1,
        ("X-SIE-EDT-006", "3A_G1"): 1,
        ("EDT-EXP-001", "ExportEmploiDuTemps_0310040A.xml"): 1,
        ("X-STS-REM-002", "ATELIER"): 1,
        ("X-STS-REM-002", "3A_THEAT"): 1,
        ("X-STS-EDT-002", "100"): 1,
    }
    services = next(f for f in result.findings if f.rule_id == "X-STS-EDT-002").message
    assert "ATELIER" in services and "3A_THEAT" in services
