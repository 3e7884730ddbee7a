"""A small streaming XML writer for the generator (indentation like the real exports).

``pretty_text=True`` writes every text value on its own indented line, as the
STS-Web fixtures do (``<CODE>\\n    024\\n</CODE>``); readers must strip values.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterable
from xml.sax.saxutils import escape, quoteattr

Attrs = Iterable[tuple[str, object]]
_TEXT_SPECIAL = frozenset("&<>")
_ATTR_SPECIAL = frozenset("&<>\"'\n\r\t")


def _text(value: str) -> str:
    """``escape`` only when the value needs it (most values do not: names, codes, dates)."""
    return escape(value) if not _TEXT_SPECIAL.isdisjoint(value) else value


def _quoted(value: str) -> str:
    """``quoteattr`` only when the value needs more than plain double quotes."""
    return quoteattr(value) if not _ATTR_SPECIAL.isdisjoint(value) else f'"{value}"'


class XmlWriter:
    """Builds an XML document line by line."""

    def __init__(self, indent: str = "  ", pretty_text: bool = False) -> None:
        self.lines: list[str] = []
        self.indent = indent
        self.pretty_text = pretty_text
        self.depth = 0
        self.stack: list[str] = []

    def _pad(self) -> str:
        return self.indent * self.depth

    @staticmethod
    def _attrs(attrs: Attrs) -> str:
        return "".join(f" {k}={_quoted(str(v))}" for k, v in attrs)

    def open(self, tag: str, attrs: Attrs = ()) -> "XmlWriter":
        self.lines.append(f"{self._pad()}<{tag}{self._attrs(attrs)}>")
        self.stack.append(tag)
        self.depth += 1
        return self

    def close(self) -> "XmlWriter":
        tag = self.stack.pop()
        self.depth -= 1
        self.lines.append(f"{self._pad()}</{tag}>")
        return self

    def empty(self, tag: str, attrs: Attrs = (), space: bool = False) -> "XmlWriter":
        self.lines.append(f"{self._pad()}<{tag}{self._attrs(attrs)}{' ' if space else ''}/>")
        return self

    def leaf(self, tag: str, value: object, attrs: Attrs = ()) -> "XmlWriter":
        """``<TAG>value</TAG>`` (empty value: ``<TAG></TAG>``, or ``<TAG/>`` when pretty)."""
        text = "" if value is None else _text(str(value))
        if self.pretty_text:
            if text == "":
                return self.empty(tag, attrs)
            inner = self.indent * (self.depth + 1)
            self.lines.append(f"{self._pad()}<{tag}{self._attrs(attrs)}>\n{inner}{text}\n{self._pad()}</{tag}>")
        else:
            self.lines.append(f"{self._pad()}<{tag}{self._attrs(attrs)}>{text}</{tag}>")
        return self

    def leaves(self, pairs: Iterable[tuple[str, object]]) -> "XmlWriter":
        for tag, value in pairs:
            self.leaf(tag, value)
        return self

    def document(self, encoding: str = "ISO-8859-15") -> bytes:
        assert not self.stack, f"balises non fermées : {self.stack}"
        text = f'<?xml version="1.0" encoding="{encoding}"?>\n' + "\n".join(self.lines) + "\n"
        return text.encode(encoding.lower(), errors="xmlcharrefreplace")

    def save(self, path: Path, encoding: str = "ISO-8859-15") -> Path:
        path.write_bytes(self.document(encoding))
        return path


def fr_date(value: dt.date | None) -> str:
    """dd/mm/yyyy (BEE dates), empty for None."""
    return value.strftime("%d/%m/%Y") if value else ""


def iso_date(value: dt.date | None) -> str:
    """yyyy-mm-dd (STS dates), empty for None."""
    return value.isoformat() if value else ""
