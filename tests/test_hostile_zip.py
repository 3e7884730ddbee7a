"""Hostile or broken .zip inputs are refused member by member, with a French message,
nothing is written outside scolint's private folder, and the other files are audited.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from scolint.engine import discover
from scolint.engine.audit import Auditor
from scolint.engine.discover import Discovery
from scolint.plugins.gen.generate import generate

XML = b'<?xml version="1.0"?><r/>'


def make_zip(path: Path, members: dict[str, bytes] | list[tuple[zipfile.ZipInfo | str, bytes]],
             method: int = zipfile.ZIP_DEFLATED) -> Path:
    items = members.items() if isinstance(members, dict) else members
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in items:
            zf.writestr(name, data)
    return path


def inner_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def discover_one(path: Path) -> tuple[list[str], list[str]]:
    with Discovery() as disc:
        disc.add([path])
        return [f.display for f in disc.files], [str(e) for e in disc.errors]


def patch(path: Path, edits: list[tuple[str, int, bytes]]) -> Path:
    """Overwrite bytes at an offset from the local (``L``) or central (``C``) header."""
    data = bytearray(path.read_bytes())
    for where, offset, value in edits:
        base = 0 if where == "L" else data.find(b"PK\x01\x02")
        data[base + offset: base + offset + len(value)] = value
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("member", ["../evil.xml", "../../tmp/evil.xml", "/tmp/evil.xml", "C:/evil.xml",
                                    "..\\..\\evil.xml", "a/../../evil.xml"])
def test_path_traversal_refused(member, tmp_path):
    z = make_zip(tmp_path / "a.zip", {member: XML, "bon.xml": XML})
    files, errors = discover_one(z)
    assert files == [f"{z}!bon.xml"]
    assert errors == [f"{z}!{member}: chemin hors de l'archive (../ ou absolu) : fichier refusé"]
    assert not (tmp_path / "evil.xml").exists() and not Path("/tmp/evil.xml").exists()


def test_zip_bomb_by_ratio_refused(tmp_path):
    z = make_zip(tmp_path / "bombe.zip", {"gros.xml": b"\0" * (30 * 1024 * 1024)})
    files, errors = discover_one(z)
    assert files == [] and "bombe de décompression" in errors[0]


def test_total_size_cap_counts_every_archive(tmp_path, monkeypatch):
    """The cap holds for all the archives of one audit together (nested ones included)."""
    monkeypatch.setattr(discover, "MAX_ZIP_TOTAL", 250_000)
    blob = b"<r>" + b"a" * 100_000 + b"</r>"  # each inner archive is small, expands to 100 kB
    z = make_zip(tmp_path / "a.zip", {f"in{i}.zip": inner_zip({"x.xml": blob}) for i in range(4)})
    files, errors = discover_one(z)
    assert files == [f"{z}!in0.zip!x.xml", f"{z}!in1.zip!x.xml"]
    assert errors == [f"{z}!in{i}.zip: archive suspecte (bombe de décompression) : taille décompressée ou "
                      "taux de compression excessif, refusée" for i in (2, 3)]


def test_member_larger_than_announced_refused(tmp_path):
    z = make_zip(tmp_path / "a.zip", {"a.xml": b"<r>" + b"a" * 100_000 + b"</r>"})
    patch(z, [("L", 22, struct.pack("<I", 1000)), ("C", 24, struct.pack("<I", 1000))])
    files, errors = discover_one(z)
    assert files == [] and len(errors) == 1 and "refusé" in errors[0] and errors[0].startswith(f"{z}!a.xml:")


def test_nested_zip_one_level_only(tmp_path):
    z1 = make_zip(tmp_path / "un.zip", {"dedans.zip": inner_zip({"in.xml": XML})})
    assert discover_one(z1) == ([f"{z1}!dedans.zip!in.xml"], [])
    z2 = make_zip(tmp_path / "deux.zip", {"n1.zip": inner_zip({"n2.zip": inner_zip({"in.xml": XML})})})
    files, errors = discover_one(z2)
    assert files == [] and errors == [f"{z2}!n1.zip!n2.zip: archive imbriquée trop profondément : refusée"]


def test_too_many_members(tmp_path, monkeypatch):
    monkeypatch.setattr(discover, "MAX_ZIP_MEMBERS", 10)
    z = make_zip(tmp_path / "a.zip", {f"f{i}.xml": XML for i in range(11)})
    files, errors = discover_one(z)
    assert files == [] and "trop de fichiers" in errors[0]


def test_symlink_member_refused(tmp_path):
    info = zipfile.ZipInfo("lien.xml")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    z = make_zip(tmp_path / "a.zip", [(info, b"/etc/passwd"), ("bon.xml", XML)])
    files, errors = discover_one(z)
    assert files == [f"{z}!bon.xml"] and errors == [f"{z}!lien.xml: lien symbolique dans l'archive : refusé"]


def test_encrypted_member_refused(tmp_path):
    z = patch(make_zip(tmp_path / "a.zip", {"a.xml": XML}), [("L", 6, b"\x01"), ("C", 8, b"\x01")])
    files, errors = discover_one(z)
    assert files == [] and errors == [f"{z}!a.xml: fichier protégé par un mot de passe dans l'archive : refusé"]


def test_unsupported_compression_refused(tmp_path):
    z = patch(make_zip(tmp_path / "a.zip", {"a.xml": XML}), [("L", 8, b"\x61"), ("C", 10, b"\x61")])
    files, errors = discover_one(z)
    assert files == [] and "compression non prise en charge" in errors[0]


def test_corrupt_member_refused_others_kept(tmp_path):
    z = make_zip(tmp_path / "a.zip", {"a.xml": XML * 200, "b.xml": XML})
    data = bytearray(z.read_bytes())
    data[60] ^= 0xFF
    data[61] ^= 0xFF
    z.write_bytes(bytes(data))
    files, errors = discover_one(z)
    assert files == [f"{z}!b.xml"] and errors[0].startswith(f"{z}!a.xml: fichier abîmé dans l'archive")


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04" + bytes(300), b"PK\x03\x04garbage", b"pas une archive"])
def test_unreadable_archive(content, tmp_path):
    z = tmp_path / "a.zip"
    z.write_bytes(content)
    files, errors = discover_one(z)
    assert files == [] and errors == [f"{z}: archive .zip illisible ou abîmée (ce n'est pas une archive .zip)"]


def test_truncated_archive(tmp_path):
    z = make_zip(tmp_path / "a.zip", {"a.xml": XML * 100, "b.xml": XML * 100})
    z.write_bytes(z.read_bytes()[:-30])
    files, errors = discover_one(z)
    assert files == [] and "illisible ou abîmée" in errors[0]


def test_member_names_are_not_used_on_disk(tmp_path):
    long = "x" * 300 + ".xml"
    z = make_zip(tmp_path / "a.zip", {"a": XML, "a/b.xml": XML, long: XML, "d\x01:*?.xml": XML})
    with Discovery() as disc:
        disc.add([z])
        assert not disc.errors
        assert sorted(f.display for f in disc.files) == sorted(f"{z}!{n}" for n in ("a", "a/b.xml", long, "d\x01:*?.xml"))
        assert all(f.path.read_bytes() == XML for f in disc.files)
        assert all(str(f.path).startswith(disc._tmp) for f in disc.files)
        tmp = disc._tmp
    assert not Path(tmp).exists()  # extracted files removed at the end


def test_office_document_is_not_opened_as_archive(tmp_path):
    x = make_zip(tmp_path / "eleves.xlsx", {"[Content_Types].xml": XML, "xl/workbook.xml": XML})
    assert discover_one(x) == ([str(x)], [])


def test_hidden_and_system_members_skipped(tmp_path):
    z = make_zip(tmp_path / "a.zip", {"__MACOSX/._a.xml": b"\0\5\26\7", ".DS_Store": b"x", "a.xml": XML})
    assert discover_one(z) == ([f"{z}!a.xml"], [])


def test_not_a_regular_file(tmp_path):
    import os
    fifo = tmp_path / "tube"
    os.mkfifo(fifo)
    assert discover_one(fifo) == ([], [f"{fifo}: tube nommé (FIFO), ni un dossier ni un fichier ordinaire : non lu"])


def test_hostile_archive_among_good_exports(tmp_path):
    good = tmp_path / "exports"
    generate(good, 10, 4, defects=False)
    (good / "verite-terrain.json").unlink()
    expected = len(list(good.iterdir()))
    make_zip(good / "ExportXML_ElevesSansAdresses.zip", {"../../evil.xml": XML})
    make_zip(good / "bombe.zip", {"gros.xml": b"\0" * (30 * 1024 * 1024)})
    result = Auditor().audit([good])
    archive = [f for f in result.findings if f.rule_id == "ENTREE-ARCHIVE"]
    assert len(archive) == 2 and all(f.severity == "error" for f in archive)
    assert {f.provenance[0].file for f in archive} == {f"{good / 'ExportXML_ElevesSansAdresses.zip'}!../../evil.xml",
                                                       str(good / "bombe.zip")}
    assert len(result.exports) == expected
    assert result.exit_code("error") == 2
    assert not (tmp_path / "evil.xml").exists()


def test_file_name_not_in_utf8(tmp_path, capsys):
    """A name written by Windows in Windows-1252 (bytes that are not UTF-8): reported, readable."""
    import json
    import os

    from scolint.engine.cli import main
    folder = tmp_path / "exports"
    generate(folder, 10, 4, defects=False)
    (folder / "verite-terrain.json").unlink()
    eleves = folder / "ElevesSansAdresses.xml"
    os.rename(eleves, os.path.join(os.fsencode(folder), "\u00e9l\u00e8ves.xml".encode("cp1252")))
    report = tmp_path / "r.json"
    assert main(["check", str(folder), "--format", "json", "-o", str(report)]) in (0, 1)
    data = json.loads(report.read_text(encoding="utf-8"))
    assert str(folder / "élèves.xml") in data["fichiers"]
    assert any(e["fichier"] == str(folder / "élèves.xml") and e["format"] == "siecle-eleves" for e in data["exports"])


def test_member_names_from_windows_zip(tmp_path):
    """Windows' own zip writes names in CP850 without the UTF-8 flag; others set the flag."""
    z = tmp_path / "a.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(zipfile.ZipInfo("Élèves.xml".encode("cp850").decode("cp437")), XML)
        zf.writestr("Réponses.xml", XML)
    assert sorted(discover_one(z)[0]) == [f"{z}!Réponses.xml", f"{z}!Élèves.xml"]


def test_batch_with_hostile_school_archives(tmp_path, capsys):
    """An academy folder: one good school, a corrupt archive, a bomb, a name not in UTF-8."""
    import os

    from scolint.engine.cli import main
    acad = tmp_path / "academie"
    est, _truth = generate(acad / "ecole-bonne", 10, 4, defects=False)
    (acad / "ecole-bonne" / "verite-terrain.json").unlink()
    (acad / "ecole-bonne").rename(acad / est.uai)
    (acad / "0310000A.zip").write_bytes(b"PK\x03\x04garbage")
    make_zip(acad / "0310001B.zip", {"gros.xml": b"\0" * (30 * 1024 * 1024)})
    with open(os.path.join(os.fsencode(acad), "\u00e9cole.zip".encode("cp1252")), "wb") as fh:
        fh.write(make_zip(tmp_path / "x.zip", {"../evil.xml": XML}).read_bytes())
    out = tmp_path / "lot"
    assert main(["batch", str(acad), "-o", str(out), "-j", "1"]) == 2
    err = capsys.readouterr().err
    assert "erreur interne" not in err and "Traceback" not in err
    assert "0310000A en erreur" in err and "0310001B en erreur" in err and "école en erreur" in err
    assert (out / f"rapport-{est.uai}.html").is_file()
    summary = (out / "synthese-academie.csv").read_bytes().decode("utf-8-sig")
    assert "école" in summary and est.uai in summary
    assert not (tmp_path / "evil.xml").exists() and not (acad / "evil.xml").exists()
