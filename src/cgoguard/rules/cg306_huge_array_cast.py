"""Huge-array cast: `(*[1 << 30]T)(p)[:n:n]` to view C memory as a slice.

## What it finds

A conversion of a pointer to a pointer to an array of at least 2^20 elements (or at least
2^16 when the result is immediately sliced), written directly (`(*[1 << 30]C.int)(p)`) or
through a named array type. The conversion is reported. Only modules whose `go.mod` says
Go 1.17 or later are checked, since `unsafe.Slice` arrived in Go 1.17.

## Why it matters

The fake array type claims far more memory than exists. Slicing it with the wrong bound, or
forgetting the third index so `cap` stays at 2^30, turns an off-by-one into silent reads and
writes past the C allocation; on 32-bit platforms the type does not even compile for large
element types, and the constant needs tuning per element size. `unsafe.Slice` states the
real length and capacity once.

## Example

```go
arr := (*[1 << 30]C.int)(unsafe.Pointer(cArray))[:n:n]
```

## Fix

```go
arr := unsafe.Slice((*C.int)(unsafe.Pointer(cArray)), n)
```
"""

from __future__ import annotations

from tree_sitter import Node

from cgoguard.analysis.unsafeflow import (
    FunctionScope,
    constant_value_text,
    describe,
    module_go_version,
)
from cgoguard.findings import Severity
from cgoguard.gofront.syntax import text
from cgoguard.gofront.types import GoType
from cgoguard.rules.analyses import pointer_conversions
from cgoguard.rules.base import RuleContext, RuleMeta

META = RuleMeta(
    id="CG306",
    name="huge-array-cast",
    category="unsafe-pointer-misuse",
    severity=Severity.WARNING,
    title="(*[1 << 30]T)(p) array cast where unsafe.Slice is right",
)
HUGE = 1 << 20
HUGE_WHEN_SLICED = 1 << 16


def check(ctx: RuleContext) -> None:
    version = module_go_version(ctx.package.dir)
    if version is not None and version < (1, 17):
        return
    for scope, node, element, operand in pointer_conversions(ctx):
        _check_conversion(ctx, scope, node, element, operand)


def _check_conversion(ctx: RuleContext, scope: FunctionScope, node: Node, element: GoType, operand: Node) -> None:
    array = scope.underlying(element)
    if array.kind != "array" or array.elem is None:
        return
    length = constant_value_text(array.length, scope.package)
    sliced = node.parent is not None and node.parent.type == "slice_expression"
    if length is None or length < (HUGE_WHEN_SLICED if sliced else HUGE):
        return
    bound = _slice_bound(node.parent) if sliced else None
    pointer = f"(*{array.elem})({describe(operand, 40)})"
    ctx.report(
        META, scope.file, node,
        f"(*[{array.length}]{array.elem}) fakes an array of {length} elements over {describe(operand, 40)}; "
        f"a wrong or missing slice bound then reads and writes past the real allocation. Since Go 1.17 use "
        f"unsafe.Slice({pointer}, {bound or 'n'})",
    )


def _slice_bound(slice_expression: Node) -> str | None:
    end = slice_expression.child_by_field_name("end")
    return text(end) if end is not None else None
