"""The call graph of a package, its strongly connected components, and the bottom-up fixpoint
over them that computes function summaries (after Infer's compositional analysis).

Calls are resolved as precisely as the syntax allows:

* ``f(x)``: the package's function ``f`` (unless a local variable shadows it);
* ``x.M()``: the method ``M`` of ``x``'s type when local type inference knows it; when it does
  not (an interface value, the result of an unresolved call), every method named ``M`` of the
  package, so that the order stays callees-first whichever one runs (the lifetime analysis
  itself only applies a summary to a call it resolves);
* ``pkg.F(x)`` and ``x.M()`` on a type of another package of the module: the summary that
  package exported (:mod:`cgoguard.analysis.facts`), a fixed point already.

Components are found with Tarjan's algorithm (:func:`cgoguard.gofront.graph.strongly_connected`,
without recursion: no limit on deep call chains) and solved callees first; inside a component (recursion) the summaries are iterated
until they stop changing, at most ``rounds`` times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from tree_sitter import Node

from cgoguard.analysis.facts import ImportedFacts
from cgoguard.analysis.summaries import FunctionSummary
from cgoguard.gofront.graph import strongly_connected
from cgoguard.gofront.resolve import LocalTypes
from cgoguard.gofront.syntax import nodes_of_type, text, unparen
from cgoguard.gofront.types import GoType

if TYPE_CHECKING:
    from cgoguard.gofront.gofile import GoFile
    from cgoguard.gofront.package import Package
    from cgoguard.gofront.symbols import FuncInfo


@dataclass(frozen=True)
class ImportedCallee:
    """A function or method of another package of the module, known by its exported summary."""

    key: str  # the qualified name (facts.function_key)
    summary: FunctionSummary
    is_method: bool

    @property
    def qualified_name(self) -> str:
        """The name messages use: the key without the import path's directories."""
        return self.key.rsplit("/", 1)[-1]


@dataclass
class CallGraph:
    functions: list[FuncInfo]
    position: dict[int, int]  # function node id -> index in ``functions``
    callees: list[set[int]] = field(default_factory=list)  # per function: local callees (indexes)
    # Per function, the calls resolved to one callee: of this package (an index) or imported.
    resolved: list[list[tuple[Node, int | ImportedCallee]]] = field(default_factory=list)

    def components(self) -> list[list[int]]:
        """Strongly connected components, callees before callers."""
        return strongly_connected(len(self.functions), self.callees)

    def needed_by(self, files: set[str]) -> set[int]:
        """The functions of ``files`` and every function they call, directly or not."""
        needed = {i for i, info in enumerate(self.functions) if info.file.display_path in files}
        stack = list(needed)
        while stack:
            for callee in self.callees[stack.pop()] - needed:
                needed.add(callee)
                stack.append(callee)
        return needed


def call_graph(package: Package) -> CallGraph:
    """The package's call graph (built once per package and shared by its analyses)."""
    if not package.files:
        return _build(package)
    return package.syntax_index.memo("call graph", package.files[0].root, lambda: _build(package))


def _build(package: Package) -> CallGraph:
    functions = sorted(package.symbols.all_functions(), key=lambda i: (i.file.display_path, i.node.start_byte))
    graph = CallGraph(functions, {info.node.id: index for index, info in enumerate(functions)})
    method_names: dict[str, list[int]] = {}
    for index, info in enumerate(functions):
        if info.receiver_type:
            method_names.setdefault(info.name, []).append(index)
    for info in functions:
        callees: set[int] = set()
        resolved: list[tuple[Node, int | ImportedCallee]] = []
        types: LocalTypes | None = None
        for call in nodes_of_type(info.node, "call_expression"):
            func = unparen(call.child_by_field_name("function"))
            if func is None:
                continue
            if func.type == "identifier":
                callee = package.symbols.funcs.get(text(func))
                if callee is not None:
                    types = types or LocalTypes(package, info.file, info.node)
                    if not types.is_local(text(func)):
                        callees.add(graph.position[callee.node.id])
                        resolved.append((call, graph.position[callee.node.id]))
                continue
            if func.type != "selector_expression":
                continue
            method = text(func.child_by_field_name("field"))
            candidates = method_names.get(method, [])
            if not candidates and not package.facts:
                continue
            types = types or LocalTypes(package, info.file, info.node)
            outside = resolve_imported(package, info.file, func, types)
            if outside is not None:
                resolved.append((call, outside))
                continue
            targets, exact = _method_targets(package, graph, func, types, candidates) if candidates else ([], True)
            callees.update(targets)
            if exact and targets:
                resolved.append((call, targets[0]))
        graph.callees.append(callees)
        graph.resolved.append(resolved)
    return graph


def _method_targets(package: Package, graph: CallGraph, func: Node, types: LocalTypes,
                    candidates: list[int]) -> tuple[list[int], bool]:
    """The methods ``x.M(...)`` may call, and whether that is the one method of x's type."""
    operand = unparen(func.child_by_field_name("operand"))
    if operand is not None and operand.type == "identifier" and text(operand) in types.file.imports \
            and not types.is_local(text(operand)):
        return [], True  # pkg.F: a function of another package
    receiver = types.type_of(operand)
    while receiver.kind == "pointer" and receiver.elem is not None:
        receiver = receiver.elem
    if receiver.kind == "named" and "." not in receiver.name:
        method = package.symbols.method(receiver.name, text(func.child_by_field_name("field")))
        return ([graph.position[method.node.id]] if method is not None else []), True
    if receiver.kind in ("named", "c", "basic"):
        return [], True  # a type of another package, a C type: none of this package's methods
    # Receiver type unknown (an interface, an unresolved call's result): any method of that
    # name may run, so order after all of them (but apply none of their summaries).
    return candidates, False


def resolve_imported(package: Package, file: GoFile, func: Node, types: LocalTypes) -> ImportedCallee | None:
    """The callee of ``pkg.F(...)`` or ``x.M(...)`` when it is a function or method of another
    package of the module whose facts ``package`` was given."""
    facts: ImportedFacts | None = package.facts
    if not facts or func.type != "selector_expression":
        return None
    operand = unparen(func.child_by_field_name("operand"))
    name = text(func.child_by_field_name("field"))
    if operand is None:
        return None
    if operand.type == "identifier" and text(operand) in file.imports and not types.is_local(text(operand)):
        found = facts.function(file.imports[text(operand)], name)
        return ImportedCallee(found[0], found[1], is_method=False) if found is not None else None
    type_path = imported_type_path(file, types.type_of(operand))
    if not type_path:
        return None
    found = facts.method(type_path, name)
    return ImportedCallee(found[0], found[1], is_method=True) if found is not None else None


def imported_type_path(file: GoFile, go_type: GoType) -> str:
    """``importpath.T`` for a (pointer to a) named type of another package, else ""."""
    while go_type.kind == "pointer" and go_type.elem is not None:
        go_type = go_type.elem
    if go_type.kind != "named" or "." not in go_type.name:
        return ""
    qualifier, _, type_name = go_type.name.rpartition(".")
    if qualifier in file.imports:
        return f"{file.imports[qualifier]}.{type_name}"
    return go_type.name if "/" in qualifier else ""  # already qualified by an import path (facts)


def solve_bottom_up(graph: CallGraph, summarize: Callable[[FuncInfo], FunctionSummary],
                    summaries: dict[int, FunctionSummary], rounds: int, only: set[int] | None = None) -> None:
    """Fill ``summaries`` (by function node id) component by component, callees first.

    ``summarize`` reads the summaries of callees from ``summaries``. A component with a cycle
    is re-analysed until no summary changes, at most ``rounds`` times; a component that has not
    settled by then gets unknown summaries (its callers treat it as code they cannot see). With
    ``only`` (closed under callees, see CallGraph.needed_by), the other functions are skipped.
    """
    for component in graph.components():
        if only is not None and not only.intersection(component):
            continue
        members = [graph.functions[i] for i in component]
        recursive = len(component) > 1 or component[0] in graph.callees[component[0]]
        for _ in range(rounds if recursive else 1):
            changed = False
            for info in members:
                summary = summarize(info)
                if summary != summaries.get(info.node.id):
                    summaries[info.node.id] = summary
                    changed = True
            if not changed:
                break
        else:
            if recursive:  # no fixpoint within the rounds: a guess would be worse than "unknown"
                for info in members:
                    summaries[info.node.id] = replace(summaries[info.node.id], unknown=True)
