"""The seams between packages, read from the source: import cycles and which package may use which.

Imports inside functions count too: a cycle hidden in a function body is still a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "flows", "safety")


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


def _imported(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {other for other in _imported(ast.parse(path.read_text(encoding="utf-8")))
                   if other in modules and other != name}
            for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_the_cycle_finder_finds_a_cycle_through_three_modules() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_back_through_others() -> None:
    assert cycles(import_graph()) == []


@pytest.mark.parametrize("package, forbidden", [("safety", "bot"), ("safety", "flows")])
def test_safety_stands_alone(package: str, forbidden: str) -> None:
    """Safety screening and routing are pure: they can be run, tested and evaluated without the bot."""
    leaks = sorted(f"{name} imports {other}" for name, others in import_graph().items() if name.startswith(package)
                   for other in others if other.split(".")[0] == forbidden)
    assert leaks == []


def test_no_package_imports_itself_back_through_another() -> None:
    """bot/ builds on flows/ and safety/; neither of those may reach back into bot/."""
    packages: dict[str, set[str]] = {package: set() for package in PACKAGES}
    for name, others in import_graph().items():
        packages[name.split(".")[0]] |= {other.split(".")[0] for other in others} - {name.split(".")[0]}
    assert cycles(packages) == []


SQL_NAMES = frozenset({"select", "insert", "update", "delete", "text", "func", "and_", "or_", "not_", "literal",
                       "bindparam", "table", "column", "case", "exists", "union", "true", "false", "null"})
"""SQLAlchemy's statement builders. Outside storage a module may hold a Connection or an Engine, name exception
classes and open a database, but it may not say what to read or write."""


def sql_leaks(source: str) -> list[str]:
    """What in `source` builds SQL or touches the table definitions directly."""
    leaks: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "sqlalchemy":
                leaks += [f"sqlalchemy.{a.name}" for a in node.names if a.name in SQL_NAMES]
            if node.module == "bot.storage.schema" or (node.module == "bot.storage"
                                                         and any(a.name == "schema" for a in node.names)):
                leaks.append("bot.storage.schema")
        elif isinstance(node, ast.Attribute) and node.attr in SQL_NAMES and isinstance(node.value, ast.Name) \
                and node.value.id in ("sqlalchemy", "sa"):
            leaks.append(f"sqlalchemy.{node.attr}")
    return leaks


def test_the_sql_finder_finds_statement_builders_and_the_schema() -> None:
    assert sql_leaks("from sqlalchemy import Connection, select\nfrom bot.storage import schema as t") == [
        "sqlalchemy.select", "bot.storage.schema"]
    assert sql_leaks("import sqlalchemy as sa\nsa.update(x)") == ["sqlalchemy.update"]
    assert sql_leaks("from sqlalchemy import Connection\nfrom sqlalchemy.exc import OperationalError") == []


def test_no_sql_outside_storage() -> None:
    """Every statement lives in bot/storage, so a change of schema or database touches one package."""
    leaks = sorted(f"{name}: {leak}" for name, path in _modules().items() if not name.startswith("bot.storage")
                   for leak in sql_leaks(path.read_text(encoding="utf-8")))
    assert leaks == []
