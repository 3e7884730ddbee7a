"""No change, no leak: every command leaves its inputs byte-identical (nothing added,
removed or modified in the input folders, archives included), reports are written
atomically (a failing reporter leaves no half file and keeps the previous report), and no
password of the ENT identifier files appears in any output, error paths included.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from scolint.engine import discover
from scolint.engine.cli import build_parser, main
from scolint.engine.manager import get_plugin_host
from scolint.plugins.gen.generate import generate

HERE = Path(__file__).parent / "fixtures" / "bad"
_spec = importlib.util.spec_from_file_location("make_corpus", HERE / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules.setdefault("make_corpus", make_corpus)
_spec.loader.exec_module(make_corpus)  # type: ignore[union-attr]

FORMATS = ("console", "json", "markdown", "html", "junit", "sarif")
#: Passwords written in the broken ENT file below (an error path: the line is refused).
BROKEN_PASSWORDS = ("Zz9-fuite1", "Yy8-fuite2", "Ww7-fuite3", "Vv6-fuite4", "Uu5-fuite5")
PASSWORDS = make_corpus.ENT_PASSWORDS + BROKEN_PASSWORDS
COMMANDS = set(build_parser(get_plugin_host(load_entrypoints=False))._subparsers._group_actions[0].choices)


def snapshot(folder: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``folder`` (and the folders)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        out[rel] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dossier"
    return out


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """An academy folder: one school as files (with ENT CSVs, one broken), one as a .zip."""
    root = tmp_path_factory.mktemp("entrees")
    school = root / "0312201Z"
    generate(school, 30, 11)
    (school / "verite-terrain.json").unlink()
    (school / "ENT-Identifiants.csv").write_bytes((make_corpus.SEEDS / "ENT-Identifiants.csv").read_bytes())
    seed = (make_corpus.SEEDS / "ENT-Identifiants.csv").read_text(encoding="utf-8")
    broken = seed + (  # short line, shifted columns (one too many, one too few), open quote
        f"0312201Z;ent9;6A;Eleve;Zoé;PETIT;zoe.petit;{BROKEN_PASSWORDS[0]}\r\n"
        f"0312201Z;ent7;6A;Eleve;Zoé;X;PETIT;zoe.petit2;{BROKEN_PASSWORDS[2]};AAF7;;;;\r\n"
        f"0312201Z;ent6;6A;Eleve;PETIT;zoe.petit3;{BROKEN_PASSWORDS[3]};AAF6;;;;\r\n"
        f"0312201Z;ent5;;Responsable;Marc;PETIT;marc.petit;{BROKEN_PASSWORDS[4]};;;;;;;;\r\n"
        f"0312201Z;ent8;6A;Eleve;Léo;PETIT;leo.petit;\"{BROKEN_PASSWORDS[1]};AAF8;;;;\r\n")
    (school / "ENT-Identifiants-casse.csv").write_text(broken, encoding="utf-8")
    other = root / "0312202A.zip"
    zsrc = tmp_path_factory.mktemp("zip")
    generate(zsrc, 20, 12)
    (zsrc / "verite-terrain.json").unlink()
    with zipfile.ZipFile(other, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(zsrc.iterdir()):
            zf.write(p, p.name)
    for p in root.rglob("*"):
        if p.is_file():
            os.utime(p, (1_000_000_000, 1_000_000_000))
    return root


def run(argv: list[str], cwd: Path, capsys) -> tuple[int, str]:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        code = main(argv)
    finally:
        os.chdir(old)
    out = capsys.readouterr()
    return code, out.out + out.err


def outputs_text(folder: Path, printed: str) -> str:
    texts = [printed]
    for p in folder.rglob("*"):
        if p.is_file():
            texts.append(p.read_bytes().decode("utf-8", "replace"))
    return "\n".join(texts)


def commands(inputs: Path, out: Path) -> list[list[str]]:
    school = str(inputs / "0312201Z")
    archive = str(inputs / "0312202A.zip")
    cmds = [["check", school, archive, "--format", f, "-o", str(out / f"rapport.{f}")] for f in FORMATS]
    cmds += [["check", school, "--format", "json"],  # on standard output
             ["check", school, "--pseudonymise", "--format", "html", "-o", str(out / "pseudo.html")],
             ["baseline", school, "-o", str(out / "base.json")],
             ["explain", "SIE-RESP-001", "inconnu", school],
             ["rules", "list"]]
    if "batch" in COMMANDS:
        cmds.append(["batch", str(inputs), "-o", str(out / "lot"), "-j", "1", "--formats", "html,json,markdown"])
    if "publipostage" in COMMANDS:
        cmds.append(["publipostage", school, "-o", str(out / "publipostage")])
    return cmds


def test_every_command_leaves_inputs_unchanged_and_leaks_no_password(inputs, tmp_path, capsys):
    before = snapshot(inputs)
    mtimes = {p: p.stat().st_mtime for p in inputs.rglob("*") if p.is_file()}
    assert any(pw in (inputs / "0312201Z" / "ENT-Identifiants.csv").read_text(encoding="utf-8") for pw in PASSWORDS)
    ran = []
    for argv in commands(inputs, tmp_path / "sorties"):
        (tmp_path / "sorties").mkdir(exist_ok=True)
        code, printed = run(argv, tmp_path, capsys)
        assert code in (0, 1, 2), (argv, code)
        assert "Traceback" not in printed, argv
        assert snapshot(inputs) == before, argv
        ran.append(argv[0])
        leaked = [pw for pw in PASSWORDS if pw in outputs_text(tmp_path / "sorties", printed)]
        assert leaked == [], (argv, leaked)
    assert {p: p.stat().st_mtime for p in inputs.rglob("*") if p.is_file()} == mtimes
    assert {"check", "baseline", "explain"} <= set(ran)
    # The reports were really written (the commands did their work).
    assert (tmp_path / "sorties" / "rapport.json").stat().st_size > 1000


def test_generate_and_demo_outputs_unchanged_by_audits(tmp_path, capsys):
    gen = tmp_path / "gen"
    code, _ = run(["generate", "--students", "40", "--seed", "5", "--out", str(gen)], tmp_path, capsys)
    assert code == 0
    before = snapshot(gen)
    demo_data = tmp_path / "demo-donnees"
    code, printed = run(["demo", "--students", "40", "--donnees", str(demo_data)], tmp_path, capsys)
    assert code == 0, printed
    assert snapshot(gen) == before
    demo_before = snapshot(demo_data)
    for f in FORMATS:
        run(["check", str(gen), str(demo_data), "--format", f, "-o", str(tmp_path / f"r.{f}")], tmp_path, capsys)
    assert snapshot(gen) == before and snapshot(demo_data) == demo_before
    assert (tmp_path / "rapport-demo.md").is_file()


def test_failing_reporter_leaves_no_half_file(inputs, tmp_path, monkeypatch, capsys):
    target = tmp_path / "rapport.json"
    target.write_text("ANCIEN RAPPORT", encoding="utf-8")
    import scolint.engine.manager as manager

    real = manager.get_plugin_host

    def host_with_broken_reporter(*args, **kwargs):
        host = real(*args, **kwargs)
        reporter = host.registries.reporters.get("json")

        class Broken:
            def __getattr__(self, name):
                return getattr(reporter, name)

            def render(self, result, options):
                reporter.render(result, options)
                raise RuntimeError("panne au milieu du rendu")

        host.registries.reporters["json"] = Broken()
        return host

    monkeypatch.setattr(manager, "get_plugin_host", host_with_broken_reporter)
    code, printed = run(["check", str(inputs / "0312201Z"), "--format", "json", "-o", str(target)], tmp_path, capsys)
    assert code == 2 and "erreur interne" in printed and "Traceback" not in printed
    assert target.read_text(encoding="utf-8") == "ANCIEN RAPPORT"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rapport.json"]


def test_atomic_write_failing_midway(tmp_path, monkeypatch):
    target = tmp_path / "r.html"
    target.write_text("ancien", encoding="utf-8")

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(discover.os, "replace", boom)
    from scolint.engine.errors import UsageError
    with pytest.raises(UsageError, match="disque plein"):  # a French sentence, not an OSError
        discover.atomic_write(target, "nouveau " * 100_000)
    assert target.read_text(encoding="utf-8") == "ancien"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_extracted_archives_removed_after_audit(inputs, tmp_path, monkeypatch):
    made = []
    real = discover.tempfile.mkdtemp

    def spy(*args, **kwargs):
        path = real(*args, **kwargs)
        made.append(path)
        return path

    monkeypatch.setattr(discover.tempfile, "mkdtemp", spy)
    from scolint.engine.audit import Auditor
    result = Auditor().audit([inputs / "0312202A.zip"])
    assert result.exports and made
    assert not any(Path(p).exists() for p in made)
    shutil.rmtree(tmp_path, ignore_errors=True)
