"""The rule side of the analyses several rules share.

Each analysis is computed once per package (through :meth:`RuleContext.shared`) and turned
into findings here, so that ``cgoguard.analysis`` never depends on the rules: analyses take a
package and return results; rules ask for them through these functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from cgoguard.analysis import memory, pointerness, unsafeflow
from cgoguard.analysis.lifetime import PackageLifetime, analyze_package
from cgoguard.gofront.syntax import nodes_of_type

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.analysis.lifetime import Event
    from cgoguard.analysis.memory import FunctionMemory
    from cgoguard.analysis.pointerness import CallIndex, Forward
    from cgoguard.analysis.unsafeflow import FunctionScope
    from cgoguard.contracts.model import ContractSet
    from cgoguard.findings import Fix
    from cgoguard.gofront.gofile import GoFile
    from cgoguard.gofront.types import GoType
    from cgoguard.rules.base import RuleContext, RuleMeta


def shared_contracts(ctx: RuleContext) -> ContractSet:
    """The contracts the scan was given, or those of the C functions the package calls."""
    if ctx.contracts is not None:
        return ctx.contracts
    # Imported on demand: a scan passes its contracts in, so only API users without them load inference.
    from cgoguard.contracts import contracts_for_package

    return ctx.shared("contracts", lambda: contracts_for_package(ctx.package, called_only=True))


# ----- C-memory lifetime (CG101-CG104) ------------------------------------------------------
def shared_lifetime(ctx: RuleContext) -> PackageLifetime:
    return ctx.shared("lifetime", lambda: analyze_package(ctx.package, shared_contracts(ctx)))


def report_lifetime_events(ctx: RuleContext, meta: RuleMeta, kinds: frozenset[str],
                           fixer: Callable[[RuleContext, GoFile, Event], Fix | None] | None = None) -> None:
    """Report the package's lifetime events of ``kinds`` under rule ``meta``, with the fix
    ``fixer`` builds for each (the rule's own)."""
    reported: set[tuple[str, int, str]] = set()
    for file, event in shared_lifetime(ctx).events:  # `file` holds the analysed function (and the related nodes)
        where = event.file or file
        key = (where.display_path, event.node.start_byte, event.kind)
        if event.kind not in kinds or key in reported:
            continue
        reported.add(key)
        related = [ctx.related(file, node, message) for node, message in event.related]
        fix = fixer(ctx, where, event) if fixer is not None else None
        ctx.report(meta, where, event.node, event.message, related=related, confidence=event.confidence, fix=fix)


# ----- Go memory handed to C (CG201-CG204) ----------------------------------------------------
def shared_memories(ctx: RuleContext) -> list[FunctionMemory]:
    """The memory model of every function of the package's reported files."""
    return ctx.shared("memory.functions", lambda: memory.function_memories(ctx.package))


def shared_call_index(ctx: RuleContext) -> CallIndex:
    return ctx.shared("memory.calls", lambda: pointerness.call_index(shared_memories(ctx)))


def shared_forwards(ctx: RuleContext) -> dict[str, list[Forward]]:
    return ctx.shared("memory.forwards", lambda: pointerness.forwarded_parameters(shared_memories(ctx)))


# ----- unsafe pointers and integers (CG301-CG306) -----------------------------------------------
def shared_scopes(ctx: RuleContext) -> list[FunctionScope]:
    """The package's function scopes, built once per package and shared by every rule."""
    return ctx.shared("unsafeflow.scopes", lambda: unsafeflow.function_scopes(ctx.package))


def pointer_conversions(ctx: RuleContext) -> Iterator[tuple[FunctionScope, Node, GoType, Node]]:
    """Every conversion to a pointer type ``(*T)(x)`` in the package:
    (scope, conversion node, T, the operand x)."""
    for scope in shared_scopes(ctx):
        for node in nodes_of_type(scope.body, "call_expression", "type_conversion_expression"):
            converted = unsafeflow.conversion(node, scope)
            if converted is not None and converted[0].kind == "pointer" and converted[0].elem is not None:
                yield scope, node, converted[0].elem, converted[1]
