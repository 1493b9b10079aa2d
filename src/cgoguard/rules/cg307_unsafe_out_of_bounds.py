"""Unsafe out of bounds: pointer arithmetic or a view past the size the code itself established.

## What it finds

Unsafe pointer arithmetic and views that go past the end (or before the start) of memory whose
size the same function establishes:

* `unsafe.Add(p, off)` and `unsafe.Pointer(uintptr(p) + off)` where `off`, plus the size of the
  `*T` read through the result, exceeds the size of what `p` points into;
* a conversion `(*T)(p)` or `(*[N]T)(p)` larger than what `p` points into;
* an index into an array view `(*[N]T)(p)[i]` and a slice bound `(*[1 << 30]T)(p)[:n:n]`, and
  `unsafe.Slice(p, n)`, beyond it.

Sizes come from the code: a Go variable's type (linux/amd64 layout), `C.malloc(n)`,
`C.calloc(n, size)`, `make([]T, n)`, slice literals, `unsafe.Slice(p, n)`, C struct sizes
from the package's C declarations (`C.sizeof_T`). Offsets and sizes may be symbolic:
`for i := 0; i <= n; i++` over `C.malloc(C.size_t(n) * 4)` reaches 4 bytes past the end.
The finding says the size and the offset. Sizes the function does not establish (a parameter's
length, a size read from memory) are unknown and never reported.

## Why it matters

`unsafe.Pointer` rule (3) allows arithmetic only within the original allocation: "It is not
valid to advance a pointer past the end of its original allocation". Past the end lies another
object: reads return its bytes, writes corrupt it, and a Go pointer past the end keeps the
wrong object alive. With `-d=checkptr` (implied by `-race` and `-asan`) the runtime stops at
"pointer arithmetic result points to invalid allocation" or "converted pointer straddles
multiple allocations"; AddressSanitizer reports C memory overruns; a plain build corrupts
memory silently.

## Example

```go
var v int64
next := (*int64)(unsafe.Pointer(uintptr(unsafe.Pointer(&v)) + 8)) // the variable after v

buf := C.malloc(4 * 4)
words := (*[1 << 30]C.int)(buf)
for i := 0; i <= 4; i++ { words[i] = 0 } // words[4] is past the 16 bytes
```

## Fix

Keep offsets below the size (`i < n`), allocate what is indexed, and prefer bounds-checked
views over raw arithmetic:

```go
words := unsafe.Slice((*C.int)(buf), 4) // Go checks every index
for i := range words { words[i] = 0 }
```
"""

from __future__ import annotations

from tree_sitter import Node

from cgoguard.analysis.bounds import Bounds, Extent, Linear, overrun, underrun
from cgoguard.analysis.unsafeflow import (
    FunctionScope,
    constant_value_text,
    conversion,
    describe,
    is_byte_like,
    is_unsafe_pointer_call,
)
from cgoguard.findings import Severity
from cgoguard.gofront.syntax import call_parts, line_of, nodes_of_type, text, unparen
from cgoguard.gofront.types import GoType
from cgoguard.rules.analyses import shared_scopes
from cgoguard.rules.base import RuleContext, RuleMeta

META = RuleMeta(
    id="CG307",
    name="unsafe-out-of-bounds",
    category="unsafe-pointer-misuse",
    severity=Severity.ERROR,
    title="unsafe pointer arithmetic or view past the size the code established",
)
# Array views this long are CG306's business as conversions; their indexes and bounds are ours.
_HUGE = 1 << 16


def check(ctx: RuleContext) -> None:
    for scope in shared_scopes(ctx):
        bounds = Bounds(scope)
        for node in nodes_of_type(scope.body, "call_expression", "type_conversion_expression", "index_expression",
                                  "slice_expression"):
            if node.type == "index_expression":
                _check_index(ctx, scope, bounds, node)
            elif node.type == "slice_expression":
                _check_slice(ctx, scope, bounds, node)
            elif _is_arithmetic(node, scope):
                if not _is_arithmetic(_outer(node), scope):
                    _check_arithmetic(ctx, scope, bounds, node)
            else:
                _check_call(ctx, scope, bounds, node)


# ----- arithmetic ------------------------------------------------------------------------------
def _is_arithmetic(node: Node | None, scope: FunctionScope) -> bool:
    """``unsafe.Add(p, off)`` or ``unsafe.Pointer(<address> + off)``."""
    node = unparen(node)
    if node is None or node.type != "call_expression":
        return False
    func, args = call_parts(node)
    if text(unparen(func)) == f"{scope.imports_as('unsafe')}.Add" and len(args) == 2:
        return True
    operand = unparen(is_unsafe_pointer_call(node, scope))
    return operand is not None and operand.type == "binary_expression" \
        and text(operand.child_by_field_name("operator")) in ("+", "-")


def _outer(node: Node) -> Node | None:
    """The expression ``node`` is an operand of, looking through conversions and uintptr."""
    current = node.parent
    while current is not None and current.type in ("argument_list", "parenthesized_expression", "binary_expression",
                                                   "call_expression", "type_conversion_expression"):
        if current.type in ("call_expression", "type_conversion_expression") and current.id != node.id:
            return current
        current = current.parent
    return None


def _check_arithmetic(ctx: RuleContext, scope: FunctionScope, bounds: Bounds, node: Node) -> None:
    extent = bounds.extent(node)
    if extent is None:
        return
    target = _read_as(node, scope)
    access = _access(bounds, target) if target is not None else 0
    if access is None:
        return
    before = underrun(extent)
    if before is not None:
        _report(ctx, scope, node, extent, f"{describe(node)} points {before} bytes before the start of "
                f"{extent.what}", "")
        return
    past = overrun(extent, access, go_pointer_only=target is None)
    if past is None:
        return
    reach = f"reads {target} ({access} bytes) at offset {extent.offset.high}" if target is not None else \
        f"points to offset {extent.offset.high}"
    effect = "one past its end: a pointer to whatever follows (invalid for Go memory)" if past.constant == 0 \
        else f"{past.constant} bytes past its end"
    _report(ctx, scope, node, extent, f"{describe(node)} {reach} of {extent.what}, whose size is {extent.size}: "
            f"{effect}", _checkptr_note(extent, "pointer arithmetic result points to invalid allocation"))


def _read_as(node: Node, scope: FunctionScope) -> GoType | None:
    """``T`` when the arithmetic's result is converted to ``*T`` right away."""
    outer = _outer(node)
    while outer is not None:
        converted = conversion(outer, scope)
        if converted is None:
            return None
        target = converted[0]
        if target.kind == "pointer" and target.elem is not None:
            return target.elem
        if target.kind != "unsafe-pointer":
            return None
        outer = _outer(outer)
    return None


def _access(bounds: Bounds, target: GoType) -> int | None:
    """Bytes read through a ``*T``; one element of a huge array view (its indexes are checked)."""
    resolved = bounds.scope.underlying(target)
    if resolved.kind == "array" and resolved.elem is not None:
        length = constant_value_text(resolved.length, bounds.scope.package)
        if length is None or length >= _HUGE:
            return bounds.access_size(resolved.elem)
    return bounds.access_size(target)


# ----- views ---------------------------------------------------------------------------------------
def _check_call(ctx: RuleContext, scope: FunctionScope, bounds: Bounds, node: Node) -> None:
    converted = conversion(node, scope)
    if converted is not None:
        target, operand = converted
        if target.kind == "pointer" and target.elem is not None and not _is_arithmetic(operand, scope):
            _check_view(ctx, scope, bounds, node, target.elem, operand)
        return
    func, args = call_parts(node)
    if text(unparen(func)) != f"{scope.imports_as('unsafe')}.Slice" or len(args) != 2:
        return
    element_type = scope.type_of(args[0])
    extent = bounds.extent(args[0])
    count = bounds.value(args[1])
    if extent is None or count is None or element_type.kind != "pointer" or element_type.elem is None:
        return
    elem = bounds.access_size(element_type.elem)
    if elem is None:
        return
    _check_elements(ctx, scope, node, extent, count.high, elem, f"{describe(node)} makes a slice of {count.high} "
                    f"{element_type.elem} ({elem} bytes each)")


def _check_view(ctx: RuleContext, scope: FunctionScope, bounds: Bounds, node: Node, target: GoType,
                operand: Node) -> None:
    resolved = scope.underlying(target)
    if resolved.kind == "array":
        length = constant_value_text(resolved.length, scope.package)
        if length is None or length >= _HUGE:
            return  # a huge view: its indexes and slice bounds are what count
    if _is_cross_language_cast(scope, target, operand):
        return  # CG305 reports Go and C types of different size
    extent = bounds.extent(operand)
    size = bounds.access_size(target)
    if extent is None or size is None:
        return
    past = overrun(extent, size, go_pointer_only=False)
    if past is not None:
        _report(ctx, scope, node, extent, f"{describe(node)} views {size} bytes as {target} at offset "
                f"{extent.offset.high} of {extent.what}, whose size is {extent.size}: {past.constant} bytes past "
                f"its end", _checkptr_note(extent, "converted pointer straddles multiple allocations"))


def _is_cross_language_cast(scope: FunctionScope, target: GoType, operand: Node) -> bool:
    source = unparen(is_unsafe_pointer_call(operand, scope))
    source_type = scope.underlying(scope.type_of(source)) if source is not None else None
    if source_type is None or source_type.kind != "pointer" or source_type.elem is None:
        return False
    sides = [_element(scope, target), _element(scope, source_type.elem)]
    if any(is_byte_like(t) or t.kind in ("unknown", "unsafe-pointer") for t in sides):
        return False
    return (sides[0].kind == "c") != (sides[1].kind == "c")


def _element(scope: FunctionScope, t: GoType) -> GoType:
    resolved = scope.underlying(t)
    return scope.underlying(resolved.elem) if resolved.kind == "array" and resolved.elem is not None else resolved


def _array_view(node: Node | None, scope: FunctionScope) -> tuple[Node, GoType, Node] | None:
    """(conversion, element type, operand) of ``(*[N]T)(p)``, directly or through a variable."""
    node = unparen(node)
    if node is not None and node.type == "identifier":
        binding = scope.settled(text(node), node)
        node = unparen(binding.value) if binding is not None and binding.value is not None else None
    converted = conversion(node, scope) if node is not None else None
    if converted is None or converted[0].kind != "pointer" or converted[0].elem is None:
        return None
    array = scope.underlying(converted[0].elem)
    if array.kind != "array" or array.elem is None:
        return None
    return node, array.elem, converted[1]  # type: ignore[return-value]


def _check_index(ctx: RuleContext, scope: FunctionScope, bounds: Bounds, node: Node) -> None:
    view = _array_view(node.child_by_field_name("operand"), scope)
    if view is None:
        return
    conversion_node, element, operand = view
    extent, elem = bounds.extent(operand), bounds.access_size(element)
    index = bounds.value(node.child_by_field_name("index"))
    if extent is None or elem is None or index is None:
        return
    _check_elements(ctx, scope, node, extent, index.high + Linear(1), elem,
                    f"{describe(node)} indexes element {index.high} of {describe(conversion_node, 40)}")


def _check_slice(ctx: RuleContext, scope: FunctionScope, bounds: Bounds, node: Node) -> None:
    view = _array_view(node.child_by_field_name("operand"), scope)
    if view is None:
        return
    conversion_node, element, operand = view
    ends = [bounds.value(node.child_by_field_name(bound)) for bound in ("end", "capacity")
            if node.child_by_field_name(bound) is not None]
    extent, elem = bounds.extent(operand), bounds.access_size(element)
    if extent is None or elem is None or not ends or any(e is None for e in ends):
        return
    for end in ends:
        if _check_elements(ctx, scope, node, extent, end.high, elem,  # type: ignore[union-attr]
                           f"{describe(node)} makes a slice of {end.high} elements of {element} "  # type: ignore[union-attr]
                           f"over {describe(conversion_node, 40)}"):
            return


def _check_elements(ctx: RuleContext, scope: FunctionScope, node: Node, extent: Extent, count: Linear,
                    elem: int, what: str) -> bool:
    """Report when ``count`` elements of ``elem`` bytes from the pointer pass the end."""
    needed = count.scaled(elem)
    over = extent.offset.high + needed - extent.size
    if not (over.is_constant and over.constant > 0):
        return False
    _report(ctx, scope, node, extent, f"{what}: {needed} bytes from offset {extent.offset.high} of "
            f"{extent.what}, whose size is {extent.size}: {over.constant} bytes past its end", "")
    return True


def _checkptr_note(extent: Extent, message: str) -> str:
    return f" (under -d=checkptr: \"{message}\")" if extent.go_memory else ""


def _report(ctx: RuleContext, scope: FunctionScope, node: Node, extent: Extent, what: str, note: str) -> None:
    related = []
    if line_of(extent.node) != line_of(node):
        related.append(ctx.related(scope.file, extent.node, f"the size is established here: {extent.size} bytes"))
    established = f" (the size is set on line {line_of(extent.node)})" if related else ""
    ctx.report(
        META, scope.file, node,
        f"{what}{established}{note}. Keep offsets and indexes below the size, or use unsafe.Slice with the real "
        f"length so Go checks every index",
        related=related,
    )

