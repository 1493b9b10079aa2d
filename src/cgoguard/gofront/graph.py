"""The module-wide package graph: every package under the scanned paths, its import path, and
the packages of the module(s) it imports.

Imports are resolved through the go.mod files of the tree (:mod:`cgoguard.gofront.modules`):
a package's import path is its module's path plus its directory below the module root, and an
import names a package of the tree when a module (or a local ``replace``) provides its prefix.
A module package imported from the scanned paths but lying outside them is read too, for its
facts only (nothing is reported in it), as ``go vet`` analyses dependencies; like every file a
tree names (:mod:`cgoguard.safeio`), only if it lies inside the importing package's tree (a
local ``replace`` that leads out of the repository is not followed).

Import cycles are invalid Go, but a tree under edit may have one: :meth:`PackageGraph.order`
finds strongly connected components and schedules the members of a cycle as if the edges
between them did not exist (they then see no facts of each other).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cgoguard.gofront.discover import SKIPPED_DIRS, Discovery, DiscoveryOptions, PackageSources, read_package
from cgoguard.gofront.imports import read_header
from cgoguard.gofront.modules import ModuleMap
from cgoguard.safeio import ReadScope

# Dependencies outside the scanned paths read at most this deep (import hops): enough for any
# real module, and a bound on the work a scan of one directory can trigger.
_MAX_DEPENDENCY_DEPTH = 32


@dataclass
class PackageNode:
    sources: PackageSources
    imports: frozenset[str]  # every import path the package's files name (any build)
    deps: list[int] = field(default_factory=list)  # module packages imported (node indexes)
    facts_only: bool = False  # outside the scanned paths: analysed for the facts it exports

    @property
    def import_path(self) -> str:
        return self.sources.import_path


@dataclass
class PackageGraph:
    nodes: list[PackageNode]
    modules: ModuleMap

    def order(self) -> list[int]:
        """Node indexes, every package after the module packages it imports."""
        edges = [set(n.deps) for n in self.nodes]
        return [i for component in strongly_connected(len(self.nodes), edges) for i in component]

    def scheduling_deps(self) -> list[set[int]]:
        """Per node, the nodes that must be analysed before it: its imports, minus those in an
        import cycle with it."""
        edges = [set(n.deps) for n in self.nodes]
        component_of: dict[int, int] = {}
        for number, component in enumerate(strongly_connected(len(self.nodes), edges)):
            for member in component:
                component_of[member] = number
        return [{d for d in deps if component_of[d] != component_of[i]} for i, deps in enumerate(edges)]

    def closure(self, index: int) -> list[int]:
        """Every module package ``index`` imports, directly or not."""
        seen: set[int] = set()
        stack = list(self.nodes[index].deps)
        while stack:
            dep = stack.pop()
            if dep in seen or dep == index:
                continue
            seen.add(dep)
            stack.extend(self.nodes[dep].deps)
        return sorted(seen)


def build_graph(discovery: Discovery, options: DiscoveryOptions | None) -> PackageGraph:
    """The graph of ``discovery``'s packages, plus (read with ``options``, unless None) the
    module packages they import from outside the scanned paths (appended, marked ``facts_only``)."""
    modules = ModuleMap(ReadScope([root for sources in discovery.packages for root in sources.scope.roots or ()]))
    nodes: list[PackageNode] = []
    by_dir: dict[Path, int] = {}
    for sources in discovery.packages:
        by_dir[sources.dir.resolve()] = len(nodes)
        nodes.append(_node(sources, modules))
    frontier = list(range(len(nodes)))
    for _ in range(_MAX_DEPENDENCY_DEPTH if options is not None else 0):
        added: list[int] = []
        for index in frontier:
            for import_path in sorted(nodes[index].imports):
                directory = modules.directory(import_path)
                if directory is None:
                    continue
                key = directory.resolve()
                importer = nodes[index].sources
                if key not in by_dir and _may_read(directory, modules, importer.scope):
                    dependency = read_package(directory, options, discovery, importer.roots)
                    if not dependency.go_files and not dependency.extra_builds:
                        by_dir[key] = -1
                        continue
                    dependency.only = set()
                    by_dir[key] = len(nodes)
                    nodes.append(_node(dependency, modules, facts_only=True))
                    added.append(len(nodes) - 1)
                target = by_dir.get(key, -1)
                if target >= 0 and target != index and target not in nodes[index].deps:
                    nodes[index].deps.append(target)
        if not added:
            break
        frontier = added
    return PackageGraph(nodes, modules)


def _node(sources: PackageSources, modules: ModuleMap, facts_only: bool = False) -> PackageNode:
    sources.import_path = modules.import_path(sources.dir)
    imports: set[str] = set()
    for source in sources.all_files():
        if source.path.suffix == ".go":
            imports.update(read_header(source.data).imports)
    return PackageNode(sources, frozenset(imports), facts_only=facts_only)


def _may_read(directory: Path, modules: ModuleMap, scope: ReadScope) -> bool:
    """A directory the go command would take a package from, inside the importer's tree: in a
    module of the tree, not below vendor/, testdata/ or a hidden or ``_`` directory."""
    if not scope.contains(directory):
        return False
    module = modules.module_of(directory)
    if module is None or not directory.is_dir():
        return False
    try:
        parts = directory.resolve().relative_to(module.dir).parts
    except ValueError:
        return False
    return not any(p.startswith((".", "_")) or p in SKIPPED_DIRS for p in parts)


def strongly_connected(count: int, edges: list[set[int]]) -> list[list[int]]:
    """Tarjan's algorithm, without recursion; a component comes after every component it has
    an edge to (callees, or imported packages, first)."""
    index_of = [-1] * count
    low = [0] * count
    on_stack = [False] * count
    stack: list[int] = []
    components: list[list[int]] = []
    counter = 0
    for root in range(count):
        if index_of[root] >= 0:
            continue
        index_of[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        work = [(root, iter(sorted(edges[root])))]
        while work:
            node, successors = work[-1]
            descended = False
            for succ in successors:
                if index_of[succ] < 0:
                    index_of[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack[succ] = True
                    work.append((succ, iter(sorted(edges[succ]))))
                    descended = True
                    break
                if on_stack[succ]:
                    low[node] = min(low[node], index_of[succ])
            if descended:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index_of[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components
