"""Build the plugin manager and call hooks through typed wrappers.

Built-in plugins are plain modules listed in ``BUILTIN_PLUGINS`` and registered the
same way as third-party plugins (entry-point group ``scolint``). Plugins can be
blocked with ``--desactiver-plugin NAME`` or ``SCOLINT_DISABLE_PLUGINS=a,b``.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any, Iterable

import pluggy

from . import hookspecs
from .errors import ScolintError
from .model import Graph
from .registry import Registries

#: Built-in plugins, short name -> module (imported only when the manager is built).
BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("core", "scolint.plugins.commands.check"),
    ("checks", "scolint.plugins.language.checks"),
    ("filters", "scolint.plugins.language.filters"),
    ("siecle", "scolint.plugins.siecle"),
    ("sts", "scolint.plugins.sts"),
    ("edt", "scolint.plugins.edt"),
    ("ent", "scolint.plugins.ent"),
    ("pronote", "scolint.plugins.pronote"),
    ("aaf", "scolint.plugins.aaf"),
    ("reporters", "scolint.plugins.reporters.common"),
    ("report_html", "scolint.plugins.reporters.html"),
    ("report_junit", "scolint.plugins.reporters.junit"),
    ("report_sarif", "scolint.plugins.reporters.sarif"),
    ("rulepack", "scolint.plugins.rulepack"),
    ("generator", "scolint.plugins.gen.commands"),
    ("publipostage", "scolint.plugins.commands.publipostage"),
    ("ruleskit", "scolint.plugins.commands.rules"),
    ("academy", "scolint.plugins.commands.academy"),
)


class PluginHost:
    """A plugin manager with its registries and typed hook wrappers."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self.registries = Registries()
        # Call the hook plugin by plugin (first registered first), so a duplicate id
        # names both owners.
        for impl in pm.hook.scolint_register.get_hookimpls():
            self.registries.set_plugin(pm.get_name(impl.plugin) or "?")
            impl.function(registries=self.registries)

    # -- typed wrappers -------------------------------------------------------------
    def detect_format(self, path: Path, head: bytes) -> str | None:
        return self.pm.hook.scolint_detect_format(path=path, head=head)

    def export_stamp(self, path: Path, format_id: str, head: bytes) -> dict[str, Any] | None:
        return self.pm.hook.scolint_export_stamp(path=path, format_id=format_id, head=head)

    def load(self, path: Path, format_id: str, graph: Graph, options: dict[str, Any]) -> bool:
        return bool(self.pm.hook.scolint_load(path=path, format_id=format_id, graph=graph,
                                              options=options))

    def link(self, graph: Graph) -> None:
        self.pm.hook.scolint_link(graph=graph)

    def rule_paths(self) -> list[Path]:
        paths: list[Path] = []
        for result in reversed(self.pm.hook.scolint_rule_paths()):
            paths.extend(Path(p) for p in (result or ()))
        return paths


#: Entry-point group of third-party plugins.
ENTRY_POINT_GROUP = "scolint"


def may_declare_entry_points(group: str) -> bool:
    """False only when no installed distribution can declare an entry point of ``group``.

    ``importlib.metadata`` (imported by pluggy's entry-point loading) costs about 10 ms
    at every start-up, for a scan that almost always finds no third-party plugin. This
    looks at the same places first: the ``*.dist-info`` / ``*.egg-info`` folders (and an
    egg's ``EGG-INFO``) of every folder of ``sys.path``, and their ``entry_points.txt``.
    Anything it cannot read as simply (a zip file on ``sys.path``, an import finder that
    lists distributions itself) answers True, and the normal scan decides.
    """
    import sys
    from importlib.machinery import PathFinder

    for finder in sys.meta_path:
        if finder is not PathFinder and hasattr(finder, "find_distributions"):
            return True
    header = f"[{group}]"
    for entry in sys.path:
        folder = entry or "."
        if not os.path.isdir(folder):
            if os.path.exists(folder):
                return True  # a zip archive (or another file) on sys.path
            continue
        try:
            names = os.listdir(folder)
        except OSError:
            return True
        metas = [n for n in names if n.lower().endswith((".dist-info", ".egg-info"))]
        if os.path.basename(os.path.normpath(folder)).lower().endswith(".egg"):
            metas += [n for n in names if n.lower() == "egg-info"]
        for name in metas:
            try:
                with open(os.path.join(folder, name, "entry_points.txt"), encoding="utf-8",
                          errors="replace") as fh:
                    text = fh.read()
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError:
                return True
            if header in text and _declares(text, group):
                return True
    return False


def _declares(text: str, group: str) -> bool:
    """True when the ``entry_points.txt`` text has an entry in section ``[group]``."""
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == group:
            return True
    return False


def _blocked_from_env() -> set[str]:
    raw = os.environ.get("SCOLINT_DISABLE_PLUGINS", "")
    return {name.strip() for name in raw.split(",") if name.strip()}


def get_plugin_host(
    disabled: Iterable[str] = (),
    extra_plugins: Iterable[Any] = (),
    load_entrypoints: bool = True,
) -> PluginHost:
    """Build a fresh plugin host: specs, built-ins, entry points, then ``check_pending``.

    :param disabled: plugin names to block (built-in short names or entry-point names).
    :param extra_plugins: plugin objects to register too (tests).
    :param load_entrypoints: load third-party plugins of the group ``scolint``.
    """
    pm = pluggy.PluginManager("scolint")
    pm.add_hookspecs(hookspecs)
    for name in set(disabled) | _blocked_from_env():
        pm.set_blocked(name)
    for name, modname in BUILTIN_PLUGINS:
        if pm.is_blocked(name):
            continue
        try:
            module = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name == modname:
                continue  # built-in not written yet in this checkout
            raise
        pm.register(module, name)
    if (load_entrypoints and os.environ.get("SCOLINT_DISABLE_PLUGIN_AUTOLOAD") is None
            and may_declare_entry_points(ENTRY_POINT_GROUP)):
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except Exception as exc:  # a broken third-party plugin must be named
            raise ScolintError(f"impossible de charger un plugin tiers du groupe « scolint » : {exc}") from exc
    for plugin in extra_plugins:
        pm.register(plugin)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise ScolintError(f"plugin « {exc.plugin} » invalide : {exc}") from exc
    return PluginHost(pm)
