"""The default rule pack (``scolint.rules``): YAML rules, one a file, by data flow."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from scolint.engine import hookimpl


@hookimpl
def scolint_rule_paths() -> list[Path]:
    root = resources.files("scolint.rules")
    return [Path(str(root))]
