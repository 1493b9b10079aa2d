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

`cgoguard scan --fix` rewrites `(*[N]T)(p)[:n:n]` so (the same slice). Without the capacity
index the capacity changes from N to n, and without a `go` directive in go.mod the module may
predate Go 1.17: both need `--unsafe-fixes`.

## Severity

`info` for `(*[N]T)(p)[:n:n]` over memory that is not Go's (both bounds stated: modernisation
advice); `warning` without a capacity bound, without slicing, or over Go memory (the fake
array is wider than the object, which checkptr rejects). See `cgoguard explain severity`.
"""

from __future__ import annotations

from tree_sitter import Node

from cgoguard.analysis.unsafeflow import (
    FunctionScope,
    Origin,
    constant_value_text,
    describe,
    module_go_version,
    pointer_origin,
)
from cgoguard.findings import Applicability, Fix, Severity
from cgoguard.fix.edits import make_fix, replace, require_import
from cgoguard.gofront.syntax import text, unparen
from cgoguard.gofront.types import GoType
from cgoguard.rules.analyses import pointer_conversions
from cgoguard.rules.base import RuleContext, RuleMeta
from cgoguard.rules.severity import Certainty, graded

META = RuleMeta(
    id="CG306",
    name="huge-array-cast",
    category="unsafe-pointer-misuse",
    severity=Severity.WARNING,
    title="(*[1 << 30]T)(p) array cast where unsafe.Slice is right",
    fixable=True,
)
HUGE = 1 << 20
HUGE_WHEN_SLICED = 1 << 16


def check(ctx: RuleContext) -> None:
    version = module_go_version(ctx.package.dir)
    if version is not None and version < (1, 17):
        return
    for scope, node, element, operand in pointer_conversions(ctx):
        _check_conversion(ctx, scope, node, element, operand, version is not None)


def _check_conversion(ctx: RuleContext, scope: FunctionScope, node: Node, element: GoType, operand: Node,
                      version_known: bool) -> None:
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
        severity=graded(META, _certainty(node, operand, scope)),
        fix=_fix(scope, node, array, operand, version_known),
    )


def _fix(scope: FunctionScope, conversion: Node, array: GoType, operand: Node, version_known: bool) -> Fix | None:
    """``(*[N]T)(p)[:n:n]`` becomes ``unsafe.Slice((*T)(p), n)``: the same slice when the
    capacity is given and equals the length (safe). Without a capacity the slice's capacity
    shrinks from N to n (an append then reallocates instead of writing past the C memory):
    unsafe, as is any fix where go.mod does not say the module may use unsafe.Slice."""
    expression = conversion.parent
    if expression is None or expression.type != "slice_expression" or \
            expression.child_by_field_name("operand") != conversion:
        return None
    start, end = expression.child_by_field_name("start"), expression.child_by_field_name("end")
    capacity = expression.child_by_field_name("capacity")
    element = _element_text(conversion, array)
    if end is None or (start is not None and text(start) != "0") or element is None:
        return None
    exact = capacity is not None and text(capacity) == text(end)
    if capacity is not None and not exact:
        return None
    unsafe, import_edit = require_import(scope.file, "unsafe")
    code = f"{unsafe}.Slice((*{element})({text(operand)}), {text(end)})"
    safe = exact and version_known
    return make_fix(scope.file, f"use {code}", [replace(scope.file, expression, code), import_edit],
                    Applicability.SAFE if safe else Applicability.UNSAFE)


def _element_text(conversion: Node, array: GoType) -> str | None:
    """The element type as written in the conversion, or the named array type's element when
    it is spelled the same in any file of the package (a C or predeclared type, or one of the
    package's own)."""
    written = unparen(conversion.child_by_field_name("type")) if conversion.type == "type_conversion_expression" \
        else None
    while written is not None and written.type == "parenthesized_type":
        written = written.named_children[0] if written.named_children else None
    pointee = written.named_children[-1] if written is not None and written.type == "pointer_type" else None
    if pointee is not None and pointee.type == "array_type":
        return text(pointee.child_by_field_name("element"))
    elem = array.elem
    if elem is not None and (elem.kind in ("c", "basic") or (elem.kind == "named" and "." not in elem.name)):
        return str(elem)
    return None


def _certainty(node: Node, operand: Node, scope: FunctionScope) -> Certainty:
    """Advice for ``(*[1 << 30]T)(p)[:n:n]`` over memory that is not Go's: the bounds are stated and
    the collector never looks at C memory. Over Go memory the fake type is wider than the object
    (checkptr rejects it), and without a capacity bound ``append`` writes past the end."""
    parent = node.parent
    bounded = parent is not None and parent.type == "slice_expression" and \
        parent.child_by_field_name("end") is not None and parent.child_by_field_name("capacity") is not None
    return Certainty.ADVICE if bounded and pointer_origin(operand, scope) is not Origin.GO else Certainty.CERTAIN


def _slice_bound(slice_expression: Node) -> str | None:
    end = slice_expression.child_by_field_name("end")
    return text(end) if end is not None else None
