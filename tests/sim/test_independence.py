"""The simulated cluster stands on its own: no module of ``simcluster`` imports ``gateway``,
neither in its source nor when it runs with ``gateway`` made unimportable; and its modules
import one another without a circle (imports for type checking only count too)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import simcluster

PACKAGE = Path(simcluster.__file__).parent


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_package_has_the_modules_the_checks_walk() -> None:
    # Guards the two checks below against passing on an empty or misplaced package.
    names = {_module_name(path) for path in _modules()}
    assert {"simcluster.cluster", "simcluster.marathon.instance", "simcluster.chronos.api"} <= names


def _import_graph() -> dict[str, set[str]]:
    """Module -> the simcluster modules it imports (``from pkg import mod`` names the module)."""
    known = {_module_name(path) for path in _modules()}
    graph: dict[str, set[str]] = {}
    for path in _modules():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    targets.add(sub if sub in known else node.module)
        graph[_module_name(path)] = targets & known
    return graph


def _a_circle(graph: dict[str, set[str]]) -> list[str]:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> list[str]:
        if module in visiting:
            return [*visiting[visiting.index(module):], module]
        if module in done:
            return []
        visiting.append(module)
        for target in sorted(graph[module]):
            if circle := visit(target):
                return circle
        visiting.pop()
        done.add(module)
        return []

    for module in sorted(graph):
        if circle := visit(module):
            return circle
    return []


def test_the_circle_finder_sees_a_circle() -> None:
    assert _a_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _a_circle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_the_modules_of_the_simulated_cluster_import_one_another_without_a_circle() -> None:
    assert _a_circle(_import_graph()) == []


def test_no_module_of_the_simulated_cluster_imports_the_gateway() -> None:
    offenders = {
        _module_name(path): sorted(found)
        for path in _modules()
        if (found := {n for n in _imported(path) if n == "gateway" or n.startswith("gateway.")})
    }
    assert offenders == {}


# Runs in a fresh interpreter: any attempt to import gateway raises, then every module is
# imported and a one-agent cluster starts and answers on its Mesos master.
_WITHOUT_GATEWAY = """
import asyncio, importlib, json, sys, urllib.request

class NoGateway:
    def find_spec(self, name, path=None, target=None):
        if name == "gateway" or name.startswith("gateway."):
            raise ImportError(f"simcluster imported {name}")
        return None

sys.meta_path.insert(0, NoGateway())
names = json.loads(sys.argv[1])
for name in names:
    if name != "simcluster.__main__":
        importlib.import_module(name)

from simcluster import SimCluster, SimConfig

async def main():
    async with SimCluster(SimConfig(agents=1, chronos_instances=0)) as sim:
        url = sim.mesos_url + "/master/state"
        body = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=10).read())
        return len(json.loads(body)["slaves"])

print(json.dumps({"agents": asyncio.run(main()),
                  "gateway_loaded": sorted(m for m in sys.modules if m.split(".")[0] == "gateway")}))
"""


def test_the_simulated_cluster_imports_and_starts_with_the_gateway_unimportable() -> None:
    names = [_module_name(path) for path in _modules()]
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_GATEWAY, json.dumps(names)],
        capture_output=True, text=True, timeout=60, cwd=PACKAGE.parent,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == {"agents": 1, "gateway_loaded": []}
