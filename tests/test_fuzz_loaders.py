"""Property-based fuzzing of every loader through the whole audit.

Valid exports of each registered family (the seeds of tests/fixtures/bad/) are mutated at
random — bytes replaced, inserted or deleted, truncation, XML elements deleted or
duplicated, text values replaced by random text, CSV cells shuffled — and audited. The audit
must never end in an exception nor report ``ENTREE-CHARGEUR`` (a loader crash), and a rule
must never fail on what a loader produced (status ``error``).

Example counts stay modest for CI (``SCOLINT_FUZZ_EXAMPLES`` raises them).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from scolint.engine.audit import Auditor
from scolint.engine.findings import RULE_ERROR
from scolint.engine.manager import get_plugin_host

HERE = Path(__file__).parent / "fixtures" / "bad"
_spec = importlib.util.spec_from_file_location("make_corpus", HERE / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules.setdefault("make_corpus", make_corpus)
_spec.loader.exec_module(make_corpus)  # type: ignore[union-attr]

EXAMPLES = int(os.environ.get("SCOLINT_FUZZ_EXAMPLES", "15"))
settings.register_profile("scolint-fuzz", max_examples=EXAMPLES, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.function_scoped_fixture])
FUZZ = settings.get_profile("scolint-fuzz")

FORMATS = set(get_plugin_host(load_entrypoints=False).registries.formats)
SEEDS = {name: (make_corpus.SEEDS / name).read_bytes() for name, fam in make_corpus.FAMILIES.items()
         if fam in FORMATS and (make_corpus.SEEDS / name).is_file()}
XML_SEEDS = sorted(n for n in SEEDS if n.endswith(".xml"))
CSV_SEEDS = sorted(n for n in SEEDS if n.endswith(".csv"))

_AUDITOR: list[Auditor] = []


def auditor() -> Auditor:
    if not _AUDITOR:
        _AUDITOR.append(Auditor(host=get_plugin_host(load_entrypoints=False)))
    return _AUDITOR[0]


def audit_bytes(name: str, data: bytes) -> None:
    """Audit ``data`` saved as ``name``; fail on any crash."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        result = auditor().audit([path])
    crashes = [f.message for f in result.findings if f.rule_id == "ENTREE-CHARGEUR"]
    assert crashes == []
    errors = [(o.rule_id, o.error) for o in result.outcomes if o.status == RULE_ERROR]
    assert errors == []


# -- mutations ----------------------------------------------------------------------------

@st.composite
def byte_mutations(draw, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 12))):
        if not data:
            break
        pos = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = draw(st.integers(0, 255))
        if op == "replace":
            data[pos] = byte
        elif op == "insert":
            data.insert(pos, byte)
        else:
            del data[pos]
    return bytes(data)


@st.composite
def truncations(draw, seed: bytes) -> bytes:
    return seed[: draw(st.integers(0, len(seed)))]


def _tree(seed: bytes) -> etree._ElementTree:
    return etree.ElementTree(etree.fromstring(seed, etree.XMLParser(resolve_entities=False, no_network=True)))


def _serialise(tree: etree._ElementTree, seed: bytes) -> bytes:
    return etree.tostring(tree, xml_declaration=True, encoding=make_corpus._declared(seed))


@st.composite
def element_edits(draw, seed: bytes) -> bytes:
    tree = _tree(seed)
    for _ in range(draw(st.integers(1, 4))):
        elements = [e for e in tree.getroot().iter() if e is not tree.getroot() and isinstance(e.tag, str)]
        if not elements:
            break
        el = elements[draw(st.integers(0, len(elements) - 1))]
        parent = el.getparent()
        op = draw(st.sampled_from(["delete", "duplicate", "move-up", "empty"]))
        if op == "delete":
            parent.remove(el)
        elif op == "duplicate":
            parent.insert(parent.index(el), etree.fromstring(etree.tostring(el)))
        elif op == "move-up" and parent.getparent() is not None:
            parent.remove(el)
            parent.getparent().append(el)
        else:
            el.text = None
            for child in list(el):
                el.remove(child)
    return _serialise(tree, seed)


TEXTS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


@st.composite
def text_edits(draw, seed: bytes) -> bytes:
    tree = _tree(seed)
    nodes = [e for e in tree.getroot().iter() if isinstance(e.tag, str) and (e.text or "").strip() or e.attrib]
    for _ in range(draw(st.integers(1, 6))):
        el = nodes[draw(st.integers(0, len(nodes) - 1))]
        value = draw(TEXTS)
        value = "".join(c for c in value if c in "\t\n\r" or ord(c) >= 32)  # XML 1.0 characters only
        if el.attrib and draw(st.booleans()):
            el.set(draw(st.sampled_from(sorted(el.attrib))), value)
        else:
            el.text = value
    try:
        return _serialise(tree, seed)
    except (UnicodeEncodeError, LookupError, ValueError):
        return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


@st.composite
def csv_edits(draw, seed: bytes) -> bytes:
    rows = [r.split(";") for r in seed.decode("utf-8").split("\r\n")]
    for _ in range(draw(st.integers(1, 6))):
        r = draw(st.integers(0, len(rows) - 1))
        op = draw(st.sampled_from(["cell", "drop-cell", "add-cell", "dup-row", "drop-row"]))
        row = rows[r]
        if op == "cell" and row:
            row[draw(st.integers(0, len(row) - 1))] = draw(TEXTS)
        elif op == "drop-cell" and row:
            del row[draw(st.integers(0, len(row) - 1))]
        elif op == "add-cell":
            row.append(draw(TEXTS))
        elif op == "dup-row":
            rows.insert(r, list(row))
        elif op == "drop-row" and len(rows) > 1:
            del rows[r]
    enc = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return "\r\n".join(";".join(r) for r in rows).encode(enc, "replace")


# -- properties ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SEEDS))
@FUZZ
@given(data=st.data())
def test_byte_mutations_never_crash(name, data):
    audit_bytes(name, data.draw(byte_mutations(SEEDS[name])))


@pytest.mark.parametrize("name", sorted(SEEDS))
@FUZZ
@given(data=st.data())
def test_truncations_never_crash(name, data):
    audit_bytes(name, data.draw(truncations(SEEDS[name])))


@pytest.mark.parametrize("name", XML_SEEDS)
@FUZZ
@given(data=st.data())
def test_element_deletions_and_duplications_never_crash(name, data):
    audit_bytes(name, data.draw(element_edits(SEEDS[name])))


@pytest.mark.parametrize("name", XML_SEEDS)
@FUZZ
@given(data=st.data())
def test_random_values_never_crash(name, data):
    audit_bytes(name, data.draw(text_edits(SEEDS[name])))


if CSV_SEEDS:  # CSV families whose loader is installed

    @pytest.mark.parametrize("name", CSV_SEEDS)
    @FUZZ
    @given(data=st.data())
    def test_csv_cell_mutations_never_crash(name, data):
        audit_bytes(name, data.draw(csv_edits(SEEDS[name])))


def test_every_registered_family_with_a_seed_is_fuzzed():
    assert {"siecle-eleves", "sts-emp"} <= {make_corpus.FAMILIES[n] for n in SEEDS}
