"""Classes, groups, services and export dates across SIECLE, STS-Web, EDT and the AAF, on a
hand-made establishment (tests/fixtures/etab-classes/, UAI 0310040A in every file, written by
hand following ../shared/formats.md §1-4 and §7 and the shapes of ../shared/samples/). Each
defect was put there on purpose; its expected finding was decided by reading the files (the
element that shows it is cited), never by running scolint. Every other record is clean and
must raise nothing, near-misses included.

The establishment: SIECLE divisions 3A and 3B, groups 3A_G1, 3A_G2, 3B_G1, 3B_G2 (half-groups
of mathematics); STS-Web INDIVIDU 100 DUPONT Marie (FRANCAIS 3A co-taught with 102, 3B),
101 MARTIN Paul (MATHEMATIQUES in the four groups), 102 LEROY Anne (ANGLAIS LV1 3A, 3B),
103 GARCIA Luc (EPS 3A), 104 ROCHE Julie (EPS 3A, 3B).

Defects, one each:

- X-SIE-EDT-002 on 3006: ElevesSansAdresses.xml, STRUCTURES_ELEVE ELEVE_ID="3006" has
  division 3B; ExportEmploiDuTemps_0310040A.xml, Eleve Ident="6" (IDSconet 3006) is in
  Classe Ident="1" (3A) until 2025-07-04. He is in no group on either side.
- X-SIE-EDT-003 on 3005: STRUCTURES_ELEVE ELEVE_ID="3005" has 3B and 3B_G1; Eleve Ident="5"
  left Classe 1 (3A) on 2024-09-27 for Classe 2 (3B) on 2024-09-30 (so EDT agrees on the
  class), but her PartieDeClasse Ident="11" of 3A, the part of Groupe 1 « 3A_G1 », still
  runs to 2025-07-04. (SIECLE's 3A_G1 is 3001, 3008, 3010, EDT's the same plus her: she is
  said by X-SIE-EDT-003, not again by X-SIE-EDT-006, whose description says so.)
- X-STS-EDT-003 on 100:3A:020300:CG: emp_sts_0310040A_2024.xml, DIVISION CODE="3A",
  SERVICE CODE_MATIERE="020300" (ENSEIGNANT ID="100", the EDT course Jour 1 at 10:00,
  Matiere 5 « LCA LATIN »); sts_emp_0310040A_2024.xml has no MATIERE CODE="020300". STSWEB
  will refuse the service, so it is not « a service EDT will create in STS-Web »: the
  difference it makes between DUPONT Marie's services in STS-Web and in the remontée is
  the same fact, not an X-STS-EDT-002 on 100 (every other service of the remontée is one of
  sts_emp, teacher by teacher).
- EDT-INE-001 on 9: Eleve Ident="9" JOLY Nathan (IDSconet 3010) and Eleve Ident="10" KLEIN
  Manon (IDSconet 3011) both carry NumeroNational="1234567840K" (SIECLE: 3010 has
  1234567840K, 3011 has 1234567841L). One finding for the pair, on the first of them.
  The copied number has the national form: no EDT-INE-002.
- EDT-PRN-005 on 3: Classe Ident="3" « 3C » has no Eleve (the export has an Eleves section).
- EDT-STS-001 on J4-P0-M4-C1,C2,P4,P5: the Cours Jour="4" NumeroPlaceDebut="0" (Matiere 4
  EPS) has Professeur 4 and 5 and Classe 1 and 2 whole, no Groupe nor PartieDeClasse: a
  complex course not specified (docs/formats-edt.md, « Ce qui est déduit »). Its id is the
  documented one: J<Jour>-P<NumeroPlaceDebut>-M<Matiere>- and the sorted resources.
- SIE-SORTIE-001 on 3007: ELEVE ELEVE_ID="3007" GIRAUD Emma has DATE_SORTIE 20/09/2024,
  before DATE_EXPORT 07/10/2024, and STRUCTURES_ELEVE ELEVE_ID="3007" still has 3A (D) and
  3A_G2 (G).
- X-EXP-001 on ResponsablesSansAdresses.xml: its DATE_EXPORT is 02/09/2024, 35 days before
  ElevesSansAdresses.xml (07/10/2024), the newest dated export of the folder.
- X-STS-AAF-001 on 9204: ENT_Complet_20241001_PersEducNat_0000.xml, the record 9204 ROCHE
  Julie (birth date 14/09/1986 = INDIVIDU 104) has ENTAuxEnsClasses 3B and 4A, while
  sts_emp gives her the EPS services of 3A and 3B: 4A only in the AAF, 3A only in STS-Web.

Clean, near-misses included:

- ELEVE 3008 HUET Paul has DATE_SORTIE 18/10/2024, after DATE_EXPORT: he has not left, his
  division and group are right (no SIE-SORTIE-001); EDT still has him in 3A.
- ELEVE 3009 ISNARD Chloé left on 13/09/2024 and has no STRUCTURES_ELEVE (and no Eleve in
  EDT): nothing to say.
- Eleve 7 GIRAUD Emma's Classe and PartieDeClasse end on 2024-09-20 in EDT: no class
  difference nor stale group for a pupil who has left.
- The AAF file is dated 01/10/2024 (its name), six days before the newest export: under
  the threshold. sts_emp, emp_sts and ExportEmploiDuTemps carry no date.
- Cours Jour="1" NumeroPlaceDebut="0": two Professeur (1, 3) in one Classe (co-teaching);
  Cours Jour="5": one Professeur (5) and two Classe. Neither is a complex course.
- AAF records 9200-9203 have the classes and groups of their STS services (9201 MARTIN Paul
  only groups, as his services); 9205 BLANC Sophie (DIR) is in no STS export.
- Each pupil has one legal guardian in ResponsablesSansAdresses.xml, with distinct names
  and ADRESSE_ID; every group of SIECLE has its Groupe in EDT with the same pupils.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from found import counted_findings

from scolint.engine.audit import Auditor

CLASSES = Path(__file__).parent / "fixtures" / "etab-classes"


def test_classes_establishment_findings():
    result = Auditor().audit([CLASSES])
    assert dict(counted_findings(result)) == {
        ("X-SIE-EDT-002", "3006"): 1,
        ("X-SIE-EDT-003", "3005"): 1,
        ("X-STS-EDT-003", "100:3A:020300:CG"): 1,
        ("EDT-INE-001", "9"): 1,
        ("EDT-PRN-005", "3"): 1,
        ("EDT-STS-001", "J4-P0-M4-C1,C2,P4,P5"): 1,
        ("SIE-SORTIE-001", "3007"): 1,
        ("X-EXP-001", "ResponsablesSansAdresses.xml"): 1,
        ("X-STS-AAF-001", "9204"): 1,
    }


def test_classes_establishment_messages():
    result = Auditor().audit([CLASSES])
    msg = {f.rule_id: f.message for f in result.findings}
    assert "FAURE Léo" in msg["X-SIE-EDT-002"] and "3B" in msg["X-SIE-EDT-002"] and "en 3A" in msg["X-SIE-EDT-002"]
    assert "ETIENNE Jade" in msg["X-SIE-EDT-003"] and "3A_G1" in msg["X-SIE-EDT-003"]
    assert "3B_G1" not in msg["X-SIE-EDT-003"]
    assert "020300" in msg["X-STS-EDT-003"]
    assert "1234567840K" in msg["EDT-INE-001"] and "JOLY Nathan" in msg["EDT-INE-001"]
    assert "KLEIN Manon" in msg["EDT-INE-001"]
    assert "3C" in msg["EDT-PRN-005"]
    assert "GARCIA Luc" in msg["EDT-STS-001"] and "ROCHE Julie" in msg["EDT-STS-001"]
    assert "3A" in msg["EDT-STS-001"] and "3B" in msg["EDT-STS-001"]
    assert "GIRAUD Emma" in msg["SIE-SORTIE-001"] and "3A_G2" in msg["SIE-SORTIE-001"]
    assert "division 3A" in msg["SIE-SORTIE-001"]
    assert "le 20/09/2024" in msg["SIE-SORTIE-001"]  # a French date, as every other message gives
    assert "02/09/2024" in msg["X-EXP-001"] and "35 jours" in msg["X-EXP-001"]
    aaf = msg["X-STS-AAF-001"]
    assert "ROCHE Julie" in aaf and "104" in aaf
    assert aaf.index("4A") < aaf.index("STS-Web absents") < aaf.index("3A")


@pytest.mark.parametrize(("day", "late"), [("20240916", False), ("20240915", True)])
def test_aaf_file_three_weeks_older_is_at_the_threshold(tmp_path, day, late):
    """The AAF file renamed to an older date (its name is its date): 16/09/2024 is 21 days
    before ElevesSansAdresses.xml (07/10/2024), the most the rule allows (« <= 21 »);
    15/09/2024 is 22 days: then it is late too. Nothing else changes."""
    for f in CLASSES.iterdir():
        name = f.name.replace("20241001", day)
        shutil.copy(f, tmp_path / name)
    found = counted_findings(Auditor().audit([tmp_path]))
    aaf = f"ENT_Complet_{day}_PersEducNat_0000.xml"
    assert {k: v for k, v in found.items() if k[0] == "X-EXP-001"} == {
        ("X-EXP-001", "ResponsablesSansAdresses.xml"): 1, **({("X-EXP-001", aaf): 1} if late else {})}
    assert {k: v for k, v in found.items() if k[0] != "X-EXP-001"} == {
        k: v for k, v in counted_findings(Auditor().audit([CLASSES])).items() if k[0] != "X-EXP-001"}
