"""PRONOTE identifiers across exports, on hand-made files (tests/fixtures/etab-pronote/, written
by hand following ../shared/formats.md §4.1, §5, §6 and the project's CSV profiles): each
defect was put there on purpose and its expected finding decided by reading the files.

The establishment is the one of tests/fixtures/etab (SIECLE: pupils 1001 DURAND Léa 3A, 1002
MARTIN Hugo 3A, 1003 PETIT Zoé 3B, 1004 BLANC Tom; guardian 7003 PETIT Jean, parent of 1003)
with tests/fixtures/etab-edt/sts_emp_0310040A_2024.xml (INDIVIDU 100 DUPONT Marie ENS, 101
MARTIN Paul ENS without SERVICE, 102 LEROY Anne DIR) and
tests/fixtures/etab-edt/ExportEmploiDuTemps_0310040A.xml (Professeur 1 DUPONT Marie IDSTS 100
IDPN ABCDEFGH23456789; Professeur 2 NOUVEAU Jean IDPN BCDEFGHJ34567892, in no other file;
Eleve 1 DURAND Léa IDSconet 1001 IDPN CDEFGHJK45678923).

- Identifiants_PRONOTE_0310040A.csv (layout pronote-identifiants-suppose, Windows-1252):
  line 2 Professeur DUPONT Marie ABCDEFGH23456789 (the IDPN of the EDT export: clean);
  line 3 Personnel LEROY Anne JKLMNPQR23456789; line 4 Elève DURAND Léa EFGHJKLM67892345,
  NOT the CDEFGHJK45678923 of the EDT export (Eleve@IDPN); line 5 Elève MARTIN Hugo
  FGHJKLMN78923456; line 6 Elève PETIT Zoé GHJKLMNP89234567; line 7 Responsable PETIT Jean
  HJKLMNPQ92345678 (child PETIT Zoé). No row for MARTIN Paul nor BLANC Tom.
- ENT-Identifiants-0310040A.csv (Kosmos layout plus a column « Identifiant PRONOTE », read with
  the academy profile tests/fixtures/profiles/ent-kosmos-idpn.yaml):
  marie.dupont ABCDEFGH23456789 (clean); paul.martin ABCDEFGH23456789: the teacher 101, whom
  neither EDT nor PRONOTE knows, carries DUPONT Marie's identifier: the tutorial's short
  replacement by a teacher from outside (information, not « one identifier, two accounts »);
  anne.leroy KLMNPQRS34567892 while PRONOTE gives LEROY Anne JKLMNPQR23456789 (error);
  lea.durand has no IDPN cell (her two values are EDT's and PRONOTE's: error);
  hugo.martin FGHJKLMN78923456 (clean); zoe.petit FGHJKLMN78923456, MARTIN Hugo's identifier,
  while PRONOTE gives PETIT Zoé GHJKLMNP89234567 (error, on Zoé, not « one identifier, two
  accounts » on Hugo's); tom.blanc LMNPQRST45678923, an identifier no export gives, and Tom
  has none in PRONOTE (« pas d'identifiant PRONOTE », PRN-ENT-003 as before);
  jean.petit HJKLMNPQ92345678 (clean).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from scolint.engine.audit import Auditor

FIX = Path(__file__).parent / "fixtures"
INPUTS = [FIX / "etab", FIX / "etab-edt" / "sts_emp_0310040A_2024.xml",
          FIX / "etab-edt" / "ExportEmploiDuTemps_0310040A.xml", FIX / "etab-pronote"]
PROFILE = FIX / "profiles" / "ent-kosmos-idpn.yaml"
CLEAN = {"marie.dupont", "hugo.martin", "jean.petit", "lea.durand", "zoe.petit", "anne.leroy",
         "ABCDEFGH23456789", "FGHJKLMN78923456", "HJKLMNPQ92345678"}


def _pronote_findings(result) -> Counter:
    """Findings of the PRONOTE rules and of the ENT link rule, every severity."""
    return Counter((f.rule_id, f.severity, f.entity_id) for f in result.findings
                   if f.rule_id.startswith("PRN-") or f.rule_id == "ENT-LIEN-001")


def test_identifier_differing_between_exports_and_replacement():
    result = Auditor(options={"profiles": [str(PROFILE)]}).audit(INPUTS)
    assert dict(_pronote_findings(result)) == {
        ("PRN-IDPN-001", "error", "eleve:1001"): 1,       # EDT CDEF…, PRONOTE EFGH…
        ("PRN-IDPN-001", "error", "eleve:1003"): 1,       # PRONOTE GHJK…, ENT FGHJ… (MARTIN Hugo's)
        ("PRN-IDPN-001", "error", "personnel:102"): 1,    # PRONOTE JKLM…, ENT KLMN…
        ("PRN-IDPN-002", "info", "paul.martin"): 1,       # DUPONT Marie's identifier: replacement
        ("PRN-ENT-003", "warning", "tom.blanc"): 1,       # an identifier no export gives
    }
    by = {(f.rule_id, f.entity_id): f for f in result.findings}
    lea = by[("PRN-IDPN-001", "eleve:1001")].message
    assert "DURAND Léa" in lea and "1001" in lea
    assert "CDEFGHJK45678923" in lea and "EFGHJKLM67892345" in lea and "EDT" in lea and "PRONOTE" in lea
    zoe = by[("PRN-IDPN-001", "eleve:1003")].message
    assert "GHJKLMNP89234567" in zoe and "FGHJKLMN78923456" in zoe and "MARTIN Hugo" in zoe and "ENT" in zoe
    anne = by[("PRN-IDPN-001", "personnel:102")].message
    assert "LEROY Anne" in anne and "JKLMNPQR23456789" in anne and "KLMNPQRS34567892" in anne
    paul = by[("PRN-IDPN-002", "paul.martin")]
    assert "DUPONT Marie" in paul.message and "ABCDEFGH23456789" in paul.message and "remplacement" in paul.message
    assert "fin du remplacement" in paul.fix
    # the clean records, and the two identifiers carried by two accounts, raise nothing
    assert not [f for f in result.findings if f.entity_id in CLEAN]
    # the codes of the ENT file appear nowhere
    assert not any("h3k8s2mw" in f.message or "p7r2x5vd" in f.message for f in result.findings)


def test_without_the_ent_idpn_column_only_edt_and_pronote_are_compared():
    """Without the academy profile, the ENT file is read by the shipped Kosmos profile, which
    has no IDPN column: accounts are tied to identifiers through their person. Léa's two
    values (EDT, PRONOTE) remain; MARTIN Paul has no identifier of his own (PRN-ENT-001, whose
    fix names the replacement case); BLANC Tom none either."""
    result = Auditor().audit(INPUTS)
    assert dict(_pronote_findings(result)) == {
        ("PRN-IDPN-001", "error", "eleve:1001"): 1,
        ("PRN-ENT-001", "warning", "paul.martin"): 1,
        ("PRN-ENT-003", "warning", "tom.blanc"): 1,
    }
