"""The walls between the rooms of ``evaluator/``, read from every module's imports with ``ast`` (nothing is imported).

Rooms are the packages directly under ``evaluator/`` (``collectors``, ``scoring``, ...); each top-level module
(``inventory``, ``findings``, ...) is part of the shared core. Every import counts, including those made
inside a function and those under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "evaluator"

# Rooms that work on files only: they never reach a cluster, a cloud or the network.
PURE_ROOMS = ("scoring", "reporting", "procurement", "catalog", "dataplane")
PURE_FORBIDDEN = (
    "evaluator.collectors",
    "evaluator.simulator",
    "evaluator.storage",
    "boto3",
    "botocore",
    "google.cloud",
    "google.auth",
    "google.api_core",
    "kubernetes",
    "requests",
    "urllib3",
)
COLLECTOR_FORBIDDEN = ("evaluator.scoring", "evaluator.reporting", "evaluator.procurement", "evaluator.audit")
CATALOG_FORBIDDEN = ("evaluator.scoring", "evaluator.reporting", "evaluator.procurement", "evaluator.audit")
CLICK_ALLOWED = ("evaluator.cli", "evaluator.commands")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(root.rglob("*.py"))}


def _imports(path: Path, known: set[str]) -> set[str]:
    """Absolute names of everything ``path`` imports; ``from X import y`` names ``X.y`` when that is a module."""
    name = _module_name(path)
    base = name if _is_package(path) else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                target = f"{anchor}.{node.module}" if node.module else anchor
            else:
                target = node.module or ""
            found.add(target)
            for alias in node.names:
                if f"{target}.{alias.name}" in known:
                    found.add(f"{target}.{alias.name}")
    return found


def _graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    modules = _modules(root)
    known = set(modules)
    return {name: _imports(path, known) for name, path in modules.items()}


def _room(module: str) -> str:
    """``evaluator.scoring.engine`` -> ``scoring``; a core module (``evaluator.inventory``) is its own room."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "evaluator"


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def wall_breaches(graph: dict[str, set[str]]) -> list[str]:
    """Every import that crosses a wall, as ``module imports name (rule)``."""
    out: list[str] = []
    for module, imported in sorted(graph.items()):
        room = _room(module)
        for name in sorted(imported):
            if room in PURE_ROOMS and any(_under(name, p) for p in PURE_FORBIDDEN):
                out.append(f"{module} imports {name} ({room}/ works on files only)")
            if room == "catalog" and any(_under(name, p) for p in CATALOG_FORBIDDEN):
                out.append(f"{module} imports {name} (the catalog is data: it imports nothing from later stages)")
            if room == "collectors" and any(_under(name, p) for p in COLLECTOR_FORBIDDEN):
                out.append(f"{module} imports {name} (collectors/ never import later stages)")
            if _under(name, "click") and not any(_under(module, p) for p in CLICK_ALLOWED):
                out.append(f"{module} imports {name} (only cli.py and commands/ use click)")
    return out


def _has_children(graph: dict[str, set[str]], module: str) -> bool:
    return any(m.startswith(module + ".") for m in graph)


def room_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Room -> rooms it imports. Core modules are one room each, so a core module importing a room shows."""
    rooms: dict[str, set[str]] = defaultdict(set)
    for module, imported in graph.items():
        if module == "evaluator":
            continue
        src = _room(module)
        for name in imported:
            if not _under(name, "evaluator") or name == "evaluator":
                continue
            dst = _room(name)
            if dst != src:
                rooms[src].add(dst)
    return rooms


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _module_edges(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Module -> modules it imports, leaving out a package importing its own submodules (its re-exports)."""
    known = set(graph)
    return {
        m: {n for n in imported if n in known and not (_has_children(graph, m) and n.startswith(m + "."))}
        for m, imported in graph.items()
    }


GRAPH = _graph()


def test_every_module_is_read() -> None:
    assert "evaluator.scoring.engine" in GRAPH
    assert "evaluator.collectors.kube" in GRAPH
    assert len(GRAPH) > 50


def test_no_import_crosses_a_wall() -> None:
    assert wall_breaches(GRAPH) == []


def test_no_two_rooms_import_each_other() -> None:
    rooms = room_graph(GRAPH)
    nodes = set(rooms) | {r for targets in rooms.values() for r in targets}
    assert cycles({n: rooms.get(n, set()) for n in nodes}) == []


def test_no_two_modules_import_each_other() -> None:
    assert cycles(_module_edges(GRAPH)) == []


def test_stages_have_rooms_not_top_level_modules() -> None:
    top = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert top == [
        "__init__",
        "cli",
        "errors",
        "fileio",
        "findings",
        "inventory",
        "merge",
        "resources",
        "typed",
        "units",
    ]


# ---------------------------------------------------------------------------------------------- the checker itself


def _tree(tmp_path: Path, files: dict[str, str]) -> dict[str, set[str]]:
    root = tmp_path / "evaluator"
    for rel, text in {"__init__.py": "", **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    global PACKAGE
    saved, PACKAGE = PACKAGE, root
    try:
        return _graph(root)
    finally:
        PACKAGE = saved


@pytest.mark.parametrize(
    ("files", "breach"),
    [
        (
            {
                "scoring/__init__.py": "",
                "scoring/x.py": "from ..collectors import kube\n",
                "collectors/__init__.py": "",
            },
            "evaluator.scoring.x imports evaluator.collectors",
        ),
        ({"reporting/__init__.py": "", "reporting/x.py": "def f():\n    import boto3\n"}, "imports boto3"),
        ({"catalog/__init__.py": "", "catalog/x.py": "from google.cloud import storage\n"}, "imports google.cloud"),
        ({"procurement/__init__.py": "", "procurement/x.py": "import requests\n"}, "imports requests"),
        (
            {"collectors/__init__.py": "", "collectors/x.py": "from ..scoring.engine import evaluate\n"},
            "evaluator.collectors.x imports evaluator.scoring.engine",
        ),
        ({"inventory.py": "import click\n"}, "evaluator.inventory imports click"),
        (
            {"catalog/__init__.py": "", "catalog/x.py": "def f():\n    from ..scoring.metrics import METRICS\n"},
            "evaluator.catalog.x imports evaluator.scoring.metrics",
        ),
    ],
)
def test_checker_reports_a_breach(tmp_path: Path, files: dict[str, str], breach: str) -> None:
    breaches = wall_breaches(_tree(tmp_path, files))
    assert any(breach in b for b in breaches), breaches


def test_checker_finds_room_and_module_circles(tmp_path: Path) -> None:
    graph = _tree(
        tmp_path,
        {
            "scoring/__init__.py": "",
            "scoring/a.py": "from .b import x\n",
            "scoring/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import y\n",
            "catalog/__init__.py": "",
            "catalog/loader.py": "def f():\n    from ..scoring.a import z\n",
            "scoring/c.py": "from ..catalog.loader import f\n",
        },
    )
    assert cycles(_module_edges(graph)) == [["evaluator.scoring.a", "evaluator.scoring.b"]]
    rooms = room_graph(graph)
    assert cycles({n: rooms.get(n, set()) for n in {"scoring", "catalog"}}) == [["catalog", "scoring"]]
