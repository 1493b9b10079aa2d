"""Go pointer passed to a C function that keeps it after returning.

## What it finds

A C call whose argument is a Go pointer (`&x`, `new(T)`, `&T{}`, `&s[0]`, ...) when the C
function keeps that argument after it returns: its body stores the parameter into a global or
static variable or into a structure reachable from one, or passes it on to a function that
does (registering a callback with a context pointer is the common case). The ownership
contracts of the package's C functions (`cgoguard contracts`) say which arguments are kept.
When the contract only shows the pointer stored into a structure another argument points to,
the call is reported only if that other argument is C memory, and a pointer the C function
sets back to NULL before returning does not count. Passing C memory, an integer `cgo.Handle`,
or a pointer pinned with `runtime.Pinner` is fine. A Go function or method that passes a
parameter straight to such a C function is judged at its callers. Reported at the C call
(or at the call of the wrapper).

Go memory known only from a declaration counts too: a parameter, receiver, field or package
variable whose static type is a pointer to a struct type declared in Go (`o *Owner`), a map
or a channel can only be nil or Go memory (C memory would need an unsafe cast, which the
analysis sees where it happens). Such findings have medium confidence, because the code that
passes the value may have pinned it: they are not reported when the function or one of its
callers in the package uses `runtime.Pinner`, and the message asks to pin the value where
the pointer is handed to C. A parameter handed straight to C is judged at the callers in
the package instead, when there are any.

## Why it matters

A Go pointer passed as an argument is pinned only for the duration of the call. Once the
call returns, the garbage collector may free the object and reuse its memory while C still
holds the old address — the next callback reads garbage or corrupts an unrelated object. No
runtime check catches this; it shows up as rare, unreproducible crashes.

## Example

```go
// C: static void *saved_context; void set_context(void *ctx) { saved_context = ctx; }
state := &callbackState{name: name}
C.set_context(unsafe.Pointer(state)) // C keeps `state` for later callbacks
```

## Fix

Pass a `cgo.Handle` instead: `h := cgo.NewHandle(state)`, hand C the integer
(`C.uintptr_t(h)`), recover the value with `h.Value()` in the callback and call `h.Delete()`
when C is done. If C must hold a real pointer, pin the object with `runtime.Pinner` for as
long as C keeps it, or allocate the shared state in C memory.
"""

from __future__ import annotations

import re
from typing import Any

from tree_sitter import Node

from cgoguard.analysis.memory import FunctionMemory, Origin, Value
from cgoguard.analysis.pointerness import (
    CallIndex,
    CCall,
    Forward,
    assumption_note,
    c_calls,
    callee_key,
    describe_value,
    forwarding_calls,
)
from cgoguard.cfront.model import CFunction
from cgoguard.findings import Confidence, Severity
from cgoguard.rules.analyses import shared_call_index, shared_contracts, shared_forwards, shared_memories
from cgoguard.rules.base import RuleContext, RuleMeta

META = RuleMeta(
    id="CG203",
    name="c-retains-go-pointer",
    category="c-retains-go-pointer",
    severity=Severity.ERROR,
    title="Go pointer passed to a C function that keeps it after returning",
)

_STRUCTURE_ONLY = "a structure another argument points to"


def check(ctx: RuleContext) -> None:
    contracts = shared_contracts(ctx)
    memories = shared_memories(ctx)
    forwards = shared_forwards(ctx)
    calls = shared_call_index(ctx)
    for memory in memories:
        for call in c_calls(memory):
            for index in range(len(call.args)):
                if contracts.retains_arg(call.name, index) \
                        and not _judged_at_callers(memory, call, index, forwards, calls):
                    _check_argument(ctx, memory, calls, call, index, contracts.get(call.name))
        _check_forwarded(ctx, memory, forwards, calls, contracts)


def _judged_at_callers(memory: FunctionMemory, call: CCall, index: int, forwards: dict[str, list[Forward]],
                       calls: CallIndex) -> bool:
    """A parameter handed straight to C is judged where the package passes it, when it does."""
    return calls.has_callers(memory) and any(
        f.call.node == call.node and f.index == index for f in forwards.get(callee_key(memory.func), []))


def _check_argument(ctx: RuleContext, memory: FunctionMemory, calls: CallIndex, call: CCall, index: int,
                    contract: Any) -> None:
    value = memory.eval(call.args[index], call.node.start_byte)
    if not _unpinned_go_pointer(memory, calls, value, call.node.end_byte):
        return
    evidence = _kept(memory, call, index, contract)
    if evidence is not None:
        why = f" ({_render(evidence[0])})" if evidence else ""
        _report(ctx, memory, call.args[index], value, evidence,
                f"C.{call.name} keeps argument {index + 1} after it returns{why}")


def _check_forwarded(ctx: RuleContext, memory: FunctionMemory, forwards: dict[str, list[Forward]],
                     calls: CallIndex, contracts: Any) -> None:
    """Calls of Go functions that pass the argument on, unchanged, to a C function that keeps it."""
    for call, arg, forward in forwarding_calls(memory, forwards):
        if not contracts.retains_arg(forward.call.name, forward.index):
            continue
        value = memory.eval(arg, call.start_byte)
        if not _unpinned_go_pointer(memory, calls, value, call.end_byte):
            continue
        evidence = _kept(forward.memory, forward.call, forward.index, contracts.get(forward.call.name))
        if evidence is None:
            continue
        wrapper = forward.callee
        why = f"; {_render(evidence[0])}" if evidence else ""
        _report(ctx, memory, arg, value, evidence,
                f"{wrapper} passes argument {forward.param + 1} to C.{forward.call.name} "
                f"({forward.memory.file.display_path}:{forward.line}), which keeps it after it returns{why}")


def _unpinned_go_pointer(memory: FunctionMemory, calls: CallIndex, value: Value, at: int) -> bool:
    if value.origin is not Origin.GO or value.form != "pointer" or value.obj is None:
        return False
    if value.obj.assumed and calls.under_pins(memory):
        return False  # the caller may have pinned it
    return not memory.is_pinned(value, at)


def _kept(memory: FunctionMemory, call: CCall, index: int, contract: Any) -> list[Any] | None:
    """The evidence that C keeps argument ``index`` after the call, or None when, for this
    call, it provably does not."""
    evidence = [e for e in contract.evidence
                if not getattr(e, "overridden", False) and f"arg {index} " in f"{e.fact} "]
    if evidence and all(_STRUCTURE_ONLY in e.fact for e in evidence) \
            and not _another_argument_in_c_memory(memory, call, index):
        return None  # C stores it into a structure we cannot show outlives the call
    function = memory.package.c.function(call.name)
    if evidence and function is not None and all(_cleared_before_return(function, e) for e in evidence):
        return None  # the C function forgets the pointer again before it returns
    return evidence


def _report(ctx: RuleContext, memory: FunctionMemory, arg: Node, value: Value, evidence: list[Any],
            what_c_does: str) -> None:
    note = assumption_note(value.obj) if value.obj is not None and value.obj.assumed else ""
    message = (f"{what_c_does}, but the argument is {describe_value(value)}{note}: the garbage collector may "
               "free or reuse it while C still holds it; pass a cgo.Handle (runtime/cgo) and look the value "
               "up when C calls back, or pin the object with runtime.Pinner for as long as C keeps it")
    site = memory.site_of(value.obj) if value.obj is not None else None
    related = [ctx.related(memory.file, site, "the Go memory it points to is allocated here")] \
        if site is not None else None
    proven = any("global/static" in e.fact for e in evidence) and not (value.obj is not None and value.obj.assumed)
    confidence = Confidence.HIGH if proven else Confidence.MEDIUM
    ctx.report(META, memory.file, arg, message, related=related, confidence=confidence)


def _cleared_before_return(function: CFunction, evidence: Any) -> bool:
    """Whether the variable the pointer was stored into is set back to NULL later in the body
    (``current = ctx; work(); current = NULL;``): the pointer does not outlive the call."""
    if "stores it in" not in evidence.fact or "=" not in evidence.text or function.body is None:
        return False
    target = evidence.text.split("=", 1)[0].strip()
    body = function.unit.text(function.body)
    stored_at = body.find(evidence.text)
    if not target or stored_at < 0:
        return False
    reset = re.compile(rf"(?<![\w.>]){re.escape(target)}\s*=\s*(?:NULL|0|nullptr|\(void\s*\*\)\s*0)\s*;")
    return reset.search(body, stored_at + len(evidence.text)) is not None


def _render(evidence: Any) -> str:
    """``file.c:12: `saved = p;` (stores it in a global/static)``: the code that keeps it."""
    reason = evidence.fact.split("(", 1)[1].rstrip(")") if "(" in evidence.fact else evidence.fact
    code = f" `{evidence.text}`" if evidence.text else ""
    return f"{evidence.location}:{code} {reason}"


def _another_argument_in_c_memory(memory: FunctionMemory, call: CCall, index: int) -> bool:
    others: list[Value] = [memory.eval(arg, call.node.start_byte) for i, arg in enumerate(call.args) if i != index]
    return any(v.origin is Origin.C for v in others)
