"""``scolint historique`` (lister, purger, exporter, supprimer) and where the history's
settings come from (options, environment, project file)."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from scolint.engine.audit import Auditor
from scolint.engine.cli import main
from scolint.plugins.gen.generate import generate
from scolint.plugins.history.store import AuditRecord, History


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """Two generated schools and their audits."""
    root = tmp_path_factory.mktemp("ecoles")
    out = {}
    for seed in (6, 7):
        est, _ = generate(root / str(seed), 40, seed)
        out[est.uai] = Auditor().audit([root / str(seed)])
    assert len(out) == 2
    return out


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def fill(url: str, data: Path, audited, **kw) -> History:
    h = History.open(url, data_dir=data, **kw)
    for uai, result in audited.items():
        h.record(result, uai)
    return h


def test_list_export_delete(history_url, tmp_path, audited):
    data = tmp_path / "donnees"
    opts = ["--historique", history_url, "--donnees", str(data), "--sans-config"]
    with fill(history_url, data, audited) as h:
        h.record(AuditRecord(uai="0310003C", audited_at="2026-12-01T10:00:00+01:00", source="=HYPERLINK(\"x\")",
                             counts={"error": 1, "warning": 0, "info": 0}, ready_remontee=None), "0310003C")
    code, out, err = run("historique", "lister", *opts)
    assert code == 0, err
    for uai, result in audited.items():
        line = next(x for x in out.splitlines() if x.startswith(uai))
        assert f" {result.counts()['error']} " in line
    assert "3 audit(s), 3 établissement(s)" in out

    target = tmp_path / "export.csv"
    assert run("historique", "exporter", "-o", str(target), *opts)[0] == 0
    raw = target.read_bytes()
    assert raw.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["uai", "audit", "date_audit"] and len(rows) == 4
    by_uai = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert by_uai["0310003C"]["source"] == "'=HYPERLINK(\"x\")"  # not a formula in a spreadsheet
    assert by_uai["0310003C"]["date_audit"] == "2026-12-01T09:00:00.000000+00:00"
    uai = next(iter(audited))
    assert by_uai[uai]["erreurs"] == str(audited[uai].counts()["error"])
    listed = by_uai[uai]["exports"].split(" | ")
    assert sorted(listed) == sorted({f"{e.format_id} ({e.exported_at})" if e.exported_at else e.format_id
                                     for e in audited[uai].exports})

    code, out, _ = run("historique", "supprimer", uai.lower(), *opts)
    assert code == 0 and f"1 audit(s) de l'établissement {uai} effacé(s)" in out
    assert uai not in run("historique", "lister", *opts)[1]


def test_prune_with_retention(history_url, tmp_path, audited):
    data = tmp_path / "donnees"
    uai, result = next(iter(audited.items()))
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40)).isoformat()
    with History.open(history_url, data_dir=data, retention_days=100) as h:
        h.record(result, uai, audited_at=old)
        h.record(result, uai)
    opts = ["--historique", history_url, "--donnees", str(data), "--sans-config"]
    code, out, _ = run("historique", "purger", "--conservation", "30", *opts)
    assert code == 0 and "1 audit(s) de plus de 30 jours effacé(s)" in out
    with History.open(history_url, data_dir=data) as h:
        assert len(h.audits()) == 1


def test_newer_schema_is_a_clear_error(tmp_path, audited):
    db = tmp_path / "d" / "historique.sqlite"
    History.open(db).close()
    import sqlite3
    conn = sqlite3.connect(db)
    conn.execute("UPDATE hist_meta SET value = '7' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    code, out, err = run("historique", "lister", "--historique", str(db), "--donnees", str(tmp_path / "d"),
                         "--sans-config")
    assert code == 2 and "schéma en version 7" in err and "Traceback" not in err


def test_project_file_and_environment(tmp_path, audited, monkeypatch):
    """``historique:`` of the project file gives the folder and the retention; the key
    may come from the environment; the option wins over both."""
    project = tmp_path / "projet"
    project.mkdir()
    (project / ".scolint.yaml").write_text("historique:\n  dossier: donnees-academie\n  conservation_jours: 90\n",
                                           "utf-8")
    monkeypatch.setenv("SCOLINT_HISTORIQUE_CLE", "une-cle-d-academie-assez-longue")
    monkeypatch.delenv("SCOLINT_DONNEES", raising=False)
    monkeypatch.chdir(project)
    uai, result = next(iter(audited.items()))
    with History.open(project / "donnees-academie" / "historique.sqlite",
                      secret="une-cle-d-academie-assez-longue") as h:
        h.record(result, uai, audited_at=(dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=120)).isoformat())
        h.record(result, uai)
    code, out, err = run("historique", "purger")
    assert code == 0, err
    assert "1 audit(s) de plus de 90 jours effacé(s)" in out
    assert not (project / "donnees-academie" / "cle-historique").exists()  # the key came from the environment
    monkeypatch.setenv("SCOLINT_HISTORIQUE_CLE", "pas-la-bonne-cle-mais-assez-longue")
    code, out, err = run("historique", "lister")
    assert code == 2 and "n'est pas celle" in err


def test_project_file_unknown_key_is_refused(tmp_path, monkeypatch):
    (tmp_path / ".scolint.yaml").write_text("historique:\n  duree: 3\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run("historique", "lister", "--donnees", str(tmp_path / "d"))
    assert code == 2 and ".scolint.yaml" in err and "duree" in err


def test_batch_without_history(tmp_path):
    root = tmp_path / "depots"
    est, _ = generate(root / "x", 40, 8)
    (root / "x").rename(root / est.uai)
    data = tmp_path / "donnees"
    code, out, err = run("batch", str(root), "-o", str(tmp_path / "r"), "--formats", "json,markdown", "--jobs", "1",
                         "--sans-config", "--sans-historique", "--donnees", str(data))
    assert code in (0, 1), err
    assert not data.exists() and not (tmp_path / "r" / "tableau-academie.html").exists()
    doc = json.loads((tmp_path / "r" / f"rapport-{est.uai}.json").read_text("utf-8"))
    assert "changements" not in doc
    assert "Ce qui a changé" not in (tmp_path / "r" / f"rapport-{est.uai}.md").read_text("utf-8")


def test_mail_says_what_changed(history_url, tmp_path, monkeypatch):
    """``scolint send`` records like ``batch``: the second mail's HTML and text parts say
    what changed since the first."""
    import email
    from email import policy
    root = tmp_path / "depots"
    est, _ = generate(root / "x", 40, 9)
    (root / "x").rename(root / est.uai)
    monkeypatch.setenv("SCOLINT_SMTP_FROM", "pole-appui@ac-exemple.fr")
    monkeypatch.chdir(tmp_path)
    opts = ["--destinataire", "ce.{uai}@ac-exemple.fr", "--jobs", "1", "--sans-config",
            "--historique", history_url, "--donnees", str(tmp_path / "donnees")]
    assert run("send", str(root), "--dry-run", "eml1", *opts)[0] == 0
    code, out, err = run("send", str(root), "--dry-run", "eml2", *opts)
    assert code == 0, err
    first = email.message_from_bytes((tmp_path / "eml1" / f"{est.uai}.eml").read_bytes(), policy=policy.default)
    second = email.message_from_bytes((tmp_path / "eml2" / f"{est.uai}.eml").read_bytes(), policy=policy.default)
    assert "premier audit de l'établissement" in first.get_body(("plain",)).get_content()
    n = len({a["fingerprint"] for a in json.loads((tmp_path / "eml2" / "rapports" / f"rapport-{est.uai}.json")
                                                  .read_text("utf-8"))["anomalies"] if a["accepted"] is None})
    text = second.get_body(("plain",)).get_content()
    html = second.get_body(("html",)).get_content()
    assert f": 0 nouvelle(s), 0 corrigée(s), {n} toujours là" in text
    assert "Ce qui a changé" in html and f"{n} toujours là" in html


def test_unusable_history_stops_the_batch_before_any_audit(tmp_path):
    root = tmp_path / "depots"
    est, _ = generate(root / "x", 40, 10)
    (root / "x").rename(root / est.uai)
    bad = tmp_path / "pas-une-base.sqlite"
    bad.write_text("ceci n'est pas une base SQLite\n" * 100, "utf-8")
    code, out, err = run("batch", str(root), "-o", str(tmp_path / "r"), "--jobs", "1", "--sans-config",
                         "--historique", str(bad), "--donnees", str(tmp_path / "d"))
    assert code == 2 and f"base SQLite {bad} inutilisable" in err and "Traceback" not in err
    assert "Audit de" not in err and not (tmp_path / "r").exists()
    assert bad.read_text("utf-8").startswith("ceci n'est pas")  # left as it was
