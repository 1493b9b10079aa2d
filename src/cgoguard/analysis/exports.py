"""The module-wide analyses that export facts, and the facts of one package they produce.

Two analyzers, declared like go/analysis analyzers (:class:`cgoguard.analysis.facts.Analyzer`):

* ``summaries`` — every function's and method's summary: the lifetime analysis of C memory
  (:mod:`cgoguard.analysis.lifetime`) completed with the effects analysis
  (:mod:`cgoguard.analysis.effects`), both bottom-up over the call graph; it requires the
  summaries of the module packages imported;
* ``package-facts`` — package variables ``init()`` fills, and struct types holding C handles;
  it requires ``summaries``.

Both share one memo table with the rules of the package (the rules' ``RuleContext.cache``),
so the lifetime analysis a rule reports from is the one that produced the summaries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cgoguard.analysis.effects import effect_summaries
from cgoguard.analysis.facts import (
    C_HANDLE_TYPES,
    INIT_GLOBALS,
    Analyzer,
    PackageFacts,
    function_key,
)
from cgoguard.analysis.lifetime import analyze_package
from cgoguard.analysis.memory import FunctionMemory, Origin, package_facts
from cgoguard.analysis.summaries import EMPTY_SUMMARY, FunctionSummary
from cgoguard.gofront.resolve import LocalTypes
from cgoguard.gofront.syntax import first_error, nodes_of_type, text, unparen

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.gofront.gofile import GoFile
    from cgoguard.gofront.package import Package
    from cgoguard.gofront.types import GoType

Memo = dict[str, Any]


def _shared(memo: Memo, key: str, compute: Callable[[], Any]) -> Any:
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def package_summaries(package: Package, contracts: object, memo: Memo, *,
                      everything: bool = False) -> dict[int, FunctionSummary]:
    """Summaries of the package's functions by node id (computed once per package): all of
    them with ``everything``, else those the reported files need (see analyze_package)."""
    if everything and memo.get("summaries scope") != "everything":
        memo.pop("lifetime", None)
        memo.pop("summaries", None)
        memo["summaries scope"] = "everything"
    lifetime = _shared(memo, "lifetime", lambda: analyze_package(package, contracts, everything=everything))
    return _shared(memo, "summaries", lambda: effect_summaries(package, lifetime.summaries, everything=everything))


def _run_summaries(package: Package, contracts: object, memo: Memo) -> dict[str, Any]:
    summaries = package_summaries(package, contracts, memo, everything=True)
    functions: dict[str, FunctionSummary] = {}
    results: dict[str, tuple[str, ...]] = {}
    for info in package.symbols.all_functions():
        key = function_key(package.import_path, info)
        broken = first_error(info.node) is not None
        functions[key] = FunctionSummary(unknown=True) if broken else summaries.get(info.node.id, EMPTY_SUMMARY)
        types = tuple(_type_name(package, info.file.imports, t) for _, t in info.results)
        if any(types):
            results[key] = types
    return {"functions": functions, "results": results}


def _run_package_facts(package: Package, contracts: object, memo: Memo) -> dict[str, Any]:
    summaries = package_summaries(package, contracts, memo, everything=True)
    filled: dict[str, str] = {}
    for file in package.files:
        for decl in file.root.named_children:
            if decl.type != "function_declaration" or text(decl.child_by_field_name("name")) != "init":
                continue
            for name, kind in _init_assignments(package, file, decl):
                filled[name] = kind if filled.get(name, kind) == kind else "mixed"
            for name, dealloc in summaries.get(decl.id, EMPTY_SUMMARY).fills_globals:
                filled[name] = f"c-owned:{dealloc}"  # more precise than "c"
    handles: dict[str, list[str]] = {}
    for info in package.symbols.types.values():
        if info.is_alias or info.type.kind != "struct":
            continue
        fields = [name for name, field_type in info.type.fields if _holds_c_pointer(package, field_type)]
        if fields:
            handles[info.name] = fields
    return {INIT_GLOBALS.name: filled, C_HANDLE_TYPES.name: handles}


_ORIGIN_NAMES = {Origin.C: "c", Origin.MMAP: "c", Origin.GO: "go", Origin.GLOBAL: "go", Origin.STATIC: "static",
                 Origin.NIL: "nil"}


def _init_assignments(package: Package, file: GoFile, init: Node) -> list[tuple[str, str]]:
    """(package variable, the kind of memory ``init`` assigns it) — "unknown" where the pointer
    analysis cannot tell (it runs in packages that import "C")."""
    memory = FunctionMemory(LocalTypes(package, file, init), package_facts(package)) if package.uses_cgo else None
    found = []
    for node in nodes_of_type(init, "assignment_statement"):
        lefts, rights = (_expressions(node.child_by_field_name(side)) for side in ("left", "right"))
        for left, right in zip(lefts, rights, strict=False):
            left = unparen(left)
            if left is None or left.type != "identifier" or text(left) not in package.symbols.globals:
                continue
            origin = memory.eval(right, node.end_byte).origin if memory is not None else Origin.UNKNOWN
            found.append((text(left), _ORIGIN_NAMES.get(origin, "unknown")))
    return [(name, kind) for name, kind in found if kind != "nil"]


def _expressions(node: Node | None) -> list[Node]:
    return [c for c in node.named_children if c.type != "comment"] if node is not None else []


def _holds_c_pointer(package: Package, field_type: GoType) -> bool:
    t = package.symbols.underlying(field_type)
    if t.kind == "pointer" and t.elem is not None and t.elem.kind == "c":
        return True
    return t.kind == "c" and package.uses_cgo and package.c.is_pointer_type(t.name)


SUMMARIES = Analyzer("summaries", exports=("function-summaries",), run=_run_summaries)
PACKAGE_FACTS = Analyzer("package-facts", exports=(INIT_GLOBALS.name, C_HANDLE_TYPES.name),
                         requires=("summaries",), run=_run_package_facts)
ANALYZERS: tuple[Analyzer, ...] = (SUMMARIES, PACKAGE_FACTS)


def export_facts(package: Package, contracts: object, memo: Memo) -> PackageFacts:
    """The facts of ``package`` for the packages importing it (``package.facts`` must already
    hold the facts of its own module imports)."""
    facts = PackageFacts(package.import_path, complete=not any(f.syntax_error for f in package.files))
    for analyzer in _in_requires_order(ANALYZERS):
        assert analyzer.run is not None
        produced = analyzer.run(package, contracts, memo)
        facts.functions.update(produced.pop("functions", {}))
        facts.results.update(produced.pop("results", {}))
        facts.package.update({name: value for name, value in produced.items() if value})
    return facts


def _in_requires_order(analyzers: tuple[Analyzer, ...]) -> list[Analyzer]:
    done: list[Analyzer] = []
    pending = list(analyzers)
    while pending:
        ready = [a for a in pending if all(r in {d.name for d in done} for r in a.requires)]
        if not ready:
            raise ValueError(f"analyzers with unmet or circular requirements: {[a.name for a in pending]}")
        done += ready
        pending = [a for a in pending if a not in ready]
    return done


def _type_name(package: Package, imports: dict[str, str], go_type: GoType) -> str:
    """"[*]importpath.T" for a result of a named type declared in the module, else ""."""
    star = ""
    if go_type.kind == "pointer" and go_type.elem is not None:
        star, go_type = "*", go_type.elem
    if go_type.kind != "named":
        return ""
    qualifier, _, name = go_type.name.rpartition(".")
    if not qualifier:
        return f"{star}{package.import_path}.{name}" if package.import_path and name in package.symbols.types else ""
    return f"{star}{imports[qualifier]}.{name}" if qualifier in imports else ""
