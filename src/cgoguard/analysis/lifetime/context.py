"""What the analysis of one function knows about the rest of its package: the C side's
ownership contracts, the summaries of the package's functions computed so far, and those the
module packages it imports exported."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from cgoguard.analysis.callgraph import ImportedCallee
from cgoguard.analysis.summaries import EMPTY_SUMMARY, FunctionSummary

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.gofront.gofile import GoFile
    from cgoguard.gofront.package import Package
    from cgoguard.gofront.symbols import FuncInfo


class Ownership:
    """The C side's ownership facts (from the contracts), in the questions the analysis asks."""

    def __init__(self, contracts: object) -> None:
        self.contracts = contracts
        self._contracts: dict[str, object | None] = {}

    def contract(self, name: str) -> object | None:
        if name not in self._contracts:
            self._contracts[name] = self.contracts.get(name) if self.contracts is not None else None  # type: ignore[attr-defined]
        return self._contracts[name]

    @cached_property
    def paired_deallocators(self) -> frozenset[str]:
        """Functions some allocator names as the way to release its result (plus free)."""
        names = {"free", "realloc"}
        for contract in self.contracts or ():  # type: ignore[attr-defined]
            names.add(getattr(contract, "deallocator", None) or "free")
            names.update(d for d in getattr(contract, "owned_out_args", {}).values() if d)
        return frozenset(names)


@dataclass
class PackageContext:
    """Shared by the analyses of a package's functions; the driver fills the summaries in."""

    package: Package
    ownership: Ownership
    summaries: dict[int, FunctionSummary] = field(default_factory=dict)  # by FuncInfo node id
    # (function node id, parameter, ".field") -> where the function reads that field's memory
    field_uses: dict[tuple[int, int, str], tuple[GoFile, Node]] = field(default_factory=dict)
    finalizers: set[int] = field(default_factory=set)  # func nodes used as finalizers (by node id)

    def summary_of(self, callee: FuncInfo | ImportedCallee) -> FunctionSummary:
        """A callee's summary: this package's (as far as computed), or the one its package exported."""
        if isinstance(callee, ImportedCallee):
            return callee.summary
        return self.summaries.get(callee.node.id, EMPTY_SUMMARY)

    def field_use(self, callee: FuncInfo | ImportedCallee, param: int, field_name: str) -> tuple[GoFile, Node] | None:
        """Where a function of this package reads ``param``'s field (for messages)."""
        return None if isinstance(callee, ImportedCallee) else self.field_uses.get((callee.node.id, param, field_name))
