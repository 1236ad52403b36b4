"""The package's layout: the shared core imports nothing above it, and no module imports itself
back through others (checked on the source, every import statement counted, including the ones
inside functions)."""

import ast
from pathlib import Path

import networkx as nx

import recurrent_zoo

PACKAGE = Path(recurrent_zoo.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def import_graph() -> nx.DiGraph:
    """Module -> the recurrent_zoo modules it imports (``from .x import y`` counts ``.x``, or
    ``.x.y`` when ``y`` is a module)."""
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(files)
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.ImportFrom):
                module = (
                    _resolve(name, is_package, node.level, node.module)
                    if node.level
                    else node.module or ""
                )
                for alias in node.names:
                    sub = f"{module}.{alias.name}"
                    targets.append(sub if sub in files else module)
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            for t in targets:
                if t in files and t != name:
                    graph.add_edge(name, t)
    return graph


def test_the_core_imports_nothing_above_it():
    graph = import_graph()
    core = {n for n in graph if n.startswith("recurrent_zoo._core")}
    above = {(a, b) for a in core for b in graph.successors(a) if b not in core}
    assert not above, f"_core modules import modules built on the core: {sorted(above)}"


def test_no_import_circles():
    cycles = list(nx.simple_cycles(import_graph()))
    assert not cycles, "import circles: " + "; ".join(" -> ".join(c + [c[0]]) for c in cycles)


def test_the_graph_sees_imports():
    """The checks above bite: the graph holds edges we know exist, lazy ones included."""
    graph = import_graph()
    assert graph.has_edge("recurrent_zoo.elman", "recurrent_zoo._core.layered")
    assert graph.has_edge("recurrent_zoo.hopfield", "recurrent_zoo.tasks.patterns")  # lazy
    assert graph.has_edge("recurrent_zoo._core.base", "recurrent_zoo._core.io")
