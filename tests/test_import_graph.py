"""No import cycles in the project's code: src/mplat, infra/, chalice_app/.

Every import statement counts, those inside functions too (a function-level import is how a cycle hides
until the day the function is called first from the other side). `from pkg import name` is an edge to
`pkg.name` when that is one of our modules, else to `pkg`; importing a submodule also runs its package's
`__init__`, an edge left out here as it is in import-linter (otherwise every package would be a cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = (REPO / "src" / "mplat", REPO / "infra", REPO / "chalice_app")


def _module_name(path: Path) -> str:
    base = REPO / "src" if path.is_relative_to(REPO / "src") else REPO
    if path.is_relative_to(REPO / "chalice_app"):
        base = REPO / "chalice_app"
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in package.rglob("*.py"):
            if "__pycache__" not in path.parts and ".chalice" not in path.parts:
                found[_module_name(path)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    is_package = path.name == "__init__.py"
    here = name if is_package else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.add(sub if sub in known else base)
    edges = set()
    for target in targets:
        while target and target not in known:  # `import a.b.c` of a non-module: its nearest module
            target = target.rpartition(".")[0]
        if target and target != name:
            edges.add(target)
    return edges


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_graph_is_read() -> None:
    found = modules()
    graph = {name: imports_of(name, path, set(found)) for name, path in found.items()}
    assert "infra.services.compute" in graph["infra.services.monitoring"]
    assert "chalicelib.errors" in graph["chalicelib.secrets"]
    assert "mplat.files" in graph["mplat.gallery.runtime"]  # a relative-import module reached by name


def test_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from pkg import other\n")
    assert imports_of("pkg.m", module, {"pkg.m", "pkg.other"}) == {"pkg.other"}


def test_no_import_cycles() -> None:
    found = modules()
    graph = {name: imports_of(name, path, set(found)) for name, path in found.items()}
    cycle = find_cycle(graph)
    assert cycle is None, (
        "import cycle: " + " -> ".join(cycle or []) + " (move the shared part into a leaf module)"
    )
