"""Build the plugin manager and call hooks through typed wrappers.

Every plugin is an entry point of the group ``scolint``: the built-ins (declared in
scolint's own pyproject.toml, modules under ``scolint.plugins``) exactly like third-party
packs. Plugins can be blocked with ``--desactiver-plugin NAME`` or
``SCOLINT_DISABLE_PLUGINS=a,b``; ``SCOLINT_DISABLE_PLUGIN_AUTOLOAD=1`` keeps the built-ins
alone (the generated docs use it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

import pluggy

from . import hookspecs
from .discover import root_name
from .errors import ScolintError, internal_error
from .model import Graph
from .registry import Registries


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

    # -- the pipeline, driven by the declared families ---------------------------------
    def detect_format(self, path: Path, head: bytes) -> str | None:
        """The format of a file, by its content: the XML root element a single format
        declares, else the families' ``detect`` (those marked ``detect_last`` at the end)."""
        families = self.registries.families.values()
        root = root_name(head)
        if root is not None:
            owners = [(fam, fmt) for fam in families for fmt in fam.formats if fmt.root == root]
            if len(owners) == 1 and owners[0][0].detect is None:
                return owners[0][1].id
        for fam in sorted((f for f in families if f.detect is not None), key=lambda f: f.detect_last):
            found = fam.detect(path, head)
            if found is not None:
                return str(found)
        return None

    def export_stamp(self, path: Path, format_id: str, head: bytes) -> dict[str, Any] | None:
        """The family's ``stamp`` of one file (None: the format is not stamped)."""
        fam = self.registries.families.of_format(format_id)
        if fam is None or fam.stamp is None:
            return None
        return fam.stamp(path, format_id, head)

    def xsd_of(self, path: Path, head: bytes) -> str | None:
        """The XSD of the format of a file (:meth:`detect_format`), or None."""
        fmt = self.detect_format(path=path, head=head)
        info = self.registries.formats.get(fmt) if fmt is not None else None
        return info.xsd if info is not None else None

    def load(self, path: Path, format_id: str, graph: Graph, options: dict[str, Any]) -> bool:
        """Read one file with the loader of the family that declares ``format_id``."""
        fam = self.registries.families.of_format(format_id)
        if fam is None or fam.load is None:
            return False
        fam.load(path, format_id, graph, options)
        return True

    def link(self, graph: Graph) -> None:
        """Run the families' link steps in their declared order."""
        for fam in self.registries.families.ordered():
            if fam.link is not None:
                fam.link(graph)
        graph.links_done()

    def rule_paths(self) -> list[Path]:
        paths: list[Path] = []
        for result in reversed(self.pm.hook.scolint_rule_paths()):
            paths.extend(Path(p) for p in (result or ()))
        return paths


#: Entry-point group of every plugin: scolint's own (modules under ``scolint.plugins``)
#: and third-party packs.
ENTRY_POINT_GROUP = "scolint"
#: Module prefix of the built-in plugins.
BUILTIN_PREFIX = "scolint.plugins."


def _blocked_from_env() -> set[str]:
    raw = os.environ.get("SCOLINT_DISABLE_PLUGINS", "")
    return {name.strip() for name in raw.split(",") if name.strip()}


def get_plugin_host(
    disabled: Iterable[str] = (),
    extra_plugins: Iterable[Any] = (),
    load_entrypoints: bool = True,
) -> PluginHost:
    """Build a fresh plugin host: specs, every plugin of the entry-point group ``scolint``
    (built-ins first, in their declared order, then third-party packs), ``extra_plugins``,
    then ``check_pending``.

    :param disabled: plugin names to block (entry-point names).
    :param extra_plugins: plugin objects to register too (tests, embedding programs).
    :param load_entrypoints: load third-party plugins too; False (or the environment
        variable ``SCOLINT_DISABLE_PLUGIN_AUTOLOAD``) keeps scolint's own plugins only.
    """
    from importlib.metadata import entry_points

    pm = pluggy.PluginManager("scolint")
    pm.add_hookspecs(hookspecs)
    for name in set(disabled) | _blocked_from_env():
        pm.set_blocked(name)
    third_party = load_entrypoints and os.environ.get("SCOLINT_DISABLE_PLUGIN_AUTOLOAD") is None
    eps = list(entry_points(group=ENTRY_POINT_GROUP))
    builtins = [ep for ep in eps if ep.value.startswith(BUILTIN_PREFIX)]
    if not builtins:
        raise ScolintError("les plugins de scolint sont introuvables : scolint n'est pas installé "
                           "(pip install .) ou son installation est incomplète")
    others = [ep for ep in eps if not ep.value.startswith(BUILTIN_PREFIX)] if third_party else []
    try:
        for ep in builtins + others:
            if pm.is_blocked(ep.name) or pm.has_plugin(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken third-party plugin is named; its error's text is shown to nobody
                internal_error(exc)
                raise ScolintError(f"impossible de charger le plugin « {ep.name} » ({ep.value}) : son import a "
                                   "échoué (relancez avec SCOLINT_DEBUG=1 pour le détail, ou désinstallez ce "
                                   "plugin)") from None
            pm.register(plugin, ep.name)
        for plugin in extra_plugins:
            pm.register(plugin)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:  # pluggy's English sentence is for whoever debugs
        internal_error(exc)
        name = pm.get_name(exc.plugin) or getattr(exc.plugin, "__name__", None) or "?"
        raise ScolintError(f"plugin « {name} » invalide : il implémente un point d'extension que scolint ne connaît "
                           "pas, ou avec d'autres paramètres (relancez avec SCOLINT_DEBUG=1 pour le détail)") from None
    return PluginHost(pm)
