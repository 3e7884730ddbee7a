"""Secrets never leave (issue 14, item 2): no ENT cell quoted in a message, no input line
echoed, nothing extracted from an archive outlives the run (also on SIGTERM, SIGHUP,
SIGINT), and no password hash is ever sent to a family as a code."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from test_no_change import make_corpus

from scolint.engine.cli import main
from scolint.plugins.gen.generate import generate

FORMATS = ("console", "json", "markdown", "html", "junit", "sarif")


def run(argv: list[str], capsys) -> tuple[int, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out + out.err


def test_wrong_recipients_table_echoes_no_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCOLINT_SMTP_FROM", "pole@ac-exemple.fr")
    academy = tmp_path / "depots"
    (academy / "0312201Z").mkdir(parents=True)
    ent = tmp_path / "ENT-Identifiants.csv"
    ent.write_bytes((make_corpus.SEEDS / "ENT-Identifiants.csv").read_bytes())
    code, printed = run(["send", str(academy), "--dry-run", str(tmp_path / "eml"), "--destinataires", str(ent)], capsys)
    assert code == 2 and "ligne attendue" in printed
    assert [pw for pw in make_corpus.ENT_PASSWORDS if pw in printed] == []
    assert "lea.martin" not in printed


@pytest.mark.parametrize("shift", ["colonne-manquante", "colonne-en-trop", "code-dans-le-profil", "code-dans-la-classe"])
def test_shifted_ent_row_never_quotes_the_code(tmp_path, capsys, shift):
    secret = "Sh1ft-S3cret"
    row = make_corpus.shifted_ent_row(shift, secret)
    folder = tmp_path / "ecole"
    folder.mkdir()
    (folder / "ENT-Identifiants.csv").write_bytes(make_corpus.ent_with([row]))
    for fmt in FORMATS:
        code, printed = run(["check", str(folder), "--format", fmt, "-o", str(tmp_path / f"r.{fmt}")], capsys)
        text = (tmp_path / f"r.{fmt}").read_text("utf-8") + printed
        assert secret not in text, (shift, fmt)
        assert "Traceback" not in text


def test_hashed_codes_are_never_sent_and_are_listed(tmp_path, capsys):
    rows = [make_corpus.ent_row(i, "Responsable", "Jo", f"HASH{i}", code, "")
            for i, code in enumerate(make_corpus.HASHED_CODES)]
    rows.append(make_corpus.ent_row(99, "Eleve", "Ana", "CLAIR", "Bon-Code-99"))
    ent = tmp_path / "ENT-Identifiants.csv"
    ent.write_bytes(make_corpus.ent_with(rows))
    out = tmp_path / "courrier.csv"
    code, printed = run(["publipostage", str(ent), "-o", str(out)], capsys)
    assert code == 0, printed
    sent = {r["Identifiant"]: r["Code"] for r in csv.DictReader(out.open(encoding="utf-8-sig"), delimiter=";")}
    assert sent["x99.clair"] == "Bon-Code-99"
    for i, hashed in enumerate(make_corpus.HASHED_CODES):
        assert f"x{i}.hash{i}" not in sent, hashed
        assert f"x{i}.hash{i}, " in printed  # the summary lists the account (never its value)
        assert hashed not in printed
    assert all(not v.startswith(("{", "$")) for v in sent.values())


@pytest.fixture(scope="module")
def big_zip(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("gros")
    generate(src, 1500, 8)
    (src / "ENT-Identifiants.csv").write_bytes((make_corpus.SEEDS / "ENT-Identifiants.csv").read_bytes())
    archive = src.parent / "gros.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(src.iterdir()):
            zf.write(p, p.name)
    return archive


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signal_during_zip_audit_leaves_nothing_extracted(big_zip, tmp_path, sig):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = dict(os.environ, TMPDIR=str(tmpdir))
    # SIGINT as from a terminal, even when the suite itself was started with it ignored
    cli = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
           "from scolint.engine.cli import main; sys.exit(main())")
    proc = subprocess.Popen([sys.executable, "-c", cli,
                             "check", str(big_zip), "-o", str(tmp_path / "r.json"), "--format", "json"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not any(tmpdir.iterdir()) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the audit ended before the archive was extracted"
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == (130 if sig == signal.SIGINT else 128 + sig), err
    assert b"Traceback" not in err and "interrompu".encode() in err
    assert list(tmpdir.iterdir()) == []
    assert not (tmp_path / "r.json").exists()
