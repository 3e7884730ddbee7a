"""Hostile XML is refused with a French message naming the file (and line), never read.

External entities (XXE), external DTDs (files or network), entity expansion bombs,
deep nesting, huge text nodes and files, lying encodings. Time and memory bounds are
measured by bench/robustness.py (docs/robustness.md), not asserted here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scolint.engine import xmlsafe
from scolint.engine.audit import Auditor
from scolint.engine.errors import InputError
from scolint.plugins.gen.generate import generate

LOL = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
       + "".join(f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1) if i > 1 else "&lol;") * 10}">\n' for i in range(1, 10))
       + ']>\n<lolz a="&lol9;">&lol9;</lolz>')

HOSTILE: dict[str, tuple[bytes, str, int | None]] = {
    # name: (content, words expected in the message, line expected or None)
    "billion-laughs": (LOL.encode(), "<!ENTITY>", 3),
    "billion-laughs-after-70k-comment": (b'<?xml version="1.0"?>\n<!--' + b"x" * 70000 + b"-->\n" + LOL[22:].encode(),
                                         "<!ENTITY>", 4),
    "billion-laughs-utf16": (LOL.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
                             .encode("utf-16"), "<!ENTITY>", 3),
    "xxe-file": (b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<r>&x;</r>',
                 "<!ENTITY>", 2),
    "xxe-utf16": ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                  '<r>&x;</r>'.encode("utf-16"), "<!ENTITY>", 1),
    "xxe-parameter-entity-network": (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM '
                                     b'"http://127.0.0.1:9/x.dtd"> %p;]><r/>', "<!ENTITY>", 1),
    "undeclared-entity": (b"<r>&x;</r>", "entité XML non déclarée", 1),
    "deep-nesting": (b"<a>" * 5000 + b"</a>" * 5000, "imbriqués", 1),
    "deep-nesting-300": (b"<a>" * 300 + b"</a>" * 300, "imbriqués", 1),
    "huge-text-node": (b"<r>" + b"x" * (11 * 1024 * 1024) + b"</r>", "10 Mo", 1),
    "huge-attribute": (b'<r a="' + b"x" * (11 * 1024 * 1024) + b'"/>', "démesuré", 1),
    "utf8-declared-but-latin1": ('<?xml version="1.0" encoding="UTF-8"?>\n<r>élève</r>'.encode("latin-1"),
                                 "encodage déclaré", 2),
    "unknown-encoding": (b'<?xml version="1.0" encoding="X-NIMPORTE"?>\n<r/>', "encodage déclaré inconnu", 1),
    "nul-byte": (b"<r>\x00</r>", "caractère interdit", 1),
    "binary": (bytes(range(256)) * 10, "XML", None),
    "empty": (b"", "fichier vide", None),
    "blank": (b"  \r\n\t ", "fichier vide", None),
    "truncated": (b'<?xml version="1.0"?>\n<r>\n<a>1</a>\n<a>', "fin de fichier inattendue", 4),
    "two-roots": (b"<r/>\n<r/>", "deux fichiers mis bout à bout", 2),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_refused_with_french_message(name, tmp_path):
    data, words, line = HOSTILE[name]
    path = tmp_path / f"{name}.xml"
    path.write_bytes(data)
    with pytest.raises(InputError) as exc:
        xmlsafe.parse(path)
    err = exc.value
    assert words in err.detail, err.detail
    assert err.path == str(path)
    if line is not None:
        assert err.line == line, str(err)
    assert "Traceback" not in str(err)


def test_external_dtd_file_is_never_read(tmp_path):
    """A DOCTYPE naming a local DTD file: the file is not opened (it is not even valid)."""
    dtd = tmp_path / "evil.dtd"
    dtd.write_text("ceci n'est pas une DTD <!ENTITY", encoding="utf-8")
    doc = tmp_path / "doc.xml"
    doc.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "{dtd}">\n<r>ok</r>', encoding="utf-8")
    tree = xmlsafe.parse(doc)
    assert tree.getroot().text == "ok"


def test_network_dtd_is_never_fetched(tmp_path):
    doc = tmp_path / "doc.xml"
    doc.write_bytes(b'<?xml version="1.0"?>\n<!DOCTYPE STS_EDT SYSTEM "http://127.0.0.1:9/DTD_STS_EDT.dtd">\n<STS_EDT/>')
    assert xmlsafe.parse(doc).getroot().tag == "STS_EDT"


def test_xinclude_is_not_processed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-42", encoding="utf-8")
    doc = tmp_path / "doc.xml"
    doc.write_text(f'<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="{secret}" parse="text"/></r>')
    tree = xmlsafe.parse(doc)
    assert b"SECRET-42" not in xmlsafe.etree.tostring(tree)


def test_size_and_element_caps(tmp_path, monkeypatch):
    doc = tmp_path / "big.xml"
    doc.write_bytes(b"<r>" + b"<a/>" * 5000 + b"</r>")
    monkeypatch.setattr(xmlsafe, "MAX_ELEMENTS", 1000)
    with pytest.raises(InputError, match="éléments XML"):
        xmlsafe.parse(doc)
    monkeypatch.setattr(xmlsafe, "MAX_BYTES", 10_000)
    with pytest.raises(InputError, match="trop gros"):
        xmlsafe.parse(doc)


@pytest.mark.parametrize("encode", [
    lambda t: t.encode("utf-8"),
    lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
    lambda t: t.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"),
    lambda t: t.replace('encoding="UTF-8"', 'encoding="ISO-8859-15"').encode("iso-8859-15"),
], ids=["utf8", "utf8-bom", "utf16", "latin9"])
def test_honest_encodings_read_alike(encode, tmp_path):
    doc = tmp_path / "doc.xml"
    doc.write_bytes(encode('<?xml version="1.0" encoding="UTF-8"?>\n<r>Élève Cœur</r>'))
    with xmlsafe.notes() as notes:
        assert xmlsafe.parse(doc).getroot().text == "Élève Cœur"
    assert notes == []


def test_utf8_under_latin9_declaration_is_read_as_utf8_and_noted(tmp_path):
    doc = tmp_path / "doc.xml"
    doc.write_bytes('<?xml version="1.0" encoding="ISO-8859-15"?>\n<r>\n<n>Élève</n></r>'.encode("utf-8"))
    with xmlsafe.notes() as notes:
        tree = xmlsafe.parse(doc)
    assert tree.getroot().find("n").text == "Élève"
    assert notes == [(str(doc), 3, notes[0][2])] and "UTF-8" in notes[0][2]


# -- through the whole audit: the hostile file among good ones --------------------------

@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bon")
    generate(out, 12, 3, defects=False)
    (out / "verite-terrain.json").unlink()
    return out


@pytest.fixture(scope="module")
def auditor() -> Auditor:
    return Auditor()


def _copy(good: Path, dest: Path) -> None:
    for p in good.iterdir():
        (dest / p.name).write_bytes(p.read_bytes())


@pytest.mark.parametrize("name", ["xxe-file", "billion-laughs", "deep-nesting", "truncated"])
def test_hostile_export_among_good_ones(name, good, auditor, tmp_path):
    _copy(good, tmp_path)
    data, words, _line = HOSTILE[name]
    # Dressed as a SIECLE export: the root element says BEE_ELEVES.
    data = data.replace(b"<r>", b"<BEE_ELEVES>").replace(b"</r>", b"</BEE_ELEVES>").replace(b"<r ", b"<BEE_ELEVES ")
    data = data.replace(b"<lolz", b"<BEE_ELEVES").replace(b"</lolz>", b"</BEE_ELEVES>").replace(b"<a>", b"<BEE_ELEVES>", 1)
    (tmp_path / "ElevesSansAdresses_hostile.xml").write_bytes(data)
    result = auditor.audit([tmp_path])
    bad = [f for f in result.findings if f.location.startswith(str(tmp_path / "ElevesSansAdresses_hostile.xml"))]
    assert bad and bad[0].rule_id in ("ENTREE-FICHIER", "ENTREE-INCONNU"), [(f.rule_id, f.message) for f in bad]
    assert not [f for f in result.findings if f.rule_id == "ENTREE-CHARGEUR"]
    assert len(result.exports) == len(list(good.iterdir()))  # every good file still read
    if bad[0].rule_id == "ENTREE-FICHIER":
        assert result.exit_code("error") == 2


def test_utf16_and_resaved_exports_are_read(good, auditor, tmp_path):
    _copy(good, tmp_path)
    eleves = tmp_path / "ElevesSansAdresses.xml"
    text = eleves.read_bytes().decode("iso-8859-15")
    clean = auditor.audit([good])
    # Re-saved as UTF-16 by an editor (declaration updated): read as before.
    eleves.write_bytes(text.replace("ISO-8859-15", "UTF-16").encode("utf-16"))
    as_utf16 = auditor.audit([tmp_path])
    assert [e.format_id for e in as_utf16.exports] == [e.format_id for e in clean.exports]
    assert sorted(f.fingerprint for f in as_utf16.findings) == sorted(f.fingerprint for f in clean.findings)
    # Re-saved as UTF-8 without updating the declaration: a warning, the names stay right.
    eleves.write_bytes(text.encode("utf-8"))
    resaved = auditor.audit([tmp_path])
    notes = [f for f in resaved.findings if f.rule_id == "ENTREE-ENCODAGE"]
    assert any(ord(c) > 127 for c in text)  # French names with accents
    assert len(notes) == 1 and notes[0].severity == "warning"
    assert notes[0].location.startswith(str(eleves) + ":")
    others = sorted(f.fingerprint for f in resaved.findings if f.rule_id != "ENTREE-ENCODAGE")
    assert others == sorted(f.fingerprint for f in clean.findings)


def test_encoding_told_apart_past_the_first_accents(good, auditor, tmp_path):
    """A file whose first accent comes after a long ASCII run (a 70 KB comment just before
    the element that holds it, on the same line): read as Latin when it is, as UTF-8 with a
    warning when re-saved without updating its declaration."""
    _copy(good, tmp_path)
    eleves = tmp_path / "ElevesSansAdresses.xml"
    text = eleves.read_bytes().decode("iso-8859-15")
    accent = next(i for i, c in enumerate(text) if ord(c) > 127)
    cut = text.rindex("<", 0, accent)
    padded = f"{text[:cut]}<!-- {'x' * 70_000} -->{text[cut:]}"
    assert not any(ord(c) > 127 for c in padded[:70_000])
    clean = auditor.audit([good])
    eleves.write_bytes(padded.encode("iso-8859-15"))
    latin = auditor.audit([tmp_path])
    assert not [f for f in latin.findings if f.rule_id == "ENTREE-ENCODAGE"]
    assert sorted(f.fingerprint for f in latin.findings) == sorted(f.fingerprint for f in clean.findings)
    eleves.write_bytes(padded.encode("utf-8"))
    resaved = auditor.audit([tmp_path])
    notes = [f for f in resaved.findings if f.rule_id == "ENTREE-ENCODAGE"]
    assert len(notes) == 1 and notes[0].severity == "warning"
    first_accent = next(i for i, c in enumerate(padded) if ord(c) > 127)
    assert notes[0].location == f"{eleves}:{padded[:first_accent].count(chr(10)) + 1}"
    others = sorted(f.fingerprint for f in resaved.findings if f.rule_id != "ENTREE-ENCODAGE")
    assert others == sorted(f.fingerprint for f in clean.findings)
