"""Every hook a scolint plugin can implement, grouped by pipeline phase.

A plugin is a module (or object) with functions marked ``@scolint.engine.hookimpl``
and named like the specs below. Built-in plugins (``scolint.plugins.*``) are registered
exactly like third-party ones, which come from the entry-point group ``scolint``.
Implementations may take a subset of a spec's arguments (pluggy opt-in arguments), so
specs may grow new arguments without breaking plugins; they never lose one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .registry import Registries

hookspec = pluggy.HookspecMarker("scolint")


# ---------------------------------------------------------------------------
# Initialisation: what each plugin brings
# ---------------------------------------------------------------------------
@hookspec
def scolint_register(registries: Registries) -> None:
    """Register what this plugin brings: export families, entity kinds, check kinds,
    filters, reporters.

    :param registries: the registries object. An export family declares itself in one
        call, ``registries.families.add(id, Family(...))`` (engine/registry.py): its formats
        (id, label, how to obtain the file, XML root element, XSD), its entity kinds, its
        loader, its detection when the root element is not enough, and its link step with
        its order (``link_after``/``link_before``, by family name). The engine derives
        detection, loading, link order and the list of flows from those declarations.
        Other calls: ``registries.entities.declare(...)``, ``registries.checks.add(...)``,
        ``registries.filters.add(...)``, ``registries.tests.add(...)``,
        ``registries.reporters.add(...)``. A duplicate id fails loudly, naming both plugins.

    .. versionadded:: 0.1
    """


@hookspec
def scolint_rule_paths() -> list[Path]:
    """Return the folders of rule files (``*.yml``) this plugin ships (a rule pack).

    :returns: a list of folders, or None / an empty list.

    .. versionadded:: 0.1
    """
    return []


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------
@hookspec
def scolint_cli_commands(subparsers: Any) -> None:
    """Add sub-commands to the ``scolint`` command line.

    :param subparsers: the ``argparse`` sub-parsers object. Add a parser with French
        help and call ``parser.set_defaults(handler=fn)``; ``fn(args)`` returns the
        exit code (0 / 1 / 2) and raises :class:`~scolint.engine.errors.ScolintError`
        for a usage error (the CLI prints it, no traceback).

    .. versionadded:: 0.1
    """
