"""Conformance to the real SIECLE and STS-Web samples of ../shared/samples, and input
robustness: a truncated or foreign XML among good files is reported with its file (and
line when there is one) while the other files are still audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scolint.engine.audit import Auditor
from scolint.engine.cli import main

#: sample (relative to the samples folder) -> (format id, {kind: count})
EXPECTED = {
    "siecle/ElevesAvecAdresses_BEE_ELEVES-3.0.xml": ("siecle-eleves", {"student": 1, "division": 1, "group": 1}),
    "siecle/ResponsablesAvecAdresses_BEE_RESPONSABLES-2.1.xml": ("siecle-responsables", {"guardian": 3}),
    "siecle/Nomenclature_BEE_NOMENCLATURES-3.1.xml": ("siecle-nomenclature", {"mef": 29, "subject": 108}),
    "sts/sts_emp_STS_EDT.xml": ("sts-emp", {"teacher": 1, "group": 1, "subject": 1, "mef": 1}),
    # 179 ELEVE, no STRUCTURES section (read by hand: grep -c "<ELEVE ")
    "siecle/ElevesSansStructures_BEE_ELEVES-3.0.xml": ("siecle-eleves", {"student": 179, "division": 0}),
    # 89 MEF@CODE_MEF, 100 MATIERE@CODE_MATIERE; the other file has 4 MEF and no MATIERE
    "siecle/Nomenclature-2018-19_BEE_NOMENCLATURES-3.1.xml": ("siecle-nomenclature", {"mef": 89, "subject": 100}),
    "siecle/Nomenclature_tout_niveau_latin9.xml": ("siecle-nomenclature", {"mef": 4, "subject": 0}),
}

#: the problems a sample's reading gives on its own (decided by reading the file)
PROBLEMS = {"siecle/ElevesSansStructures_BEE_ELEVES-3.0.xml": ["ENTREE-PARTIEL"]}


@pytest.fixture(scope="module")
def auditor() -> Auditor:
    return Auditor()


def test_every_sample_of_the_families_is_covered(samples):
    present = {p.relative_to(samples).as_posix() for fam in ("siecle", "sts") for p in (samples / fam).glob("*")}
    assert present == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_loads_without_any_problem(samples, auditor, name):
    graph, _ = auditor.load([samples / name])
    assert [p.code for p in graph.problems] == PROBLEMS.get(name, []), [(p.line, p.message) for p in graph.problems]
    fmt, counts = EXPECTED[name]
    assert [e.format_id for e in graph.exports] == [fmt]
    assert graph.exports[0].uai and graph.exports[0].year
    for kind, count in counts.items():
        assert len(graph.all(kind)) == count, kind
        assert all(e.prov and e.prov[0].line for e in graph.all(kind))


def test_sample_links(samples, auditor):
    graph, _ = auditor.load([samples / "siecle", samples / "sts"])
    student = graph.get("student", "1541944", "siecle")
    assert student["division"].id == "301" and [g.id for g in student["groups"]] == ["_301P1"]
    assert all(p["legal"] for p in graph.all("guardian"))
    assert graph.get("teacher", "69881", "sts")["last_name"] == "DOE"


# Another establishment's pupils' export (0310040A): with the same UAI as the sample's, it would
# be a second pupils' export of one establishment, and only the dated (most recent) one is read.
TRUNCATED = """<?xml version="1.0" encoding="ISO-8859-15"?>
<BEE_ELEVES VERSION="3.0">
  <PARAMETRES><UAJ>0310040A</UAJ><ANNEE_SCOLAIRE>2019</ANNEE_SCOLAIRE></PARAMETRES>
  <DONNEES>
    <ELEVES>
      <ELEVE ELEVE_ID="1">
        <NOM_DE_FAMILLE>DUP"""

FOREIGN = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Actualités du collège</title></channel></rss>
"""


def test_truncated_and_foreign_xml_among_good_files(samples, tmp_path, capsys):
    for name in EXPECTED:
        (tmp_path / Path(name).name).symlink_to(samples / name)
    (tmp_path / "ElevesSansAdresses_tronque.xml").write_bytes(TRUNCATED.encode("iso-8859-15"))
    (tmp_path / "flux.xml").write_text(FOREIGN, encoding="utf-8")
    out = tmp_path / "rapport.json"
    code = main(["check", str(tmp_path), "--format", "json", "-o", str(out)])
    assert code == 2  # an unreadable input
    report = json.loads(out.read_text("utf-8"))
    findings = report["anomalies"]
    broken = [f for f in findings if f["rule"] == "ENTREE-FICHIER"]
    assert len(broken) == 1
    where = broken[0]["provenance"][0]
    assert where["file"].endswith("ElevesSansAdresses_tronque.xml") and where["line"] == 7
    assert "fin de fichier" in broken[0]["message"]
    foreign = [f for f in findings if f["rule"] == "ENTREE-INCONNU"]
    assert [f["provenance"][0]["file"].endswith("flux.xml") for f in foreign] == [True]
    rules = {f["rule"] for f in findings}
    # the good files were audited; pupils and guardians of two establishments are not joined
    assert {"STS-SERV-001", "X-UAI-001"} <= rules and "SIE-RESP-001" not in rules
    assert not any(f["rule"] == "ENTREE-SCHEMA" for f in findings)
    assert "Traceback" not in capsys.readouterr().err
