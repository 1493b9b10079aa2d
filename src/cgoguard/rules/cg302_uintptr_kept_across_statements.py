"""uintptr kept across statements: the address of Go memory held in a uintptr variable and
later converted back to `unsafe.Pointer`.

## What it finds

A local `uintptr` variable that holds the address of Go memory (`uintptr(unsafe.Pointer(&x))`,
`uintptr(unsafe.Pointer(&b[0]))`, `v.UnsafeAddr()` stored in a variable, or arithmetic on
one of those) and is converted back with `unsafe.Pointer(u)` or `unsafe.Pointer(u + off)` in
a later statement. The conversion is reported.

Not reported: the single-expression idiom `unsafe.Pointer(uintptr(p) + off)`, direct
conversions of `reflect.Value.Pointer()` / `UnsafeAddr()`, `uintptr`s holding C memory
(C memory never moves), and `uintptr` arguments of `syscall.Syscall`.

## Why it matters

A `uintptr` is an integer: the garbage collector neither keeps the object it names alive nor
updates it when a goroutine stack moves. Between the statements the object may be freed (its
memory reused for something else) or, for a stack variable, copied elsewhere, and the
pointer rebuilt from the integer then points at garbage. `unsafe.Pointer` rule (3) allows the
round trip only inside one expression.

## Example

```go
addr := uintptr(unsafe.Pointer(&buf[0]))
// ... other statements: buf may be collected or moved here
p := (*byte)(unsafe.Pointer(addr + 4))
```

## Fix

Keep the address as an `unsafe.Pointer` (which the GC tracks) and do the arithmetic with
`unsafe.Add`:

```go
base := unsafe.Pointer(&buf[0])
p := (*byte)(unsafe.Add(base, 4))
```
"""

from __future__ import annotations

from tree_sitter import Node

from cgoguard.analysis.unsafeflow import (
    FunctionScope,
    Origin,
    address_integer,
    describe,
    is_unsafe_pointer_call,
)
from cgoguard.findings import Severity
from cgoguard.gofront.syntax import line_of, nodes_of_type, text, unparen
from cgoguard.rules.analyses import shared_scopes
from cgoguard.rules.base import RuleContext, RuleMeta

META = RuleMeta(
    id="CG302",
    name="uintptr-kept-across-statements",
    category="unsafe-pointer-misuse",
    severity=Severity.ERROR,
    title="address of Go memory kept in a uintptr and converted back to unsafe.Pointer later",
)


def check(ctx: RuleContext) -> None:
    for scope in shared_scopes(ctx):
        for node in nodes_of_type(scope.body, "call_expression"):
            operand = is_unsafe_pointer_call(node, scope)
            if operand is not None:
                _check_conversion(ctx, scope, node, operand)


def _check_conversion(ctx: RuleContext, scope: FunctionScope, call: Node, operand: Node) -> None:
    if _carrier_variable(operand) is None:
        return  # the single-expression idiom, or a field: nothing was kept across statements
    held = address_integer(operand, scope)
    if held is None or held.origin is not Origin.GO or held.via is None:
        return
    name = text(held.via)
    binding = scope.reaching(name, held.via)
    related = [ctx.related(scope.file, binding.name_node, f"{name} takes the address here")] if binding else []
    ctx.report(
        META, scope.file, call,
        f"uintptr {name} holds the address of Go memory ({describe(held.source)}"
        f"{f', line {line_of(binding.name_node)}' if binding else ''}) across statements and is converted "
        f"back to unsafe.Pointer here; the GC does not track a uintptr, so the object may be freed or moved "
        f"in between. Keep it as an unsafe.Pointer and use unsafe.Add for offsets",
        related=related,
    )


def _carrier_variable(operand: Node) -> Node | None:
    """The variable in ``u``, ``u + off``, ``u - off`` or ``u &^ mask``."""
    node = unparen(operand)
    while node is not None and node.type == "binary_expression":
        node = unparen(node.child_by_field_name("left"))
    return node if node is not None and node.type == "identifier" else None
