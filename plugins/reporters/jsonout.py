"""``json.dumps(value, ensure_ascii=False, indent=2)``, several times faster.

With an indent, the standard library encodes in pure Python, one generator per nested
list or dict and every piece of text passed up through each enclosing generator: the
JSON report of a large audit (tens of thousands of findings, each with nested
dictionaries) spent seconds there, and its millions of temporary objects woke the
garbage collector, which then traversed the whole loaded graph again and again.

:func:`dumps` writes the same text (checked against the standard library on every
report the tests produce, and on random values) by appending pieces to one list. It
knows the plain JSON types only (``dict`` with ``str`` keys, ``list``, ``tuple``,
``str``, ``int``, ``float``, ``bool``, ``None``, exactly these types); for any other value
(or a reference cycle) it hands the whole value to :func:`json.dumps`, which encodes it
or raises its usual error.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

_FLOAT_SPECIAL = {float("inf"): "Infinity", float("-inf"): "-Infinity"}
_CONSTANTS = {True: "true", False: "false"}
#: Deepest nesting encoded here (deeper: the standard library, and its errors).
MAX_DEPTH = 200


class _Other(Exception):
    """A value this module does not encode: the standard library will."""


def dumps(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)``."""
    out: list[str] = []
    try:
        _encode(value, out, "\n", 0)
    except (_Other, RecursionError):
        return json.dumps(value, ensure_ascii=False, indent=2)
    return "".join(out)


def _encode(value: Any, out: list[str], newline: str, depth: int) -> None:
    """Append the text of ``value``; ``newline`` is a line break plus the current indent."""
    kind = type(value)
    if kind is dict:
        if not value:
            out.append("{}")
            return
        if depth >= MAX_DEPTH:
            raise _Other
        inner = newline + "  "
        sep = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _Other
            if type(item) is str:  # most values: one piece, no call
                out.append(f"{sep}{encode_basestring(key)}: {encode_basestring(item)}")
            elif item is None:
                out.append(f"{sep}{encode_basestring(key)}: null")
            else:
                out.append(f"{sep}{encode_basestring(key)}: ")
                _encode(item, out, inner, depth + 1)
            sep = "," + inner
        out.append(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        if depth >= MAX_DEPTH:
            raise _Other
        inner = newline + "  "
        sep = "[" + inner
        for item in value:
            if type(item) is str:
                out.append(sep + encode_basestring(item))
            else:
                out.append(sep)
                _encode(item, out, inner, depth + 1)
            sep = "," + inner
        out.append(newline + "]")
    elif kind is str:
        out.append(encode_basestring(value))
    elif value is None:
        out.append("null")
    elif kind is bool:
        out.append(_CONSTANTS[value])
    elif kind is int:
        out.append(int.__repr__(value))
    elif kind is float:
        out.append(_float(value))
    else:
        raise _Other


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    return _FLOAT_SPECIAL.get(value) or float.__repr__(value)
