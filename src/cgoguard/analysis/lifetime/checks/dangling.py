"""Dangling references: a long-lived field, map entry or package variable still holding memory
freed in this function when it returns.

The frees are recorded as they happen (``State.dangling``, by :meth:`.operations.MemoryOperations.free`,
only for functions known to release what an allocator returned); :func:`check_exit` reports
those whose location is still reachable from a parameter, the receiver or a package variable
and still holds the freed object.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cgoguard.analysis.lifetime.checks.wording import location
from cgoguard.analysis.lifetime.state import FREED, GLOBALS, NONE, Loc
from cgoguard.analysis.lifetime.syntax import message_line
from cgoguard.analysis.remedies import Clear
from cgoguard.findings import Confidence
from cgoguard.gofront.syntax import nodes_of_type, text

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.analysis.lifetime.model import FunctionModel

KIND = "dangling"

# Boolean fields that record an object's end of life (set true) or that it is usable (set false).
_FINISHED_FLAG = re.compile(r"(?i)clos|free|releas|destr|dispos|dead|done|finaliz")
_ALIVE_FLAG = re.compile(r"(?i)valid|open|alive|live|active|init|usable")


def check_exit(model: FunctionModel, node: Node) -> None:
    """At the return ``node``: report each free that left a reachable location dangling."""
    state = model.state
    if not state.dangling or model.func.id in model.pkg.finalizers:
        return  # a finalizer runs once nothing can see the object any more
    roots = {o.id for o in model.objects if o.root}
    live = model.reachable(frozenset(roots))
    reported_sites: set[int] = set()
    for site, obj, loc in sorted(state.dangling):
        base = loc[0]
        contents = state.heap.get(loc, NONE)
        if obj not in contents or base not in live or FREED not in state.flags.get(obj, frozenset()):
            continue
        if FREED in state.flags.get(base, frozenset()):
            continue  # the container itself was released: nothing can read the stale field
        if model.objects[base].weak or site in reported_sites:
            continue  # one report per free; summary objects stand for too much to name
        if loc[1] == "*" or (loc[1].startswith("[") and base not in model.maps):
            continue  # pointees and slice elements: the owner of the slice decides
        if _is_c_record(model, base) or _is_copy(model, base):
            continue  # a C struct's destructor frees its members; a value receiver is a copy
        if base != GLOBALS and base not in model.maps and _marks_finished(model, base):
            continue  # `x.closed = true`: the object is flagged dead, as good as nil-ing the field
        where = location(model, loc)
        free_node = model.sites[site]
        fix = f"delete the entry (delete({location(model, (base, ''))}, key)) after freeing" \
            if loc[1].startswith("[") else f"set {where} = nil after freeing"
        reported_sites.add(site)
        # A stale field of a receiver being torn down is often harmless (the object dies with
        # it); a stale map entry or package variable is reachable by everyone.
        confidence = Confidence.HIGH if base == GLOBALS or base in model.maps else Confidence.MEDIUM
        model.emit(KIND, free_node, ("dangling", site),
                   f"{where} still refers to memory freed here when the function returns at line "
                   f"{message_line(node)}; later code can use or free it again; {fix}",
                   [(node, "function returns with the stale reference")], confidence,
                   remedy=_clear_remedy(model, loc))


def _clear_remedy(model: FunctionModel, loc: Loc) -> Clear | None:
    """The location to reset after the free, when a fix can name it."""
    base, name = loc
    if base == GLOBALS:
        return Clear(name.lstrip("."), "global")
    if name.startswith(".") and model.objects[base].kind in ("var", "field"):
        return Clear(location(model, loc), "field")
    return None  # a map entry or an element: the fix needs the key, which the analysis does not keep


def _marks_finished(model: FunctionModel, obj: int) -> bool:
    """Whether the function flags the object as finished: ``x.closed = true``,
    ``x.valid = false``. Teardown methods guarded by such a flag never touch the stale
    field again, which is the same protection as setting it to nil."""
    info = model.objects[obj]
    if info.kind != "var" or not info.label:
        return False
    for assign in nodes_of_type(model.func, "assignment_statement"):
        left, right = assign.child_by_field_name("left"), assign.child_by_field_name("right")
        if left is None or right is None:
            continue
        for target, value in zip(left.named_children, right.named_children, strict=False):
            if target.type != "selector_expression" or text(target.child_by_field_name("operand")) != info.label:
                continue
            flag, literal = text(target.child_by_field_name("field")), text(value)
            if (literal == "true" and _FINISHED_FLAG.search(flag)) or \
                    (literal == "false" and _ALIVE_FLAG.search(flag)):
                return True
    return False


def _is_copy(model: FunctionModel, obj: int) -> bool:
    """A struct parameter or receiver passed by value: nil-ing its field would change a copy."""
    info = model.objects[obj]
    if info.kind != "var" or info.label not in model.params:
        return False
    if model.info is not None and info.label == model.info.receiver_name:
        return not model.info.pointer_receiver
    kind = model.local_types.underlying(model.local_types.var_type(info.label)).kind
    return kind == "struct"


def _is_c_record(model: FunctionModel, obj: int) -> bool:
    """Whether an object is a C struct (a `*C.git_options` parameter, a C member of one)."""
    path: list[str] = []
    info = model.objects[obj]
    while info.kind == "field" and info.field.startswith("."):
        path.append(info.field[1:])
        info = model.objects[info.base]
    if info.kind != "var":
        return False
    go_type = model.local_types.var_type(info.label)
    for name in reversed(path):
        go_type = model.local_types.field_type(go_type, name)
    while go_type.kind == "pointer" and go_type.elem is not None:
        go_type = go_type.elem
    return go_type.kind == "c"
