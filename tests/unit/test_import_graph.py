"""The gateway's packages import each other without a circle (``simcluster`` has its own check).

Read from the source (imports inside functions count too), one node per top-level package or
module of ``gateway``: ``gateway.translation``, ``gateway.config``, ...
"""

import ast
from pathlib import Path

from tests.support.paths import REPO

GATEWAY = REPO / "gateway"
Graph = dict[str, set[str]]


def _node(module: str) -> str:
    return ".".join(module.split(".")[:2])


def package_graph(root: Path = GATEWAY) -> Graph:
    graph: Graph = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        here = _node(".".join(parts))
        graph.setdefault(here, set())
        for statement in ast.walk(ast.parse(path.read_text())):
            if isinstance(statement, ast.ImportFrom) and statement.level == 0 and statement.module:
                names = [statement.module] + [f"{statement.module}.{a.name}"
                                              for a in statement.names]
            elif isinstance(statement, ast.Import):
                names = [alias.name for alias in statement.names]
            else:
                continue
            for name in names:
                if name.startswith("gateway."):
                    graph[here].add(_node(name))
        graph[here].discard(here)
    return graph


def circles(graph: Graph) -> list[list[str]]:
    """Every set of nodes that reach each other (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = [stack.pop()]
            while component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_two_gateway_packages_import_each_other_even_indirectly():
    graph = package_graph()
    assert {"gateway.translation", "gateway.models", "gateway.config"} <= set(graph)
    assert "gateway.models" in graph["gateway.translation"]
    assert circles(graph) == []


def test_the_check_finds_a_circle_through_three_packages():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]
