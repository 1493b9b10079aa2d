"""Go address passed to C as an integer: `C.f(C.uintptr_t(uintptr(unsafe.Pointer(&b[0]))))`.

## What it finds

An argument of a C call (or a field of a C struct, assigned or in a literal) that is an
integer holding the address of Go memory: a conversion chain such as
`C.uintptr_t(uintptr(unsafe.Pointer(&b[0])))`, `C.size_t(uintptr(unsafe.Pointer(&x)))`, or a
`uintptr` variable that was given such an address. The argument (or stored value) is reported.

Not reported: the same address passed as `unsafe.Pointer` (cgo checks and keeps it alive),
addresses of C memory passed as integers (C memory does not move), `cgo.Handle` values, and
`syscall.Syscall` arguments (the compiler keeps those alive).

## Why it matters

cgo keeps pointer arguments alive for the duration of the call and checks them against the
pointer-passing rules. An address disguised as an integer gets neither. Converting to
`uintptr` does not make the object escape, so a buffer may live on the goroutine stack; if
the stack grows on the way into the call it is copied elsewhere, every real pointer is
updated, and the integer still names the old, reused stack. A heap object may likewise be
freed while C uses it, and the runtime's cgocheck never sees the address. DataDog/zstd
shipped exactly this pattern (`C.uintptr_t(uintptr(unsafe.Pointer(&src[0])))`, to avoid the
pointer check) and got memory corruption (DataDog/zstd #90, fixed in #91 by passing
`unsafe.Pointer`).

## Example

```go
// C: size_t compress(uintptr_t dst, size_t dstLen, uintptr_t src, size_t srcLen);
n := C.compress(C.uintptr_t(uintptr(unsafe.Pointer(&dst[0]))), C.size_t(len(dst)),
	C.uintptr_t(uintptr(unsafe.Pointer(&src[0]))), C.size_t(len(src)))
```

## Fix

Declare the C parameters as pointers and pass `unsafe.Pointer(&b[0])`:

```go
// C: size_t compress(void *dst, size_t dstLen, const void *src, size_t srcLen);
n := C.compress(unsafe.Pointer(&dst[0]), C.size_t(len(dst)), unsafe.Pointer(&src[0]), C.size_t(len(src)))
```

If the signature cannot change, keep the slices alive with `runtime.KeepAlive(src)` after
the call and pin them with a `runtime.Pinner` for its duration.
"""

from __future__ import annotations

from tree_sitter import Node

from cgoguard.analysis.unsafeflow import (
    FunctionScope,
    Origin,
    address_integer,
    c_call_name,
    conversion,
    describe,
    is_unsafe_pointer_call,
)
from cgoguard.findings import Severity
from cgoguard.gofront.syntax import call_parts, line_of, nodes_of_type, text
from cgoguard.rules.analyses import shared_scopes
from cgoguard.rules.base import RuleContext, RuleMeta

META = RuleMeta(
    id="CG303",
    name="go-address-as-integer",
    category="unsafe-pointer-misuse",
    severity=Severity.ERROR,
    title="address of Go memory passed to C as an integer",
)
# cgo helpers whose integer arguments are lengths, never addresses.
_CGO_HELPERS = frozenset({"CString", "CBytes", "GoString", "GoStringN", "GoBytes"})


def check(ctx: RuleContext) -> None:
    for scope in shared_scopes(ctx):
        for node in nodes_of_type(scope.body, "call_expression", "assignment_statement", "keyed_element"):
            name = c_call_name(node, scope) if node.type == "call_expression" else None
            if name is not None and name not in _CGO_HELPERS:
                for arg in call_parts(node)[1]:
                    _check_argument(ctx, scope, f"C.{name} receives", arg)
            elif node.type == "assignment_statement":
                for target, value in zip(_named(node.child_by_field_name("left")),
                                         _named(node.child_by_field_name("right")), strict=False):
                    if _is_c_field(target, scope):
                        _check_argument(ctx, scope, f"C struct field {text(target)} gets", value)
            elif node.type == "keyed_element" and _in_c_literal(node, scope):
                key, value = node.child_by_field_name("key"), node.child_by_field_name("value")
                if key is not None and value is not None and value.named_children:
                    _check_argument(ctx, scope, f"C struct field {text(key)} gets", value.named_children[0])


def _named(node: Node | None) -> list[Node]:
    return list(node.named_children) if node is not None else []


def _is_c_field(target: Node, scope: FunctionScope) -> bool:
    """``s.f`` where ``s`` is a C struct (or a pointer to one): memory C reads."""
    if target.type != "selector_expression":
        return False
    base = scope.underlying(scope.type_of(target.child_by_field_name("operand")))
    if base.kind == "pointer" and base.elem is not None:
        base = scope.underlying(base.elem)
    return base.kind == "c"


def _in_c_literal(element: Node, scope: FunctionScope) -> bool:
    literal = element.parent.parent if element.parent is not None else None
    if literal is None or literal.type != "composite_literal":
        return False
    return scope.underlying(scope.type_of(literal)).kind == "c"


def _check_argument(ctx: RuleContext, scope: FunctionScope, receiver: str, arg: Node) -> None:
    if is_unsafe_pointer_call(arg, scope) is not None:
        return
    converted = conversion(arg, scope)
    if converted is not None and converted[0].kind in ("pointer", "unsafe-pointer"):
        return
    held = address_integer(arg, scope)
    if held is None or held.origin is not Origin.GO:
        return
    carrier = ""
    if held.via is not None:
        binding = scope.reaching(text(held.via), held.via)
        carrier = f" (held in {text(held.via)}, line {line_of(binding.name_node)})" if binding else ""
    ctx.report(
        META, scope.file, arg,
        f"{receiver} the address of Go memory {describe(held.source)} as an integer{carrier}; cgo "
        f"neither checks nor keeps alive a pointer hidden in an integer, so the memory may be freed, or moved with "
        f"a growing stack, while C uses it. "
        f"Pass unsafe.Pointer({describe(held.source, 40)}) to a pointer parameter instead",
    )
