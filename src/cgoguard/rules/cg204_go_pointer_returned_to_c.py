"""Exported Go function returns a Go pointer to C.

## What it finds

A `return` in an `//export` function that hands C a Go pointer, a heap string, a slice, a
map, a channel, a closure, or a struct or array holding one of those. Returning C memory,
`nil`, plain numbers, string constants (read-only data) or a pointer pinned with
`runtime.Pinner` is fine. Reported at the `return`.

Go memory known only from a declaration counts too: a parameter, receiver, field or package
variable whose static type is a pointer to a struct type declared in Go (`o *Owner`), a map
or a channel can only be nil or Go memory (C memory would need an unsafe cast, which the
analysis sees where it happens). Such findings have medium confidence, because the code that
passes the value may have pinned it: they are not reported when the function or one of its
callers in the package uses `runtime.Pinner`, and the message asks to pin the value where
the pointer is handed to C. Copies made by `[]byte(s)`, `string(b)` and `append` are fresh
Go memory.

## Why it matters

C keeps what a Go function returns to it, but the garbage collector does not know that: the
object can be freed or reused while C still uses it. Strings, slices, maps and channels can
never be pinned, so they can never be returned. The default runtime check panics with
`result of Go function F called from cgo is unpinned Go pointer or points to unpinned Go
pointer` — only when that path runs.

## Example

```go
//export lastError
func lastError() *C.char {
	msg := make([]byte, len(errText)+1) // NUL-terminated copy of the message
	copy(msg, errText)
	return (*C.char)(unsafe.Pointer(&msg[0])) // Go memory returned to C
}
```

## Fix

Return C memory (`C.CString(s)`, `C.CBytes(b)`, `C.malloc` plus a copy) and document that the
C caller frees it, return an integer `cgo.Handle` for Go values C must refer to, or pin the
object with `runtime.Pinner` for as long as C uses it.
"""

from __future__ import annotations

from tree_sitter import Node

from cgoguard.analysis.memory import FunctionMemory
from cgoguard.analysis.pointerness import CallIndex, assumption_note, value_violation
from cgoguard.findings import Confidence, Severity
from cgoguard.gofront.syntax import text, walk_skipping_funcs
from cgoguard.rules.analyses import shared_call_index, shared_memories
from cgoguard.rules.base import RuleContext, RuleMeta

META = RuleMeta(
    id="CG204",
    name="go-pointer-returned-to-c",
    category="go-pointer-returned-to-c",
    severity=Severity.ERROR,
    title="exported Go function returns a Go pointer to C",
)

_NOUNS = {"pointer": "a Go pointer", "slice": "a Go slice", "string": "a Go string", "map": "a Go map",
          "chan": "a Go channel", "func": "a Go closure", "iface": "a Go interface value",
          "global": "a pointer into a Go package variable"}
_FIXES = {
    "string": "return C.CString(s) (the C caller frees it) instead",
    "slice": "return C memory (C.CBytes or C.malloc plus a copy) instead",
    "map": "return a cgo.Handle instead",
    "chan": "return a cgo.Handle instead",
    "func": "return a cgo.Handle instead",
}


def check(ctx: RuleContext) -> None:
    exported = {info.node: info.export_name for info in ctx.package.symbols.all_functions() if info.export_name}
    if not exported:
        return
    memories = shared_memories(ctx)
    calls = shared_call_index(ctx)
    for memory in memories:
        name = exported.get(memory.func)
        if name:
            _check_returns(ctx, memory, calls, name)


def _check_returns(ctx: RuleContext, memory: FunctionMemory, calls: CallIndex, name: str) -> None:
    body = memory.func.child_by_field_name("body")
    for node in walk_skipping_funcs(body) if body is not None else []:
        if node.type != "return_statement":
            continue
        for result in _results(node):
            violation = value_violation(memory, memory.eval(result, node.start_byte), node.start_byte)
            if violation is None or (violation.assumed is not None and calls.under_pins(memory)):
                continue
            inside = "" if violation.slot == "the value itself" else f" in {violation.slot}"
            note = assumption_note(violation.assumed) if violation.assumed is not None else ""
            fix = _FIXES.get(violation.kind, "return C memory or a cgo.Handle instead, or pin the object with "
                             "runtime.Pinner for as long as C uses it")
            message = (f"exported function {name} returns {_NOUNS.get(violation.kind, 'a Go pointer')} to C"
                       f"{inside} ({violation.what}){note}; C may keep it while the garbage collector frees "
                       f"or reuses the memory: {fix}")
            related = [ctx.related(memory.file, node, why) for node, why in violation.sites()]
            confidence = Confidence.MEDIUM if violation.assumed is not None else Confidence.HIGH
            ctx.report(META, memory.file, result, message, related=related, confidence=confidence)


def _results(statement: Node) -> list[Node]:
    values = next((c for c in statement.named_children if c.type == "expression_list"), None)
    if values is not None:
        return list(values.named_children)
    return [c for c in statement.named_children if c.type != "comment" and text(c)]
