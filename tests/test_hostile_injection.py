"""No injection (issue 14, item 3): mail headers, spreadsheet formulas, Markdown, terminal.

Hostile values come from where scolint reads them: the establishment name of the STS-Web
export, file and archive-member names, the ENT identifier file, the send settings.
"""

from __future__ import annotations

import csv
import email
import io
import re
from email import policy
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from test_no_change import make_corpus

from scolint.engine.cli import main
from scolint.plugins.gen.generate import generate

HOSTILE = make_corpus.HOSTILE_NAMES
MAIL_NAMES = ["entete-mot-encode", "entete-crlf", "entete-lf", "formule-egal", "formule-arobase"]
PART_HEADERS = {"content-type", "content-transfer-encoding", "content-disposition", "mime-version"}
EXPECTED_HEADERS = {"subject", "from", "to", "date", "message-id", "mime-version", "content-type"}


def run(argv: list[str], capsys) -> tuple[int, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out + out.err


def name_establishment(folder: Path, name: str) -> None:
    """Write ``name`` as the establishment's name in its STS-Web export (XML-escaped, CR/LF kept)."""
    sts = next(folder.glob("sts_emp_*.xml"))
    head = sts.read_bytes()[:100]
    enc = "utf-8" if b"UTF-8" in head.upper() else "iso-8859-1"
    text = sts.read_text(enc)
    value = escape(name).replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#9;")
    text = re.sub(r"<DENOM_PRINC>.*?</DENOM_PRINC>", f"<DENOM_PRINC>{value}</DENOM_PRINC>", text, count=1, flags=re.S)
    text = re.sub(r"<DENOM_COMPL>.*?</DENOM_COMPL>", "<DENOM_COMPL></DENOM_COMPL>", text, count=1, flags=re.S)
    sts.write_bytes(text.encode(enc, "xmlcharrefreplace"))


@pytest.fixture(scope="module")
def academy(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("hostile") / "depots"
    root.mkdir()
    names: dict[str, str] = {}
    seed = 20
    while len(names) < len(MAIL_NAMES):
        seed += 1
        tmp = root.parent / f"tmp{seed}"
        est, _ = generate(tmp, 40, seed)
        if est.uai in names:
            continue
        (tmp / "verite-terrain.json").unlink()
        kind = MAIL_NAMES[len(names)]
        name_establishment(tmp, HOSTILE[kind])
        tmp.rename(root / est.uai)
        names[est.uai] = kind
    return root, names


def test_hostile_establishment_names_add_no_header(academy, tmp_path, capsys, monkeypatch):
    root, names = academy
    monkeypatch.setenv("SCOLINT_SMTP_FROM", "Pôle <pole-appui@ac-exemple.fr>")
    code, printed = run(["send", str(root), "--dry-run", str(tmp_path / "eml"), "--destinataire",
                         "ce.{uai}@ac-exemple.fr", "--sans-config", "-j", "1", "-o", str(tmp_path / "r")], capsys)
    assert "erreur interne" not in printed and "Traceback" not in printed
    emls = sorted((tmp_path / "eml").glob("*.eml"))
    assert [p.stem for p in emls] == sorted(names), printed  # one bad name stops nothing
    for p in emls:
        raw = p.read_bytes()
        msg = email.message_from_bytes(raw, policy=policy.default)
        assert {k.lower() for k in msg.keys()} <= EXPECTED_HEADERS, (names[p.stem], msg.keys())
        assert msg["To"] == f"ce.{p.stem.lower()}@ac-exemple.fr"
        assert "\n" not in str(msg["Subject"]) and "\r" not in str(msg["Subject"])
        for part in msg.walk():  # no part got a header of its own either
            if part is not msg:
                assert {k.lower() for k in part.keys()} <= PART_HEADERS, (names[p.stem], part.keys())
    # The academy summary CSV neutralises formula-like names.
    rows = list(csv.reader(io.StringIO((tmp_path / "r" / "synthese-academie.csv").read_text("utf-8-sig")),
                           delimiter=";"))
    for row in rows[1:]:
        assert not row[1].startswith(make_corpus_formula_starts()), row[1]


def make_corpus_formula_starts() -> tuple[str, ...]:
    return ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("cell", ['a@b.fr\nBcc: evil@evil.example', 'x@y.fr>, <evil@evil.example',
                                  'Evil <evil@evil.example>', 'a@b.fr\x00', '=?utf-8?q?a=0D=0ABcc:_e@e.fr?=@b.fr'])
def test_recipient_table_addresses_are_parsed_one_by_one(academy, tmp_path, capsys, monkeypatch, cell):
    root, names = academy
    monkeypatch.setenv("SCOLINT_SMTP_FROM", "pole-appui@ac-exemple.fr")
    uai = sorted(names)[0]
    table = tmp_path / "table.csv"
    quoted = cell.replace('"', '""')
    table.write_text(f'uai;courriel\n{uai};"{quoted}"\n', "utf-8")
    code, printed = run(["send", str(root), "--dry-run", str(tmp_path / "eml"), "--destinataires", str(table),
                         "--sans-config"], capsys)
    assert code == 2 and "Traceback" not in printed and "erreur interne" not in printed
    assert not (tmp_path / "eml").exists()  # refused before any audit


@pytest.mark.parametrize("subject, why", [
    ("{etablissement!r:>100000000}", "conversion"), ("{etablissement:>100000000}", "format"),
    ("{uai:{erreurs}}", "format"), ("{champ}", "champ inconnu"), ("{uai.__class__}", "champ inconnu"),
    ("{0}", "champ inconnu"), ("{uai", "accolades"), ("x" * 2000, "trop long")])
def test_subject_templates_are_bounded(academy, tmp_path, capsys, monkeypatch, subject, why):
    root, _names = academy
    config = tmp_path / "envoi.yaml"
    config.write_text("from: pole@ac-exemple.fr\nrecipient: ce.{uai}@ac-exemple.fr\nsubject: '"
                      + subject.replace("'", "''") + "'\n", "utf-8")
    code, printed = run(["send", str(root), "--config-envoi", str(config), "--dry-run", str(tmp_path / "eml"),
                         "--sans-config"], capsys)
    assert code == 2 and why in printed and "erreur interne" not in printed, printed[-300:]
    assert not (tmp_path / "eml").exists()


def test_publipostage_neutralises_formulas(tmp_path, capsys):
    kinds = [k for k in HOSTILE if k.startswith("formule-")]
    rows = [make_corpus.ent_row(i, "Eleve", HOSTILE[k], HOSTILE[k].replace("\t", "").replace("\r", "") or "X",
                                f"Code-{i:03d}") for i, k in enumerate(kinds)]
    ent = tmp_path / "ENT-Identifiants.csv"
    ent.write_bytes(make_corpus.ent_with(rows))
    out = tmp_path / "courrier.csv"
    code, printed = run(["publipostage", str(ent), "-o", str(out)], capsys)
    assert code == 0, printed
    cells = [c for row in csv.reader(out.open(encoding="utf-8-sig", newline=""), delimiter=";") for c in row]
    assert [c for c in cells if c.startswith(make_corpus_formula_starts())] == []
    assert "'" + HOSTILE["formule-egal"] in cells  # shown as text, not lost


def test_markdown_escapes_file_names_and_keeps_fix_lists(tmp_path, capsys):
    folder = tmp_path / "exports"
    folder.mkdir()
    for kind in ("markdown-accent-grave", "markdown-titre"):
        (folder / (HOSTILE[kind].replace("/", "_") + ".xml")).write_text("<inconnu/>", "utf-8")
    (folder / "ElevesSansAdresses.xml").write_bytes((make_corpus.SEEDS / "ElevesSansAdresses.xml").read_bytes())
    rules = tmp_path / "regles"
    rules.mkdir()
    (rules / "MD-TEST-001.yml").write_text(
        "id: MD-TEST-001\ntitle: Titre avec <b>gras</b> et `code`\nseverity: info\nfor_each: student\n"
        "assert: 'false'\nmessage: \"élève {{ student.label }} <script>x</script>\"\n"
        "fix: |\n  1. Ouvrez `SIECLE` <b>vite</b>\n  2. Cliquez [ici](http://evil.example)\n  - puce\n",
        encoding="utf-8")
    code, printed = run(["check", str(folder), "--rules", str(rules), "--format", "markdown",
                         "-o", str(tmp_path / "r.md")], capsys)
    text = (tmp_path / "r.md").read_text("utf-8")
    assert "<img" not in text.replace("\\<img", "") and "<script" not in text.replace("\\<script", "")
    assert "<b>" not in text.replace("\\<b\\>", "") and "](http" not in text
    assert not any(line.startswith("# Titre injecté") for line in text.splitlines())
    assert "\n1. Ouvrez \\`SIECLE\\` \\<b\\>vite\\</b\\>\n2. Cliquez \\[ici\\]\\(http://evil.example\\)\n- puce" in text


def test_console_escapes_control_and_bidi_characters(tmp_path, capsys):
    folder = tmp_path / "exports"
    folder.mkdir()
    for kind in ("console-echappement", "console-bidi"):
        (folder / (HOSTILE[kind] + ".xml")).write_text("<inconnu/>", "utf-8")
    code, printed = run(["check", str(folder)], capsys)
    assert "\x1b" not in printed and "\x07" not in printed and "\u202e" not in printed
    assert "\\x1b[2J" in printed and "\\u202e" in printed
