"""Guards of the XML loaders' performance work (issue 7): the fast paths give exactly what
the general ones give.

- the value check (impossible dates, oversized values) scans the bytes the tree was parsed
  from instead of serialising it; on random documents in several encodings, quotings,
  with character references, CDATA and comments, it never misses what the element walk
  reports, and a clean file is checked without serialising the tree;
- a schema-valid AAF file is read in one walk of its elements: same records as the
  general path on generated feeds and on random valid documents;
- xmlsafe keeps the bytes of a parsed file for one taker only.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from scolint.engine import xmlsafe
from scolint.engine.model import Graph
from scolint.plugins import aaf
from scolint.plugins.common import xmlload
from scolint.plugins.gen.generate import generate

# -- value check on the file's bytes -------------------------------------------------------
CLEAN = ["01/02/2024", "2024-02-28", "29/02/2024 10:00", " 30/04/2024 ", "28/02/2024", "2024-12-31", "31/12/2024",
         "é" * 1999, "DUPONT", "06-12-34-56-78", "1/2/2024", "12/2024", "&<>\"'é", "", "Œuvre €", "2024-02-29",
         "٢٠٢٤-٠٢-٢٨", "3١/01/2024", "29/02/2000", "1999-09-09T10:00"]
SPOILT = ["31/02/2024", "2024-02-30", "29/02/2023", "00/05/2020", "2024-13-01T08:00", "31/04/2024", "2023-02-29",
          "0000-01-01", "01/01/0000", "32/01/2024", "2024-00-10", "2024-06-31", "15/13/2024", "x" * 2001,
          " " * 2500, "é" * 2001, "٢٠٢٤-٠٢-٣٠", "٣١/٠٢/٢٠٢٤", "2024-02-3٠", "a'b" * 700, "a\"b" * 700]


def _value(rng: random.Random) -> str:
    return rng.choice(SPOILT) if rng.random() < 0.06 else rng.choice(CLEAN)


ENCODINGS = ["UTF-8", "ISO-8859-15", "windows-1252", "US-ASCII", None]


def _escape(value: str, quote: str) -> str:
    out = value.replace("&", "&amp;").replace("<", "&lt;")
    return out.replace(quote, "&quot;" if quote == '"' else "&apos;")


def _text(value: str, rng: random.Random, encoding: str | None) -> str:
    """``value`` written as XML text: plain, in CDATA, with character references, or
    preceded by a comment (what libxml2 gives back as a text may hide in the bytes)."""
    how, plain = rng.random(), _escape(value, '"')
    if how < 0.04 and "]]>" not in value:
        return f"<![CDATA[{value}]]>"
    if how < 0.08:
        return "".join(f"&#{ord(c)};" if c.isdigit() and rng.random() < 0.5 else _escape(c, '"') for c in value)
    if how < 0.15:
        return f"<!-- 31/02/2024 -->{plain}"
    text = plain
    if encoding in ("US-ASCII",):
        text = "".join(c if ord(c) < 128 else f"&#{ord(c)};" for c in text)
    return text


def _document(rng: random.Random, encoding: str | None) -> bytes:
    parts = []
    for i in range(rng.randint(1, 6)):
        attrs = ""
        if rng.random() < 0.6:
            quote = rng.choice(['"', "'"])
            value = _escape(_value(rng), quote)
            attrs = f" A{rng.choice(['', ' '])}={rng.choice(['', ' '])}{quote}{value}{quote}"
        parts.append(f"<E{i}{attrs}>{_text(_value(rng), rng, encoding)}</E{i}>"
                     + rng.choice(["\n  ", "31/02/2024", "", "\r\n"]))
    body = f"<R>\n  {''.join(parts)}</R>\n"
    codec = {"US-ASCII": "ascii", "windows-1252": "cp1252", "ISO-8859-15": "iso8859_15", None: "utf-8"}.get(
        encoding or "", "utf-8")
    # characters the encoding lacks become character references
    body = "".join(c if _encodable(c, codec) else f"&#{ord(c)};" for c in body)
    head = f'<?xml version="1.0" encoding="{encoding}"?>\n' if encoding else ""
    return (head + body).encode(codec)


def _encodable(char: str, codec: str) -> bool:
    try:
        char.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def test_value_scan_of_the_bytes_never_misses_what_the_walk_reports() -> None:
    rng = random.Random(11)
    flagged = answered = cleared = 0
    for n in range(1500):
        encoding = ENCODINGS[n % len(ENCODINGS)]
        data = _document(rng, encoding)
        tree = xmlsafe.parse("f.xml", data)
        walked = xmlload._walk_values(tree, Graph(), "f.xml", "fix")
        source = xmlsafe.take_source(tree)
        assert source is not None and source[0] is data
        verdict = xmlload.bytes_may_have_bad_values(*source)
        answered += verdict is not None
        cleared += verdict is False
        if walked:
            flagged += 1
            assert verdict is not False, data
        # the check itself (bytes, else serialised tree) reports what the walk reports
        tree = xmlsafe.parse("f.xml", data)
        assert xmlload.check_values(tree, Graph(), "f.xml", "fix") == walked
    # spoilt documents; the bytes do answer, and clear many documents without the walk
    assert flagged > 250 and answered > 600 and cleared > 150


def test_a_clean_file_is_checked_on_its_bytes_without_serialising(monkeypatch: pytest.MonkeyPatch) -> None:
    data = ('<?xml version="1.0" encoding="ISO-8859-15"?>\n<R><E A="29/02/2024">Hélène 2024-02-29</E>'
            '<F>31/12/2024</F></R>').encode("iso8859_15")
    tree = xmlsafe.parse("f.xml", data)

    def forbidden(*_a: Any, **_k: Any) -> None:
        raise AssertionError("tree serialised")

    monkeypatch.setattr(xmlload.etree, "tostring", forbidden)
    monkeypatch.setattr(xmlload, "_walk_values", forbidden)
    assert xmlload.check_values(tree, Graph(), "f.xml", "fix") == 0
    assert xmlsafe.take_source(tree) is None  # released once read


def test_the_parsed_tree_is_an_element_tree_keeping_its_bytes_for_one_taker() -> None:
    data = b'<?xml version="1.0"?><R><E>1</E></R>'
    tree = xmlsafe.parse("f.xml", data)
    assert isinstance(tree, etree._ElementTree) and tree.getroot().tag == "R"
    assert etree.tostring(tree) == b"<R><E>1</E></R>"
    assert xmlsafe.take_source(tree) == (data, "utf-8")
    assert xmlsafe.take_source(tree) is None
    assert xmlsafe.take_source(etree.ElementTree(etree.fromstring(data))) is None
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><R/>'.encode("utf-16")
    assert xmlsafe.take_source(xmlsafe.parse("g.xml", utf16)) == (utf16, None)  # libxml2 guesses it
    wrong = '<?xml version="1.0" encoding="ISO-8859-15"?><R>é</R>'.encode("utf-8")
    with xmlsafe.notes():
        assert xmlsafe.take_source(xmlsafe.parse("h.xml", wrong)) == (wrong, "utf-8")


# -- AAF: one walk of a valid file ---------------------------------------------------------
NAMES = ["ENTPersonJointure", "sn", "givenName", "ENTEleveClasses", "categoriePersonne", "mail", " x ", "sn"]
VALUES = ["", " ", "1234", " DUPONT ", "a$b$c", "Élodie", "PersRelEleve", "Eleve", "01/02/2010"]


def _random_feed(rng: random.Random) -> bytes:
    out = ["<?xml version='1.0' encoding='UTF-8'?>\n<!DOCTYPE ficAlimMENESR SYSTEM \"ficAlimMENESR.dtd\">\n",
           "<ficAlimMENESR>"]

    def attrs(tag: str) -> str:
        items = []
        for _ in range(rng.randint(0, 4)):
            values = "".join(f"<value>{rng.choice(VALUES)}</value>" + rng.choice(["", "<!-- c -->", "\n"])
                             for _ in range(rng.randint(0, 3)))
            items.append(f'<{tag} name="{rng.choice(NAMES)}">{values}</{tag}>')
        return "".join(items)

    for _ in range(rng.randint(0, 8)):
        op = rng.choice(["add", "modify", "delete"])
        parts = []
        if rng.random() < 0.7:
            cat = rng.choice(["categoriePersonne", "categorieStructure", "autre"])
            parts.append(f'<operationalAttributes>{attrs("attr")}<attr name="{cat}">'
                         f'{"<value>Eleve</value>" if rng.random() < 0.8 else ""}</attr></operationalAttributes>')
        parts.append(f"<identifier><id>{rng.choice([' 42 ', 'x', '7'])}</id></identifier>")
        choice = rng.random()
        if choice < 0.5:
            parts.append(f"<attributes>{attrs('attr')}</attributes>")
        elif choice < 0.8:
            parts.append(f"<modifications>{attrs('modification')}</modifications>")
        out.append(f"<{op}Request>{rng.choice(['', '<!-- r -->'])}{''.join(parts)}</{op}Request>\n")
    out.append("</ficAlimMENESR>")
    return "".join(out).encode("utf-8")


def test_valid_aaf_records_in_one_walk_equal_the_general_path() -> None:
    rng = random.Random(3)
    for _ in range(400):
        data = _random_feed(rng)
        tree = xmlsafe.parse("f.xml", data)
        assert xmlsafe.validate(tree, "aaf.xsd") == [], data
        root = tree.getroot()
        assert aaf.records(root, valid=True) == aaf.records(root)


def test_generated_aaf_feeds_read_in_one_walk(tmp_path: Path) -> None:
    generate(tmp_path, 150, 5)
    feeds = sorted(tmp_path.rglob("*_Complet_*.xml"))
    assert len(feeds) >= 4
    for path in feeds:
        tree = xmlsafe.parse(path)
        count, valid = xmlload.check_schema_status(tree, "aaf.xsd", Graph(), str(path), "AAF")
        records = aaf.records(tree.getroot())
        if valid:
            assert aaf.records(tree.getroot(), valid=True) == records
        assert records


# -- SIECLE / STS: the children a loader reads, in one pass -----------------------------------
def _reference_fields(el: Any) -> dict[str, str]:
    """The former ``fields``: every child's text, then the blanks left out."""
    out: dict[str, str] = {}
    for child in el:
        if isinstance(child.tag, str) and child.tag not in out:
            out[child.tag] = (child.text or "").strip()
    return {k: v for k, v in out.items() if v}


def _spoil(rng: random.Random, record: Any) -> None:
    """Duplicate, blank, comment, nest and namespace some children of ``record``."""
    children = list(record)
    for child in rng.sample(children, min(len(children), 3)):
        how = rng.random()
        if how < 0.2:
            twin = etree.SubElement(record, child.tag)
            twin.text = "second"
        elif how < 0.4:
            child.text = rng.choice(["", "  ", None, " padded "])
        elif how < 0.6:
            child.insert(0, etree.Comment("c"))
        elif how < 0.8:
            etree.SubElement(child, child.tag).text = "nested"
        else:
            etree.SubElement(record, f"{{urn:x}}{child.tag}").text = "namespaced"
    record.insert(rng.randint(0, len(record)), etree.Comment("entre deux"))


@pytest.mark.parametrize("module, paths", [
    ("siecle", [("DONNEES/ELEVES/ELEVE", "_STUDENT_FIELDS"), ("DONNEES/PERSONNES/PERSONNE", "_PERSON_FIELDS"),
                ("DONNEES/RESPONSABLES/RESPONSABLE_ELEVE", "_LINK_FIELDS"),
                ("DONNEES/ADRESSES/ADRESSE", "_ADDRESS_FIELDS"),
                ("DONNEES/STRUCTURES/STRUCTURES_ELEVE/STRUCTURE", "_STRUCTURE_FIELDS")]),
    ("sts", [("DONNEES/INDIVIDUS/INDIVIDU", "_INDIVIDUAL_FIELDS"), (".//DIVISION", "_LABELS"),
             (".//GROUPE", "_LABELS"), (".//SERVICE", "_SERVICE_HOURS"), (".//ENSEIGNANT", "_TEACHER_HOURS")]),
])
def test_wanted_fields_read_what_one_find_per_field_read(tmp_path: Path, module: str, paths: list[Any]) -> None:
    """``fields(el, wanted).get(tag)`` is what ``val(el, tag)`` (one ``find``) gave, on the
    records of generated exports, spoilt at random (twins, blanks, comments, nesting)."""
    import importlib

    loader = importlib.import_module(f"scolint.plugins.{module}")
    generate(tmp_path, 60, 2, writers=("scolint.plugins.gen.siecle", "scolint.plugins.gen.sts"))
    rng = random.Random(5)
    checked = 0
    for xml in sorted(tmp_path.rglob("*.xml")):
        root = xmlsafe.parse(xml).getroot()
        for path, name in paths:
            wanted = getattr(loader, name)
            for record in root.iterfind(path):
                for spoilt in (False, True):
                    if spoilt:
                        _spoil(rng, record)
                    got = xmlload.fields(record, wanted)
                    assert set(got) <= wanted
                    assert got == {k: v for k, v in _reference_fields(record).items() if k in wanted}
                    for tag in wanted:
                        assert got.get(tag) == xmlload.val(record, tag), (xml.name, tag)
                    checked += 1
    assert checked > 200


def test_digits_fast_path_equals_the_regular_expression() -> None:
    import re

    from scolint.plugins import siecle
    for value in [None, "", "1", "2", "12", " 1", "1 ", "a1", "١", "²", "1²", "0", "007", "-1", "１"]:
        assert siecle._digits(value) == (re.sub(r"\D", "", value or "") or None), value
