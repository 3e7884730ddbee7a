"""Baselines: CI fails only on new findings; --strict fails when accepted ones disappear."""

from __future__ import annotations

import argparse
import json

import pytest

from scolint.engine.audit import Auditor
from scolint.engine.baseline import apply_baseline, dump_baseline, load_baseline
from scolint.engine.errors import UsageError
from scolint.engine.model import Export, Graph, Provenance
from scolint.plugins.ruleskit_config import accept_and_exit_code


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
