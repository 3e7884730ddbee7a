"""One failure stops nothing else (issue 14, item 6): Ctrl-C during ``batch`` or ``send``
stops the workers, says what was done and exits 130 without a traceback nor a leftover
extracted file; one establishment failing in ``send`` never stops the others; the SMTP
connection and login are checked before the first audit."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from scolint.engine.cli import main

# The academy and SMTP helpers live beside the batch and send tests (tests/plugins/commands/).
sys.path.insert(0, str(Path(__file__).parent / "plugins" / "commands"))
from test_batch import make_academy  # noqa: E402
from test_send import smtp_server, write_config  # noqa: E402

# Ctrl-C as a terminal delivers it: a suite started in the background (``cmd &`` in a
# non-interactive shell, some CI runners) hands its children SIGINT ignored, which Python
# then keeps ignored; the command under test is given the terminal's default back.
CLI = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
       "from scolint.engine.cli import main; sys.exit(main())")


@pytest.fixture(scope="module")
def academy(tmp_path_factory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("academie") / "depots"
    # One establishment of 2,500 pupils: its audit keeps a worker busy for seconds after the
    # first small one is done, so that Ctrl-C surely falls during the audits, even on a
    # loaded machine (with six small ones, all could be done before the signal arrived).
    uais = make_academy(root, 6, zipped=3, students=300, last=2500)
    return root, uais


def _interrupt(argv: list[str], tmp_path: Path, extra: dict[str, str] | None = None) -> tuple[int, str, Path]:
    """Run the command in its own session, press Ctrl-C (SIGINT to the whole group, as a
    terminal does) once the first establishment is done; return code, stderr, TMPDIR."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = dict(os.environ, TMPDIR=str(tmpdir), **(extra or {}))
    proc = subprocess.Popen([sys.executable, "-c", CLI, *argv], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, text=True)
    lines: list[str] = []
    first = threading.Event()

    def read() -> None:
        for line in proc.stderr:  # type: ignore[union-attr]
            lines.append(line)
            if "] 1/" in line:
                first.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert first.wait(180), "".join(lines)
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=180)
    reader.join(30)
    return proc.returncode, "".join(lines), tmpdir


def test_ctrl_c_during_batch(academy, tmp_path):
    root, _uais = academy
    code, err, tmpdir = _interrupt(["batch", str(root), "-j", "2", "-o", str(tmp_path / "r"), "--sans-config"], tmp_path)
    assert code == 130, err
    assert "Traceback" not in err and "interrompu" in err and "établissement(s) audité(s) sur 6" in err, err
    assert [p for p in tmpdir.rglob("*")] == []  # nothing extracted left behind


def test_ctrl_c_during_send(academy, tmp_path):
    root, _uais = academy
    code, err, tmpdir = _interrupt(["send", str(root), "-j", "2", "--dry-run", str(tmp_path / "eml"),
                                    "--destinataire", "ce.{uai}@ac-exemple.fr", "--sans-config"], tmp_path,
                                   {"SCOLINT_SMTP_FROM": "pole-appui@ac-exemple.fr"})
    assert code == 130, err
    assert "Traceback" not in err and "interrompu" in err and "aucun message envoyé" in err, err
    assert not list(tmp_path.rglob("*.eml"))
    assert [p for p in tmpdir.rglob("*")] == []


def test_one_establishment_failing_stops_no_other(academy, tmp_path, capsys, monkeypatch):
    root, uais = academy
    work = tmp_path / "depots"
    small = uais[:-1]  # (the last one is big: not needed here)
    shutil.copytree(root, work, ignore=lambda _d, names: [n for n in names if n.startswith(uais[-1])])
    # A folder whose name gives no UAI: its address cannot be built from the template.
    shutil.copytree(work / uais[3], work / "lycée sans uai")  # a small one (the last is big)
    monkeypatch.setenv("SCOLINT_SMTP_FROM", "pole-appui@ac-exemple.fr")
    code = main(["send", str(work), "--dry-run", str(tmp_path / "eml"), "--destinataire", "ce.{uai}@ac-exemple.fr",
                 "--sans-config", "-j", "1", "-o", str(tmp_path / "r")])
    out = capsys.readouterr()
    printed = out.out + out.err
    assert code == 2 and "lycée sans uai : non envoyé" in printed and "erreur interne" not in printed, printed
    assert sorted(p.stem for p in (tmp_path / "eml").glob("*.eml")) == sorted(small)


def test_smtp_login_is_checked_before_any_audit(academy, tmp_path, capsys, monkeypatch):
    root, uais = academy
    with smtp_server("starttls") as (inbox, port):
        config = write_config(tmp_path / "envoi.yaml", port, "starttls")
        monkeypatch.setenv("SCOLINT_SMTP_PASSWORD", "pas-le-bon")
        code = main(["send", str(root), "--config-envoi", str(config), "--sans-config", "-o", str(tmp_path / "r")])
        assert not inbox.messages
    printed = capsys.readouterr().err
    assert code == 2 and "authentification SMTP refusée" in printed
    assert not (tmp_path / "r").exists()  # no establishment was audited first
    with smtp_server("starttls") as (_inbox, port):
        pass  # the server is gone: connection refused, in French, before any audit
    code = main(["send", str(root), "--config-envoi", str(write_config(tmp_path / "e2.yaml", port, "starttls")),
                 "--sans-config", "-o", str(tmp_path / "r2")])
    printed = capsys.readouterr().err
    assert code == 2 and "connexion SMTP impossible" in printed and "connexion refusée" in printed, printed
    assert not (tmp_path / "r2").exists()
