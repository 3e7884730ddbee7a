"""What the ExportEmploiDuTemps readers share: the namespace, the reader of one file
(:class:`_Reader`: its graph, its entities by id, the school year's dates) and the empty
fields of each kind. Used by :mod:`~scolint.plugins.edt.export` and
:mod:`~scolint.plugins.edt.people`.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from scolint.engine.model import Entity, Graph, Provenance
from scolint.plugins.common.xmlload import attr, iso_date

NS = "http://www.index-education.com/exportemploidutemps"
SOURCE = "edt"
SYSTEM = "EDT"


def q(tag: str) -> str:
    """Qualified name of ``tag`` in the export's namespace."""
    return f"{{{NS}}}{tag}"


class _Reader:
    def __init__(self, root: Any, graph: Graph, display: str) -> None:
        self.root, self.graph, self.display = root, graph, display
        year = root.find(q("AnneeScolaire"))
        self.first_monday = _date(attr(year, "DatePremierJourSemaine1"))
        self.year_end = _date(attr(year, "DateFin"))
        self.year_start = _date(attr(year, "DateDebut"))
        self.byid: dict[tuple[str, str], Entity] = {}
        self.has_students = root.find(q("Eleves")) is not None

    def prov(self, el: Any) -> Provenance:
        return Provenance(self.display, el.sourceline, SYSTEM)

    def add(self, kind: str, ident: str, el: Any, shown: str, **fields: Any) -> Entity:
        """Add an entity of this file (a ``label`` field is stored apart from the shown label)."""
        label_field = fields.pop("label", None)
        ent = self.graph.add(kind, ident, source=SOURCE, prov=self.prov(el), label=shown, **fields)
        if kind == "edt_subject":
            ent.data["label"] = label_field
        self.byid[(kind, ident)] = ent
        return ent

    def ref(self, kind: str, ident: str | None, el: Any) -> Entity | None:
        """The entity ``kind``/``ident`` of this file (created bare when the file lacks it)."""
        if not ident:
            return None
        ent = self.byid.get((kind, ident))
        if ent is None:
            fields = _EMPTY[kind]()
            if "students" in fields and self.has_students:
                fields["students"] = []
            ent = self.add(kind, ident, el, ident, **fields)
        return ent


@lru_cache(maxsize=4096)
def _date(value: str | None) -> dt.date | None:
    iso = iso_date(value)
    return dt.date.fromisoformat(iso) if iso else None


_EMPTY = {
    "edt_subject": lambda: {"code": None, "label": None, "subject": None},
    "edt_teacher": lambda: {"last_name": None, "first_name": None, "birth_date": None, "postal_code": None,
                            "sts_id": None, "idpn": None, "idcas": None, "courses": [], "services": [],
                            "teacher": None, "link": None},
    "edt_room": lambda: {"name": None, "declared": False, "courses": []},
    "edt_class": lambda: {"name": None, "parts": [], "students": None, "groups": [], "courses": [], "services": [],
                          "division": None},
    "edt_class_part": lambda: {"edt_class": None, "students": None, "groups": []},
    "edt_group": lambda: {"name": None, "classes": [], "whole_classes": [], "class_names": [], "parts": [], "students": None,
                          "courses": [], "services": [], "group": None, "nested": False},
}
