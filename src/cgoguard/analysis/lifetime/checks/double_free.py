"""Double free: memory released again after a free on every path, explicit or deferred."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgoguard.analysis.lifetime.checks.wording import allocation_related, describe
from cgoguard.analysis.lifetime.state import FREED
from cgoguard.analysis.lifetime.syntax import message_line

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.analysis.lifetime.model import FunctionModel

KIND = "double-free"


def check_free(model: FunctionModel, obj: int, site_node: Node, what: str, via: str,
               deferred: Node | None) -> None:
    """``via`` releases ``obj`` (the only object the argument may denote) at ``site_node``, or
    at the return that runs ``deferred``."""
    if model.state.flags.get(obj) != frozenset({FREED}):
        return
    first = model.sites[min(model.state.freed_at.get(obj, {0}))]
    related = [*allocation_related(model, obj), (first, "first freed here")]
    if deferred is None:
        message = (f"{what} is freed twice: {describe(model, obj)} was already freed at line {message_line(first)}; "
                   f"remove one of the frees (or set the pointer to nil after the first)")
    elif first.type == "defer_statement":
        message = (f"{what} is freed again by this deferred call: the deferred call at line {message_line(first)} "
                   f"runs first and already releases {describe(model, obj)}; remove one of the two defers")
    else:
        message = (f"{what} is freed again by this deferred {via} when the function returns: it was already "
                   f"freed at line {message_line(first)}; remove that explicit free (the defer releases it) or "
                   f"defer a closure that skips a nil pointer and set it to nil after freeing")
    model.emit(KIND, deferred or site_node, ("double-free", obj), message, related)
