"""``scolint send``: a real SMTP server on loopback (aiosmtpd) receives the reports."""

from __future__ import annotations

import contextlib
import email
import io
import socket
import ssl
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from test_batch import make_academy

from scolint.engine.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "reporters" / "fixtures"
PASSWORD = "Mdp-SMTP-ne-doit-jamais-apparaitre-42"


class Inbox:
    """aiosmtpd handler keeping every message received."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"dane" and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def smtp_server(mode: str):
    """A loopback SMTP server: ``aucune`` (AUTH allowed in clear on loopback), ``starttls`` or ``ssl``."""
    inbox = Inbox()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(FIXTURES / "smtp-test-cert.pem", FIXTURES / "smtp-test-key.pem")
    port = free_port()
    kwargs = {"authenticator": authenticator, "auth_require_tls": mode == "starttls"}
    if mode == "starttls":
        kwargs.update(tls_context=tls, require_starttls=True)
    ctrl = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=tls if mode == "ssl" else None, **kwargs)
    ctrl.start()
    try:
        yield inbox, port
    finally:
        ctrl.stop()


@pytest.fixture(scope="module")
def academy(tmp_path_factory):
    root = tmp_path_factory.mktemp("envoi") / "depots"
    uais = make_academy(root, 4, zipped=1)
    (root / "0319999X").mkdir()  # an establishment that sent nothing readable
    (root / "0319999X" / "ELEVES.XML").write_text("<BEE_ELEVES><DONNEES>", "utf-8")
    return root, uais


def write_config(path: Path, port: int, security: str, table: Path | None = None) -> Path:
    lines = ["smtp:", "  host: 127.0.0.1", f"  port: {port}", f"  security: {security}", "  user: dane",
             f"  ca_file: {FIXTURES / 'smtp-test-cert.pem'}",
             "from: \"Pôle d'appui scolint <pole-appui@ac-exemple.fr>\"",
             "recipient: \"ce.{uai}@ac-exemple.fr\""]
    if table:
        lines.append(f"recipients_csv: {table}")
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def run(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue() + err.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def check_messages(received, uais, special: dict[str, str] | None = None, unreadable: str = "0319999X"):
    special = special or {}
    assert len(received) == len(uais) + 1  # one message per establishment, the unreadable one too
    seen = set()
    for mail_from, rcpts, raw in received:
        assert mail_from == "pole-appui@ac-exemple.fr"
        assert len(raw) < 400_000  # the whole message, as the server received it
        msg = email.message_from_bytes(raw, policy=policy.default)
        html = msg.get_body(("html",)).get_content()
        text = msg.get_body(("plain",)).get_content()
        html_part = next(p for p in msg.walk() if p.get_content_type() == "text/html")
        assert len(html_part.as_bytes()) < 100_000
        if unreadable in msg["Subject"]:
            assert rcpts == [f"ce.{unreadable.lower()}@ac-exemple.fr"] and "exports à renvoyer" in msg["Subject"]
            assert "SIECLE – élèves (BEE_ELEVES)" in html and "SIECLE – élèves (BEE_ELEVES)" in text
            seen.add(unreadable)
            continue
        assert msg.get_content_type() == "multipart/mixed"
        alternative = next(p for p in msg.iter_parts() if p.get_content_type() == "multipart/alternative")
        assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
        files = {a.get_filename(): a for a in msg.iter_attachments()}
        (name, sheet), = files.items()
        uai = name[len("rapport-"):-len(".xlsx")]
        assert sheet.get_content_type() == XLSX and sheet.get_content()[:2] == b"PK"
        assert "Comment corriger" in text and ("Par où commencer" in html or "Tout est en ordre" in html)
        expected = special.get(uai, f"ce.{uai.lower()}@ac-exemple.fr")
        assert rcpts == [expected] and msg["To"] == expected
        assert f"UAI {uai}" in html and "<!DOCTYPE html>" in html and uai in text
        assert uai in msg["Subject"] and "erreur(s)" in msg["Subject"]
        seen.add(uai)
    assert seen == set(uais) | {unreadable}


@pytest.mark.parametrize("security", ["aucune", "starttls", "ssl"])
def test_send_one_message_per_establishment(academy, tmp_path, monkeypatch, security):
    root, uais = academy
    table = tmp_path / "destinataires.csv"
    table.write_text(f"uai;courriel\n{uais[0]};secretariat@clg-exemple.fr\n", "utf-8")
    with smtp_server(security) as (inbox, port):
        config = write_config(tmp_path / "envoi.yaml", port, security, table)
        monkeypatch.setenv("SCOLINT_SMTP_PASSWORD", PASSWORD)
        code, output = run(["send", str(root), "--config-envoi", str(config), "--sans-config", "-j", "2",
                            "-o", str(tmp_path / "rapports")])
        received = list(inbox.messages)
    assert code == 2, output  # one establishment's exports are unreadable
    assert len(received) == len(uais) + 1, output
    check_messages(received, uais, {uais[0]: "secretariat@clg-exemple.fr"})
    assert "0319999X : exports illisibles" in output and PASSWORD not in output
    assert f"{len(uais) + 1} message(s) envoyé(s), 0 non envoyé(s)" in output
    assert (tmp_path / "rapports" / "synthese-academie.csv").is_file()


def test_wrong_password_is_a_clear_error(academy, tmp_path, monkeypatch):
    root, uais = academy
    with smtp_server("starttls") as (inbox, port):
        config = write_config(tmp_path / "envoi.yaml", port, "starttls")
        monkeypatch.setenv("SCOLINT_SMTP_PASSWORD", "pas-le-bon")
        code, output = run(["send", str(root), "--config-envoi", str(config), "--sans-config", "--uai", uais[0],
                            "-o", str(tmp_path / "r")])
        assert not inbox.messages
    assert code == 2 and "authentification SMTP refusée pour dane" in output and "pas-le-bon" not in output


def test_dry_run_writes_eml_files(academy, tmp_path, monkeypatch):
    root, uais = academy
    for var in ("SCOLINT_SMTP_HOST", "SCOLINT_SMTP_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SCOLINT_SMTP_FROM", "pole-appui@ac-exemple.fr")
    monkeypatch.chdir(tmp_path)
    code, output = run(["send", str(root), "--dry-run", "eml", "--destinataire", "ce.{uai}@ac-exemple.fr",
                        "--sans-config", "-j", "1"])
    assert code == 2, output
    emls = sorted((tmp_path / "eml").glob("*.eml"))
    assert [p.stem for p in emls] == sorted(uais + ["0319999X"]), output
    check_messages([("pole-appui@ac-exemple.fr", [f"ce.{p.stem.lower()}@ac-exemple.fr"], p.read_bytes()) for p in emls], uais)


def test_settings_errors(academy, tmp_path, monkeypatch):
    root, uais = academy
    monkeypatch.delenv("SCOLINT_SMTP_FROM", raising=False)
    monkeypatch.chdir(tmp_path)
    code, output = run(["send", str(root), "--dry-run", "eml", "--sans-config"])
    assert code == 2 and "aucun destinataire" in output
    code, output = run(["send", str(root), "--dry-run", "eml", "--destinataire", "ce@ac-exemple.fr", "--sans-config"])
    assert code == 2 and "sans {uai}" in output
    bad = tmp_path / "envoi.yaml"
    bad.write_text("smtp:\n  host: x\n  pasword: y\nfrom: a@b.fr\nrecipient: ce.{uai}@b.fr\n", "utf-8")
    code, output = run(["send", str(root), "--config-envoi", str(bad), "--sans-config"])
    assert code == 2 and "clé(s) inconnue(s) : smtp.pasword" in output
    monkeypatch.setenv("SCOLINT_SMTP_FROM", "pole-appui@ac-exemple.fr")
    code, output = run(["send", str(root), "--dry-run", "eml", "--destinataire", "ce.{uai}@b.fr", "--uai", "0000000A"])
    assert code == 2 and "pour l'UAI 0000000A" in output
    code, output = run(["send", str(root), "--password", "x"])
    assert code == 2 and "arguments inconnus" in output


def test_fail_on_sets_the_exit_code(academy, tmp_path, monkeypatch):
    root, uais = academy
    monkeypatch.setenv("SCOLINT_SMTP_FROM", "pole-appui@ac-exemple.fr")
    monkeypatch.chdir(tmp_path)
    base = ["send", str(root), "--essai", "eml", "--destinataire", "ce.{uai}@ac-exemple.fr", "--sans-config",
            "-j", "1", "--uai", uais[1]]
    code, output = run(base)
    assert code == 0, output  # every message was prepared: nothing more asked
    code, output = run(base + ["--echec-si", "info"])
    assert code == 1, output  # the school has findings: --echec-si (--fail-on) is honoured
    code, output = run(base + ["--fail-on", "info"])
    assert code == 1, output
