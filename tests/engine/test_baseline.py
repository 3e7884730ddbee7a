"""Baselines: CI fails only on new findings; --strict fails when accepted ones disappear."""

from __future__ import annotations

import argparse
import json

import pytest

from scolint.engine.audit import Auditor
from scolint.engine.baseline import apply_baseline, dump_baseline, load_baseline
from scolint.engine.errors import UsageError
from scolint.engine.model import Export, Graph, Provenance
from scolint.plugins.commands.project import accept_and_exit_code


def graph(uais: dict[str, str], line_shift: int = 0) -> Graph:
    """Exports of one establishment; ``uais`` maps file name -> UAI written in it."""
    g = Graph()
    for name, uai in uais.items():
        g.add_export(Export("siecle-eleves", name, "SIECLE", uai, 2024))
        g.add("export", name, source="scolint", prov=Provenance(name, 3 + line_shift, "SIECLE"),
              format="siecle-eleves", system="SIECLE", uai=uai, year=2024, readable=True)
    return g


FILES = {"a.xml": "0310040A", "b.xml": "0310040A", "c.xml": "0310040A", "d.xml": "0311234Y"}


@pytest.fixture
def auditor(host):
    return Auditor(host=host)


def run(auditor, g):
    return auditor.evaluate(g, list(FILES), "2024-09-03T10:00:00")


def test_baseline_accepts_known_findings_only(tmp_path, auditor):
    first = run(auditor, graph(FILES))
    assert [f.entity_id for f in first.active()] == ["d.xml"]
    path = tmp_path / "base.json"
    path.write_text(dump_baseline(first), encoding="utf-8")
    doc = json.loads(path.read_text("utf-8"))
    assert doc["count"] == 1 and doc["findings"][0]["entity"]["id"] == "d.xml"
    assert "message" not in doc["findings"][0]  # no names nor messages in a baseline
    # same data, other line numbers: still the same finding
    again = run(auditor, graph(FILES, line_shift=40))
    report = apply_baseline(again, load_baseline(path))
    assert report.accepted == 1 and report.gone == [] and again.exit_code("error") == 0
    # a new file of another UAI is a new finding
    more = run(auditor, graph({**FILES, "e.xml": "0319999A"}))
    report = apply_baseline(more, load_baseline(path))
    assert [f.entity_id for f in more.active()] == ["e.xml"] and more.exit_code("error") == 1


def test_strict_fails_when_accepted_finding_disappeared(tmp_path, auditor, capsys):
    path = tmp_path / "base.json"
    path.write_text(dump_baseline(run(auditor, graph(FILES))), encoding="utf-8")
    fixed = {k: "0310040A" for k in FILES}
    args = argparse.Namespace(config=None, no_config=True, baseline=str(path), strict=False)
    assert accept_and_exit_code(args, run(auditor, graph(fixed)), "error") == 0
    args = argparse.Namespace(config=None, no_config=True, baseline=str(path), strict=True)
    assert accept_and_exit_code(args, run(auditor, graph(fixed)), "error") == 1
    err = capsys.readouterr().err
    assert "anomalie de la ligne de base disparue : X-UAI-001 sur export « d.xml »" in err
    # strict with everything still there: 0
    args = argparse.Namespace(config=None, no_config=True, baseline=str(path), strict=True)
    assert accept_and_exit_code(args, run(auditor, graph(FILES)), "error") == 0


@pytest.mark.parametrize("text, words", [
    ("{", "base.json:1: ligne de base invalide : JSON incorrect"),
    ('{"findings": []}', "n'est pas une ligne de base scolint"),
    ('{"scolint_baseline": 1, "findings": [{"rule": "X"}]}', "l'entrée n°1 n'a pas d'empreinte"),
])
def test_bad_baseline_is_a_french_error(tmp_path, text, words):
    path = tmp_path / "base.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=words):
        load_baseline(path)


def test_missing_baseline_says_how_to_create_it(tmp_path):
    with pytest.raises(UsageError, match="scolint baseline"):
        load_baseline(tmp_path / "absente.json")


# ---------------------------------------------------------------------------
# The commands, on the project's fictional establishment
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demos(tmp_path_factory):
    """The same fictional establishment with its injected anomalies, and without."""
    from scolint.engine.cli import main
    root = tmp_path_factory.mktemp("demos")
    assert main(["generate", "--students", "60", "--seed", "4", "--out", str(root / "avec")]) == 0
    assert main(["generate", "--students", "60", "--seed", "4", "--sans-anomalies", "--out", str(root / "sans")]) == 0
    return root / "avec", root / "sans"


def test_baseline_and_strict_commands(demos, tmp_path, capsys, monkeypatch):
    from scolint.engine.cli import main
    monkeypatch.chdir(tmp_path)
    with_defects, clean = demos
    capsys.readouterr()
    assert main(["check", str(with_defects), "--sans-config"]) == 1
    assert main(["baseline", str(with_defects), "-o", "base.json", "--sans-config"]) == 0
    doc = json.loads((tmp_path / "base.json").read_text("utf-8"))
    truth = json.loads((with_defects / "verite-terrain.json").read_text("utf-8"))["findings"]
    assert {(f["rule"], f["id"]) for f in truth} <= {(e["rule"], e["entity"]["id"]) for e in doc["findings"]}
    capsys.readouterr()
    # CI with the baseline: nothing new, exit 0
    assert main(["check", str(with_defects), "--baseline", "base.json", "--sans-config"]) == 0
    assert f"{doc['count']} anomalie(s) déjà présente(s) dans la ligne de base" in capsys.readouterr().err
    # the anomalies were fixed: fine, unless --strict (the baseline must shrink)
    assert main(["check", str(clean), "--baseline", "base.json", "--sans-config"]) == 0
    capsys.readouterr()
    assert main(["check", str(clean), "--baseline", "base.json", "--strict", "--sans-config"]) == 1
    err = capsys.readouterr().err
    rule, ident = truth[0]["rule"], truth[0]["id"]
    assert f"--strict : anomalie de la ligne de base disparue : {rule} sur " in err and f"« {ident} »" in err
    # a baseline of the clean data does not hide the new anomalies
    assert main(["baseline", str(clean), "-o", "propre.json", "--sans-config"]) == 0
    assert main(["check", str(with_defects), "--baseline", "propre.json", "--sans-config"]) == 1


def _schema_file(path, bad_sex: bool, bad_mef: bool):
    """A hand-written pupils' export with one or two schema errors (CODE_SEXE 7, DATE_NAISS 31/02)."""
    sex = "7" if bad_sex else "1"
    birth = "31/02/2010" if bad_mef else "28/02/2010"
    path.write_bytes(f"""<?xml version="1.0" encoding="ISO-8859-15"?>
<BEE_ELEVES VERSION="3.0">
  <PARAMETRES><UAJ>0310040A</UAJ><ANNEE_SCOLAIRE>2024</ANNEE_SCOLAIRE><DATE_EXPORT>02/09/2024</DATE_EXPORT></PARAMETRES>
  <DONNEES>
    <ELEVES>
      <ELEVE ELEVE_ID="1"><ID_NATIONAL>123456789AB</ID_NATIONAL><NOM_DE_FAMILLE>DURAND</NOM_DE_FAMILLE><PRENOM>Léa</PRENOM>
        <DATE_NAISS>{birth}</DATE_NAISS><CODE_SEXE>{sex}</CODE_SEXE><CODE_MEF>10310019110</CODE_MEF></ELEVE>
    </ELEVES>
    <STRUCTURES><STRUCTURES_ELEVE ELEVE_ID="1">
      <STRUCTURE><CODE_STRUCTURE>3A</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE>
    </STRUCTURES_ELEVE></STRUCTURES>
  </DONNEES>
</BEE_ELEVES>
""".encode("iso-8859-15"))


def test_a_baseline_with_one_schema_error_does_not_hide_the_next(tmp_path, host):
    auditor = Auditor(host=host)
    data = tmp_path / "ElevesSansAdresses.xml"
    _schema_file(data, bad_sex=True, bad_mef=False)
    first = auditor.audit([data])
    assert [f.rule_id for f in first.findings].count("ENTREE-SCHEMA") == 1
    base = tmp_path / "base.json"
    base.write_text(dump_baseline(first), "utf-8")
    _schema_file(data, bad_sex=True, bad_mef=True)
    second = auditor.audit([data])
    schema = [f for f in second.findings if f.rule_id == "ENTREE-SCHEMA"]
    assert len(schema) == 2 and len({f.fingerprint for f in schema}) == 2
    apply_baseline(second, load_baseline(base))
    new = [f for f in schema if f.accepted is None]
    assert len(new) == 1 and "31/02/2010" in new[0].message


def test_an_old_baseline_keeps_rule_findings_and_asks_to_redo_it(tmp_path):
    old = {"scolint_baseline": 1, "findings": [
        {"fingerprint": "a" * 20, "rule": "ENTREE-SCHEMA", "entity": {"kind": "file", "id": "e.xml", "source": "scolint"}},
        {"fingerprint": "b" * 20, "rule": "SIE-DIV-001", "entity": {"kind": "student", "id": "1", "source": "siecle"}}]}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), "utf-8")
    loaded = load_baseline(path)
    assert list(loaded.entries) == ["b" * 20]
    assert len(loaded.notes) == 1 and "Refaites la ligne de base" in loaded.notes[0]
