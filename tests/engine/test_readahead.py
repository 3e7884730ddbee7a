"""engine/readahead.py: validating the next XML files in another process changes nothing.

``scolint check`` with the read-ahead process switched on (``SCOLINT_VALIDATION=processus``)
gives the same report as without, on the hand-made establishments (one of which breaks its
XSD) and on a generated one; the process is gone when the command ends; bytes given to
``xmlsafe.parse`` (a decrypted export) are never looked up. Commands run in child processes:
the read-ahead process is forked, which is done only by the ``check`` command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scolint.engine import readahead, xmlsafe

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _check(folder: Path, out: Path, switch: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != readahead.SWITCH}
    if switch is not None:
        env[readahead.SWITCH] = switch
    proc = subprocess.run([sys.executable, "-m", "scolint", "check", str(folder), "--format", "json", "-o", str(out)],
                          capture_output=True, text=True, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(out.read_text("utf-8"))
    return {"anomalies": data["anomalies"], "exports": data["exports"]}


@pytest.mark.parametrize("folder", ["etab", "etab-edt", "etab-aaf"])
def test_the_report_is_the_same_with_the_read_ahead_process(folder: str, tmp_path: Path) -> None:
    alone = _check(FIXTURES / folder, tmp_path / "a.json", None)
    ahead = _check(FIXTURES / folder, tmp_path / "b.json", "processus")
    assert ahead == alone
    if folder == "etab":  # ElevesSansAdresses.xml breaks its XSD (keyref): said either way
        assert any(f["rule"] == "ENTREE-SCHEMA" for f in ahead["anomalies"])


def test_a_generated_school_gets_the_same_report(tmp_path: Path) -> None:
    school = tmp_path / "ecole"
    subprocess.run([sys.executable, "-m", "scolint", "generate", "--eleves", "300", "--graine", "3", "-o", str(school)],
                   check=True, capture_output=True)
    assert _check(school, tmp_path / "a.json", None) == _check(school, tmp_path / "b.json", "processus")


def test_the_errors_are_taken_from_the_other_process_and_it_ends_with_the_command() -> None:
    eleves, resp = FIXTURES / "etab" / "ElevesSansAdresses.xml", FIXTURES / "etab" / "ResponsablesSansAdresses.xml"
    code = (
        "import multiprocessing, os\n"
        "from scolint.engine import readahead, xmlsafe\n"
        f"eleves, resp = {str(eleves)!r}, {str(resp)!r}\n"
        "with readahead.read_ahead({'SCOLINT_VALIDATION': 'processus'}) as ahead:\n"
        "    ahead.start([(eleves, 'bee_eleves.xsd'), (resp, 'bee_responsables.xsd'), ('/nulle/part.xml', 'bee_eleves.xsd')])\n"
        "    pid = list(ahead._executor._processes)[0]\n"
        "    found = ahead.errors(resp, 'bee_responsables.xsd')\n"
        "    print(found is not None and found == xmlsafe.validate(xmlsafe.parse(resp), 'bee_responsables.xsd', 200))\n"
        "    print(ahead.errors('/nulle/part.xml', 'bee_eleves.xsd'))  # unreadable: validated here\n"
        "    print(ahead.errors(eleves, 'bee_eleves.xsd'))  # the first file is left to the caller\n"
        "print(multiprocessing.active_children())\n"
        "try:\n"
        "    os.kill(pid, 0)\n"
        "    print('alive')\n"
        "except ProcessLookupError:\n"
        "    print('gone')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[:5] == ["True", "None", "None", "[]", "gone"], out


def test_a_tree_parsed_from_given_bytes_is_never_looked_up() -> None:
    asked: list[tuple[str, str]] = []

    def lookup(path: str, xsd: str) -> list:
        asked.append((path, xsd))
        return [(1, "faux")]

    data = (FIXTURES / "etab" / "ElevesSansAdresses.xml").read_bytes()
    with xmlsafe.validated_elsewhere(lookup):
        from_bytes = xmlsafe.validate(xmlsafe.parse("ElevesSansAdresses.xml", data), "bee_eleves.xsd")
        from_file = xmlsafe.validate(xmlsafe.parse(FIXTURES / "etab" / "ElevesSansAdresses.xml"), "bee_eleves.xsd")
    assert from_bytes != [(1, "faux")] and asked == [(str(FIXTURES / "etab" / "ElevesSansAdresses.xml"), "bee_eleves.xsd")]
    assert from_file == [(1, "faux")]


def test_the_switch() -> None:
    assert not readahead.enabled({})
    assert not readahead.enabled({readahead.SWITCH: "locale"})
    assert readahead.enabled({readahead.SWITCH: "processus"}) == ((os.cpu_count() or 1) >= 2
                                                                    and sys.platform.startswith("linux"))
