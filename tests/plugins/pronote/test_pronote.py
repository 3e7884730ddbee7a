"""PRONOTE identifiers and guardians: the guessed CSV layouts, the IDPN of the EDT export
merged with them, links to SIECLE/STS people, and the PRN rules on generated data."""

from __future__ import annotations

import pytest

from scolint.engine.audit import Auditor
from scolint.engine.findings import NOT_EVALUATED
from scolint.plugins.gen.generate import generate


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("prn")
    est, truth = generate(out, 120, 2)
    return out, est, truth


def _load(*paths, options=None):
    return Auditor(use_default_rules=False, options=options).load(list(paths))[0]


def test_identifiers_from_csv_and_edt_agree(dataset):
    out, est, _truth = dataset
    graph = _load(out)
    idents = graph.all("pronote_identifier", "pronote")
    assert idents
    both = [i for i in idents if set(i["origins"]) == {"pronote-identifiants", "edt-export"}]
    assert len(both) == len(idents)  # same population, same IDPN in both sources
    for ident in idents:
        assert ident["person"] is not None or len(ident["persons"]) == 2, ident.label
    teacher_ids = {i["person"].id for i in idents if i["profile"] == "enseignant"}
    assert teacher_ids <= {t.sts_id for t in est.teachers}


def test_edt_export_alone_provides_the_identifiers(dataset, tmp_path):
    out, _est, _truth = dataset
    keep = [p for p in out.iterdir() if "PRONOTE" not in p.name]
    graph = _load(*keep)
    assert "pronote-identifiants" in graph.formats()
    assert not [e for e in graph.exports if e.format_id == "pronote-identifiants"]
    assert graph.all("pronote_identifier") and all(i["origins"] == ["edt-export"] for i in graph.all("pronote_identifier"))
    result = Auditor().audit(keep)
    status = {o.rule_id: o.status for o in result.outcomes}
    assert status["PRN-ENT-001"] != NOT_EVALUATED and status["PRN-RESP-001"] == NOT_EVALUATED


def test_guessed_guardians_layout_and_espace_parents(dataset):
    out, est, truth = dataset
    graph = _load(next(out.glob("Responsables_PRONOTE_*.csv")))
    rows = graph.all("pronote_guardian")
    refused = {r.id for r in rows if not r["espace_parents"]}
    assert refused == {f.id for f in truth.findings if f.rule == "PRN-RESP-001"}
    assert graph.exports[0].meta["guessed_layout"] is True


def test_user_profile_replaces_the_guessed_layout(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    (data / "resp.csv").write_text("Responsable;Enfant;Classe;Accès ENT parents\nDUPONT Marc;DUPONT Léa;4B;\n"
                                   "DUPONT Anne;DUPONT Léa;4B;X\n", encoding="utf-8")
    profile = tmp_path / "p.yaml"
    profile.write_text("""id: pronote-resp-academie
famille: pronote-responsables
libelle: responsables (disposition de l'académie)
statut: connu
reconnaissance: {entete: [Responsable, "Accès ENT parents"]}
colonnes:
  last_name: {entete: [Responsable]}
  student_last_name: {entete: [Enfant]}
  division: {entete: [Classe]}
  espace_parents: {entete: ["Accès ENT parents"]}
valeurs: {espace_parents: {oui: [X], non: [""]}}
""", encoding="utf-8")
    graph = _load(data, options={"profiles": [str(profile)]})
    assert not graph.problems
    assert {r["last_name"]: r["espace_parents"] for r in graph.all("pronote_guardian")} == \
        {"DUPONT Marc": False, "DUPONT Anne": True}
    assert graph.exports[0].format_id == "pronote-responsables"


def test_a_guardian_refused_for_one_child_is_reported_whatever_the_row_order(tmp_path):
    """One row per child in PRONOTE's guardians export: a guardian refused the Espace
    Parents for one of two children is reported once, naming that child, whether the
    refusing row comes first or last; a guardian allowed on every row is not reported."""
    header = "Nom;Prénom;Nom de l'élève;Prénom de l'élève;Classe;Responsable;Espace Parents;Identifiant PRONOTE\r\n"
    rows = ["DURAND;Claire;DURAND;Léo;3A;1;Non;1111", "DURAND;Claire;DURAND;Zoé;5B;1;Oui;1111",
            "MARTIN;Paul;MARTIN;Noé;4C;1;Oui;2222", "MARTIN;Paul;MARTIN;Ana;6A;1;Non;2222",
            "PETIT;Luc;PETIT;Eva;3A;1;Oui;3333", "PETIT;Luc;PETIT;Tom;4B;1;Oui;3333"]
    path = tmp_path / "Responsables_PRONOTE_0310040A.csv"
    path.write_bytes((header + "\r\n".join(rows) + "\r\n").encode("cp1252"))
    result = Auditor().audit([path])
    found = {f.entity_id: f.message for f in result.findings if f.rule_id == "PRN-RESP-001"}
    assert set(found) == {"1111", "2222"}
    assert "DURAND Léo" in found["1111"] and "Zoé" not in found["1111"]
    assert "MARTIN Ana" in found["2222"] and "Noé" not in found["2222"]


def test_bad_idpn_is_located_in_french(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("Profil;Nom;Prénom;Identifiant PRONOTE\nElève;DUPONT;Léa;wepyh43kj2fzt9as\n"
                    "Professeur;DURAND;Paul;WEPYH43KJ2FZT9AS\n", encoding="utf-8")
    graph = _load(path)
    (problem,) = graph.problems
    assert problem.line == 2 and "Identifiant PRONOTE" in problem.message and "majuscules" in problem.message
    assert [i.id for i in graph.all("pronote_identifier")] == ["WEPYH43KJ2FZT9AS"]


def test_prn_findings_on_generated_data(dataset):
    out, _est, truth = dataset
    result = Auditor().audit([out])
    dup = [f for f in result.findings if f.rule_id == "PRN-ENT-002"]
    assert {f.entity_id for f in dup} == {f.id for f in truth.findings if f.rule == "PRN-ENT-002"}
    for f in dup:
        assert "2\ncomptes ENT" in f.message or "2 comptes ENT" in f.message.replace("\n", " ")
    teachers = [f for f in result.findings if f.rule_id == "PRN-ENT-001"]
    assert teachers and all("pas d'identifiant PRONOTE" in f.message for f in teachers)
    assert all("ressources" in f.fix for f in teachers)
    students = [f for f in result.findings if f.rule_id == "PRN-ENT-003"]
    assert students and all("export de SIECLE vers EDT" in f.fix for f in students)
