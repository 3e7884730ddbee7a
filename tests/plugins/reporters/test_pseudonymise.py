"""Pseudonymisation: no name or identifier of a person in any output, stable pseudonyms."""

from __future__ import annotations

import json
import re

import pytest

from scolint.engine.audit import Auditor
from scolint.engine.cli import main
from scolint.plugins.reporters.pseudonymise import Pseudonymiser, audit_with_graph, load_secret

SECRET = b"secret-academie-de-test-0123456789"
FORMATS = ("console", "json", "markdown", "html", "junit", "sarif")


@pytest.fixture(scope="module")
def audited(session_host, generated):
    result, graph = audit_with_graph(Auditor(host=session_host), [generated])
    return result, graph


def personal_values(result, graph):
    """Names and identifiers of the people the findings are about (and their relatives)."""
    values = set()
    for f in result.findings:
        for kind, ident, source in [(f.entity_kind, f.entity_id, f.entity_source)] + [
                (r["kind"], r["id"], r["source"]) for r in f.related]:
            ent = graph.get(kind, ident, source)
            if ent is None or kind not in ("student", "guardian", "teacher"):
                continue
            values.add(ent.id)
            for key in ("last_name", "first_name", "ine", "elenoet", "email", "birth_date"):
                if ent.get(key) and len(str(ent.get(key))) >= 3:
                    values.add(str(ent.get(key)))
    return values


def render_all(host, result):
    out = {}
    for fmt in FORMATS:
        text = host.registries.reporters[fmt].render(result, {"limit": 1000})
        out[fmt] = text.decode("utf-8") if isinstance(text, bytes) else text
    return out


def contains(text, value, establishment="COLLEGE"):
    # the establishment's name (« COLLÈGE ÉMILE ZOLA ») is not personal and is kept
    text = re.sub(re.escape(establishment), "", text, flags=re.I) if establishment else text
    return re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text, re.I) is not None


def test_no_personal_value_left_in_any_format(host, audited):
    import copy
    result, graph = audited
    values = personal_values(result, graph)
    assert len(values) >= 5
    clear = render_all(host, result)
    assert any(contains(clear["html"], v, result.establishment) for v in values)  # the check can fail
    pseudo = Pseudonymiser(SECRET).apply(copy.deepcopy(result), graph)
    for fmt, text in render_all(host, pseudo).items():
        left = sorted(v for v in values if contains(text, v, result.establishment))
        assert not left, f"{fmt} : {left}"
        assert "NOM-" in text
    assert "Rapport pseudonymisé" in render_all(host, pseudo)["html"]


def test_structure_and_fix_are_kept(audited):
    import copy
    result, graph = audited
    pseudo = Pseudonymiser(SECRET).apply(copy.deepcopy(result), graph)
    for a, b in zip(result.findings, pseudo.findings):
        assert (a.rule_id, a.title, a.fix, a.severity, a.context) == (b.rule_id, b.title, b.fix, b.severity, b.context)
        assert [str(p) for p in a.provenance] == [str(p) for p in b.provenance]
        if a.entity_kind in ("student", "guardian", "teacher"):
            assert b.entity_id.startswith("ID-") and b.fingerprint != a.fingerprint


def test_pseudonyms_are_stable_and_keyed(audited):
    import copy
    result, graph = audited
    one = Pseudonymiser(SECRET).apply(copy.deepcopy(result), graph)
    two = Pseudonymiser(SECRET).apply(copy.deepcopy(result), graph)
    other = Pseudonymiser(b"un-autre-secret-d-academie-42").apply(copy.deepcopy(result), graph)
    assert [f.message for f in one.findings] == [f.message for f in two.findings]
    assert [f.fingerprint for f in one.findings] == [f.fingerprint for f in two.findings]
    personal = [i for i, f in enumerate(one.findings) if f.entity_kind == "student"]
    assert personal and all(one.findings[i].message != other.findings[i].message for i in personal)


def test_text_replacement_rules():
    p = Pseudonymiser(SECRET)
    p.add("DU CHÊNE", "nom")
    p.add("Léa", "prenom")
    p.add("lea.duchene@example.org", "courriel")
    p.add("2012-03-05", "date")
    p.add("1234", "id")
    out = p.text("L'élève du  chêne Léa (1234), née le 05/03/2012, lea.duchene@example.org ; Léandre 12345.")
    assert "CHÊNE" not in out.upper() and "Léa " not in out and "05/03/2012" not in out
    assert "Léandre 12345" in out  # whole words only
    assert p.text("Léa") == p.text("LÉA") == p.pseudonym("léa", "prenom")
    assert out.count("@pseudonyme.invalid") == 1


def test_secret_sources(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SCOLINT_SECRET_PSEUDONYMES", raising=False)
    monkeypatch.delenv("SCOLINT_SECRET_PSEUDONYMES_FICHIER", raising=False)
    created = load_secret()
    path = tmp_path / ".config" / "scolint" / "secret-pseudonymes"
    assert path.stat().st_mode & 0o777 == 0o600 and load_secret() == created
    monkeypatch.setenv("SCOLINT_SECRET_PSEUDONYMES", "depuis-l-environnement-123")
    assert load_secret() == b"depuis-l-environnement-123"
    f = tmp_path / "cle"
    f.write_text("depuis-un-fichier-0123456789\n")
    assert load_secret(str(f)) == b"depuis-un-fichier-0123456789"
    with pytest.raises(Exception, match="introuvable"):
        load_secret(str(tmp_path / "absent"))
    with pytest.raises(Exception, match="trop court"):
        Pseudonymiser(b"court")


def test_check_pseudonymise_cli(audited, generated, tmp_path, monkeypatch, capsys):
    result, graph = audited
    monkeypatch.setenv("SCOLINT_SECRET_PSEUDONYMES", SECRET.decode())
    out = tmp_path / "r.json"
    code = main(["check", str(generated), "--format", "json", "-o", str(out), "--pseudonymise", "--sans-config"])
    assert code in (0, 1)
    data = json.loads(out.read_text("utf-8"))
    text = out.read_text("utf-8")
    assert len(data["anomalies"]) == len(result.findings)
    assert not [v for v in personal_values(result, graph) if contains(text, v, result.establishment)]
