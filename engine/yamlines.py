"""Read YAML keeping the line of every key, so errors can say ``file:line``."""

from __future__ import annotations

from typing import Any

import yaml

Path_ = tuple[Any, ...]

#: Most values one YAML document may expand to: aliases (``*a``) are copied by
#: :func:`load_with_lines`, so a chain of aliases ("billion laughs") must stop here.
MAX_NODES = 200_000


class _Loader(yaml.SafeLoader):
    """SafeLoader; duplicate keys are reported by :func:`load_with_lines`."""


#: libyaml's parser when PyYAML was built with it (about 10x faster than the pure-Python
#: one): rule files are read at each run. A document it refuses is read again by the
#: pure-Python parser so that error messages do not depend on how PyYAML was built.
_FastLoader: Any = getattr(yaml, "CSafeLoader", None) or _Loader


def _compose(text: str) -> Any:
    if _FastLoader is not _Loader:
        try:
            return yaml.compose(text, Loader=_FastLoader)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=_Loader)


def load_with_lines(text: str) -> tuple[Any, dict[Path_, int], list[tuple[str, int]]]:
    """Parse ``text``; return (data, {path: 1-based line}, [(duplicate key, line)]).

    ``path`` is a tuple of keys/indices from the root; the line is that of the key
    (for mappings) or of the item (for sequences).

    :raises yaml.YAMLError: on a syntax error (with ``problem_mark``).
    """
    try:
        node = _compose(text)
    except RecursionError:
        raise yaml.constructor.ConstructorError(None, None, "YAML imbriqué trop profondément", None) from None
    lines: dict[Path_, int] = {}
    dups: list[tuple[str, int]] = []
    if node is None:
        return None, lines, dups
    lines[()] = node.start_mark.line + 1

    budget = [MAX_NODES]
    constructor = _Loader("")  # one for every scalar of the document (building one is costly)

    def build(n: yaml.Node, path: Path_) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise yaml.constructor.ConstructorError(
                None, None, f"document YAML trop gros une fois les alias (*) développés "
                f"(plus de {MAX_NODES} valeurs)", n.start_mark)
        if isinstance(n, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for k_node, v_node in n.value:
                key = _Loader(text).construct_object(k_node, deep=True) if not isinstance(k_node, yaml.ScalarNode) else _scalar(k_node, constructor)  # noqa: E501
                if key in out:
                    dups.append((str(key), k_node.start_mark.line + 1))
                lines[path + (key,)] = k_node.start_mark.line + 1
                out[key] = build(v_node, path + (key,))
            return out
        if isinstance(n, yaml.SequenceNode):
            items = []
            for i, item in enumerate(n.value):
                lines[path + (i,)] = item.start_mark.line + 1
                items.append(build(item, path + (i,)))
            return items
        return _scalar(n, constructor)

    try:
        return build(node, ()), lines, dups
    except RecursionError:  # an alias inside itself, or nesting deeper than Python's stack
        raise yaml.constructor.ConstructorError(None, None, "YAML imbriqué trop profondément "
                                                "(ou alias qui se contient lui-même)", None) from None
    finally:
        constructor.dispose()


_STR = "tag:yaml.org,2002:str"


def _scalar(n: yaml.Node, loader: _Loader) -> Any:
    if n.tag == _STR and type(n) is yaml.ScalarNode:
        return n.value  # what the safe constructor gives a text (most values of a rule)
    try:
        return loader.construct_object(n, deep=True)
    except ValueError:  # e.g. an impossible date 2025-02-30: report it with its line
        raise yaml.constructor.ConstructorError(None, None, f"valeur invalide « {n.value} » (date ou nombre impossible)",
                                                n.start_mark) from None


def line_for(lines: dict[Path_, int], path: Path_) -> int | None:
    """Return the line of ``path`` or of its nearest ancestor that has one."""
    p = tuple(path)
    while p:
        if p in lines:
            return lines[p]
        p = p[:-1]
    return lines.get(())
