"""The history's library API (plugins/history/store.py) on SQLite and on PostgreSQL:
schema versions, keyed fingerprints, record / previous / trend, retention, erasure."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import stat
from pathlib import Path

import pytest

from scolint.engine.audit import Auditor
from scolint.engine.errors import UsageError
from scolint.plugins.gen.generate import generate
from scolint.plugins.history.store import MIGRATIONS, SCHEMA_VERSION, AuditRecord, History

KEY = b"cle-de-test-academie-0123456789"


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    """One generated school, its audit and its ground truth."""
    folder = tmp_path_factory.mktemp("ecole")
    est, _ = generate(folder, 40, 3)
    result = Auditor().audit([folder])
    truth = json.loads((folder / "verite-terrain.json").read_text("utf-8"))
    return est, result, truth


def raw_connection(url: str):
    """A plain DB-API connection to the test's database (to build or tamper by hand)."""
    if url.startswith("postgresql://"):
        import psycopg
        return psycopg.connect(url, autocommit=True)
    import sqlite3
    Path(url).parent.mkdir(parents=True, exist_ok=True)
    return sqlite3.connect(url, isolation_level=None)


def q(url: str, sql: str) -> str:
    return sql.replace("?", "%s") if url.startswith("postgresql://") else sql


def test_new_database_has_the_current_schema(history_url):
    with History.open(history_url, secret=KEY) as h:
        assert h.schema_version() == SCHEMA_VERSION
        assert {"audits", "audit_exports", "audit_rules", "audit_findings", "hist_meta"} <= set(h.dump())
    with History.open(history_url, secret=KEY) as h:  # opening again changes nothing
        assert h.schema_version() == SCHEMA_VERSION


def test_version_1_database_is_migrated_and_keeps_its_audits(history_url):
    conn = raw_connection(history_url)
    version, statements = MIGRATIONS[0]
    assert version == 1
    for sql in statements:
        conn.execute(sql)
    conn.execute("INSERT INTO hist_meta (key, value) VALUES ('schema_version', '1')")
    conn.execute(q(history_url, "INSERT INTO audits (id, uai, audited_at, recorded_at, school_year, errors, warnings, "
                 "infos, not_evaluated, ready_remontee) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                 ("a1", "0310001A", "2026-09-01T08:00:00.000000+00:00", "2026-09-01T08:00:01.000000+00:00",
                  2026, 4, 2, 1, 0, 0))
    conn.close()
    with History.open(history_url, secret=KEY) as h:
        assert h.schema_version() == 2
        [audit] = h.audits("0310001A")
        assert (audit.id, audit.source, audit.counts["error"], audit.ready_remontee) == ("a1", "batch", 4, False)


def test_newer_schema_is_refused(history_url):
    History.open(history_url, secret=KEY).close()
    conn = raw_connection(history_url)
    conn.execute("UPDATE hist_meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()
    with pytest.raises(UsageError, match="version 99, plus récent"):
        History.open(history_url, secret=KEY)


def test_another_key_is_refused(history_url):
    History.open(history_url, secret=KEY).close()
    with pytest.raises(UsageError, match="clé de l'académie n'est pas celle"):
        History.open(history_url, secret=b"une-autre-cle-tout-aussi-longue")


def test_key_created_once_readable_by_owner_only(tmp_path):
    data = tmp_path / "donnees"
    with History.open(data / "historique.sqlite") as h:
        first = h.secret
    key_file = data / "cle-historique"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) == 64 and key_file.read_text().strip().encode() == first
    with History.open(data / "historique.sqlite") as h:
        assert h.secret == first


def test_record_keeps_counts_exports_and_keyed_fingerprints(history_url, school):
    est, result, truth = school
    with History.open(history_url, secret=KEY) as h:
        assert h.previous(est.uai) is None
        rec = h.record(result, est.uai)
        past = h.previous(est.uai)
    active = result.active()
    assert past is not None and past.id == rec.id
    assert past.counts == {s: sum(1 for f in active if f.severity == s) for s in ("error", "warning", "info")}
    # one keyed fingerprint per distinct finding, computable only with the key
    expected = {hmac.new(KEY, f.fingerprint.encode(), hashlib.sha256).hexdigest() for f in active}
    assert set(past.findings) == expected
    assert not {f.fingerprint for f in active} & set(past.findings)
    # the exports' formats and dates, as read
    assert sorted(past.exports) == sorted({(e.format_id, e.system or "", e.exported_at or "") for e in result.exports})
    # counts per rule: every rule of the ground truth is there with its number of findings
    with History.open(history_url, secret=KEY) as h:
        per_rule = {r[0]: r[3] for r in h.rule_counts(rec.id)}
    for rule in {f["rule"] for f in truth["findings"]}:
        assert per_rule[rule] == sum(1 for f in active if f.rule_id == rule)


def test_remontee_readiness_follows_the_remontee_rules(history_url, school):
    est, result, truth = school
    remontee_errors = [f for f in result.active() if "remontee-sts" in f.tags and f.severity == "error"]
    assert remontee_errors  # the generator injects complex courses (EDT-STS-001)
    with History.open(history_url, secret=KEY) as h:
        h.record(result, est.uai)
        assert h.trend(est.uai)[-1][4] is False


def test_trend_and_previous_in_time_order(history_url, school):
    est, result, truth = school
    with History.open(history_url, secret=KEY) as h:
        h.record(result, est.uai, audited_at="2026-10-01T09:00:00+02:00")
        rec = AuditRecord.from_result(result, est.uai, KEY, audited_at="2026-11-02T09:00:00+01:00")
        fixed = sorted(rec.findings)[:2]
        for fp in fixed:
            del rec.findings[fp]
        rec.counts = {"error": 1, "warning": 0, "info": 0}
        h.record(rec, est.uai)
        trend = h.trend(est.uai)
        assert [t[0][:10] for t in trend] == ["2026-10-01", "2026-11-02"]
        assert trend[-1][1] == 1 and trend[0][1] == result.counts()["error"]
        last, before = h.last_two(est.uai)
        assert set(before.findings) - set(last.findings) == set(fixed)
        assert h.previous(est.uai, before="2026-11-01T00:00:00+00:00").audited_at.startswith("2026-10-01T07:00")


def test_retention_prunes_old_audits_at_each_record(history_url, school):
    est, result, truth = school
    now = dt.datetime.now(dt.timezone.utc)
    with History.open(history_url, secret=KEY, retention_days=30) as h:
        old = AuditRecord.from_result(result, est.uai, KEY, audited_at=(now - dt.timedelta(days=45)).isoformat())
        recent = AuditRecord.from_result(result, est.uai, KEY, audited_at=(now - dt.timedelta(days=10)).isoformat())
        h.record_many([old, recent], now=now - dt.timedelta(days=20))  # both within 30 days then
        assert len(h.audits(est.uai)) == 2
        h.record(result, est.uai)  # today: the 45-day-old audit goes, with its rows
        assert [a.id for a in h.audits(est.uai)][:1] == [recent.id]
        dump = h.dump()
    assert len(dump["audits"]) == 2
    for table in ("audit_findings", "audit_rules", "audit_exports"):
        assert not [row for row in dump[table] if row[0] == old.id]


def test_delete_establishment_erases_all_its_rows(history_url, school):
    est, result, truth = school
    with History.open(history_url, secret=KEY) as h:
        h.record(result, est.uai)
        h.record(result, "0310002B")
        assert h.delete_establishment(est.uai.lower()) == 1
        dump = h.dump()
        assert h.establishments() == ["0310002B"]
    ids = {row[0] for row in dump["audits"]}
    for table in ("audit_findings", "audit_rules", "audit_exports"):
        assert {row[0] for row in dump[table]} <= ids


def test_unreachable_postgresql_is_a_clear_usage_error():
    with pytest.raises(UsageError, match="connexion PostgreSQL impossible") as err:
        History.open("postgresql://personne:motdepasse-secret@127.0.0.1:9/rien", secret=KEY)
    assert "motdepasse-secret" not in str(err.value)


def test_no_write_outside_the_given_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "maison"))
    with History.open(tmp_path / "d" / "h.sqlite") as h:
        h.prune()
    assert not (tmp_path / "maison").exists()
    assert sorted(p.name for p in (tmp_path / "d").iterdir() if not p.name.startswith("h.sqlite-")) == [
        "cle-historique", "h.sqlite"]
    assert os.listdir(tmp_path) == ["d"]


def test_open_history_like_the_batch(history_url, tmp_path, school):
    """The portal's entry point: same settings as ``scolint batch`` (environment here)."""
    from scolint.plugins.history.settings import open_history
    est, result, truth = school
    env = {"SCOLINT_DONNEES": str(tmp_path / "donnees"), "SCOLINT_HISTORIQUE": history_url}
    with open_history(environ=env) as h:
        h.record(result, est.uai, source="portail")
    with open_history(environ=env) as h:
        [audit] = h.audits(est.uai)
        assert audit.source == "portail"
    assert (tmp_path / "donnees" / "cle-historique").is_file()
    assert open_history(environ=env, no_history=True) is None
