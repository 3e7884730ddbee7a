"""The French docs tell the truth: the tutorial's steps are replayed literally from its
code blocks, and the generated pages (catalogue, entity reference) are up to date."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from scolint.engine.evaluate import make_environment
from scolint.engine.manager import get_plugin_host
from scolint.engine.rules import load_rules
from scolint.plugins.commands.doc import catalogue_markdown, entities_markdown

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```\s*$", re.S | re.M)
EXIT = re.compile(r"\s+#\s*code de sortie\s*:\s*(\d+)\s*$")


def blocks(path: Path) -> list[tuple[str, str, str | None]]:
    """``(language, text, title)`` of every fenced block, in order."""
    out = []
    for m in FENCE.finditer(path.read_text("utf-8")):
        info = m.group(1).strip()
        title = re.search(r'title="([^"]+)"', info)
        out.append((info.split(" ")[0] if info else "", m.group(2), title.group(1) if title else None))
    return out


def test_generated_pages_are_up_to_date():
    host = get_plugin_host(load_entrypoints=False)
    env = make_environment(host.registries)
    paths = host.rule_paths()
    rules = load_rules(paths, host.registries, env)
    fix = "régénérez avec : scolint rules doc -o docs/catalogue.md && scolint entities --markdown -o docs/entites.md"
    assert (DOCS / "catalogue.md").read_text("utf-8") == catalogue_markdown(rules, host.registries, paths), fix
    assert (DOCS / "entites.md").read_text("utf-8") == entities_markdown(host.registries), fix


def test_tutorial_steps_replay_literally(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCOLINT_")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["SCOLINT_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    steps = blocks(DOCS / "premiere-regle.md")
    ran = 0
    last_output: str | None = None
    for lang, text, title in steps:
        if title:
            target = tmp_path / title
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            last_output = None
        elif lang == "sh":
            last_output = ""
            for line in text.splitlines():
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                m = EXIT.search(line)
                expected = int(m.group(1)) if m else 0
                cmd = EXIT.sub("", line)
                assert shlex.split(cmd)[0] == "scolint", f"le guide ne doit lancer que scolint : {cmd}"
                proc = subprocess.run(cmd, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True)
                output = proc.stdout + proc.stderr
                assert proc.returncode == expected, f"« {cmd} » : code {proc.returncode}, attendu {expected}\n{output}"
                assert "Traceback" not in output
                last_output += output
                ran += 1
        elif lang == "text" and last_output is not None:
            pos = 0
            for want in (x.strip() for x in text.splitlines()):
                if not want:
                    continue
                found = last_output.find(want, pos)
                assert found >= 0, f"sortie attendue absente : « {want} »\nsortie :\n{last_output}"
                pos = found + len(want)
            last_output = None
    assert ran >= 8
