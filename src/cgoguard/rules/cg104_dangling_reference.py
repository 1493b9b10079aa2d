"""Dangling reference: C memory freed while a map, package variable or field still holds it.

## What it finds

A free of C memory that stays reachable after the function returns: as a key or value of
a map, in a package-level variable, or in a field of an object that outlives the call (a
receiver, a parameter, a global), with no `delete`, overwrite or nil-out of that location
after the free in the same function. Finalizers are exempt: nothing can reach their object.

## Why it matters

The next reader of the map or field gets a pointer to freed memory: a use after free or a
double free waiting to happen (a second `Close`, a cache hit). `delete(m, k)` is perfectly
reliable after a cgo call; the missing `delete` is the bug.

## Example

```go
func (c *Cache) Drop(key string) {
    C.free(unsafe.Pointer(c.entries[key])) // c.entries[key] still points at it
}
```

## Fix

Remove the reference right after freeing: `delete(c.entries, key)`, `b.p = nil`, or
reassign the package variable.

`cgoguard scan --fix` inserts `x.f = nil` (or `global = nil`) after a free that is not
deferred; a map entry needs its key and is left to you.

## Severity

`warning`: the stale reference is a hazard only if something reads it later. See `cgoguard
explain severity`.
"""

from __future__ import annotations

from tree_sitter import Node

from cgoguard.analysis.lifetime import Event
from cgoguard.analysis.remedies import Clear
from cgoguard.findings import Applicability, Fix, Severity
from cgoguard.fix.edits import insert_after, make_fix, statement_of, top_function
from cgoguard.gofront.gofile import GoFile
from cgoguard.gofront.resolve import LocalTypes
from cgoguard.gofront.syntax import nodes_of_type, parse_go, text
from cgoguard.gofront.types import UNKNOWN, GoType
from cgoguard.rules.analyses import report_lifetime_events
from cgoguard.rules.base import RuleContext, RuleMeta
from cgoguard.rules.severity import report_graded_by_contracts

META = RuleMeta(
    id="CG104",
    name="dangling-reference",
    category="dangling-reference",
    severity=Severity.WARNING,
    title="freed C memory still reachable from a map, global or field",
    fixable=True,
)
_NILABLE = frozenset({"pointer", "unsafe-pointer", "map", "slice", "func", "chan", "interface"})


def check(ctx: RuleContext) -> None:
    report_graded_by_contracts(ctx, META, lambda: report_lifetime_events(ctx, META, frozenset({"dangling"}), fixer=fix))


def fix(ctx: RuleContext, file: GoFile, event: Event) -> Fix | None:
    """``b.p = nil`` (or ``global = nil``) right after the free. Not for a deferred free (the
    memory is still in use until the function returns) nor a map entry (the key is needed)."""
    remedy = event.remedy
    if not isinstance(remedy, Clear):
        return None
    statement = statement_of(event.node)
    function = top_function(event.node)
    path = _name_path(remedy.target)
    if statement is None or function is None or statement.type != "expression_statement" or not path:
        return None
    types = LocalTypes(ctx.package, file, function)
    if remedy.kind == "global" and types.is_local(path[0]):
        return None  # a local of the same name hides the package variable here
    if remedy.kind == "field" and not _frees_through(statement, function, remedy.target):
        return None
    reset = insert_after(file, statement, f"{remedy.target} = nil")
    nilable = _is_nilable(ctx, types, _path_type(types, path, statement))
    return make_fix(file, f"set {remedy.target} = nil after freeing", [reset],
                    Applicability.SAFE if nilable else Applicability.UNSAFE)


def _name_path(target: str) -> list[str]:
    """``["b", "inner", "p"]`` when ``target`` parses as a selector chain of names, else []."""
    tree = parse_go(f"package p\nvar _ = {target}\n".encode())
    spec = tree.root_node.named_children[-1].named_children[0] if not tree.root_node.has_error else None
    value = spec.child_by_field_name("value") if spec is not None else None
    node: Node | None = value.named_children[0] if value is not None and value.named_child_count == 1 else None
    path: list[str] = []
    while node is not None and node.type == "selector_expression":
        path.insert(0, text(node.child_by_field_name("field")))
        node = node.child_by_field_name("operand")
    return [text(node), *path] if node is not None and node.type == "identifier" else []


def _frees_through(statement: Node, function: Node, target: str) -> bool:
    """Whether the free names ``target`` itself, or a local copied from it earlier
    (``old := c.last``). The analysis names a location after the variable its object came
    from, which in ``for n := head; ...; n = n.next`` is ``head``, not the ``n`` freed."""
    if any(text(n) == target for n in nodes_of_type(statement, "selector_expression")):
        return True
    used = {text(n) for n in nodes_of_type(statement, "identifier")}
    for binding in nodes_of_type(function, "short_var_declaration", "assignment_statement"):
        if binding.start_byte >= statement.start_byte:
            continue
        left, right = binding.child_by_field_name("left"), binding.child_by_field_name("right")
        if left is None or right is None or len(left.named_children) != len(right.named_children):
            continue
        if any(text(name) in used and text(value) == target
               for name, value in zip(left.named_children, right.named_children, strict=True)):
            return True
    return False


def _path_type(types: LocalTypes, path: list[str], at: Node) -> GoType:
    current = types.var_type(path[0], at)
    for name in path[1:]:
        if current.kind == "unknown":
            return UNKNOWN
        current = types.field_type(current, name)
    return current


def _is_nilable(ctx: RuleContext, types: LocalTypes, t: GoType) -> bool:
    resolved = types.underlying(t)
    if resolved.kind == "c":
        return ctx.package.c.is_pointer_type(resolved.name)
    return resolved.kind in _NILABLE
