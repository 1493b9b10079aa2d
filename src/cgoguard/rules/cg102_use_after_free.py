"""Use after free: C memory used after every path to the use has freed it.

## What it finds

A use of C memory after it was freed on every path leading to the use: passing it to a C
function, `C.GoString`/`C.GoStringN`/`C.GoBytes` over it, dereferencing it, accessing a
field through it, indexing an `unsafe.Slice`/`unsafe.String` view of it. Aliases are
followed: other local variables, struct fields (`x.f`), map entries (`m[k]`) and
conversions such as `unsafe.Pointer(p)`. It also finds functions that return memory (or a
struct referring to it) that their own `defer` frees as they return, and calls such as
`b.Close(); b.Len()` where one method frees a field and a later one reads it (reported at the
read, with the free and the call as related locations).

## Why it matters

Freed C memory is reused by the allocator. Reading it returns another object's bytes;
writing it corrupts the heap. The result is a crash far away from the bug, often only
under load, that neither the Go race detector nor the Go runtime can point at.

## Example

```go
cs := C.CString(name)
C.free(unsafe.Pointer(cs))
n := C.strlen(cs) // use after free
```

## Fix

Move the free after the last use, usually as `defer C.free(...)` right after the
allocation. When returning C memory, do not also `defer` its release: the caller owns it.

## Severity

`error`: the memory is freed on every path to the use. `warning` (low confidence) when the
free rests on an inferred contract (a naming pair, or the package's own Go usage) rather
than documentation, an attribute or a C body. See `cgoguard explain severity`.
"""

from cgoguard.findings import Severity
from cgoguard.rules.analyses import report_lifetime_events
from cgoguard.rules.base import RuleContext, RuleMeta
from cgoguard.rules.severity import report_graded_by_contracts

META = RuleMeta(
    id="CG102",
    name="use-after-free",
    category="use-after-free",
    severity=Severity.ERROR,
    title="C memory used after it was freed",
)


def check(ctx: RuleContext) -> None:
    report_graded_by_contracts(ctx, META, lambda: report_lifetime_events(ctx, META, frozenset({"use-after-free"})))
