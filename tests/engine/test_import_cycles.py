"""The engine's imports form no cycle: between its modules, and between its subpackages.

Every ``import`` / ``from ... import`` statement counts, wherever it stands (inside a function or
under ``TYPE_CHECKING`` too). A package's ``__init__`` re-exports its own modules, so the
edges from a package to its own modules are left out of the check.
"""

from __future__ import annotations

import ast
from pathlib import Path

import detseg.engine

ENGINE = Path(detseg.engine.__file__).parent
PREFIX = "detseg.engine"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ENGINE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _engine_imports() -> dict[str, set[str]]:
    """``{module: engine modules it imports}`` for every module of ``detseg/engine``."""
    paths = {_module_name(path): path for path in ENGINE.rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:  # ``from package import module`` names a module
                    submodule = f"{node.module}.{alias.name}"
                    targets.add(submodule if submodule in paths else node.module)
        own = name + "." if paths[name].name == "__init__.py" else None
        graph[name] = {
            t for t in targets if t in paths and t != name and not (own and t.startswith(own))
        }
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (as a path that ends where it starts), or ``None``."""
    done, path = set(), []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return None
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if (found := visit(target)) is not None:
                return found
        path.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        if (found := visit(node)) is not None:
            return found
    return None


def _subpackage(module: str) -> str:
    """``detseg.engine.training.trainer`` -> ``training``; ``detseg.engine`` -> ``""``."""
    rest = module[len(PREFIX) + 1 :]
    return rest.split(".")[0]


def test_no_module_of_the_engine_imports_one_that_imports_it_back():
    graph = _engine_imports()
    assert "detseg.engine.training.trainer" in graph and len(graph) > 20
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_subpackages_depend_on_each_other_without_a_cycle():
    packages: dict[str, set[str]] = {}
    for module, targets in _engine_imports().items():
        source = _subpackage(module)
        if source:  # the engine's __init__ re-exports from all of them
            deps = {_subpackage(t) for t in targets} - {source}
            packages.setdefault(source, set()).update(deps)
    assert set(packages) >= {"training", "checkpointing", "records", "solver", "runtime"}
    assert _cycle(packages) is None, " -> ".join(_cycle(packages))
    assert packages["runtime"] == set()  # the bottom layer
