"""Command-line conventions: ``python -m scolint`` (editable install and wheel), --version,
NO_COLOR, shell completion, an example in every command's help, French option names
with the English ones kept as aliases, unknown formats refused before any audit."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import pty
import select
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from scolint.engine.cli import EXAMPLES, FRENCH_OPTIONS, build_parser, main, version_text
from scolint.plugins.gen.generate import generate

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue() + err.getvalue()


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCOLINT_") and k != "NO_COLOR"}
    env.update(extra)
    return env


def parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, path + (name,))


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "exports"
    generate(out, 60, 5)
    return out


def test_python_m_scolint_from_this_install(exports, tmp_path):
    done = subprocess.run([sys.executable, "-m", "scolint", "--version"], capture_output=True, text=True,
                          cwd=tmp_path, env=clean_env())
    assert done.returncode == 0 and done.stdout.strip() == version_text(), done.stderr
    done = subprocess.run([sys.executable, "-m", "scolint", "check", str(exports), "--format", "json",
                           "--sortie", str(tmp_path / "r.json")], capture_output=True, text=True, cwd=tmp_path,
                          env=clean_env())
    assert done.returncode == 1 and (tmp_path / "r.json").is_file(), done.stderr
    # scolint stays a namespace package: rule packs may add their own scolint.* packages
    done = subprocess.run([sys.executable, "-c", "import scolint; print(getattr(scolint, '__file__', None))"],
                          capture_output=True, text=True, cwd=tmp_path, env=clean_env())
    assert done.stdout.strip() == "None", done.stdout


def test_python_m_scolint_from_a_wheel_in_a_fresh_venv(exports, tmp_path):
    src = tmp_path / "src"  # built from a copy: the checkout stays clean
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info",
                                                             "__pycache__", "tests", "bench", "docs"))
    dist = tmp_path / "dist"
    done = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(src)],
                          capture_output=True, text=True, env=clean_env())
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    wheel = next(dist.glob("scolint-*.whl"))
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # the dependencies come from this environment (a plain path: its editable scolint is not seen)
    Path(purelib, "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", "--disable-pip-version-check", str(wheel)], check=True, capture_output=True)
    done = subprocess.run([str(python), "-c", "import scolint, scolint.engine; print(list(scolint.__path__)[0]); "
                           "print(scolint.engine.__file__)"], capture_output=True, text=True, cwd=tmp_path,
                          env=clean_env())
    assert all(line.startswith(str(env_dir)) for line in done.stdout.split()), done.stdout + done.stderr
    done = subprocess.run([str(python), "-m", "scolint", "--version"], capture_output=True, text=True, cwd=tmp_path,
                          env=clean_env())
    assert done.returncode == 0 and done.stdout.startswith("scolint "), done.stderr
    done = subprocess.run([str(python), "-m", "scolint", "check", str(exports), "--format", "tableur", "--sortie",
                           str(tmp_path / "a.xlsx")], capture_output=True, text=True, cwd=tmp_path, env=clean_env())
    assert done.returncode == 1 and (tmp_path / "a.xlsx").read_bytes()[:2] == b"PK", done.stderr


def run_in_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run ``scolint`` with its standard output on a pseudo-terminal; what it printed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "scolint", *args], stdout=slave, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


def test_colours_on_a_terminal_unless_no_color(exports):
    coloured = run_in_a_terminal(["check", str(exports)], clean_env())
    assert "\033[31m" in coloured and "Erreurs" in coloured
    plain = run_in_a_terminal(["check", str(exports)], clean_env(NO_COLOR="1"))
    assert "\033[" not in plain and "Erreurs" in plain


def test_bash_completion(tmp_path):
    code, script = run(["completion", "bash"])
    assert code == 0
    (tmp_path / "scolint.bash").write_text(script, "utf-8")

    def complete(*words: str) -> list[str]:
        line = " ".join(shlex.quote(w) for w in words)
        done = subprocess.run(["bash", "-c", f"source {shlex.quote(str(tmp_path / 'scolint.bash'))}; "
                               f"COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; _scolint; "
                               'printf "%s\\n" "${COMPREPLY[@]}"'], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert complete("scolint", "ch") == ["check"]
    assert "rules" in complete("scolint", "") and "completion" in complete("scolint", "")
    assert set(complete("scolint", "rules", "l")) == {"list", "lint"}
    assert complete("scolint", "check", "--for") == ["--format"]
    assert {"tableur", "codequality", "html", "junit", "sarif"} <= set(complete("scolint", "check", "--format", ""))
    assert complete("scolint", "check", "--echec-si", "w") == ["warning"]
    assert {"--sortie", "--output", "--regles", "--rules"} <= set(complete("scolint", "check", "--"))
    assert complete("scolint", "check", "expo") == []  # a path: the shell completes file names


def test_zsh_completion_wraps_the_same_function(tmp_path):
    code, script = run(["completion", "zsh"])
    assert code == 0 and script.startswith("#compdef scolint")
    assert "bashcompinit" in script and "complete -o default -F _scolint scolint" in script
    zsh = shutil.which("zsh")
    assert zsh, "zsh est nécessaire à ce test : apt-get install zsh (scripts/test l'installe)"
    (tmp_path / "_scolint").write_text(script, "utf-8")

    def offered(*words: str) -> list[str]:
        # zsh's bashcompinit runs the function with 0-based arrays (ksharrays); zsh's own
        # matcher then keeps the candidates that start with the word being typed
        line = " ".join(shlex.quote(w) for w in words)
        done = subprocess.run([zsh, "-f", "-c", "autoload -U +X compinit && compinit -u -D; "
                               f"source {shlex.quote(str(tmp_path / '_scolint'))}; setopt ksharrays; "
                               f"COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; _scolint; "
                               'print -l -- "${COMPREPLY[@]}"'],
                              capture_output=True, text=True, env=dict(os.environ, HOME=str(tmp_path)))
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert {"check", "rules", "completion"} <= set(offered("scolint", "ch"))
    assert "--format" in offered("scolint", "check", "--for")
    assert {"tableur", "codequality"} <= set(offered("scolint", "check", "--format", ""))
    code, output = run(["completion", "fish"])
    assert code == 2 and "choix invalide" in output


def test_every_command_has_an_example_that_parses(host):
    parser = build_parser(host)
    for path, sub in parsers(parser):
        if not path:
            continue
        help_text = sub.format_help()
        assert "Exemple :" in help_text, " ".join(path)
        example = EXAMPLES[" ".join(path)]
        for line in example.splitlines():
            words = shlex.split(line.split("#")[0].replace("source <(", "").replace(")", ""))
            assert words[0] == "scolint"
            parser.parse_args(words[1:])  # a usage error would exit: the example is valid


def test_french_option_names_with_english_aliases(host):
    english = set(FRENCH_OPTIONS)
    for path, sub in parsers(build_parser(host)):
        for action in sub._actions:
            longs = [o for o in action.option_strings if o.startswith("--")]
            if longs:
                assert any(o not in english for o in longs), (path, longs)
                assert longs[0] not in english, (path, longs)  # the French name first
    parser = build_parser(host)
    fr = parser.parse_args(["check", "x", "--sortie", "r.json", "--echec-si", "info", "--regles", "r/",
                            "--etiquettes", "siecle", "--ignorer", "SIE-DIV-001", "--ligne-de-base", "b.json"])
    en = parser.parse_args(["check", "x", "--output", "r.json", "--fail-on", "info", "--rules", "r/",
                            "--tags", "siecle", "--ignore", "SIE-DIV-001", "--baseline", "b.json"])
    keys = ("output", "fail_on", "rules", "tags", "ignore", "baseline")
    assert [getattr(fr, k) for k in keys] == [getattr(en, k) for k in keys]
    assert parser.parse_args(["generate", "--eleves", "80", "--sortie", "d"]).out == "d"


def test_unknown_format_refused_before_any_audit(tmp_path):
    code, output = run(["check", str(tmp_path / "absent"), "--format", "pdf"])
    assert code == 2 and "format de rapport inconnu « pdf »" in output
    assert "absent" not in output  # the audit never started: the missing path is not even mentioned
    assert "tableur" in output and "codequality" in output


def test_spreadsheet_goes_to_a_file_not_the_terminal(tmp_path):
    code, output = run(["check", str(tmp_path / "absent"), "--format", "tableur"])
    assert code == 2 and "--sortie anomalies.xlsx" in output and "absent" not in output


def test_a_bad_previous_result_is_a_clear_error(tmp_path):
    (tmp_path / "vide").mkdir()
    for text, expected in (("[" * 100_000 + "]" * 100_000, "imbriqués trop profondément"),
                           ("{\"x\": ", "JSON invalide"), ("[]", "ni un résultat JSON de scolint")):
        before = tmp_path / "avant.json"
        before.write_text(text, "utf-8")
        code, output = run(["check", str(tmp_path / "vide"), "--precedent", str(before)])
        assert code == 2 and expected in output and "erreur interne" not in output, output


def test_main_leaves_the_collector_as_it_found_it(tmp_path: Path) -> None:
    """Library callers of ``main`` keep their process as it was: thresholds restored,
    nothing frozen (only the console script freezes what is left when it ends)."""
    import gc
    before = gc.get_threshold(), gc.get_freeze_count()
    code, _out = run(["check", str(ROOT / "tests" / "fixtures" / "etab"), "--format", "json",
                      "-o", str(tmp_path / "r.json")])
    assert code in (0, 1)
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_the_console_script_writes_its_report_and_exit_code_as_main_does(tmp_path: Path) -> None:
    folder = ROOT / "tests" / "fixtures" / "etab"
    code, _out = run(["check", str(folder), "--format", "json", "-o", str(tmp_path / "main.json")])
    proc = subprocess.run([sys.executable, "-m", "scolint", "check", str(folder), "--format", "json",
                           "-o", str(tmp_path / "console.json")], capture_output=True, text=True, env=clean_env())
    assert proc.returncode == code, proc.stderr
    import json
    main_report = json.loads((tmp_path / "main.json").read_text("utf-8"))
    console_report = json.loads((tmp_path / "console.json").read_text("utf-8"))
    assert console_report["anomalies"] == main_report["anomalies"] and console_report["anomalies"]


@pytest.mark.parametrize("french, english", [("avertissement", "warning"), ("erreur", "error"),
                                             ("information", "info"), ("AVERTISSEMENT", "warning")])
def test_severities_in_french_on_the_command_line(exports, tmp_path, french, english):
    """The reports say « avertissement » : the options that take a severity accept it."""
    # EDT-STS-002 is a warning the generated school has: exit 1 from « avertissement » down
    base = ["check", str(exports), "--selection", "EDT-STS-002", "--format", "json", "-o", str(tmp_path / "r.json")]
    fr = run(base + ["--echec-si", french, "--erreurs-de-regle", french])
    en = run(base + ["--fail-on", english, "--erreurs-de-regle", english])
    assert fr[0] == en[0] == (0 if english == "error" else 1), (fr, en)
    code, printed = run(base + ["--echec-si", "grave"])
    assert code == 2 and "grave" in printed and "Traceback" not in printed


@pytest.mark.parametrize("args, usage", [
    (["check", "{exports}", "--inconnue"], "utilisation : scolint check "),
    (["rules", "lint", "--inconnue"], "utilisation : scolint rules lint "),
    (["--inconnue"], "utilisation : scolint [-h]"),
])
def test_unknown_option_shows_the_usage_of_its_command(exports, args, usage):
    code, printed = run([a.format(exports=exports) for a in args])
    assert code == 2 and printed.startswith(usage), printed[:200]
    assert "arguments inconnus: --inconnue" in printed and "Traceback" not in printed
