"""Unsafe cast between Go and C types of different size: `(*C.int)(unsafe.Pointer(&goInt))`.

## What it finds

A pointer conversion through `unsafe.Pointer` where one side is a C type and the other a Go type
of a different size on linux/amd64: Go `int` (8 bytes) viewed as `C.int` (4 bytes), a
`*C.long` viewed as `*int32`, a Go struct viewed as a C struct with a different layout, or
the elements of a `[]int` passed as `*C.int`. When either side is an array, element sizes
are compared (`(*[1 << 20]C.int)(p)` over a `*C.int` is fine). The conversion is reported.

Sizes come from the linux/amd64 ABI for basic types, from the package's C declarations for
C typedefs, structs and unions, and from field-by-field layout (with alignment) for Go
structs. When any size is not knowable the rule stays silent. Casts between two C types
(`(*C.GtkWidget)(unsafe.Pointer(win))`, a derived struct viewed as its first member) are C's
own inheritance idiom and are not reported. Views as bytes (`*C.char`,
`*byte`, `*C.uint8_t`, `void`) are raw-memory access and are not reported.

## Why it matters

C reads or writes exactly `sizeof` its type. A `C.int*` out-parameter pointing at a Go
`int` fills only the low 4 bytes and leaves garbage in the rest; a `C.long*` viewed as
`*int32` drops half the value; a `[]int` handed over as `int *` makes C see every element
split in two. A larger view also reads or writes past the end of the Go object,
corrupting whatever the allocator placed next to it.

## Example

```go
var count int
C.get_count(h, (*C.int)(unsafe.Pointer(&count))) // C writes 4 of 8 bytes
```

## Fix

Use a variable of the C type (or the Go type of the same size) and convert the value:

```go
var count C.int
C.get_count(h, &count)
n := int(count)
```
"""

from __future__ import annotations

from tree_sitter import Node

from cgoguard.analysis.unsafeflow import (
    FunctionScope,
    describe,
    is_byte_like,
    is_unsafe_pointer_call,
    layout,
)
from cgoguard.findings import Severity
from cgoguard.gofront.types import GoType
from cgoguard.rules.analyses import pointer_conversions
from cgoguard.rules.base import RuleContext, RuleMeta

META = RuleMeta(
    id="CG305",
    name="unsafe-cast-size-mismatch",
    category="unsafe-pointer-misuse",
    severity=Severity.ERROR,
    title="cast through unsafe.Pointer between Go and C types of different size",
)


def check(ctx: RuleContext) -> None:
    for scope, node, element, operand in pointer_conversions(ctx):
        _check_conversion(ctx, scope, node, element, operand)


def _check_conversion(ctx: RuleContext, scope: FunctionScope, node: Node, element: GoType, operand: Node) -> None:
    source = is_unsafe_pointer_call(operand, scope)
    if source is None:
        return
    source_type = scope.underlying(scope.type_of(source))
    if source_type.kind != "pointer" or source_type.elem is None:
        return
    # An array view over an element pointer (or a pointer into an array) is about elements.
    target, origin = _element(element, scope), _element(source_type.elem, scope)
    if _is_c(target, scope) == _is_c(origin, scope) or _is_raw(target, scope) or _is_raw(origin, scope):
        return  # Go-to-Go is not cgo's business; C-to-C casts are C's struct-inheritance idiom
    target_layout, origin_layout = layout(target, scope.package), layout(origin, scope.package)
    if target_layout is None or origin_layout is None or target_layout.size == origin_layout.size:
        return
    effect = "past the end of" if target_layout.size > origin_layout.size else "only part of"
    ctx.report(
        META, scope.file, node,
        f"{describe(node)} views {origin} ({origin_layout.size} bytes) as {target} ({target_layout.size} bytes "
        f"on linux/amd64): accesses through it reach {effect} the {origin}. Use a variable of type {target} "
        f"(or a Go type of the same size) and convert the value instead of the pointer",
    )


def _element(t: GoType, scope: FunctionScope) -> GoType:
    resolved = scope.underlying(t)
    return resolved.elem if resolved.kind == "array" and resolved.elem is not None else t


def _is_c(t: GoType, scope: FunctionScope) -> bool:
    resolved = scope.underlying(t)
    if resolved.kind == "array" and resolved.elem is not None:
        return _is_c(resolved.elem, scope)
    return resolved.kind == "c"


def _is_raw(t: GoType, scope: FunctionScope) -> bool:
    """Byte views, void and unsafe.Pointer: raw memory, reinterpreted on purpose."""
    resolved = scope.underlying(t)
    if resolved.kind == "array" and resolved.elem is not None:
        return _is_raw(resolved.elem, scope)
    return is_byte_like(resolved) or resolved.kind == "unsafe-pointer" or resolved.kind == "unknown"
