"""Reading an AAF feed (``ficAlimMENESR``): its requests and their multi-valued attributes.

Shared by the AAF loader (:mod:`scolint.plugins.aaf`) and the record builders
(:mod:`scolint.plugins.aaf.entities`).
"""

from __future__ import annotations

from sys import intern
from typing import Any

from scolint.engine import xmlsafe


def _values(container: Any, child: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if container is None:
        return out
    for attr in container.iterfind(child):
        name = attr.get("name")
        if name:
            out.setdefault(name, []).extend((v.text or "").strip() for v in attr.iterfind("value"))
    return out


def records(root: Any, valid: bool = False) -> list[tuple[str, str, str, dict[str, list[str]], int]]:
    """``(operation, category, id, attributes, line)`` of every request of the file.

    ``valid``: the tree conforms to ``aaf.xsd`` (:func:`_valid_records` then reads it in
    one pass, with the same result).
    """
    if valid:
        return _valid_records(root)
    out = []
    for req in root:
        if not isinstance(req.tag, str) or not req.tag.endswith("Request"):
            continue
        op = req.tag[: -len("Request")]
        cat = (_values(req.find("operationalAttributes"), "attr").get("categoriePersonne")
               or _values(req.find("operationalAttributes"), "attr").get("categorieStructure") or [""])[0]
        ident = xmlsafe.text(req, "identifier/id") or ""
        attrs = _values(req.find("attributes"), "attr")
        attrs.update(_values(req.find("modifications"), "modification"))
        out.append((op, cat, ident, attrs, req.sourceline))
    return out


#: The elements :func:`_valid_records` reads (lxml skips the others, and comments, in C).
_RECORD_TAGS = ("addRequest", "modifyRequest", "deleteRequest", "attr", "modification", "value", "id")


def _valid_records(root: Any) -> list[tuple[str, str, str, dict[str, list[str]], int]]:
    """:func:`records` of a tree that conforms to ``aaf.xsd``, in one walk of its elements.

    The schema fixes the structure the general path searches for: requests are the root's
    only elements; each has at most one ``operationalAttributes`` of ``attr``, then exactly
    one ``identifier/id``, then ``attributes`` of ``attr`` or ``modifications`` of
    ``modification`` (not both); every ``value`` belongs to the ``attr``/``modification``
    just seen. So, in document order, an ``attr`` before the request's ``id`` is an
    operational one, anything after it an attribute or a modification.
    """
    found: list[tuple[str, dict[str, list[str]], list[str], dict[str, list[str]], int]] = []
    section: dict[str, list[str]] = {}
    values: list[str] = []
    for el in root.iter(_RECORD_TAGS):
        tag = el.tag
        if tag == "value":
            values.append(intern((el.text or "").strip()))  # repeated values stored once
        elif tag == "attr" or tag == "modification":
            values = section.setdefault(el.get("name"), [])
        elif tag == "id":
            request = found[-1]
            request[2].append((el.text or "").strip())
            section = request[3]
        else:  # a request: its operational attributes come first
            section = {}
            found.append((tag[: -len("Request")], section, [], {}, el.sourceline))
    out = []
    for op, operational, ident, attrs, line in found:
        cat = (operational.get("categoriePersonne") or operational.get("categorieStructure") or [""])[0]
        out.append((op, cat, ident[0], attrs, line))
    return out


def first(attrs: dict[str, list[str]], name: str) -> str | None:
    """The first non-empty value of ``name`` (None when it has none)."""
    for value in attrs.get(name, ()):
        if value:
            return value
    return None


def multi(attrs: dict[str, list[str]], name: str) -> list[str]:
    return [v for v in attrs.get(name, []) if v]


def after_struct(values: list[str]) -> list[tuple[str, list[str]]]:
    """``struct$A$B`` -> ``(struct, [A, B])`` for each multi-part value."""
    out = []
    for value in values:
        parts = value.split("$")
        if len(parts) >= 2 and parts[1]:
            out.append((parts[0], parts[1:]))
    return out
