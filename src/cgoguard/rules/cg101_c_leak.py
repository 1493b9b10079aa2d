"""C memory leak: C memory allocated by the function is not freed on some path.

## What it finds

Memory from `C.CString`, `C.CBytes`, `C.malloc`/`calloc`/`realloc`, `strdup`, C functions
whose contract says the caller owns the result (`x_new` with `x_free`, bodies returning
`malloc`'d memory), and package wrappers that return such memory, when some path through
the function returns without freeing it and without handing it off (returning it, storing
it somewhere longer-lived, passing it to a function that takes ownership). This includes
`C.f(C.CString(s))`, where the string is never bound to a name, and
`var p *C.char; defer C.free(unsafe.Pointer(p)); C.get(&p)`, where the `defer` captured the
nil pointer. The message names the return (or loop iteration) on which the memory leaks.

## Why it matters

The Go garbage collector never sees C memory. Every leaked allocation stays until the
process exits; in a server, a leak on a request path grows without bound until the process
is OOM-killed, and no Go heap profile shows it.

## Example

```go
func greet(name string) {
    cs := C.CString(name)
    if name == "" {
        return // cs leaks here
    }
    C.greet(cs)
    C.free(unsafe.Pointer(cs))
}
```

## Fix

Free the memory right after allocating it with `defer C.free(unsafe.Pointer(cs))` (or the
library's deallocator), or free it on every return path. Bind inline allocations to a
variable first. When a `defer` must free a pointer that is filled in later, defer a
closure: `defer func() { C.free(unsafe.Pointer(p)) }()`.
"""

from cgoguard.findings import Severity
from cgoguard.rules.analyses import report_lifetime_events
from cgoguard.rules.base import RuleContext, RuleMeta

META = RuleMeta(
    id="CG101",
    name="c-leak",
    category="c-leak",
    severity=Severity.WARNING,
    title="C memory not freed on some path",
)


def check(ctx: RuleContext) -> None:
    report_lifetime_events(ctx, META, frozenset({"leak"}))
