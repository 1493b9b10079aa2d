"""Handle leak: a `cgo.NewHandle` that nothing ever deletes.

## What it finds

A handle created with `cgo.NewHandle(v)` whose `Delete` is never called in the function,
while the handle is neither stored (in a field, map, slice, package variable, channel),
returned, passed to C or to another function (which may delete it), nor captured by a
closure. Aliases (`h2 := h`) and conversions (`C.uintptr_t(h)`) are followed.

## Why it matters

A `cgo.Handle` keeps its value reachable in a global table until `Delete` is called. A
handle nobody deletes leaks the value and everything it references for the life of the
process; in a callback-heavy program this is an unbounded Go heap leak that heap profiles
attribute to `runtime/cgo`.

## Example

```go
func lookup(v *State) int {
    h := cgo.NewHandle(v)
    return int(h.Value().(*State).id) // h is never deleted
}
```

## Fix

Call `h.Delete()` once no C code can call back with the handle, typically
`defer h.Delete()` right after `NewHandle` when the C call is synchronous, or store the
handle where the code that ends the C side's use of it can delete it.
"""

from __future__ import annotations

from tree_sitter import Node

from cgoguard.analysis.lifetime import declared_names
from cgoguard.findings import Severity
from cgoguard.gofront.gofile import GoFile
from cgoguard.gofront.syntax import c_name, nodes_of_type, text, unparen
from cgoguard.rules.base import RuleContext, RuleMeta

META = RuleMeta(
    id="CG402",
    name="handle-leak",
    category="handle-leak",
    severity=Severity.WARNING,
    title="cgo.Handle never deleted",
)

# Calls that look at a handle without taking responsibility for it.
_OBSERVERS = frozenset({"fmt", "log", "errors"})
_CONVERSIONS = frozenset({"uintptr", "unsafe.Pointer", "int", "uint64", "int64"})


def check(ctx: RuleContext) -> None:
    for file in ctx.package.files:
        cgo = file.imported_as("runtime/cgo")
        if cgo is None or b"NewHandle" not in file.source:
            continue
        for node in nodes_of_type(file.root, "call_expression"):
            if text(node.child_by_field_name("function")) == f"{cgo}.NewHandle":
                _check_handle(ctx, file, node)


def _check_handle(ctx: RuleContext, file: GoFile, call: Node) -> None:
    func = _enclosing_function(call)
    if func is None:
        return
    fate, names = _fate(call)
    if fate != "kept":
        return
    deleted = any(_deletes(func, name) for name in names)
    if deleted:
        return
    label = names[0] if names else "the handle"
    ctx.report(META, file, call,
               f"cgo.Handle {label} from NewHandle is never deleted, stored, returned or passed on: its value "
               f"stays reachable forever; call {label}.Delete() when C can no longer use it (e.g. "
               f"`defer {label}.Delete()` after a synchronous C call)" if names else
               "cgo.Handle from NewHandle is discarded without Delete: its value stays reachable forever; keep "
               "the handle and call Delete() on it")


def _fate(call: Node) -> tuple[str, list[str]]:
    """Follow the handle from its creation: "kept" locally (under ``names``) or "handed-off"."""
    node = _climb_conversions(call)
    parent = node.parent
    if parent is None:
        return "kept", []
    if parent.type == "expression_statement":
        return "kept", []
    if parent.type == "expression_list" and parent.parent is not None \
            and parent.parent.type in ("short_var_declaration", "assignment_statement", "var_spec"):
        statement = parent.parent
        if parent != statement.child_by_field_name("right") and statement.type != "var_spec":
            return "handed-off", []
        index = [c for c in parent.named_children].index(node)
        lefts = (statement.children_by_field_name("name") if statement.type == "var_spec"
                 else statement.child_by_field_name("left").named_children)
        if index >= len(lefts) or lefts[index].type != "identifier":
            return "handed-off", []  # stored into a field, map or slice
        name = text(lefts[index])
        if name == "_":
            return "kept", []
        scope = _enclosing_function(call)
        if scope is None or name not in declared_names(scope):
            return "handed-off", []  # a package-level variable
        aliases = _local_uses(scope, name, after=statement.end_byte)
        return ("handed-off", []) if aliases is None else ("kept", [name, *aliases])
    if parent.type == "selector_expression":
        return "kept", []  # cgo.NewHandle(v).Value(): used and dropped
    return "handed-off", []


def _local_uses(scope: Node, name: str, after: int) -> list[str] | None:
    """Aliases of local handle ``name``; None when the handle leaves the function's hands."""
    aliases: list[str] = []
    for node in nodes_of_type(scope, "identifier"):
        if text(node) != name or node.start_byte < after:
            continue
        use = _climb_conversions(node)
        parent = use.parent
        if parent is None:
            continue
        if parent.type == "selector_expression":
            continue  # h.Value(), h.Delete()
        if _inside_closure(node, scope):
            return None  # captured: whoever runs the closure may delete it
        if parent.type == "expression_list" and parent.parent is not None \
                and parent.parent.type in ("short_var_declaration", "assignment_statement"):
            statement = parent.parent
            if parent == statement.child_by_field_name("left"):
                continue  # reassigned
            lefts = statement.child_by_field_name("left").named_children
            index = parent.named_children.index(use)
            if index < len(lefts) and lefts[index].type == "identifier" and text(lefts[index]) != "_":
                more = _local_uses(scope, text(lefts[index]), statement.end_byte)
                if more is None:
                    return None
                aliases += [text(lefts[index]), *more]
                continue
            return None
        if parent.type in ("binary_expression", "if_statement", "expression_statement"):
            continue
        if parent.type == "argument_list" and _observer_call(parent.parent):
            continue
        return None  # returned, passed to a function or to C, stored, sent
    return aliases


def _deletes(func: Node, name: str) -> bool:
    return any(text(node.child_by_field_name("function")) == f"{name}.Delete"
               for node in nodes_of_type(func, "call_expression"))


def _climb_conversions(node: Node) -> Node:
    """From an expression up through parentheses and conversions (``C.uintptr_t(h)``)."""
    while node.parent is not None:
        parent = node.parent
        if parent.type == "parenthesized_expression":
            node = parent
            continue
        if parent.type == "argument_list" and parent.parent is not None and _is_conversion(parent.parent):
            node = parent.parent
            continue
        break
    return node


def _is_conversion(call: Node) -> bool:
    func = unparen(call.child_by_field_name("function"))
    if func is None:
        return False
    name = c_name(func)
    if name is not None:
        return name in ("uintptr_t", "uintptr", "size_t", "long", "ulong", "longlong", "ulonglong", "int64_t",
                        "uint64_t", "intptr_t")
    return text(func) in _CONVERSIONS


def _observer_call(call: Node | None) -> bool:
    if call is None or call.type != "call_expression":
        return False
    func = unparen(call.child_by_field_name("function"))
    if func is None or func.type != "selector_expression":
        return False
    return text(func.child_by_field_name("operand")) in _OBSERVERS


def _inside_closure(node: Node, scope: Node) -> bool:
    current = node.parent
    while current is not None and current != scope:
        if current.type == "func_literal":
            return True
        current = current.parent
    return False


def _enclosing_function(node: Node) -> Node | None:
    current = node.parent
    while current is not None and current.type not in ("function_declaration", "method_declaration",
                                                         "func_literal"):
        current = current.parent
    return current
