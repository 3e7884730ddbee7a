"""The import contract of the house, read from the code's own imports (every ``import``,
also the ones inside functions):

- engine/ never imports plugins/ (the engine knows no export format);
- an export family's package (plugins/siecle, sts, edt, ent, pronote, aaf) imports no
  other family: what families share goes through the engine (``Graph.shared``) or
  plugins/common;
- no import circle between the modules of engine/ and plugins/.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOPS = ("engine", "plugins")
FAMILIES = ("siecle", "sts", "edt", "ent", "pronote", "aaf")


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for top in TOPS:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out["scolint." + ".".join(parts)] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules that ``name`` imports (a name imported from a package counts as its
    submodule when there is one)."""
    tree = ast.parse(path.read_text("utf-8"))
    is_pkg = path.name == "__init__.py"
    package = name if is_pkg else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    return {name: _imports(name, path, known) for name, path in mods.items()}


def _family(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "plugins" and parts[2] in FAMILIES else None


def test_the_engine_never_imports_plugins() -> None:
    bad = sorted(f"{m} -> {t}" for m, targets in _graph().items() if m.startswith("scolint.engine")
                 for t in targets if t.startswith("scolint.plugins"))
    assert bad == []


def test_families_do_not_import_each_other() -> None:
    bad = sorted(f"{m} -> {t}" for m, targets in _graph().items() for t in targets
                 if _family(m) and _family(t) and _family(m) != _family(t))
    assert bad == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circle() -> None:
    assert _cycles(_graph()) == []


def test_the_contract_sees_a_circle_and_a_forbidden_import() -> None:
    """The checks above can fail: a made-up graph with a circle and an engine->plugins arrow."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _cycles(graph) == [["a", "b", "c"]]
    real = _graph()
    assert "scolint.plugins.common.csvread" in real["scolint.plugins.ent"]  # imports are read
