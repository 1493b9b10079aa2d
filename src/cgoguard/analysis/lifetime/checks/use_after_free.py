"""Use after free: memory read, passed, indexed or returned after it was freed on every path.

Checked at every use the transfer functions see (:func:`check_use`), at a return whose
deferred calls free what is returned (:func:`check_freed_by_defers`), and at a call of a
package function whose summary says it reads a field the caller already freed
(:func:`check_callee_reads_freed_field`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgoguard.analysis.lifetime.checks.wording import allocation_related, describe, holder
from cgoguard.analysis.lifetime.state import FREED, NIL, Objs
from cgoguard.analysis.lifetime.syntax import message_line
from cgoguard.gofront.syntax import text

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.analysis.callgraph import ImportedCallee
    from cgoguard.analysis.lifetime.model import FunctionModel
    from cgoguard.gofront.symbols import FuncInfo

KIND = "use-after-free"


def check_use(model: FunctionModel, objs: Objs, node: Node, how: str) -> None:
    """``node`` uses ``objs`` (``how``: "passing to C.f", "dereference of", ...)."""
    if not model.freed_on_every_path(objs):
        return
    obj = min(objs)
    free_site = model.sites[min(model.state.freed_at.get(obj, {0}))]
    model.emit(KIND, node, ("uaf", node.start_byte),
               f"{text(node)}: {how} {describe(model, obj)} after it was freed at line {message_line(free_site)}; "
               f"move the free after the last use",
               [(free_site, "freed here"), *allocation_related(model, obj)])


def check_freed_by_defers(model: FunctionModel, node: Node, reachable: Objs,
                          before: dict[int, frozenset[str] | None]) -> None:
    """`defer C.free(p); return p` (or a struct holding p): the caller gets freed memory.

    ``reachable``: what the return hands to the caller; ``before``: their flags before the
    deferred calls ran."""
    for obj in sorted(reachable):
        if not model.objects[obj].owned or before.get(obj) == frozenset({FREED}):
            continue
        if model.state.flags.get(obj) != frozenset({FREED}):
            continue
        defer_stmt = model.sites[min(model.state.freed_at.get(obj, {0}))]
        model.emit(KIND, node, ("returns-freed", node.start_byte, obj),
                   f"returns {describe(model, obj)}, but the deferred call at line {message_line(defer_stmt)} "
                   f"frees it as the function returns, so the caller gets a dangling pointer; drop the "
                   f"defer and let the caller free it",
                   [(defer_stmt, "deferred free here"), *allocation_related(model, obj)])
        return


def check_callee_reads_freed_field(model: FunctionModel, call: Node, callee: FuncInfo | ImportedCallee, param: int,
                                   field_name: str, bases: Objs) -> None:
    """`b.Close(); b.Len()` where Len reads b.c: report the read inside Len."""
    where = model.pkg.field_use(callee, param, field_name)
    if where is None:
        return
    use_file, use_node = where
    for base in bases - {NIL}:
        held = model.state.heap.get((base, field_name), frozenset()) - {NIL}
        if not model.freed_on_every_path(held):
            continue
        obj = min(held)
        free_site = model.sites[min(model.state.freed_at.get(obj, {0}))]
        label = f"{holder(model, base) or model.objects[base].label}{field_name}"
        model.emit(KIND, use_node, ("uaf-call", use_node.start_byte),
                   f"{text(use_node)}: {callee.qualified_name} reads {label}, but {model.file.display_path}:"
                   f"{message_line(call)} calls it after {label} was freed at line {message_line(free_site)}; do not use "
                   f"the value after releasing it (or nil the field when freeing and check it here)",
                   [(free_site, "freed here"), (call, f"{callee.qualified_name} called here")], file=use_file)
        return
