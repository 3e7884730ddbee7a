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
    from .model import Graph
    from .registry import Registries

hookspec = pluggy.HookspecMarker("scolint")


# ---------------------------------------------------------------------------
# Initialisation: what each plugin brings
# ---------------------------------------------------------------------------
@hookspec
def scolint_register(registries: Registries) -> None:
    """Register what this plugin brings: formats, entity kinds, check kinds, filters,
    reporters.

    :param registries: the registries object; call ``registries.formats.add(...)``,
        ``registries.entities.add(...)``, ``registries.checks.add(...)``,
        ``registries.filters.add(...)``, ``registries.reporters.add(...)``.
        A duplicate id fails loudly, naming both plugins.

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
# Discover and load
# ---------------------------------------------------------------------------
@hookspec(firstresult=True)
def scolint_export_stamp(path: Path, format_id: str, head: bytes) -> dict | None:
    """Say which establishment an export is of, when it was made and how rich it is, so
    that several exports of one kind for one establishment are not merged: only one is
    read (the most recent; at equal dates the richest shape), and the audit says so.

    :returns: None when the format is not one export a kind (an AAF feed comes in several
        parts, all read), else ``{"uai": str | None, "date": ISO date (day) or None,
        "time": "HH:MM:SS" or None, "year": school year or None, "rank": int}`` (``rank``: a richer shape of the same
        export, e.g. « avec adresses », ranks higher; two shapes of one day are one export and
        the richer is read; without dates the latest school year is read). A None ``date``
        is said in the finding ("aucune date").

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def scolint_detect_format(path: Path, head: bytes) -> str | None:
    """Say whether this plugin owns the file ``path``, by its content.

    :param path: the file (already extracted when it came from a .zip).
    :param head: its first 8 KiB, raw bytes (the encoding is not known yet).
    :returns: a format id this plugin registered (``"siecle-eleves"``...), or None to
        let other plugins decide. The first non-None answer wins.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def scolint_load(path: Path, format_id: str, graph: Graph, options: dict[str, Any]) -> bool | None:
    """Read ``path`` (detected as ``format_id``) into ``graph``.

    The plugin validates the file against its schema, records the export with
    ``graph.add_export``, adds entities with their provenance and records any problem
    with ``graph.problem`` (never raising for bad input).

    :param options: loader options from the configuration (e.g. a CSV profile).
    :returns: True when this plugin handled the format, None otherwise.

    .. versionadded:: 0.1
    """


# ---------------------------------------------------------------------------
# Link
# ---------------------------------------------------------------------------
@hookspec
def scolint_link(graph: Graph) -> None:
    """Join entities seen in several sources (after every file is loaded).

    A plugin sets relation fields (``student.edt``, ``teacher.sts``...), extends the
    provenance of joined entities and records ambiguous joins with ``graph.problem``.

    .. versionadded:: 0.1
    """


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
