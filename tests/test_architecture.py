"""The house rules of the package layout, checked on the import graph of `asyncdam/`.

The graph is read with `ast` (no import is executed) and counts every import statement: at module
level, inside functions (lazy imports) and under `if TYPE_CHECKING:`, since each of them is a
dependency a reader has to follow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "asyncdam"
ADAPTERS = ("phrase", "phraseanet", "openasset")
Graph = Mapping[str, frozenset[str]]


def _modules(package: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package) for every module under `package`."""
    found: dict[str, tuple[Path, bool]] = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = (path, is_package)
    return found


def _imported(module: str, is_package: bool, tree: ast.AST) -> Iterator[str]:
    """Every dotted name `tree` imports (relative made absolute; `from a import b` gives a.b)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            for alias in node.names:
                yield f"{origin}.{alias.name}"


def import_graph(package: Path = PACKAGE) -> dict[str, frozenset[str]]:
    """Module -> the package modules it imports (the longest prefix of each name that is one)."""
    modules = _modules(package)

    def owner(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, frozenset[str]] = {}
    for module, (path, is_package) in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = {owner(name) for name in _imported(module, is_package, tree)}
        graph[module] = frozenset(t for t in targets if t is not None and t != module)
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _room(module: str) -> str:
    """The top-level room of a module: `asyncdam.engine.redis.lua` -> `engine`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _violations(graph: Graph, source_room: str, allowed: set[str]) -> list[str]:
    return sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if _room(module) == source_room
        for target in targets
        if _room(target) not in allowed
    )


@pytest.fixture(scope="module")
def graph() -> dict[str, frozenset[str]]:
    return import_graph()


def test_the_graph_sees_the_package(graph: Graph) -> None:
    assert "asyncdam.engine.session" in graph
    assert "asyncdam.engine.errors" in graph["asyncdam.engine.session"]
    assert "asyncdam.engine.redis.lua" in graph["asyncdam.engine.redis.limiter"]


def test_no_import_circle(graph: Graph) -> None:
    assert cycles(graph) == []


def test_engine_imports_no_adapter_cli_or_emulator(graph: Graph) -> None:
    forbidden = {*ADAPTERS, "cli", "emulator"}
    rooms = {_room(m) for m in graph} - forbidden
    assert _violations(graph, "engine", rooms) == []


def test_emulator_imports_no_client_code(graph: Graph) -> None:
    assert _violations(graph, "emulator", {"emulator", "_spec"}) == []


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_adapters_do_not_import_each_other(graph: Graph, adapter: str) -> None:
    others = set(ADAPTERS) - {adapter}
    rooms = {_room(m) for m in graph} - others - {"cli", "emulator"}
    assert _violations(graph, adapter, rooms) == []


def test_nothing_below_the_cli_imports_it(graph: Graph) -> None:
    importers = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if _room(module) != "cli"
        for target in targets
        if _room(target) == "cli"
    )
    assert importers == []


def test_checker_finds_a_circle_and_a_lazy_import(tmp_path: Path) -> None:
    """The checker itself: a circle closed only by an import inside a function is caught."""
    package = tmp_path / "asyncdam"
    (package / "phrase").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "phrase" / "__init__.py").write_text("")
    (package / "phrase" / "client.py").write_text("from .pull import pull\n")
    (package / "phrase" / "pull.py").write_text(
        "def pull():\n    from asyncdam.phrase import client\n"
    )
    (package / "phrase" / "other.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import asyncdam.phrase.pull\n"
    )
    found = import_graph(package)
    assert found["asyncdam.phrase.other"] == {"asyncdam.phrase.pull"}
    assert cycles(found) == [["asyncdam.phrase.client", "asyncdam.phrase.pull"]]
