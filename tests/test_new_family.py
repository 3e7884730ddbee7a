"""A newcomer adds an export family without touching engine/ (tests/packs/famille_cantine):
format (root element, XSD), entity kind, loader, link with its declared order, a rule and
a command, registered as any plugin is. The engine derives detection, loading, link order
and the flows from the declaration."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from scolint.engine.audit import Auditor
from scolint.engine.manager import get_plugin_host
from scolint.engine.testing import run_rule_tests

PACKS = Path(__file__).resolve().parent / "packs"


@pytest.fixture(scope="module")
def pack():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(PACKS))
    try:
        import famille_cantine
        yield famille_cantine
    finally:
        sys.path.remove(str(PACKS))


PUPILS = """<?xml version="1.0" encoding="UTF-8"?>
<BEE_ELEVES VERSION="3.0">
  <PARAMETRES><UAJ>0310040A</UAJ><ANNEE_SCOLAIRE>2024</ANNEE_SCOLAIRE>
    <DATE_EXPORT>02/09/2024</DATE_EXPORT></PARAMETRES>
  <DONNEES><ELEVES>
    <ELEVE ELEVE_ID="1001" ELENOET="1"><ID_NATIONAL>070803106AB</ID_NATIONAL><NOM_DE_FAMILLE>MARTIN</NOM_DE_FAMILLE>
      <PRENOM>Léa</PRENOM><DATE_NAISS>12/03/2011</DATE_NAISS><CODE_SEXE>2</CODE_SEXE></ELEVE>
  </ELEVES></DONNEES>
</BEE_ELEVES>
"""

CANTEEN = """<?xml version="1.0" encoding="UTF-8"?>
<CANTINE_INSCRIPTIONS UAI="0310040A">
  <INSCRIPTION INE="070803106AB" REGIME="DP"/>
  <INSCRIPTION INE="99999999999" REGIME="INT"/>
</CANTINE_INSCRIPTIONS>
"""


def test_a_new_family_is_detected_loaded_linked_and_checked(pack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "eleves.xml").write_text(PUPILS, encoding="utf-8")
    (tmp_path / "inscriptions.xml").write_text(CANTEEN, encoding="utf-8")
    host = get_plugin_host(extra_plugins=[pack])
    fams = host.registries.families
    order = [f.id for f in fams.ordered()]
    assert order.index("siecle") < order.index("cantine")  # link_after, not registration order
    assert fams.flows().index("SIECLE") < fams.flows().index("CANTINE")
    result = Auditor(host=host).audit([tmp_path])
    formats = {e.format_id for e in result.exports}
    assert {"siecle-eleves", "cantine-inscriptions"} <= formats
    found = [(f.rule_id, f.entity_id) for f in result.findings if f.rule_id == "CANTINE-001"]
    assert found == [("CANTINE-001", "99999999999")]  # the known pupil was joined by the link step
    assert "CANTINE" in result.flows


def test_the_new_familys_schema_is_applied(pack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "inscriptions.xml").write_text(CANTEEN.replace('REGIME="DP"', 'REGIME="XX"'), encoding="utf-8")
    result = Auditor(host=get_plugin_host(extra_plugins=[pack])).audit([tmp_path])
    schema = [f for f in result.findings if f.rule_id == "ENTREE-SCHEMA"]
    assert len(schema) == 1 and schema[0].provenance[0].line == 3


def test_the_new_familys_rule_passes_its_own_tests(pack) -> None:  # type: ignore[no-untyped-def]
    host = get_plugin_host(extra_plugins=[pack])
    auditor = Auditor(host=host)
    rule = [r for r in auditor.all_rules if r.id == "CANTINE-001"]
    results = run_rule_tests(rule, host.registries, auditor.env)
    assert len(results) == 2 and all(r.ok for r in results)


def test_without_the_family_its_files_are_not_recognised(tmp_path: Path) -> None:
    (tmp_path / "inscriptions.xml").write_text(CANTEEN, encoding="utf-8")
    result = Auditor().audit([tmp_path])
    assert [f.rule_id for f in result.findings] == ["ENTREE-INCONNU"]
