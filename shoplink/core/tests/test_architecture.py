"""The product package's shape: no import cycles, no private names across modules, no
silent ``except ImportError`` fallbacks (issue 11; the layers are import-linter's job,
see ``[tool.importlinter]`` in pyproject.toml)."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]  # the shoplink package
# Django's documented API that happens to start with an underscore (Model._meta).
DJANGO_PUBLIC = frozenset({"_meta"})


def _product_modules() -> list[Path]:
    return [p for p in ROOT.rglob("*.py") if "migrations" not in p.parts and "tests" not in p.parts]


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iteratively: the groups of modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph[nxt])))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(group)
    return groups


def test_the_strongly_connected_finder_finds_a_cycle():
    """The cycle check below can fail: a known cycle is found, a chain is not."""
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        {"a", "b", "c"}
    ]
    assert _strongly_connected({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_the_product_package():
    """Including imports inside functions, which is where cycles used to hide."""
    graph = grimp.build_graph("shoplink")
    modules = {m for m in graph.modules if ".tests" not in m and ".migrations" not in m}
    edges = {m: set(graph.find_modules_directly_imported_by(m)) & modules for m in modules}
    assert _strongly_connected(edges) == []


def _private_imports(path: Path) -> list[str]:
    """``from shoplink.x import _name`` and ``module._name`` on an imported shoplink module."""
    tree = ast.parse(path.read_text())
    found = []
    aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("shoplink"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.name}: from {node.module} import {alias.name}")
                aliases.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("shoplink"):
                    aliases.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and node.attr not in DJANGO_PUBLIC
        ):
            found.append(f"{path.name}: {node.value.id}.{node.attr}")
    return found


def test_the_private_name_check_can_fail(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from shoplink.integrations.shopify.api import mapping\n"
        "from shoplink.webhooks.inbox import _active\n"
        "mapping._rest_refund({})\n"
    )
    assert len(_private_imports(sample)) == 2


def test_no_module_imports_a_private_name_of_another():
    found = [hit for path in _product_modules() for hit in _private_imports(path)]
    assert found == []


def test_no_import_error_fallbacks():
    """A broken import must fail loudly, never switch a rule off."""
    offenders = []
    for path in _product_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ExceptHandler) and "ImportError" in ast.dump(
                node.type or ast.Name("")
            ):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
