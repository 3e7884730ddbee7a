"""No false green (issue 14, item 4): nothing read is exit code 2 with a French sentence
saying what was not read and why; unknown rule ids and tags are usage errors; a CSV whose
quoting swallows lines is refused with its line numbers and the publipostage writes nothing."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
from test_no_change import make_corpus

from scolint.engine.cli import main

SEED_XML = make_corpus.SEEDS / "ElevesSansAdresses.xml"


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _lone(tmp_path: Path, kind: str) -> Path:
    folder = tmp_path / kind
    folder.mkdir()
    data = SEED_XML.read_bytes()
    if kind == "tronque":
        (folder / "ElevesSansAdresses.xml").write_bytes(data[: len(data) // 3])
    elif kind == "gzip":
        (folder / "ElevesSansAdresses.xml.gz").write_bytes(gzip.compress(data))
    elif kind == "chiffre":
        (folder / "ElevesSansAdresses.xml.gpg").write_bytes(b"-----BEGIN PGP MESSAGE-----\n\nhQEMA0x\n")
    elif kind == "fifo":
        os.mkfifo(folder / "ElevesSansAdresses.xml")
    elif kind == "inconnu":
        (folder / "notes.txt").write_text("rien à voir\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("kind, why", [
    ("vide", "aucun fichier"), ("tronque", "XML mal formé"), ("gzip", "compressé (gzip)"),
    ("chiffre", "chiffré (PGP)"), ("fifo", "tube nommé"), ("inconnu", "non reconnu")])
def test_nothing_readable_is_exit_2_with_the_reason(tmp_path, capsys, kind, why):
    folder = _lone(tmp_path, kind)
    for fail_on in ("error", "info"):
        code, _out, err = run(["check", str(folder), "--fail-on", fail_on], capsys)
        assert code == 2, (kind, err)
        assert "aucun export lu" in err and why in err, err
    code, _out, err = run(["baseline", str(folder), "-o", str(tmp_path / "base.json")], capsys)
    assert code == 2 and "aucun export lu" in err


def test_lone_fifo_path_is_exit_2(tmp_path, capsys):
    fifo = tmp_path / "ElevesSansAdresses.xml"
    os.mkfifo(fifo)
    code, _out, err = run(["check", str(fifo)], capsys)
    assert code == 2 and "tube nommé" in err


def test_unreadable_subfolder_is_an_error(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "exports"
    (folder / "prive").mkdir(parents=True)
    (folder / "ElevesSansAdresses.xml").write_bytes(SEED_XML.read_bytes())
    real = os.scandir

    def scandir(path="."):  # what the system answers for a folder of another user
        if str(path).endswith("prive"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, out, err = run(["check", str(folder), "--fail-on", "error"], capsys)
    assert code == 2 and "dossier illisible (permission refusée)" in out


@pytest.mark.parametrize("option, value", [("--select", "NOPE-001"), ("--ignore", "NOPE-001"),
                                           ("--tags", "remontee-st"), ("--ignore", "etiquette-inconnue")])
def test_unknown_ids_and_tags_are_usage_errors(tmp_path, capsys, option, value):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "ElevesSansAdresses.xml").write_bytes(SEED_XML.read_bytes())
    code, _out, err = run(["check", str(folder), option, value], capsys)
    assert code == 2 and value in err and "inconnue" in err, err
    code, _out, err = run(["batch", str(tmp_path), "-o", str(tmp_path / "r"), "-j", "1", option, value], capsys)
    assert code == 2 and value in err, err
    assert not (tmp_path / "r").exists()


def test_known_ids_and_tags_still_select(tmp_path, capsys):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "ElevesSansAdresses.xml").write_bytes(SEED_XML.read_bytes())
    code, _out, err = run(["check", str(folder), "--select", "SIE-DIV-001", "--tags", "siecle",
                           "--ignore", "ENTREE-INCONNU"], capsys)
    assert code in (0, 1), err


def test_swallowed_lines_are_refused_with_line_numbers(tmp_path, capsys):
    rows = [make_corpus.ent_row(i, "Eleve", "Léo", f"NOM{i}", f"Code-{i:04d}") for i in range(40)]
    rows[3][4] = '"Léo'  # one quote left open: 36 accounts would vanish
    ent = tmp_path / "ENT-Identifiants.csv"
    ent.write_bytes(make_corpus.ent_with(rows))
    code, out, err = run(["check", str(ent), "--select", "ENT-SHA-001"], capsys)
    assert code == 2
    # the header and 8 rows read
    assert "guillemet non fermé : les lignes 10 à 46" in out and "9 ligne(s) lue(s) correctement sur 46" in out, out
    code, out, err = run(["publipostage", str(ent), "-o", str(tmp_path / "courrier.csv")], capsys)
    assert code == 2 and "guillemet non fermé" in err and not (tmp_path / "courrier.csv").exists()
