"""engine/readahead.py: reading the next XML export in a thread changes nothing.

``scolint check`` reads with its read-ahead thread by default; ``SCOLINT_VALIDATION=sur-place``
reads every file in the command's own thread. Both give the same report on the hand-made
establishments (one of which breaks its XSD, one declares ISO-8859-1 while its bytes are
UTF-8: a note) and on a generated one. Seen from the public seam (``xmlsafe.parse`` and
``validate`` inside ``ReadAhead.lookup()``): the same trees, errors, notes and parse
errors as without it; bytes given to ``parse`` are never looked up; no thread is left
when the block ends, however it ends; the loading's end (``lookup()``) ends the thread,
and a tree a loader keeps stays whole after the thread has let go of it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from lxml import etree

from scolint.engine import readahead, xmlsafe
from scolint.engine.errors import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ELEVES = FIXTURES / "etab" / "ElevesSansAdresses.xml"
RESP = FIXTURES / "etab" / "ResponsablesSansAdresses.xml"


def _check(folder: Path, out: Path, switch: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != readahead.SWITCH}
    if switch is not None:
        env[readahead.SWITCH] = switch
    proc = subprocess.run([sys.executable, "-m", "scolint", "check", str(folder), "--format", "json", "-o", str(out)],
                          capture_output=True, text=True, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(out.read_text("utf-8"))
    return {"anomalies": data["anomalies"], "exports": data["exports"]}


@pytest.mark.parametrize("folder", ["etab", "etab-edt", "etab-aaf", "etab/ElevesSansAdresses.xml"])
def test_the_report_is_the_same_with_and_without_the_read_ahead(folder: str, tmp_path: Path) -> None:
    here = _check(FIXTURES / folder, tmp_path / "a.json", "sur-place")
    ahead = _check(FIXTURES / folder, tmp_path / "b.json", None)
    assert ahead == here
    if folder.startswith("etab/") or folder == "etab":  # ElevesSansAdresses.xml breaks its XSD (keyref)
        assert any(f["rule"] == "ENTREE-SCHEMA" for f in ahead["anomalies"])


def test_a_generated_school_gets_the_same_report(tmp_path: Path) -> None:
    school = tmp_path / "ecole"
    subprocess.run([sys.executable, "-m", "scolint", "generate", "--eleves", "300", "--graine", "3", "-o", str(school)],
                   check=True, capture_output=True)
    assert _check(school, tmp_path / "a.json", "sur-place") == _check(school, tmp_path / "b.json", None)


def _reading(files: list[tuple[Path, str]]) -> readahead.ReadAhead:
    ahead = readahead.ReadAhead()
    ahead.start([(str(p), xsd) for p, xsd in files])
    return ahead


def test_trees_errors_and_notes_are_those_read_here(tmp_path: Path) -> None:
    # a file declaring ISO-8859-1 whose bytes are UTF-8: parse writes a note (file, line)
    utf8 = tmp_path / "ResponsablesSansAdresses.xml"
    utf8.write_bytes(RESP.read_bytes().decode("iso-8859-15").encode("utf-8"))  # re-saved by an editor
    files = [(ELEVES, "bee_eleves.xsd"), (utf8, "bee_responsables.xsd"), (RESP, "bee_responsables.xsd")]
    here = []
    for path, xsd in files:
        with xmlsafe.notes() as notes:
            tree = xmlsafe.parse(path)
        here.append((etree.tostring(tree), xmlsafe.validate(tree, xsd), list(notes)))
    ahead = _reading(files)
    got = []
    try:
        with ahead.lookup():
            for path, xsd in files:
                with xmlsafe.notes() as notes:
                    tree = xmlsafe.parse(path)
                got.append((etree.tostring(tree), xmlsafe.validate(tree, xsd), list(notes)))
    finally:
        ahead.close()
    assert got == here
    assert here[0][1] and here[1][2]  # the keyref error and the note are there, either way


def test_a_parse_error_is_raised_in_the_loader(tmp_path: Path) -> None:
    broken = tmp_path / "ElevesSansAdresses.xml"
    broken.write_bytes(ELEVES.read_bytes()[:500])  # cut in the middle: not well-formed
    with pytest.raises(InputError) as here:
        xmlsafe.parse(broken)
    ahead = _reading([(RESP, "bee_responsables.xsd"), (broken, "bee_eleves.xsd")])
    try:
        with ahead.lookup():
            xmlsafe.parse(RESP)
            with pytest.raises(InputError) as there:
                xmlsafe.parse(broken)
    finally:
        ahead.close()
    assert str(there.value) == str(here.value)


def test_given_bytes_another_schema_or_a_file_out_of_order_are_read_here() -> None:
    ahead = _reading([(ELEVES, "bee_eleves.xsd"), (RESP, "bee_responsables.xsd")])
    try:
        with ahead.lookup():
            from_bytes = xmlsafe.parse("ElevesSansAdresses.xml", ELEVES.read_bytes())
            assert xmlsafe.validate(from_bytes, "bee_eleves.xsd") == xmlsafe.validate(xmlsafe.parse(ELEVES),
                                                                                       "bee_eleves.xsd")
            resp = xmlsafe.parse(RESP)  # the first file was never asked for: dropped
            # another schema than the one handed over: validated here
            assert xmlsafe.validate(resp, "bee_eleves.xsd") != []
    finally:
        ahead.close()


def test_the_thread_ends_with_the_loading_and_a_tree_kept_stays_whole() -> None:
    before = set(threading.enumerate())
    ahead = _reading([(ELEVES, "bee_eleves.xsd"), (RESP, "bee_responsables.xsd")])
    with ahead.lookup():
        kept = xmlsafe.parse(ELEVES)
        ahead.release()  # its loader is done, and keeps the tree all the same
        errors = xmlsafe.validate(xmlsafe.parse(RESP), "bee_responsables.xsd")
    assert set(threading.enumerate()) == before  # ended by the block, before close()
    assert etree.tostring(kept) == etree.tostring(xmlsafe.parse(ELEVES))
    assert errors == xmlsafe.validate(xmlsafe.parse(RESP), "bee_responsables.xsd")
    ahead.close()  # the command's own block closes it again: nothing left to do


def test_a_schema_that_cannot_be_read_fails_in_the_loader(tmp_path: Path) -> None:
    missing = str(tmp_path / "absent.xsd")
    with pytest.raises(Exception) as here:
        xmlsafe.validate(xmlsafe.parse(ELEVES), missing)
    ahead = _reading([(ELEVES, missing)])  # handing it over raises nothing
    with ahead.lookup():
        tree = xmlsafe.parse(ELEVES)
        with pytest.raises(type(here.value)):
            xmlsafe.validate(tree, missing)


def test_the_xml_exports_of_the_inputs_in_reading_order(tmp_path: Path) -> None:
    """What ``check`` hands to the thread before loading its rules: the XML exports of
    files and folders with their XSD, in the audit's order; archives and other files left out."""
    import shutil
    import zipfile

    from scolint.engine.manager import get_plugin_host
    shutil.copy(RESP, tmp_path / "b.xml")
    shutil.copy(ELEVES, tmp_path / "a.xml")
    (tmp_path / "notes.txt").write_text("rien", encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "c.zip", "w") as zf:
        zf.write(ELEVES, "ElevesSansAdresses.xml")
    found = readahead.xml_exports([tmp_path, tmp_path / "absent.xml"], get_plugin_host().xsd_of)
    assert found == []  # a missing path: the audit says it, nothing is read ahead
    found = readahead.xml_exports([tmp_path], get_plugin_host().xsd_of)
    assert found == [(str(tmp_path / "a.xml"), "bee_eleves.xsd"), (str(tmp_path / "b.xml"), "bee_responsables.xsd")]


def test_no_thread_is_left_when_the_block_ends() -> None:
    before = set(threading.enumerate())
    with pytest.raises(KeyboardInterrupt):
        with readahead.read_ahead({}) as ahead:
            assert ahead is not None or (os.cpu_count() or 1) < 2
            if ahead is not None:
                ahead.start([(str(ELEVES), "bee_eleves.xsd"), (str(RESP), "bee_responsables.xsd")])
            raise KeyboardInterrupt  # Ctrl-C while the thread reads the first file
    assert set(threading.enumerate()) == before


def test_the_switch() -> None:
    assert readahead.enabled({}) == ((os.cpu_count() or 1) >= 2)
    assert not readahead.enabled({readahead.SWITCH: "sur-place"})
    assert not readahead.enabled({readahead.SWITCH: "non"})
