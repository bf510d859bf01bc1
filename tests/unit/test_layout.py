"""The package layout is the architecture: the import graph keeps the layers apart.

- ``streams.stages`` (pure stage logic) imports neither Faust, aiokafka nor mode, not even through another
  module of ours, and none of the runtime, tools or development tools;
- ``streams.runtime`` (the Faust worker) does not import the operator or development tools;
- ``streams.tools`` (operator tools) does not import the development tools.

Every import counts, including those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "streams"
KAFKA_RUNTIME = ("faust", "aiokafka", "mode")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import (the project's imports are absolute)"
            found.add(node.module or "")
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


GRAPH = {_module_name(path): _imports(path) for path in PACKAGE.rglob("*.py")}


def _ours(name: str) -> str | None:
    """The module of ours that an imported name refers to (a module, or a name inside one)."""
    while name:
        if name in GRAPH:
            return name
        name = name.rpartition(".")[0]
    return None


def _closure(start: str) -> dict[str, str]:
    """Every name reachable from ``start``, with the module of ours that imports it."""
    seen: dict[str, str] = {}
    todo = [start]
    visited = set()
    while todo:
        module = todo.pop()
        if module in visited:
            continue
        visited.add(module)
        for name in GRAPH[module]:
            seen.setdefault(name, module)
            ours = _ours(name)
            if ours and ours not in visited:
                todo.append(ours)
    return seen


def _in(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if _in(m, ("streams.stages",))))
def test_stages_never_reach_faust_or_the_runtime(module: str) -> None:
    banned = (*KAFKA_RUNTIME, "streams.runtime", "streams.tools", "streams.devtools", "streams.cli")
    bad = {name: via for name, via in _closure(module).items() if _in(name, banned)}
    assert not bad, f"{module} reaches {bad} (name: the module of ours that imports it)"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if _in(m, ("streams.runtime",))))
def test_runtime_does_not_import_the_tools(module: str) -> None:
    bad = {name for name in GRAPH[module] if _in(name, ("streams.tools", "streams.devtools", "streams.cli"))}
    assert not bad, f"{module} imports {bad}"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if _in(m, ("streams.tools",))))
def test_tools_do_not_import_the_development_tools(module: str) -> None:
    bad = {name for name in GRAPH[module] if _in(name, ("streams.devtools", "streams.cli"))}
    assert not bad, f"{module} imports {bad}"


def test_the_graph_check_sees_a_violation() -> None:
    """The check itself can fail: a stage module that imported Faust would be found."""
    GRAPH["streams.stages._probe"] = {"faust"}
    try:
        assert "faust" in _closure("streams.stages._probe")
    finally:
        del GRAPH["streams.stages._probe"]


def test_no_module_outgrows_one_idea() -> None:
    sizes = {_module_name(p): len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {m: n for m, n in sizes.items() if n > 400} == {}
