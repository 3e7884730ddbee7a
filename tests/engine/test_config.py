"""The project file .scolint.yaml: selection, profiles, severities, exceptions."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from scolint.engine.audit import Auditor
from scolint.engine.config import apply_exceptions, find_config, load_config
from scolint.engine.errors import UsageError
from scolint.engine.model import Export, Graph, Provenance
from scolint.plugins.commands.project import BUILTIN_PROFILES

RULE = """\
id: ACA-EXP-001
title: Export sans date
severity: error
tags: [academie, siecle]
for_each: export
assert: "export.exported_at"
message: "{{ export.label }} n'a pas de date d'export."
fix: Refaire l'export.
tests:
  - {name: sans date, given: {exports: [{id: a.xml}]}, expect: [a.xml]}
  - {name: avec date, given: {exports: [{id: a.xml, exported_at: "2024-09-02"}]}, expect: []}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path):
    write(tmp_path / "regles" / "ACA-EXP-001.yml", RULE)
    return tmp_path


def graph_two_exports() -> Graph:
    """Two SIECLE/STS exports of one establishment, one of them of another UAI and undated."""
    g = Graph()
    g.add_export(Export("siecle-eleves", "ElevesSansAdresses.xml", "SIECLE", "0310040A", 2024, "2024-09-02"))
    g.add_export(Export("siecle-responsables", "ResponsablesAvecAdresses.xml", "SIECLE", "0310040A", 2024, "2024-09-02"))
    g.add_export(Export("sts-emp", "sts_emp_0311234Y_2024.xml", "STS", "0311234Y", 2024))
    g.add("export", "ElevesSansAdresses.xml", source="scolint", prov=Provenance("ElevesSansAdresses.xml", None, "SIECLE"),
          format="siecle-eleves", system="SIECLE", uai="0310040A", year=2024, exported_at="2024-09-02", readable=True)
    g.add("export", "sts_emp_0311234Y_2024.xml", source="scolint", prov=Provenance("sts_emp_0311234Y_2024.xml", None, "STS"),
          format="sts-emp", system="STS", uai="0311234Y", year=2024, exported_at=None, readable=True)
    return g


def audit(auditor: Auditor, graph: Graph):
    return auditor.evaluate(graph, ["x"], "2024-09-03T10:00:00")


def test_profile_select_ignore_and_severity(host, project):
    cfg = write(project / ".scolint.yaml", """\
        packs: [regles]
        severity: {academie: info}
        profiles:
          mon-profil:
            select: [X-UAI-001]
            severity: {X-UAI-001: warning}
            fail_on: warning
        """)
    conf = load_config(cfg, BUILTIN_PROFILES)
    base = conf.resolve(None)
    a = Auditor(base.rule_paths, base.selection, host=host, severity_overrides=base.severity_overrides)
    assert {"ACA-EXP-001", "X-UAI-001"} <= {r.id for r in a.rules}
    assert {r.id: r.severity for r in a.rules if r.id in ("ACA-EXP-001", "X-UAI-001")} == {
        "ACA-EXP-001": "info", "X-UAI-001": "error"}
    prof = conf.resolve("mon-profil")
    a = Auditor(prof.rule_paths, prof.selection, host=host, severity_overrides=prof.severity_overrides)
    assert [(r.id, r.severity) for r in a.rules] == [("X-UAI-001", "warning")]
    assert prof.fail_on == "warning"
    # built-in profiles exist without being declared, and select by tag
    pre = conf.resolve("avant-remontee-sts")
    a = Auditor(pre.rule_paths, pre.selection, host=host)
    assert "X-UAI-001" in [r.id for r in a.rules]
    assert all("remontee-sts" in r.tags for r in a.rules)
    with pytest.raises(UsageError, match="profil de règles inconnu « rentre » .*rentree"):
        conf.resolve("rentre")


def test_ignore_by_tag(host, project):
    cfg = write(project / ".scolint.yaml", "packs: [regles]\nignore: [general]\n")
    s = load_config(cfg).resolve()
    rules = Auditor(s.rule_paths, s.selection, host=host).rules
    assert "ACA-EXP-001" in [r.id for r in rules] and "X-UAI-001" not in [r.id for r in rules]
    assert all("general" not in r.tags for r in rules)


@pytest.mark.parametrize("text, line, words", [
    ("selct: [a]\n", 1, "clé inconnue : « selct »"),
    ("profiles:\n  rentree:\n    fail_on: fatal\n", 3, "« fatal » n'est pas une valeur permise"),
    ("exceptions:\n  0310040A:\n    - {rule: X-UAI-001, entity: a, reason: motif, author: moi}\n", 3,
     "clé obligatoire absente : « expires »"),
    ("exceptions:\n  0310040A:\n    - {rule: X-UAI-001, entity: a, reason: motif, author: moi, expires: 2025-02-30}\n",
     3, "valeur invalide « 2025-02-30 »"),
    ("select: [a]\nselect: [b]\n", 2, "clé « select » répétée"),
    ("packs: [absent/]\n", None, "dossier de règles introuvable : absent/"),
])
def test_config_errors_name_file_and_line(tmp_path, text, line, words):
    cfg = write(tmp_path / ".scolint.yaml", text)
    with pytest.raises(UsageError) as exc:
        load_config(cfg).resolve()
    msg = str(exc.value)
    assert msg.startswith(f"{cfg}:{line}: CONFIG:" if line else f"{cfg}: CONFIG:"), msg
    assert words in msg and "\n" not in msg


def test_config_found_in_parent_folder(tmp_path):
    cfg = write(tmp_path / ".scolint.yaml", "fail_on: warning\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert find_config(sub) == cfg.resolve()


def test_exceptions_accept_until_expiry(host, project):
    cfg = write(project / ".scolint.yaml", """\
        packs: [regles]
        exceptions:
          0310040a:
            - rule: ACA-EXP-001
              entity: sts_emp_0311234Y_2024.xml
              reason: export STS de test, sans date
              author: pôle d'appui
              expires: 2024-12-31
            - {rule: ACA-EXP-001, entity: autre.xml, reason: plus là, author: moi, expires: 2030-01-01}
          0311234Y:
            - {rule: X-UAI-001, entity: sts_emp_0311234Y_2024.xml, reason: autre UAI, author: moi, expires: 2030-01-01}
        """)
    conf = load_config(cfg)
    s = conf.resolve()
    auditor = Auditor(s.rule_paths, s.selection, host=host)
    result = audit(auditor, graph_two_exports())
    assert sorted(f.rule_id for f in result.active()) == ["ACA-EXP-001", "X-UAI-001"]
    report = apply_exceptions(result, conf.exceptions_for(result.uai), dt.date(2024, 10, 1))
    assert report.accepted == 1
    assert [f.rule_id for f in result.active()] == ["X-UAI-001"]  # the 0311234Y exception is not this UAI's
    accepted = [f for f in result.findings if f.accepted][0]
    assert accepted.accepted["author"] == "pôle d'appui" and accepted.accepted["where"].endswith(":4")
    assert [e.entity for e in report.unused] == ["autre.xml"]
    assert result.exit_code("error") == 1
    # after expiry the finding counts again
    result = audit(auditor, graph_two_exports())
    report = apply_exceptions(result, conf.exceptions_for(result.uai), dt.date(2025, 1, 1))
    assert report.accepted == 0 and [e.entity for e in report.expired] == ["sts_emp_0311234Y_2024.xml"]
    assert sorted(f.rule_id for f in result.active()) == ["ACA-EXP-001", "X-UAI-001"]


# ---------------------------------------------------------------------------
# scolint check with a project file, on the project's fictional establishment
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import json

    from scolint.engine.cli import main
    out = tmp_path_factory.mktemp("demo") / "demo"
    assert main(["generate", "--students", "60", "--seed", "6", "--out", str(out)]) == 0
    meta = json.loads((out / "verite-terrain.json").read_text("utf-8"))
    return out, meta


def test_check_uses_project_file_exceptions(demo, tmp_path, capsys, monkeypatch):
    from scolint.engine.cli import main
    folder, meta = demo
    target = next(f for f in meta["findings"] if f["rule"] == "SIE-RESP-001")
    monkeypatch.chdir(tmp_path)
    assert main(["check", str(folder), "--select", "SIE-RESP-001"]) == 1
    write(tmp_path / ".scolint.yaml", f"""\
        exceptions:
          {meta['uai']}:
            - rule: SIE-RESP-001
              entity: "{target['id']}"
              reason: élève majeur, sans responsable légal
              author: pôle d'appui
              expires: 2999-12-31
        """)
    capsys.readouterr()
    assert main(["check", str(folder), "--select", "SIE-RESP-001"]) == 0
    out, err = capsys.readouterr()
    assert "1 anomalie(s) acceptée(s) par une exception du fichier de projet" in err
    assert "(1 anomalie(s) acceptée(s) non affichée(s))" in out
    # the project file is ignored on request, and an expired exception counts again
    assert main(["check", str(folder), "--select", "SIE-RESP-001", "--sans-config"]) == 1
    (tmp_path / ".scolint.yaml").write_text(
        (tmp_path / ".scolint.yaml").read_text("utf-8").replace("2999-12-31", "2020-01-01"), encoding="utf-8")
    capsys.readouterr()
    assert main(["check", str(folder), "--select", "SIE-RESP-001"]) == 1
    assert f"exception expirée, l'anomalie compte à nouveau : SIE-RESP-001 sur « {target['id']} »" in capsys.readouterr().err


def test_check_profile_severity_and_fail_on(demo, tmp_path, capsys, monkeypatch):
    import json

    from scolint.engine.cli import main
    folder, _ = demo
    monkeypatch.chdir(tmp_path)
    cfg = write(tmp_path / "projet.yaml", """\
        severity: {siecle: info}
        profiles:
          sts-seul:
            select: [STS-SERV-001, X-STS-EDT-002]
            fail_on: warning
        """)
    capsys.readouterr()
    assert main(["check", str(folder), "--config", str(cfg), "--format", "json", "--select", "SIE-RESP-001"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [f["severity"] for f in doc["anomalies"] if f["rule"] == "SIE-RESP-001"] == ["info"]
    assert main(["check", str(folder), "--config", str(cfg), "--profil-regles", "sts-seul", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["regles"] and all("sts" in r["etiquettes"] for r in doc["regles"])
    assert any(f["rule"] == "STS-SERV-001" and f["severity"] == "warning" for f in doc["anomalies"])
    # --fail-on on the command line wins over the profile
    assert main(["check", str(folder), "--config", str(cfg), "--profil-regles", "sts-seul", "--fail-on", "error"]) == 0
    capsys.readouterr()
    assert main(["check", str(folder), "--config", str(cfg), "--profil-regles", "inconnu"]) == 2
    assert "profil de règles inconnu « inconnu »" in capsys.readouterr().err
