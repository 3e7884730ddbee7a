"""scolint's generic rule engine: knows no export format.

Public API for plugin authors: ``hookimpl`` (the marker), the model
(``Graph``, ``Entity``, ``Provenance``, ``Export``) and the errors.
"""

from __future__ import annotations

import pluggy

hookimpl = pluggy.HookimplMarker("scolint")

from .errors import InputError, RuleFileError, ScolintError, UsageError  # noqa: E402
from .model import Entity, Export, Graph, Provenance  # noqa: E402

__all__ = [
    "hookimpl",
    "Entity",
    "Export",
    "Graph",
    "Provenance",
    "ScolintError",
    "UsageError",
    "RuleFileError",
    "InputError",
]
