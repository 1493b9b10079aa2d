"""Go pointer to Go memory that holds unpinned Go pointers passed to C.

## What it finds

An argument of a C call that points to Go memory which, when the call runs, holds a Go
pointer to unpinned Go memory: `unsafe.Pointer(&m)` of a map, channel, closure, interface,
heap string or slice; `&x`, `&x.f`, `&s[0]`, `unsafe.SliceData(s)` or a plain pointer whose
checked memory holds such pointers; Go-allocated C structs whose pointer fields were set to
Go memory (`&C.holder{p: new(C.int)}`). It follows cgo's rules exactly: for `&x.f` only that
field is checked, for `&s[0]` the whole backing array, for any other pointer the whole
allocation; `uintptr` fields are not pointers; results of `C.CString`, `C.CBytes` and
`C.malloc` are C memory; memory pinned with `runtime.Pinner` before the call is allowed;
parameters whose C type cannot hold pointers (`int *`) are not checked. A deferred call is
judged with the values it sees when it runs. A Go function or method that passes a
parameter straight to C (`func send(p unsafe.Pointer) { C.send(p) }`) is judged at its
callers, by what they pass. Reported at the C call (or at the call of the wrapper).

Go memory known only from a declaration counts too: a parameter, receiver, field or package
variable whose static type is a pointer to a struct type declared in Go (`o *Owner`), a map
or a channel can only be nil or Go memory (C memory would need an unsafe cast, which the
analysis sees where it happens). Such findings have medium confidence, because the code that
passes the value may have pinned it: they are not reported when the function or one of its
callers in the package uses `runtime.Pinner`, and the message asks to pin the value where
the pointer is handed to C. Copies made by `[]byte(s)`, `string(b)` and `append` are fresh
Go memory.

## Why it matters

The garbage collector does not scan C's view of memory. If C can reach a Go pointer that is
not pinned, the object behind it may be freed or reused while C still follows it. The
runtime's default check (`cgocheck=1`) panics with `argument of cgo function has Go pointer
to unpinned Go pointer` — but only on the paths your tests happen to run.

## Example

```go
i := 0
table := []unsafe.Pointer{nil, unsafe.Pointer(&i)}
C.use_table(&table[0]) // the whole backing array is checked: table[1] is a Go pointer
```

## Fix

Copy the data into C memory (`C.malloc`) and pass that, pass an integer `cgo.Handle`
instead of a Go pointer, or pin every Go object the memory points to with `runtime.Pinner`
before the call (and `Unpin` after C is done with it).
"""

from __future__ import annotations

from cgoguard.analysis.memory import FunctionMemory, Origin
from cgoguard.analysis.pointerness import (
    CallIndex,
    Checked,
    CheckMode,
    Forward,
    Violation,
    argument_is_checked,
    argument_violation,
    assumption_note,
    c_calls,
    checked_memory,
    forwarding_calls,
)
from cgoguard.findings import Confidence, Severity
from cgoguard.rules.analyses import shared_call_index, shared_forwards, shared_memories
from cgoguard.rules.base import RuleContext, RuleMeta

META = RuleMeta(
    id="CG201",
    name="go-pointer-to-go-pointer",
    category="go-pointer-to-go-pointer",
    severity=Severity.ERROR,
    title="C call argument points to Go memory holding unpinned Go pointers",
)

_SCOPE = {
    CheckMode.ELEMENT: "the addressed memory",
    CheckMode.ARRAY: "the whole array it indexes",
    CheckMode.SLICE: "the slice",
    CheckMode.OBJECT: "the whole Go allocation",
}


def check(ctx: RuleContext) -> None:
    memories = shared_memories(ctx)
    forwards = shared_forwards(ctx)
    calls = shared_call_index(ctx)
    for memory in memories:
        _check_function(ctx, memory, calls)
        _check_forwarded(ctx, memory, forwards, calls)


def _check_function(ctx: RuleContext, memory: FunctionMemory, calls: CallIndex) -> None:
    for call in c_calls(memory):
        run_at = memory.run_position(call.node)
        for index, arg in enumerate(call.args):
            if not argument_is_checked(memory, call, index):
                continue
            checked = checked_memory(memory, arg, call.node.start_byte)
            if checked is None:
                continue
            violation = argument_violation(memory, checked, run_at)
            if violation is None or (violation.assumed is not None and calls.under_pins(memory)):
                continue
            deferred = " when the deferred call runs" if run_at != call.node.end_byte else ""
            message = (f"argument {index + 1} of C.{call.name} points to Go memory holding an unpinned Go "
                       f"pointer{deferred}: {violation.place(checked.obj.describe())} holds {violation.what} "
                       f"(the runtime checks {_SCOPE[checked.mode]}){_note(violation)}; {_fix(violation)}")
            related = [ctx.related(memory.file, node, why) for node, why in violation.sites()]
            ctx.report(META, memory.file, arg, message, related=related, confidence=_confidence(violation))


def _check_forwarded(ctx: RuleContext, memory: FunctionMemory, forwards: dict[str, list[Forward]],
                     calls: CallIndex) -> None:
    """Calls of Go functions that pass the argument on to C unchanged (one wrapper level)."""
    for call, arg, forward in forwarding_calls(memory, forwards):
        if not argument_is_checked(forward.memory, forward.call, forward.index):
            continue
        value = memory.eval(arg, call.start_byte)
        if value.obj is None or value.origin not in (Origin.GO, Origin.GLOBAL):
            continue
        checked = Checked(CheckMode.OBJECT, value.obj, (), value)
        violation = argument_violation(memory, checked, memory.run_position(call))
        if violation is None or (violation.assumed is not None and calls.under_pins(memory)):
            continue
        wrapper = forward.callee
        message = (f"argument {forward.param + 1} of {wrapper} reaches C.{forward.call.name} unchanged "
                   f"({forward.memory.file.display_path}:{forward.line}), and it points to Go memory holding an "
                   f"unpinned Go pointer: {violation.place(checked.obj.describe())} holds {violation.what} "
                   f"(the runtime checks {_SCOPE[checked.mode]}){_note(violation)}; {_fix(violation)}")
        related = [ctx.related(forward.memory.file, forward.call.node, f"{wrapper} passes it to C here")]
        related += [ctx.related(memory.file, node, why) for node, why in violation.sites()]
        ctx.report(META, memory.file, arg, message, related=related, confidence=_confidence(violation))


def _note(violation: Violation) -> str:
    return assumption_note(violation.assumed) if violation.assumed is not None else ""


def _confidence(violation: Violation) -> Confidence:
    return Confidence.MEDIUM if violation.assumed is not None else Confidence.HIGH


def _fix(violation: Violation) -> str:
    if violation.kind in ("map", "chan"):
        return "pass a cgo.Handle instead (maps and channels can never be pinned)"
    return "pin the pointed-to object with runtime.Pinner before the call or copy the data into C memory"
