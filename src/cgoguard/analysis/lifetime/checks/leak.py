"""Leaks: owned C memory that is neither freed nor handed off on some path.

Checked at each return (:func:`check_exit`), when a loop runs an allocation again while the
last one is still owned (:func:`check_reallocation`), and when a variable a ``defer`` already
evaluated while it was nil gets its memory (:func:`report_nil_defer`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cgoguard.analysis.lifetime.branches import on_failure_path
from cgoguard.analysis.lifetime.checks.wording import free_call, holder
from cgoguard.analysis.lifetime.state import ALLOC, FREED, Deferred, Objs
from cgoguard.analysis.lifetime.syntax import message_line
from cgoguard.analysis.remedies import Release
from cgoguard.gofront.syntax import text

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.analysis.lifetime.model import FunctionModel

KIND = "leak"


def check_exit(model: FunctionModel, node: Node) -> None:
    """At a return (after the deferred calls ran): what is still allocated and owned leaks."""
    state = model.state
    referenced: Objs | None = None
    for obj, flags in state.flags.items():
        if ALLOC not in flags or not model.objects[obj].owned:
            continue
        if FREED in flags:
            # Freed on some paths and no longer referenced here: the paths were merged after
            # a free-and-nil (`C.free(p); p = nil`), not a real leak.
            if referenced is None:
                referenced = frozenset().union(*state.env.values(), *state.heap.values())
            if obj not in referenced:
                continue
        report(model, obj, f"when the function returns at line {message_line(node)}", node)


def check_reallocation(model: FunctionModel, allocation: int,
                       released_by: Callable[[Deferred], Objs]) -> None:
    """A loop runs ``allocation`` again while the memory of the last run is still owned here:
    not stored anywhere, and no pending deferred call (``released_by``) releases it."""
    state = model.state
    previous = state.flags.get(allocation)
    if previous is not None and ALLOC in previous and model.events.enabled and not any(
            allocation in contents for contents in state.heap.values()) and not any(
            allocation in released_by(d) for d in state.defers if d.kind == "call"):
        report(model, allocation, "when the loop runs this allocation again", None)


def report(model: FunctionModel, obj: int, when: str, exit_node: Node | None) -> None:
    info = model.objects[obj]
    alloc = info.node
    if alloc is None or info.freed_on_status or (
            exit_node is not None and info.status and on_failure_path(exit_node, info.status)):
        return
    parent = alloc.parent.parent if alloc.parent is not None else None
    held_by = holder(model, obj)
    if held_by:
        fix = f"free it with {info.dealloc} (e.g. `defer {free_call(info.dealloc, held_by)}` right after " \
              f"the allocation)"
        subject = f"{info.label} result assigned to {held_by}"
    elif parent is not None and parent.type == "call_expression":
        fix = f"assign it to a variable and call {info.dealloc} on it after the call"
        subject = f"{info.label} result passed directly to {text(parent.child_by_field_name('function'))}"
    else:
        fix = f"free it with {info.dealloc}"
        subject = f"{info.label} result"
    related = [(exit_node, "leaks when this return is taken")] if exit_node is not None else []
    model.emit(KIND, alloc, ("leak", obj),
               f"{subject} is never freed on some path: it leaks {when}; {fix}", related, obj=obj,
               remedy=Release(info.dealloc))


def report_nil_defer(model: FunctionModel, name: str, at: Node, defer: Node) -> None:
    """``defer C.free(p)`` evaluated p while it was nil; ``p`` gets its owned memory at ``at``."""
    model.emit(KIND, at, ("nil-defer", at.start_byte),
               f"{name} gets its value here, but the `defer` at line {message_line(defer)} already evaluated "
               f"{name} while it was nil (defer evaluates arguments immediately), so this memory is never "
               f"freed; defer a closure instead: `defer func() {{ C.free(unsafe.Pointer({name})) }}()`",
               [(defer, "defer captured the nil value here")])
