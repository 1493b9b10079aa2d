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

A call of a function that stores one of its parameters into C memory — a helper of the same
package, or of another package of the module (`cutil.Keep(box, unsafe.Pointer(&x))`) — is
such a store too, reported at the call with the store inside the helper as related location
(function summaries, see `cgoguard.analysis.effects`).

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

from tree_sitter import Node

from cgoguard.analysis.callgraph import ImportedCallee, call_graph
from cgoguard.analysis.exports import package_summaries
from cgoguard.analysis.memory import Address, FunctionMemory, Leaf, Origin, Store
from cgoguard.analysis.pointerness import (
    CallIndex,
    Violation,
    assumption_note,
    describe_slot,
    leaf_violation,
)
from cgoguard.analysis.summaries import EMPTY_SUMMARY, RECEIVER, STORED_IN_C_MEMORY, FunctionSummary
from cgoguard.findings import Confidence, Related, Severity
from cgoguard.gofront.syntax import call_parts, unparen
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
    _check_calls(ctx, memories, calls)


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


def _check_calls(ctx: RuleContext, memories: list[FunctionMemory], calls: CallIndex) -> None:
    """Calls of functions whose summary says they store a parameter into C memory."""
    graph = call_graph(ctx.package)
    summaries: dict[int, FunctionSummary] | None = None
    for memory in memories:
        position = graph.position.get(memory.func.id)
        if position is None:
            continue
        for call, callee in graph.resolved[position]:
            if isinstance(callee, ImportedCallee):
                summary, name, is_method = callee.summary, callee.qualified_name, callee.is_method
            else:
                info = graph.functions[callee]
                if summaries is None:
                    summaries = package_summaries(ctx.package, ctx.contracts, ctx.cache)
                summary, name = summaries.get(info.node.id, EMPTY_SUMMARY), info.qualified_name
                is_method = bool(info.receiver_type)
            if any(s.place == STORED_IN_C_MEMORY for s in summary.stores):
                _check_call(ctx, memory, calls, call, summary, name, is_method)


def _check_call(ctx: RuleContext, memory: FunctionMemory, calls: CallIndex, call: Node, summary: FunctionSummary,
                name: str, is_method: bool) -> None:
    func, args = call_parts(call)
    func = unparen(func)
    by_param = dict(enumerate(args))
    if is_method and func is not None and func.type == "selector_expression":
        by_param[RECEIVER] = func.child_by_field_name("operand")
    for site in summary.stores:
        arg = by_param.get(site.param)
        if site.place != STORED_IN_C_MEMORY or site.reported_there or arg is None:
            continue
        violation = leaf_violation(memory, Leaf((), memory.eval(arg, call.start_byte), None), call.start_byte,
                                   shallow=True)
        if violation is None or (violation.assumed is not None and calls.under_pins(memory)):
            continue
        note = assumption_note(violation.assumed) if violation.assumed is not None else ""
        where = f"{site.path}:{site.line}" if site.path else "inside it"
        message = (f"Go pointer stored into C memory by a call: {name} stores this argument, {violation.what}, into "
                   f"C memory ({where}), where the garbage collector cannot see it{note}; pass C memory or a "
                   "cgo.Handle instead, or pin the object with runtime.Pinner before the call and unpin it after "
                   "C is done with it")
        related = [Related(path, line, f"passed on to {callee} here") for path, line, callee in site.chain]
        if site.path:
            related.append(Related(site.path, site.line, f"{site.function.rsplit('/', 1)[-1]} stores it into C memory here"))
        related += [ctx.related(memory.file, node, why) for node, why in violation.sites()]
        confidence = Confidence.MEDIUM if violation.assumed is not None else Confidence.HIGH
        ctx.report(META, memory.file, call, message, related=related, confidence=confidence)
