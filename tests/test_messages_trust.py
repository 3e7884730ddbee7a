"""Messages a person can trust (issue 16, item 6), on hand-written exports: schema messages
keep pattern quantifiers, « absent » only when absent, a malformed closing tag is not a
truncated file, a missing PARAMETRES says which identity is unknown."""

from __future__ import annotations

from pathlib import Path

from scolint.engine.audit import Auditor

ETAB = Path(__file__).parent / "fixtures" / "etab" / "ElevesSansAdresses.xml"


def _messages(path: Path) -> list[tuple[str, int | None, str]]:
    result = Auditor(use_default_rules=False).audit([path])
    return [(f.rule_id, f.provenance[0].line if f.provenance else None, f.message) for f in result.findings]


def test_schema_message_keeps_the_pattern_quantifier(tmp_path):
    data = ETAB.read_bytes().replace(b"<CODE_MEF>10310019110</CODE_MEF>", b"<CODE_MEF>1031001911</CODE_MEF>", 1)
    path = tmp_path / "ElevesSansAdresses.xml"
    path.write_bytes(data)
    schema = [m for code, _l, m in _messages(path) if code == "ENTREE-SCHEMA" and "CODE_MEF" in m]
    assert len(schema) == 1
    assert "1031001911" in schema[0] and "{10}" in schema[0]
    assert "absent" not in schema[0]


def test_present_but_wrong_uaj_is_said_once_by_the_identity_check(tmp_path):
    """« UAJ invalide » when present but wrong, once, naming the value and the file: not a
    schema message beside it, and not « another establishment » for the other export."""
    (tmp_path / "ElevesSansAdresses.xml").write_bytes(
        ETAB.read_bytes().replace(b"<UAJ>0310040A</UAJ>", b"<UAJ>031004A</UAJ>"))
    (tmp_path / "ResponsablesSansAdresses.xml").write_bytes((ETAB.parent / "ResponsablesSansAdresses.xml").read_bytes())
    result = Auditor().audit([tmp_path])
    about_uai = [f for f in result.findings if "031004A" in f.message or f.rule_id in ("X-UAI-001", "X-UAI-002")]
    assert [f.rule_id for f in about_uai] == ["X-UAI-002"]
    assert "ElevesSansAdresses.xml" in about_uai[0].message and "absent" not in about_uai[0].message
    # the typo does not make the set "two establishments": the pupils and their guardians are still joined
    assert any(f.rule_id == "SIE-RESP-001" for f in result.findings)


def test_absent_uaj_is_said_absent(tmp_path):
    data = ETAB.read_bytes().replace(b"<UAJ>0310040A</UAJ>", b"")
    path = tmp_path / "ElevesSansAdresses.xml"
    path.write_bytes(data)
    schema = [m for code, _l, m in _messages(path) if code == "ENTREE-SCHEMA" and "UAJ" in m]
    assert schema and all("absente" in m for m in schema)


def test_malformed_closing_tag_is_not_a_truncated_file(tmp_path):
    data = ETAB.read_bytes().replace(b"<PRENOM>Hugo</PRENOM>", b"<PRENOM>Hugo</PRENOM\n")
    path = tmp_path / "ElevesSansAdresses.xml"
    path.write_bytes(data)
    (problem,) = [(line, m) for code, line, m in _messages(path) if code == "ENTREE-FICHIER"]
    assert "tronqué" not in problem[1] and "balise" in problem[1]
    assert problem[0] is not None and problem[0] < 30  # where the tag is, not the end of the file


def test_missing_parametres_says_which_identity_is_unknown(tmp_path):
    data = ETAB.read_bytes()
    start, end = data.index(b"  <PARAMETRES>"), data.index(b"</PARAMETRES>") + len(b"</PARAMETRES>\n")
    path = tmp_path / "ElevesSansAdresses.xml"
    path.write_bytes(data[:start] + data[end:])
    msgs = [m for code, _l, m in _messages(path) if "PARAMETRES" in m]
    assert any("UAJ" in m and "ANNEE_SCOLAIRE" in m and "inconnu" in m for m in msgs), msgs
