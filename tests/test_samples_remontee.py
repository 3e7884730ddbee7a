"""The EDT remontée file checked on its own and against STS-Web, on the real pairs of
../shared/samples (OPEN-ENT-NG's STS_EDT + EDT_STS of one collège, UAJ 0771991W, 2018).

Every expectation was decided by opening the files and reading them; the element that
shows each problem is cited. Only the rules of these checks are compared here (other
rules' findings on the same files are the business of tests/test_samples_*.py).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from scolint.engine.audit import Auditor
from scolint.engine.findings import NOT_EVALUATED

#: The rules of the remontée checks (issue 16, item 5).
RULES = ("EDT-REM-001", "EDT-REM-002", "EDT-REM-003", "X-STS-REM-001", "X-STS-REM-002", "X-STS-REM-003",
         "STS-MAT-001", "STS-MAT-002")

# case1, case3, case5 — emp_sts.xml:
#   SALLES_COURS/SALLE_COURS@CODE="03" is the only room declared, while the one COURS of
#   DIVISION 3A / SERVICE 020700 / ENSEIGNANT 69881 has CODE_SALLE 15  -> room 15 undeclared;
#   ALTERNANCE@CODE="H"/SEMAINES/DATE_DEBUT_SEMAINE 2099-09-03 (case3 adds 2099-09-10, case5
#   2099-09-17) while PARAMETRES/ANNEE_SCOLAIRE is 2018 (2018-09-01 to 2019-08-31)
#   -> alternance H has weeks outside the school year (one finding for the alternance);
#   DIVISION 3A exists in sts_emp (STRUCTURE/DIVISIONS/DIVISION@CODE="3A"): known;
#   SERVICE@CODE_MATIERE 020700 is in sts_emp MATIERES: known.
# sts_emp.xml (all cases, and sts/sts_emp_STS_EDT.xml):
#   NOMENCLATURES/PROGRAMMES/PROGRAMME (CODE_MEF 10310019110, CODE_MATIERE 030102) while
#   NOMENCLATURES/MATIERES has only MATIERE@CODE="020700" -> 030102 referenced, absent;
#   MATIERES and MEFS have one entry each: no duplicated code.
# case4 and the pair sts/ + edt/ — emp_sts.xml has no DIVISIONS but
#   STRUCTURE/GROUPES/GROUPE@CODE="3B_G2" with DIVISIONS_APPARTENANCE/DIVISION_APPARTENANCE
#   @CODE="3B"; the sts_emp has GROUPE 3B_G2 but DIVISIONS is empty (<DIVISIONS/>)
#   -> group known, its division 3B unknown to STS-Web; COURS/CODE_SALLE 23 with only room 03
#   declared -> room 23 undeclared; ALTERNANCE H week 2099-09-03 -> outside 2018-19.
PAIR_13_5 = {("EDT-REM-001", "15"): 1, ("EDT-REM-002", "H"): 1, ("STS-MAT-001", "10310019110:030102"): 1}
PAIR_4 = {("EDT-REM-001", "23"): 1, ("EDT-REM-002", "H"): 1, ("STS-MAT-001", "10310019110:030102"): 1,
          ("X-STS-REM-003", "3B_G2"): 1}
EXPECTED: dict[tuple[str, ...], dict[tuple[str, str], int]] = {
    ("edt-sts-pairs/case1",): PAIR_13_5,
    ("edt-sts-pairs/case3",): PAIR_13_5,
    ("edt-sts-pairs/case5",): PAIR_13_5,
    ("edt-sts-pairs/case4",): PAIR_4,
    ("sts/sts_emp_STS_EDT.xml", "edt/emp_sts_EDT_STS.xml"): PAIR_4,
    # each file alone: its own checks only (the X- rules need both files)
    ("sts/sts_emp_STS_EDT.xml",): {("STS-MAT-001", "10310019110:030102"): 1},
    ("edt/emp_sts_EDT_STS.xml",): {("EDT-REM-001", "23"): 1, ("EDT-REM-002", "H"): 1},
}


@pytest.fixture(scope="module")
def auditor() -> Auditor:
    return Auditor()


@pytest.mark.parametrize("names", sorted(EXPECTED), ids=lambda n: "+".join(Path(x).parent.name + "/" + Path(x).name
                                                                           for x in n))
def test_remontee_findings_are_what_a_reader_finds(samples, auditor, names):
    result = auditor.audit([samples / n for n in names])
    got = Counter((f.rule_id, f.entity_id) for f in result.findings if f.rule_id in RULES)
    assert dict(got) == EXPECTED[names]
    evaluated = {o.rule_id for o in result.outcomes if o.status != NOT_EVALUATED}
    assert {rule for rule, _id in EXPECTED[names]} <= evaluated


def test_findings_name_the_record_and_the_file(samples, auditor):
    result = auditor.audit([samples / "edt-sts-pairs/case4"])
    by_rule = {f.rule_id: f for f in result.findings if f.rule_id in RULES}
    room = by_rule["EDT-REM-001"]
    assert "23" in room.message and room.provenance[0].file.endswith("emp_sts.xml")
    weeks = by_rule["EDT-REM-002"]
    assert "2099-09-03" in weeks.message and "2018" in weeks.message
    assert "3B" in by_rule["X-STS-REM-003"].message and "3B_G2" in by_rule["X-STS-REM-003"].message
    programme = by_rule["STS-MAT-001"]
    assert "030102" in programme.message and programme.provenance[0].file.endswith("sts_emp.xml")


def _pair(tmp_path: Path, sts: str, edt: str) -> Path:
    folder = tmp_path / "paire"
    folder.mkdir()
    (folder / "sts_emp.xml").write_text(sts, encoding="iso-8859-15")
    (folder / "emp_sts.xml").write_text(edt, encoding="iso-8859-15")
    return folder


STS = """<?xml version="1.0" encoding="ISO-8859-15"?>
<STS_EDT><PARAMETRES><UAJ CODE="0771991W"/><ANNEE_SCOLAIRE ANNEE="2018"/></PARAMETRES>
<NOMENCLATURES><MATIERES>
<MATIERE CODE="020700"><CODE_GESTION>FRANC</CODE_GESTION><LIBELLE_LONG>FRANCAIS</LIBELLE_LONG></MATIERE>
<MATIERE CODE="061300"><CODE_GESTION>MATHS</CODE_GESTION><LIBELLE_LONG>MATHEMATIQUES</LIBELLE_LONG></MATIERE>
{extra_subject}</MATIERES><MEFS><MEF CODE="10310019110"><LIBELLE_LONG>3EME</LIBELLE_LONG></MEF></MEFS>
<PROGRAMMES><PROGRAMME><CODE_MEF>10310019110</CODE_MEF><CODE_MATIERE>020700</CODE_MATIERE><HORAIRE>4.00</HORAIRE></PROGRAMME>
</PROGRAMMES></NOMENCLATURES>
<DONNEES><INDIVIDUS><INDIVIDU ID="69881" TYPE="epp"><NOM_USAGE>DOE</NOM_USAGE><PRENOM>Jane</PRENOM>
<FONCTION>ENS</FONCTION></INDIVIDU></INDIVIDUS>
<STRUCTURE><DIVISIONS><DIVISION CODE="3A"><SERVICES>
<SERVICE CODE_MATIERE="{sts_subject}" CODE_MOD_COURS="CG"><ENSEIGNANTS><ENSEIGNANT ID="69881" TYPE="epp"/></ENSEIGNANTS></SERVICE>
</SERVICES></DIVISION></DIVISIONS><GROUPES/></STRUCTURE></DONNEES></STS_EDT>
"""

EDT = """<?xml version="1.0" encoding="ISO-8859-15"?>
<EDT_STS><PARAMETRES><UAJ>0771991W</UAJ><ANNEE_SCOLAIRE>2018</ANNEE_SCOLAIRE></PARAMETRES>
<DONNEES><ALTERNANCES><ALTERNANCE CODE="H"><SEMAINES><DATE_DEBUT_SEMAINE>2018-09-03</DATE_DEBUT_SEMAINE>
<DATE_DEBUT_SEMAINE>2019-06-24</DATE_DEBUT_SEMAINE></SEMAINES></ALTERNANCE></ALTERNANCES>
<SALLES_COURS><SALLE_COURS CODE="03"/></SALLES_COURS>
<INDIVIDUS><INDIVIDU ID="69881"/></INDIVIDUS>
<STRUCTURE><DIVISIONS><DIVISION CODE="{division}"><SERVICES>
<SERVICE CODE_MATIERE="020700" CODE_MOD_COURS="CG"><CO_ENS>false</CO_ENS><ENSEIGNANTS><ENSEIGNANT TYPE="epp" ID="69881">
<COURS_RATTACHES><COURS><CODE_ALTERNANCE>H</CODE_ALTERNANCE><JOUR>4</JOUR><HEURE_DEBUT>1400</HEURE_DEBUT>
<DUREE>0100</DUREE><CODE_SALLE>03</CODE_SALLE></COURS></COURS_RATTACHES></ENSEIGNANT></ENSEIGNANTS></SERVICE>
</SERVICES></DIVISION>{nested}</DIVISIONS></STRUCTURE></DONNEES></EDT_STS>
"""


def test_a_clean_pair_raises_none_of_these(tmp_path, auditor):
    folder = _pair(tmp_path, STS.format(extra_subject="", sts_subject="020700"),
                   EDT.format(division="3A", nested=""))
    result = auditor.audit([folder])
    assert [f for f in result.findings if f.rule_id in RULES] == []


def test_hand_made_pair_with_each_defect(tmp_path, auditor):
    """A subject typed twice in MATIERES, a service on a subject absent from MATIERES, a
    division STS-Web does not have, a group put inside DIVISIONS.

    A code twice in a nomenclature (MATIERE@CODE, MEF@CODE of sts_emp; CODE_MATIERE,
    CODE_MEF of SIECLE) is the schema's key (schemas/xsd): one ENTREE-SCHEMA finding naming
    the value, not also a rule."""
    twice = '<MATIERE CODE="061300"><CODE_GESTION>MATHS</CODE_GESTION></MATIERE>\n'
    nested = '<GROUPES><GROUPE CODE="3A_G1"><DIVISIONS_APPARTENANCE><DIVISION_APPARTENANCE CODE="3A"/>' \
             '</DIVISIONS_APPARTENANCE></GROUPE></GROUPES>'
    folder = _pair(tmp_path, STS.format(extra_subject=twice, sts_subject="999999"),
                   EDT.format(division="3Z", nested=nested))
    result = auditor.audit([folder])
    got = Counter((f.rule_id, f.entity_id) for f in result.findings if f.rule_id in RULES)
    assert dict(got) == {("STS-MAT-002", "69881:3A:999999:CG"): 1, ("X-STS-REM-001", "3Z"): 1,
                         ("EDT-REM-003", "3A_G1"): 1, ("X-STS-REM-002", "3A_G1"): 1}
    twice = [f for f in result.findings if f.rule_id == "ENTREE-SCHEMA" and "061300" in f.message]
    assert len(twice) == 1 and twice[0].provenance[0].file.endswith("sts_emp.xml")
