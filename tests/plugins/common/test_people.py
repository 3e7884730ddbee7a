"""Linking ENT accounts to SIECLE/STS people: jointure (AAF) first, then folded name +
birth date, then name + child for guardians; ambiguous matches are findings (ENT-LIEN-001)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scolint.engine.audit import Auditor
from scolint.plugins.gen.generate import generate


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    out = tmp_path_factory.mktemp("entlink")
    est, _truth = generate(out, 120, 5, defects=False)
    return out, est


def _accounts(folder: Path):
    graph = Auditor(use_default_rules=False).load([folder])[0]
    return {a.id: a for a in graph.all("ent_account", "ent")}


def test_every_account_found_by_jointure(clean):
    out, est = clean
    acc = _accounts(out)
    assert len(acc) == len([s for s in est.students if not s.left]) + len(est.teachers) + \
        len({lk.personne_id for lk in est.links if lk.level == 1 and not est.student(lk.eleve_id).left})
    assert {a["match"] for a in acc.values()} == {"jointure"}
    for s in est.students:
        if not s.left:
            assert acc[s.accounts.ent_login]["student"].id == s.eleve_id
    for t in est.teachers:
        assert acc[t.accounts.ent_login]["teacher"].id == t.sts_id
    assert all(a["pronote"] is not None for a in acc.values() if a["profile"] in ("eleve", "responsable"))


def test_without_aaf_names_birth_dates_and_children(clean, tmp_path):
    out, est = clean
    for p in out.iterdir():
        if not p.name.startswith("ENT_Complet_"):
            shutil.copy(p, tmp_path / p.name)
    acc = _accounts(tmp_path)
    matches = {a["match"] for a in acc.values()}
    assert "jointure" not in matches and "nom+enfant" in matches
    for g in est.guardians:
        if g.accounts.ent_login in acc:
            assert acc[g.accounts.ent_login]["guardian"].id == g.personne_id
    linked = [a for a in acc.values() if a["profile"] == "eleve"]
    assert all(a["student"] is not None for a in linked)


def test_homonyms_are_an_ambiguity_finding(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    eleves = """<?xml version="1.0" encoding="ISO-8859-15"?>
<BEE_ELEVES VERSION="3.0"><PARAMETRES><UAJ>0310040A</UAJ><ANNEE_SCOLAIRE>2024</ANNEE_SCOLAIRE>
<DATE_EXPORT>15/01/2025</DATE_EXPORT></PARAMETRES><DONNEES><ELEVES>
<ELEVE ELEVE_ID="1001"><NOM_DE_FAMILLE>MARTIN</NOM_DE_FAMILLE><PRENOM>Léa</PRENOM><DATE_NAISS>03/04/2011</DATE_NAISS></ELEVE>
<ELEVE ELEVE_ID="1002"><NOM_DE_FAMILLE>Martin</NOM_DE_FAMILLE><PRENOM>LEA</PRENOM><DATE_NAISS>05/06/2012</DATE_NAISS></ELEVE>
</ELEVES><STRUCTURES/></DONNEES></BEE_ELEVES>"""
    (data / "ElevesSansAdresses.xml").write_bytes(eleves.encode("iso-8859-15"))
    (data / "ENT-Identifiants-0310040A.csv").write_text(
        "0310040A;u1;;Eleve;Léa;MARTIN;lea.martin;abc;;;;;\n", encoding="utf-8")
    result = Auditor().audit([data])
    (finding,) = [f for f in result.findings if f.rule_id == "ENT-LIEN-001"]
    assert finding.entity_id == "lea.martin" and "2 personnes" in finding.message
