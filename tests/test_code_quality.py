"""The code base stays ruff clean, free of import circles, and layered."""

import ast
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest
from gotools import REPO_ROOT

PACKAGE_ROOT = REPO_ROOT / "src" / "cgoguard"


@pytest.mark.skipif(find_spec("ruff") is None, reason="ruff is not installed (it is in the test extra)")
def test_ruff_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "tests", "bench", "packaging"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Every cgoguard module -> the cgoguard modules it imports, wherever the import is."""
    paths = {_module_name(p): p for p in PACKAGE_ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: resolved against this module's package
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                # `from a.b import c` imports module a.b.c when there is one, else names of a.b
                imported.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in paths else base
                                for alias in node.names)
        graph[name] = {m for m in imported if m in paths and m != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles() -> None:
    """No two cgoguard modules import each other, directly or through others.

    Every import statement counts, wherever it is: at the top of the module, inside a
    function, or under ``if TYPE_CHECKING:``. An import moved into a function only postpones
    the circle to the first call and hides it from the reader, and a type-only import still
    means neither module can be understood (or changed) without the other; a circle is a
    layering problem whatever Python's loader makes of it. (The circles this test was written
    against, ``gofront.package`` <-> ``gofront.symbols`` and ``runner.merge`` <->
    ``runner.session``, were exactly a type-only import one way and a function-level import the
    other.)

    An import names one module: ``from a.b import c`` depends on ``a.b.c`` when that is a
    module, else on ``a.b``; the parent package ``a`` that Python initialises on the way is not
    a dependency, so a package's ``__init__`` may re-export its submodules.
    """
    cycles = _cycles(_import_graph())
    assert not cycles, "import circles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def _imports_under(graph: dict[str, set[str]], package: str) -> set[tuple[str, str]]:
    return {(module, imported) for module, imports in graph.items()
            if module == package or module.startswith(package + ".") for imported in imports}


@pytest.mark.parametrize(("layer", "forbidden"), [
    ("cgoguard.analysis", ("cgoguard.rules", "cgoguard.scan")),  # analyses never import rules
    ("cgoguard.contracts", ("cgoguard.rules",)),
    ("cgoguard.gofront", ("cgoguard.analysis", "cgoguard.rules", "cgoguard.contracts")),  # front ends
    ("cgoguard.cfront", ("cgoguard.analysis", "cgoguard.rules", "cgoguard.contracts", "cgoguard.gofront")),
])
def test_layers(layer: str, forbidden: tuple[str, ...]) -> None:
    """Lower layers do not know the ones built on them (wherever the import statement is)."""
    wrong = sorted((module, imported) for module, imported in _imports_under(_import_graph(), layer)
                   if any(imported == f or imported.startswith(f + ".") for f in forbidden))
    assert not wrong, "\n".join(f"{module} imports {imported}" for module, imported in wrong)
