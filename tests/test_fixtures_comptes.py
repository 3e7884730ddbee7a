"""ENT accounts, PRONOTE identifiers and the Espace Parents on one hand-made establishment
(tests/fixtures/etab-comptes/, UAI 0310040A everywhere, written by hand following
../shared/formats.md §1.2, §1.3, §2, §5, §6 and the project's CSV profiles): each defect was
put there on purpose and its expected finding decided by reading the files, not by running
scolint. Clean records of every kind, near-misses included, must raise nothing.

The files:

- ElevesSansAdresses.xml (BEE_ELEVES 3.0, DATE_EXPORT 16/09/2024): ELEVE 2001 GARCIA Inès
  4A, 2002 FAURE Jules 4A, 2003 FAURE Emma 6B, 2004 MOREAU Lucas, 2005 LEROUX Chloé 4B,
  2006 MARTIN Théo 4B, 2007 MARTIN Zoé 6B (division = STRUCTURES_ELEVE/STRUCTURE TYPE D).
- ResponsablesSansAdresses.xml (BEE_RESPONSABLES 2.1, every RESPONSABLE_ELEVE at
  NIVEAU_RESPONSABILITE 1): 8001 GARCIA Marc and 8002 GARCIA Sofia (2001); 8003 FAURE
  Sébastien (2002) and 8004 FAURE Sebastien (2003), both ADRESSE_ID 710; 8005 MOREAU Julie
  (2004); 8006 DA SILVA Ana, NOM_USAGE LEROUX (2005); 8007 MARTIN Pierre, ADRESSE_ID 730
  (2006); 8008 MARTIN Pierre, ADRESSE_ID 731 (2007).
- sts_emp_0310040A_2024.xml: INDIVIDU 300 RICHARD Hélène (NOM_PATRONYMIQUE GIRAUD, ENS),
  301 DUBOIS Olivia (ENS), 302 LAMBERT Sylvie (DIR); each ENS has a SERVICE.
- ENT-Identifiants-0310040A.csv (Kosmos layout read by gepi, profile ent-kosmos-gepi, with
  its header line, UTF-8): one line per account, the pupils' « uid père / uid mère / uid
  tuteur1 » give their parents' UID.
- Identifiants_PRONOTE_0310040A.csv and Responsables_PRONOTE_0310040A.csv (the guessed
  layouts pronote-identifiants-suppose and pronote-responsables-suppose, Windows-1252, as
  tests/fixtures/etab-pronote and the generator write them).

The defects (file, line or element that shows each):

1. ENT-RESP-001 karim.bonnet: ENT line 11 « Parent;Karim;BONNET », uid tuteur1 of
   ines.garcia (line 2); no PERSONNE of ResponsablesSansAdresses.xml is named BONNET (the
   stepfather was removed from Inès's SIECLE record). PRONOTE, fed by SIECLE, has no
   identifier for him either: that is the same fact (the rule's message says it), so
   PRN-ENT-004 does not repeat it on this account.
2. ENT-SHA-001 (information, not in the error/warning set) marc.garcia: ENT line 9, « mot de
   passe » « {SHA}0qvX… »; helene.richard: ENT line 17, « Mot de passe modifié par
   l'utilisateur ». Neither text, nor any clear code of the file, may appear in a report.
3. ENT-SORTI-001 lucas.moreau: ENT line 5 « 4A;Eleve;Lucas;MOREAU »; ELEVE 2004 MOREAU Lucas
   has DATE_SORTIE 06/09/2024, before DATE_EXPORT 16/09/2024, and no STRUCTURES_ELEVE any
   more (the ENT still shows the class he had). He has no PRONOTE identifier: he left, which
   ENT-SORTI-001 says; PRN-ENT-003 (« export SIECLE → EDT ») does not repeat it.
4. ENT-SORTI-002 olivier.dubois: ENT line 19 « Enseignant;Olivier;DUBOIS »; no INDIVIDU of
   sts_emp is DUBOIS Olivier (301 is DUBOIS Olivia). Not in PRONOTE either: the same fact,
   PRN-ENT-001 does not repeat it.
5. PRN-ENT-002 WN6CH2RT8KM4ZXPQ: Identifiants_PRONOTE lines 12-13, one Responsable FAURE
   Sébastien, children FAURE Jules and FAURE Emma; it is the identifier of the two ENT
   accounts sebastien.faure (line 12, FAURE Sébastien, father of jules.faure) and
   sebastien.faure1 (line 13, FAURE Sebastien, father of emma.faure), i.e. of SIECLE's 8003
   and 8004. The same duplicate is also, by their own rules, SIECLE's SIE-RESP-002 on 8003
   (8004 same folded name, ADRESSE_ID 710) and the ENT's ENT-DOUBLON-001 on sebastien.faure.
6. PRN-RESP-001 « GARCIA Sofia / GARCIA Inès »: Responsables_PRONOTE line 3, Espace Parents
   « Non » (no identifier). So PRONOTE created no space for her: Identifiants_PRONOTE has no
   GARCIA Sofia, and her ENT account sofia.garcia (ENT line 10, 8002 in SIECLE) has no
   PRONOTE identifier: PRN-ENT-004 sofia.garcia (the tutorial's « Pas d'identifiants PRONOTE
   (3/5) », a record of another file with its own fix).

Clean records and near-misses (nothing due):

- ELEVE 2005 LEROUX Chloé has DATE_SORTIE 20/12/2024, after the export date: still a pupil
  (ENT line 6 chloe.leroux, PRONOTE PC7X…); her mother's ENT account ana.leroux shows the
  usage name LEROUX of PERSONNE 8006 (NOM_DE_FAMILLE DA SILVA).
- pierre.martin and pierre.martin1 (ENT lines 15-16) are the homonyms 8007 and 8008, told
  apart by their child (theo.martin, zoe.martin), each with his own PRONOTE identifier
  (CX2Q…, KR7H…): no duplicate anywhere; the pupils MARTIN Théo and MARTIN Zoé likewise.
- helene.richard « Helene » (no accent) is INDIVIDU 300 « Hélène »; olivia.dubois is 301;
  sylvie.lambert (Personnel) is 302 (DIR).
- every present pupil and every legal guardian of a present pupil has an ENT account (8005
  MOREAU Julie has none, but her only child has left); every pupil and teacher has a PRONOTE
  identifier; every other guardian row is « Oui ».
"""

from __future__ import annotations

import json
from pathlib import Path

from found import counted_findings

from scolint.engine.audit import Auditor
from scolint.engine.cli import main

COMPTES = Path(__file__).parent / "fixtures" / "etab-comptes"
ENT_FILE = COMPTES / "ENT-Identifiants-0310040A.csv"

EXPECTED = {
    ("ENT-RESP-001", "karim.bonnet"): 1,        # BONNET Karim: nobody in SIECLE
    ("ENT-SORTI-001", "lucas.moreau"): 1,       # ELEVE 2004, DATE_SORTIE 06/09/2024
    ("ENT-SORTI-002", "olivier.dubois"): 1,     # no INDIVIDU DUBOIS Olivier
    ("PRN-ENT-002", "WN6CH2RT8KM4ZXPQ"): 1,     # sebastien.faure + sebastien.faure1
    ("PRN-ENT-004", "sofia.garcia"): 1,         # no PRONOTE identifier (not authorised)
    ("PRN-RESP-001", "GARCIA Sofia / GARCIA Inès"): 1,  # Espace Parents « Non »
    ("SIE-RESP-002", "8003"): 1,                # 8003 / 8004, ADRESSE_ID 710
    ("ENT-DOUBLON-001", "sebastien.faure"): 1,  # two ENT accounts, one ADRESSE_ID
}


def _codes() -> list[str]:
    """Every value of the « mot de passe » column of the ENT file (the {SHA} hash without its
    prefix, the « modifié » text left aside: it is no code)."""
    lines = ENT_FILE.read_text("utf-8").splitlines()[1:]
    codes = [line.split(";")[7] for line in lines]
    out = [c[len("{SHA}"):] if c.startswith("{SHA}") else c for c in codes if "modifié" not in c]
    assert len(out) == len(lines) - 1 and all(len(c) >= 8 for c in out)
    return out


def test_accounts_establishment_findings():
    result = Auditor().audit([COMPTES])
    assert dict(counted_findings(result)) == EXPECTED
    assert sorted(f.entity_id for f in result.findings if f.rule_id == "ENT-SHA-001") == \
        ["helene.richard", "marc.garcia"]
    by = {(f.rule_id, f.entity_id): f for f in result.findings}
    assert "BONNET Karim" in by[("ENT-RESP-001", "karim.bonnet")].message
    assert "GARCIA Inès" in by[("ENT-RESP-001", "karim.bonnet")].message
    left = by[("ENT-SORTI-001", "lucas.moreau")].message
    assert "MOREAU Lucas" in left and "06/09/2024" in left and "2024-09-06" not in left  # (French date)
    assert "DUBOIS Olivier" in by[("ENT-SORTI-002", "olivier.dubois")].message
    dup = by[("PRN-ENT-002", "WN6CH2RT8KM4ZXPQ")].message
    assert "sebastien.faure)" in dup and "sebastien.faure1" in dup
    assert "GARCIA Sofia" in by[("PRN-RESP-001", "GARCIA Sofia / GARCIA Inès")].message


def test_no_code_in_any_report(tmp_path):
    codes = _codes()
    for fmt, name in (("json", "r.json"), ("texte", "r.txt"), ("html", "r.html"), ("markdown", "r.md")):
        out = tmp_path / name
        main(["check", str(COMPTES), "--format", fmt, "-o", str(out)])
        text = out.read_text("utf-8")
        assert "lucas.moreau" in text and "karim.bonnet" in text  # the report is about this file
        assert not [c for c in codes if c in text], fmt
    findings = json.loads((tmp_path / "r.json").read_text("utf-8"))["anomalies"]
    assert {f["rule"] for f in findings} >= {"ENT-SHA-001", "ENT-RESP-001"}
