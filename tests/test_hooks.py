"""Every hook of engine/hookspecs.py is documented (docs/architecture.md gives its exact
signature) and exercised here by a plugin that implements it (as datasette checks its own)."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from scolint.engine import hookspecs
from scolint.engine.cli import build_parser
from scolint.engine.manager import get_plugin_host

ROOT = Path(__file__).resolve().parents[1]
PACKS = ROOT / "tests" / "packs"


def _specs() -> dict[str, Callable[..., Any]]:
    return {name: fn for name, fn in vars(hookspecs).items()
            if name.startswith("scolint_") and callable(fn) and hasattr(fn, "scolint_spec")}


@pytest.fixture(scope="module")
def host():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(PACKS))
    try:
        import famille_cantine
        yield get_plugin_host(extra_plugins=[famille_cantine])
    finally:
        sys.path.remove(str(PACKS))


def test_every_hook_is_documented_with_its_signature() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    assert _specs()
    for name, fn in _specs().items():
        assert (fn.__doc__ or "").strip(), f"{name} sans docstring"
        signature = f"{name}({', '.join(inspect.signature(fn).parameters)})"
        assert f"`{signature}`" in doc, f"{signature} absent de docs/architecture.md"


def _register(host: Any) -> None:
    assert "cantine" in host.registries.families
    assert host.registries.formats.get("cantine-inscriptions").root == "CANTINE_INSCRIPTIONS"


def _rule_paths(host: Any) -> None:
    assert any(p.name == "regles" and p.parent.name == "famille_cantine" for p in host.rule_paths())


def _cli_commands(host: Any, capsys: pytest.CaptureFixture[str] | None = None) -> None:
    parser = build_parser(host)
    args = parser.parse_args(["cantine"])
    args.host = host
    assert args.handler(args) == 0


EXERCISES = {"scolint_register": _register, "scolint_rule_paths": _rule_paths,
             "scolint_cli_commands": _cli_commands}


def test_every_hook_is_exercised(host: Any) -> None:  # type: ignore[no-untyped-def]
    assert set(EXERCISES) == set(_specs()), "un hook sans test, ou un test sans hook"
    for name in sorted(_specs()):
        impls = [i for i in getattr(host.pm.hook, name).get_hookimpls()
                 if host.pm.get_name(i.plugin) and "famille_cantine" in repr(i.plugin)]
        assert impls, f"{name} n'est pas implémenté par le paquet d'exemple"
        EXERCISES[name](host)
