"""Integer as pointer: `unsafe.Pointer(x)` of a number that never was an address.

## What it finds

A conversion `unsafe.Pointer(x)` whose operand is a number: a `cgo.Handle`, a loop index, a
counter (a local, package variable or struct field the package only ever sets to numbers),
`len(...)`, a small constant, arithmetic on those, or arithmetic on `uintptr` of a nil pointer
(`unsafe.Pointer(uintptr(nullPtr) + i)`). Integers reaching the conversion through package
helpers count too: a function that converts its parameter is reported where a caller passes
it a number, and a function that returns a number (`nextID()`) is followed. The conversion
(or the helper's argument) is reported.

Not reported: the round trip of a real address (`unsafe.Pointer(uintptr(p) + off)`, a `uintptr`
holding C memory, `reflect.Value.Pointer()`), integers C handed over (a C call's result, a C
struct field, which C may have filled with a pointer), syscall results, parameters whose
callers are not seen, `unsafe.Pointer(uintptr(0))` (nil), and constant sentinels of 4096 and
above (`^uintptr(0)`), which the runtime never mistakes for a Go pointer.

## Why it matters

The `unsafe.Pointer` rules allow converting a `uintptr` back to a pointer only when it holds
the address of a live allocation. A number typed as a pointer is seen by the garbage collector
and the stack copier: when it is small (handles and indexes count from 1) the runtime throws
"invalid pointer found on stack" as soon as a goroutine stack holding it is copied; when it
happens to fall inside the Go heap, the GC reports "found bad pointer in Go heap" or keeps a
random object alive. Built with `-d=checkptr` (implied by `-race` and `-asan`), pointer
arithmetic on it fails with "pointer arithmetic computed bad pointer value". In C, a `void *`
that is not a pointer is undefined behaviour too. go-ceph removed a `VoidPtr` helper doing
exactly this (ceph/go-ceph c8f26a8); go-sdl2 and portaudio pass indexes and ids as `void *`.

## Example

```go
h := cgo.NewHandle(state)
C.register_callback(C.callback_t(C.goCallback), unsafe.Pointer(h)) // void *user_data
```

## Fix

Declare the C parameter as `uintptr_t` and pass the number as a number; C hands it back
unchanged to the callback, which takes a `C.uintptr_t`:

```go
// C: void register_callback(callback_t cb, uintptr_t user_data);
h := cgo.NewHandle(state)
C.register_callback(C.callback_t(C.goCallback), C.uintptr_t(h))
```

If the C signature cannot change, add a small C wrapper in the preamble that takes a
`uintptr_t` and casts it to `void *` on the C side.
"""

from __future__ import annotations

from cgoguard.analysis.integers import Conversion, Integers
from cgoguard.analysis.unsafeflow import FunctionScope, describe
from cgoguard.findings import Severity
from cgoguard.gofront.syntax import line_of
from cgoguard.rules.analyses import shared_scopes
from cgoguard.rules.base import RuleContext, RuleMeta

META = RuleMeta(
    id="CG308",
    name="integer-as-pointer",
    category="unsafe-pointer-misuse",
    severity=Severity.ERROR,
    title="unsafe.Pointer made from a number (a cgo.Handle, an index, a counter) that never was an address",
)
# Constants from here on are sentinels: below the first heap arena, above every small-integer check.
SENTINEL = 4096


def check(ctx: RuleContext) -> None:
    analysis: Integers = ctx.shared("integers", lambda: Integers(shared_scopes(ctx)))
    for scope in analysis.scopes:
        for found in analysis.conversions(scope):
            origin = found.origin
            constant_sentinel = origin.value is not None and not 0 < origin.value < SENTINEL
            if origin.from_nil or (origin.is_number and not constant_sentinel):
                _report(ctx, scope, found)


def _report(ctx: RuleContext, scope: FunctionScope, found: Conversion) -> None:
    origin = found.origin
    source = origin.source
    related = []
    if source is not None and line_of(source) != line_of(found.operand):
        related.append(ctx.related(scope.file, source, "the number comes from here"))
    if origin.from_nil:
        what = (f"{describe(found.operand, 50)} builds a pointer by integer arithmetic on a nil pointer; no "
                f"allocation backs the result")
    else:
        what = f"{describe(found.operand, 50)} is {origin.why or 'a number'}{_line(source, found)}, not an address"
    if found.helper:
        where = f"{found.helper} converts this argument to unsafe.Pointer (line {found.helper_line}): {what}"
    else:
        where = f"unsafe.Pointer({describe(found.operand, 40)}) turns a number into a pointer: {what}"
    ctx.report(
        META, scope.file, found.operand if found.helper else found.node,
        f"{where}. The GC and the stack copier take it for a pointer (\"invalid pointer found on stack\" when "
        f"it is small, a bad heap pointer when it falls in the heap) and checkptr rejects arithmetic on it. "
        f"Pass the number as a number: declare the C parameter uintptr_t and pass C.uintptr_t(...)",
        related=related,
    )


def _line(source: object, found: Conversion) -> str:
    if source is None or line_of(source) == line_of(found.operand):  # type: ignore[arg-type]
        return ""
    return f", line {line_of(source)}"  # type: ignore[arg-type]
