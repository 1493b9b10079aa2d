"""Unpinned Go pointer written into C memory or mmap memory.

## What it finds

A store that writes a Go pointer into memory the Go garbage collector does not manage:
memory from `C.malloc`/`C.calloc` or returned by a C function, a `*C.T` loaded from such
memory, or memory from `syscall.Mmap`/`unix.Mmap`. Pointers, heap strings, slices, maps,
closures and interface data all count, also inside arrays and structs assigned as a whole
(`p.a = [10]*C.char{new(C.char)}`, `*dst = *src`) and in `copy()` of pointer-holding
slices into such memory. Pointers pinned with `runtime.Pinner` before the store (and not
unpinned yet) are allowed, and so are C pointers stored into C memory. Reported at the write.

A struct field of type `*C.T`, a C pointer typedef or (unexported) `unsafe.Pointer` that
every write in the package fills from C memory (`return &Buffer{c: C.buffer_new(n)}`, an
out-parameter `C.buffer_open(&b.c)`, or a `*C.T` parameter every call in the package passes
C memory for) is C memory wherever it is read, so `b.c.owner = ...` in a method of `Buffer`
writes into C memory; one write of Go memory, or `&b.c` handed to Go code, and it is not.

Go memory known only from a declaration counts too: a parameter, receiver, field or package
variable whose static type is a pointer to a struct type declared in Go (`o *Owner`), a map
or a channel can only be nil or Go memory (C memory would need an unsafe cast, which the
analysis sees where it happens). Such findings have medium confidence, because the code that
passes the value may have pinned it: they are not reported when the function or one of its
callers in the package uses `runtime.Pinner`, and the message asks to pin the value where
the pointer is handed to C. Copies made by `[]byte(s)`, `string(b)` and `append` are fresh
Go memory.

## Why it matters

The garbage collector cannot see pointers held in C memory: the Go object may be freed (and
its memory reused) while C memory still points to it. The runtime only notices when the
program is built with `GOEXPERIMENT=cgocheck2`, where such a write is a fatal error
(`unpinned Go pointer stored into non-Go memory`); normal builds corrupt memory silently.

## Example

```go
slot := C.new_slot()              // char ** from C
*slot = (*C.char)(C.CBytes(data)) // fine: C memory
*slot = new(C.char)               // Go pointer stored into C memory
```

## Fix

Store C memory instead (copy the data with `C.CBytes`/`C.malloc`), store an integer
`cgo.Handle` and look the Go value up when C calls back, or pin the object with
`runtime.Pinner` before the store and `Unpin` it only after C no longer uses it.
"""

from __future__ import annotations

from cgoguard.analysis.memory import Address, FunctionMemory, Origin, Store
from cgoguard.analysis.pointerness import (
    CallIndex,
    Violation,
    assumption_note,
    describe_slot,
    leaf_violation,
)
from cgoguard.findings import Confidence, Severity
from cgoguard.rules.analyses import shared_call_index, shared_memories
from cgoguard.rules.base import RuleContext, RuleMeta

META = RuleMeta(
    id="CG202",
    name="go-pointer-stored-in-c-memory",
    category="go-pointer-stored-in-c-memory",
    severity=Severity.ERROR,
    title="Go pointer written into C or mmap memory",
)

_FOREIGN = {Origin.C: "C memory", Origin.MMAP: "memory mapped with Mmap"}


def check(ctx: RuleContext) -> None:
    memories = shared_memories(ctx)
    calls = shared_call_index(ctx)
    for memory in memories:
        for address, store in memory.resolved_stores:
            if address.origin in _FOREIGN:
                _check_store(ctx, memory, calls, address, store)


def _check_store(ctx: RuleContext, memory: FunctionMemory, calls: CallIndex, address: Address,
                 store: Store) -> None:
    violation = _stored_go_pointer(memory, store)
    if violation is None or (violation.assumed is not None and calls.under_pins(memory)):
        return
    where = _FOREIGN[address.origin]
    if store.is_copy:
        what = f"copy() writes {violation.what} ({violation.slot} of the source slice)"
    elif violation.slot == "the value itself":
        what = f"this assignment writes {violation.what}"
    else:
        what = f"this assignment writes {violation.what} ({violation.slot} of the stored value)"
    note = assumption_note(violation.assumed) if violation.assumed is not None else ""
    message = (f"Go pointer stored into {where}: {what} where the garbage collector cannot see it{note}; store C "
               "memory or a cgo.Handle instead, or pin the object with runtime.Pinner before the store and "
               "unpin it after C is done with it")
    related = [ctx.related(memory.file, node, why) for node, why in violation.sites() if node != store.stmt]
    confidence = Confidence.MEDIUM if violation.assumed is not None else Confidence.HIGH
    ctx.report(META, memory.file, store.stmt, message, related=related, confidence=confidence)


def _stored_go_pointer(memory: FunctionMemory, store: Store) -> Violation | None:
    at = store.stmt.end_byte - 1  # after the right-hand side, before the store itself
    if store.is_copy:
        source = memory.eval(store.rhs, at)  # type: ignore[arg-type]
        if source.origin is not Origin.GO or source.obj is None:
            return None
        leaves = memory.contents(source.obj, source.path, at)
    else:
        leaves = memory.expand(store.rhs, (), (), store)
    for leaf in leaves:
        found = leaf_violation(memory, leaf, at, shallow=True)
        if found is not None:
            return Violation(describe_slot(leaf.path), found.what, found.kind, found.node, allocated=found.allocated,
                             assumed=found.assumed)
    return None
