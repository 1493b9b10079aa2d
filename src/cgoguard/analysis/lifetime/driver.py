"""The package driver: every function analysed bottom-up over the call graph, to a fixpoint of
the summaries, then the events of the package.

The strongly connected components of the call graph (:mod:`cgoguard.analysis.callgraph`) are
solved callees first, so a caller is analysed after the final summaries of its callees; only
recursion needs another round, and a recursion that does not settle gets unknown summaries.
Calls into other module packages read the summaries those exported (their facts). A scan
that reports on some files only solves what those files need. Function literals are analysed
on their own once the summaries are final (their events only; a literal has no summary).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from cgoguard.analysis.callgraph import call_graph, solve_bottom_up
from cgoguard.analysis.lifetime.context import Ownership, PackageContext
from cgoguard.analysis.lifetime.function import FunctionAnalysis
from cgoguard.analysis.lifetime.summary import summarize, syntactic_summary
from cgoguard.analysis.lifetime.syntax import captures, declared_names
from cgoguard.analysis.summaries import EMPTY_SUMMARY, UNKNOWN_SUMMARY, FunctionSummary
from cgoguard.findings import InputError
from cgoguard.gofront.syntax import call_parts, text, unparen

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.analysis.lifetime.events import Event
    from cgoguard.gofront.gofile import GoFile
    from cgoguard.gofront.package import Package
    from cgoguard.gofront.symbols import FuncInfo

_MAX_SUMMARY_ROUNDS = 4
_CALLED_NAME = re.compile(rb"\b([A-Za-z_]\w*)\s*\(")
_C_CALLED = re.compile(rb"\bC\.(\w+)\s*\(")
_BUILTIN_MEMORY = frozenset({"CString", "CBytes", "malloc", "calloc", "realloc", "free"})


@dataclass
class PackageLifetime:
    """Every lifetime event of a package, with the function summaries that produced them."""

    events: list[tuple[GoFile, Event]]  # (file of the analysed function, event)
    summaries: dict[int, FunctionSummary]  # by FuncInfo node id


def analyze_package(package: Package, contracts: object, *, everything: bool = False) -> PackageLifetime:
    """The lifetime events and function summaries of ``package``, whose C functions behave as
    ``contracts`` (a :class:`~cgoguard.contracts.model.ContractSet`) say: of all its functions
    with ``everything`` (for its facts), else of the files it reports on and the functions they
    call."""
    pkg = PackageContext(package, Ownership(contracts))
    pkg.finalizers = _finalizers(package)
    graph = call_graph(package)
    only = None if everything or package.only is None else graph.needed_by(package.only)
    by_name: dict[str, list[FuncInfo]] = {}
    for info in graph.functions:
        by_name.setdefault(info.name, []).append(info)
    memory = _MemoryOps(pkg, by_name)
    analyses: dict[int, FunctionAnalysis] = {}

    def summarize_function(info: FuncInfo) -> FunctionSummary:
        if not memory.touches(info.node):
            analyses.pop(info.node.id, None)
            return syntactic_summary(info, pkg)
        analysis = _run_guarded(pkg, info.file, info.node, info, info.node)
        if analysis is None:
            analyses.pop(info.node.id, None)
            return UNKNOWN_SUMMARY
        analyses[info.node.id] = analysis
        for (param, field_name), node in analysis.field_uses.items():
            pkg.field_uses[(info.node.id, param, field_name)] = (info.file, node)
        return summarize(analysis)

    # Callees first; only recursion needs more than one analysis of a function.
    solve_bottom_up(graph, summarize_function, pkg.summaries, _MAX_SUMMARY_ROUNDS, only)
    events: list[tuple[GoFile, Event]] = []
    for index, info in enumerate(graph.functions):
        if only is not None and index not in only:
            continue
        if info.node.id in analyses:
            events += [(info.file, e) for e in analyses[info.node.id].result_events]
        for literal in captures("(func_literal) @f", info.node) if b"func(" in (info.node.text or b"") else ():
            if memory.touches(literal):
                closure = _run_guarded(pkg, info.file, literal, None, info.node)
                events += [(info.file, e) for e in closure.result_events] if closure is not None else []
    return PackageLifetime(events, pkg.summaries)


def _run_guarded(pkg: PackageContext, file: GoFile, func: Node, info: FuncInfo | None,
                 top: Node) -> FunctionAnalysis | None:
    """Analyse one function; a crash on odd code costs that function, not the package."""
    try:
        analysis = FunctionAnalysis(pkg, file, func, info, declared_names(top))
        analysis.run()
    except (RecursionError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        line = func.start_point[0] + 1
        pkg.package.errors.append(InputError(
            file.display_path, f"{line}: lifetime analysis skipped this function: internal error "
                               f"{type(exc).__name__}: {exc}"))
        return None
    return analysis


class _MemoryOps:
    """Which function bodies can allocate or free C memory (the others get a syntactic summary)."""

    def __init__(self, pkg: PackageContext, by_name: dict[str, list[FuncInfo]]) -> None:
        self.pkg = pkg
        self.by_name = by_name
        self._calls: dict[int, set[str]] = {}
        self._c_memory: dict[str, bool] = {}

    def calls(self, func: Node) -> set[str]:
        if func.id not in self._calls:
            self._calls[func.id] = _called_names(func)
        return self._calls[func.id]

    def touches(self, func: Node) -> bool:
        source = func.text or b""
        if any(self._c_function_matters(m.decode()) for m in _C_CALLED.findall(source)):
            return True
        for name in self.calls(func):
            for callee in self.by_name.get(name, ()):
                summary = self.pkg.summaries.get(callee.node.id, EMPTY_SUMMARY)
                if summary.returns_owned or summary.frees or summary.frees_fields:
                    return True
        return bool(self.calls(func) & self.imported_memory_names)

    @cached_property
    def imported_memory_names(self) -> frozenset[str]:
        """Names of functions and methods of imported module packages that allocate or free."""
        facts = self.pkg.package.facts
        return frozenset(key.rsplit(".", 1)[-1] for p in (facts.packages.values() if facts else ())
                         for key, s in p.functions.items() if s.returns_owned or s.frees or s.frees_fields)

    def _c_function_matters(self, name: str) -> bool:
        if name not in self._c_memory:
            contract = self.pkg.ownership.contract(name)
            self._c_memory[name] = name in _BUILTIN_MEMORY or bool(contract is not None and (
                getattr(contract, "returns", "unknown") in ("owned", "borrowed", "static")
                or getattr(contract, "frees_args", None) or getattr(contract, "owned_out_args", None)))
        return self._c_memory[name]


def _called_names(func: Node) -> set[str]:
    return {m.decode() for m in _CALLED_NAME.findall(func.text or b"")}


def _finalizers(package: Package) -> set[int]:
    """Function nodes registered with runtime.SetFinalizer (they run once nothing can see the object)."""
    found: set[int] = set()
    for file in package.files:
        for match in re.finditer(rb"SetFinalizer\s*\(", file.source):
            node = file.root.descendant_for_byte_range(match.start(), match.start())
            while node is not None and node.type != "call_expression":
                node = node.parent
            if node is None:
                continue
            _, args = call_parts(node)
            target = unparen(args[1]) if len(args) > 1 else None
            if target is None:
                continue
            if target.type == "func_literal":
                found.add(target.id)
                continue
            name = text(target).rsplit(".", 1)[-1].rstrip(")")
            found.update(info.node.id for info in package.symbols.all_functions() if info.name == name)
    return found
