"""The mail a school receives, read as a secretary would: generated schools of 600, 2,000
(and, behind the ``slow`` marker, 5,000) pupils, a clean school and a school whose exports
are unreadable, sent by ``scolint send --essai``; the spreadsheet opened with LibreOffice."""

from __future__ import annotations

import contextlib
import csv
import email
import io
import os
import shutil
import subprocess
from email import policy
from pathlib import Path

import pytest

from scolint.engine.cli import main
from scolint.plugins.gen.generate import generate

LIMIT = 100_000  # bytes of the HTML part, as encoded in the message (Gmail clips at about 102 kB)


def run(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue() + err.getvalue()


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        pytest.fail("LibreOffice est nécessaire à ce test : apt-get install libreoffice-calc-nogui (.ci/run l'installe)")
    return found


def spreadsheet_rows(data: bytes, folder: Path) -> list[list[str]]:
    """Open the attached workbook as a person would, with LibreOffice (headless), and read
    back what it shows, saved as CSV (UTF-8, ``;``)."""
    folder.mkdir(parents=True, exist_ok=True)
    book = folder / "anomalies.xlsx"
    book.write_bytes(data)
    done = subprocess.run(
        [soffice(), f"-env:UserInstallation={(folder / 'profil').as_uri()}", "--headless",
         "--convert-to", "csv:Text - txt - csv (StarCalc):59,34,76,1", "--outdir", str(folder), str(book)],
        capture_output=True, text=True, timeout=300, env=dict(os.environ, HOME=str(folder)))
    out = folder / "anomalies.csv"
    assert out.is_file(), f"LibreOffice n'a pas converti le tableur : {done.stdout} {done.stderr}"
    with out.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh, delimiter=";"))


def school(root: Path, students: int, seed: int, defects: bool = True) -> str:
    tmp = root / f"tmp-{seed}"
    est, _ = generate(tmp, students, seed, defects=defects)
    tmp.rename(root / est.uai)
    return est.uai


@pytest.fixture(scope="module")
def mails(tmp_path_factory):
    """``send --essai`` over an academy: schools of 600 and 2,000 pupils, a clean school
    and one whose only export is broken; ``{uai: message}`` plus the UAIs by case."""
    base = tmp_path_factory.mktemp("courriels")
    root = base / "depots"
    root.mkdir()
    cases = {"600": school(root, 600, 21), "2000": school(root, 2000, 22),
             "propre": school(root, 120, 23, defects=False)}
    (root / "0319998W").mkdir()
    (root / "0319998W" / "ElevesSansAdresses.xml").write_text("<BEE_ELEVES><DONNEES>", "utf-8")
    cases["illisible"] = "0319998W"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(base)
        mp.setenv("SCOLINT_SMTP_FROM", "pole-appui@ac-exemple.fr")
        code, output = run(["send", "depots", "--essai", "eml", "--destinataire", "ce.{uai}@ac-exemple.fr",
                            "--sans-config", "-j", "1"])
    assert code == 2, output  # one school's exports are unreadable
    messages = {p.stem: email.message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in (base / "eml").glob("*.eml")}
    assert set(messages) == set(cases.values()), output
    return messages, cases, base


def html_part(msg):
    return next(p for p in msg.walk() if p.get_content_type() == "text/html")


def check_school_mail(msg, uai: str, folder: Path) -> None:
    part = html_part(msg)
    size = len(part.as_bytes())  # the part as encoded in the message, headers included
    assert size < LIMIT, f"{uai} : partie HTML de {size} octets"
    html = part.get_content()
    text = msg.get_body(("plain",)).get_content()
    # it starts with what to fix first
    assert html.index("Par où commencer") < html.index('id="groupe-')
    main_html = html[html.index("<main"):]
    assert main_html.index("Par où commencer") < 600
    assert text.index("PAR OÙ COMMENCER") < 400 and "Comment corriger :" in text
    # what is not listed is counted by rule, and sent to the spreadsheet
    sheet = next(a for a in msg.iter_attachments() if a.get_filename() == f"rapport-{uai}.xlsx")
    rows = spreadsheet_rows(sheet.get_content(), folder)
    header, body = rows[0], rows[1:]
    assert header[:7] == ["Gravité", "Qui corrige", "Règle", "Titre", "Quoi", "Où", "Comment corriger"]
    listed = html.count("<li style=\"margin:0 0 5px 0;\">")
    assert listed <= len(body)
    if listed < len(body):
        assert f"la liste complète est dans la pièce jointe rapport-{uai}.xlsx" in html
    # accents survive the trip through LibreOffice
    assert any("é" in r[4] for r in body) and any(r[0] == "avertissement" for r in body)
    assert any(r[1] == "Secrétariat (SIECLE)" for r in body)
    assert all(":" not in r[5].rsplit(".xml", 1)[-1] for r in body if ".xml" in r[5])  # no XML line number
    # the subject counts the errors like the sheet does
    assert f"{sum(1 for r in body if r[0] == 'erreur')} erreur(s)" in msg["Subject"]


@pytest.mark.parametrize("case", ["600", "2000"])
def test_school_mail_fits_and_starts_with_what_to_fix(mails, case, tmp_path):
    messages, cases, _ = mails
    check_school_mail(messages[cases[case]], cases[case], tmp_path)


def test_clean_school_gets_all_is_well(mails):
    messages, cases, _ = mails
    msg = messages[cases["propre"]]
    html = html_part(msg).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert "Tout est en ordre" in html and "TOUT EST EN ORDRE" in text
    assert "Par où commencer" not in html and "Exports à envoyer" not in html
    assert "0 erreur(s)" in msg["Subject"]


def test_unreadable_school_is_told_what_to_send(mails):
    messages, cases, _ = mails
    msg = messages[cases["illisible"]]
    assert "exports à renvoyer" in msg["Subject"]
    html = html_part(msg).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert not list(msg.iter_attachments())
    for body in (html, text):
        assert "ElevesSansAdresses.xml" in body  # why: the broken file
        assert "SIECLE – élèves (BEE_ELEVES)" in body and "EXPORTATIONS" in body  # what, and how
        assert "STS-Web" in body and "ENT – fichier des identifiants" in body
        # never an export scolint cannot read (EDT's export to PRONOTE 2012, the ciphered ENT export)
        assert "PRONOTE 2012 (format" not in body and "EXPORT_INDEX_EDUCATION" not in body


def test_spreadsheet_cells_are_text_and_formulas_stay_text(host, tmp_path):
    from scolint.engine.audit import Auditor
    generate(tmp_path / "exports", 120, 7)
    result = Auditor(host=host).audit([tmp_path / "exports"])
    f = result.active()[0]
    f.message = "=HYPERLINK(\"http://exemple.invalid\";\"clic\")"
    g = result.active()[1]
    g.message = "+33 6 12 34 56 78"
    h = result.active()[2]
    h.message = "0310040A"  # a code, not a number
    rows = spreadsheet_rows(host.registries.reporters["tableur"].render(result, {}), tmp_path / "lo")
    quoi = [r[4] for r in rows[1:]]
    # shown as written: not evaluated (no « clic », no number 33612345678), not turned into a number
    assert f.message in quoi and g.message in quoi and "0310040A" in quoi
    assert "clic" not in quoi and not any(q.replace(" ", "") == "33612345678" for q in quoi)
    assert len(rows) == len(result.active()) + 1


@pytest.mark.parametrize("width", [390, 1280])
def test_mail_html_in_a_browser(mails, width, tmp_path):
    from browser import measure
    messages, cases, _ = mails
    page = tmp_path / "courriel.html"
    page.write_text(html_part(messages[cases["2000"]]).get_content(), "utf-8")
    m = measure(page, width)
    assert m["scroll"] <= width and m["right"] <= width, m
    assert m["height"] > 3000  # the whole mail was laid out


@pytest.mark.slow
def test_5000_pupil_school_mail_fits(tmp_path, monkeypatch):
    root = tmp_path / "depots"
    root.mkdir()
    uai = school(root, 5000, 31)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCOLINT_SMTP_FROM", "pole-appui@ac-exemple.fr")
    code, output = run(["send", "depots", "--essai", "eml", "--destinataire", "ce.{uai}@ac-exemple.fr",
                        "--sans-config", "-j", "1"])
    assert code == 0, output
    msg = email.message_from_bytes((tmp_path / "eml" / f"{uai}.eml").read_bytes(), policy=policy.default)
    check_school_mail(msg, uai, tmp_path / "lo")
