"""A third-party rule pack, installed in a separate venv, found through its entry point.

The venv is created without pip (fast) and sees the current environment's packages
(scolint, jinja2…) through a ``.pth`` file, like ``--system-site-packages`` would; the
pack itself is installed only there, with pip, from a copy (the source tree stays clean).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

PACK = Path(__file__).parent / "scolint-pack-exemple"


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pack")
    env_dir = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    parent = sysconfig.get_paths()["purelib"]
    Path(purelib, "_parent_env.pth").write_text(f"import site; site.addsitedir({parent!r})\n", encoding="utf-8")
    src = root / "src"
    shutil.copytree(PACK, src)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", "--disable-pip-version-check", str(src)],
                   check=True, capture_output=True)
    return python


def scolint(python: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCOLINT_")}
    return subprocess.run([str(python), "-m", "scolint.engine.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd)


def test_pack_rules_and_check_kind_come_through_the_entry_point(venv, tmp_path):
    out = scolint(venv, "rules", "list", "--tags", "academie")
    assert out.returncode == 0, out.stderr
    ids = [line.split()[0] for line in out.stdout.splitlines()[1:-1]]
    assert ids == ["ACA-FIC-001", "ACA-UAI-001"]
    # the pack's check kind runs: its rules' inline tests pass in the separate venv
    out = scolint(venv, "rules", "test", "--tags", "academie", "--sans-demo")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "4 cas : 4 réussi(s), 0 en échec." in out.stdout
    # and lint knows the pack's check kind and its message variables
    out = scolint(venv, "rules", "lint")
    assert out.returncode == 0, out.stdout
    # the pack's check kind is in the editor schema and the catalogue
    out = scolint(venv, "rules", "schema")
    assert '"regex"' in out.stdout and "expression régulière" in out.stdout
    out = scolint(venv, "rules", "doc")
    assert "### ACA-UAI-001" in out.stdout and "### `regex`\n\nLa valeur calculée" in out.stdout
    # a rule file of one's own may use the pack's check kind too
    rules = tmp_path / "regles"
    rules.mkdir()
    (rules / "MOI-REG-001.yml").write_text(textwrap.dedent("""\
        id: MOI-REG-001
        title: Fichier au nom court
        severity: info
        for_each: export
        regex: {value: "export.label", pattern: ".{1,12}"}
        message: "{{ export.label }} : {{ value }} ne respecte pas {{ pattern }}"
        fix: Renommer.
        tests:
          - {name: long, given: {exports: [{id: a, label: nom-bien-trop-long.xml}]}, expect: [a]}
          - {name: court, given: {exports: [{id: b, label: b.xml}]}, expect: []}
        """), encoding="utf-8")
    out = scolint(venv, "rules", "lint", str(rules))
    assert out.returncode == 0, out.stdout
    out = scolint(venv, "rules", "test", str(rules), "--sans-demo")
    assert out.returncode == 0 and "2 cas : 2 réussi(s)" in out.stdout, out.stdout


def test_pack_check_kind_fires_on_loaded_exports(venv, tmp_path):
    demo = tmp_path / "demo"
    out = scolint(venv, "generate", "--students", "40", "--seed", "2", "--out", str(demo))
    assert out.returncode == 0, out.stderr
    out = scolint(venv, "check", str(demo), "--select", "ACA-FIC-001,ACA-UAI-001", "--fail-on", "warning")
    assert out.returncode == 0, out.stdout + out.stderr
    sts = next(demo.glob("sts_emp_*.xml"))
    sts.rename(demo / "copie sts.xml")
    out = scolint(venv, "check", str(demo), "--select", "ACA-FIC-001,ACA-UAI-001", "--fail-on", "warning")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "[ACA-FIC-001] Export STS-Web mal nommé (1)" in out.stdout
    assert "ne suit pas le nommage sts_emp_<UAI>_<année>.xml (nom lu : copie sts.xml)" in out.stdout


def test_pack_is_only_in_its_own_venv():
    out = subprocess.run([sys.executable, "-m", "scolint.engine.cli", "rules", "list", "--tags", "academie"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.splitlines()[-1] == "0 règle(s)."


def test_pack_can_be_disabled_by_name(venv):
    out = scolint(venv, "rules", "list", "--tags", "academie", "--desactiver-plugin", "pack_exemple")
    assert out.returncode == 0 and out.stdout.splitlines()[-1] == "0 règle(s).", out.stdout + out.stderr
