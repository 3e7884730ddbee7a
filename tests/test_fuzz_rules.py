"""Property-based fuzzing of the rule loader (and of the evaluation of what it accepts).

The default pack's rule files are mutated at random — characters replaced, inserted or
deleted, lines deleted, duplicated or re-indented, values replaced by random YAML — and
loaded. Loading must give a rule or one French line ``file:line: CODE: ...``
(:class:`RuleFileError`), never another exception; a rule that loads must evaluate without
an exception (a failure is a rule outcome ``error``).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scolint.engine.errors import RuleFileError
from scolint.engine.evaluate import Evaluator, make_environment
from scolint.engine.manager import get_plugin_host
from scolint.engine.model import Graph, Provenance
from scolint.engine.rules import parse_rule

EXAMPLES = int(os.environ.get("SCOLINT_FUZZ_EXAMPLES", "15"))
FUZZ = settings(max_examples=EXAMPLES * 2, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

RULES_DIR = Path(str(resources.files("scolint.rules")))
RULE_FILES = sorted(RULES_DIR.rglob("*.yml"))
TEXTS = {p.name: p.read_text(encoding="utf-8") for p in RULE_FILES}
HOST = get_plugin_host(load_entrypoints=False)
ENV = make_environment(HOST.registries)


def graph() -> Graph:
    """A few entities of every kind a default rule may ask for (fields left empty)."""
    g = Graph()
    for kind in HOST.registries.entities:
        for i in range(2):
            g.add(kind, f"{kind}{i}", source="fuzz", prov=Provenance("f.xml", i + 1, "TEST"), label=f"{kind} {i}")
    return g


def check(name: str, text: str) -> None:
    try:
        rule = parse_rule(name, text, HOST.registries, ENV)
    except RuleFileError as exc:
        msg = str(exc)
        assert msg.startswith(name) and "\n" not in msg and exc.code, msg
        return
    Evaluator([rule], HOST.registries, ENV).run(graph(), {"uai": None, "year": None, "formats": [], "today": None})


YAML_VALUES = st.one_of(
    st.text(max_size=30), st.integers(), st.none(), st.booleans(),
    st.sampled_from(["[", "]", "{", "}", "&a", "*a", "!!python/object:os.system", "|", ">", "- x", ": :",
                     "'", '"', "{{", "}}", "{%", "%}", "__class__", "\t", "~", "? x", "---", "..."]),
)


@st.composite
def char_mutations(draw, text: str) -> str:
    chars = list(text)
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, max(len(chars) - 1, 0)))
        op = draw(st.sampled_from(["replace", "insert", "delete"]))
        c = draw(st.characters(blacklist_categories=("Cs",)))
        if op == "replace" and chars:
            chars[pos] = c
        elif op == "insert":
            chars.insert(pos, c)
        elif chars:
            del chars[pos]
    return "".join(chars)


@st.composite
def line_mutations(draw, text: str) -> str:
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "indent", "dedent", "value"]))
        if op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "indent":
            lines[i] = "  " + lines[i]
        elif op == "dedent":
            lines[i] = lines[i].lstrip()
        elif op == "value" and ":" in lines[i]:
            key = lines[i].split(":", 1)[0]
            lines[i] = f"{key}: {draw(YAML_VALUES)}"
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name", sorted(TEXTS))
@FUZZ
@given(data=st.data())
def test_rule_char_mutations(name, data):
    check(name, data.draw(char_mutations(TEXTS[name])))


@pytest.mark.parametrize("name", sorted(TEXTS))
@FUZZ
@given(data=st.data())
def test_rule_line_mutations(name, data):
    check(name, data.draw(line_mutations(TEXTS[name])))


@FUZZ
@given(text=st.text(max_size=400))
def test_any_text_as_a_rule_file(text):
    check("X.yml", text)


def test_default_rules_load_and_run_unchanged():
    assert len(TEXTS) >= 5
    for name, text in TEXTS.items():
        check(name, text)
