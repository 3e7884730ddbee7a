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


FILES = {"a.xml": "0310040A", "b.xml": "0310040A", "c.xml": "0310040A", "d.xml": "0311234B"}


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
    more = run(auditor, graph({**FILES, "e.xml": "0319999Z"}))
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
