"""Double free: C memory freed twice on some path, or memory the library owns freed.

## What it finds

A second release of the same C memory: two `C.free` calls, a `defer C.free(p)` plus an
explicit `C.free(p)`, a C function that frees (or takes over) its argument followed by
`C.free`, or a package function (a `Close` method, a `freeX` helper) that frees it followed
by another free. It is reported at the free that runs second: with a `defer` plus an
explicit free, that is the `defer` line. Also the release of memory a C function returned
as borrowed (owned by the library, per the contracts).

## Why it matters

A double free corrupts the C allocator's free lists: later allocations return the same
block twice and two owners overwrite each other's data. glibc sometimes aborts with
`free(): double free detected`; often the process just crashes later somewhere else.

## Example

```go
cs := C.CString(path)
defer C.free(unsafe.Pointer(cs)) // frees cs a second time when the function returns
if C.open_it(cs) < 0 {
    C.free(unsafe.Pointer(cs))
    return errOpen
}
```

## Fix

Free each allocation exactly once: keep the `defer` and delete the explicit free, or set
the pointer to nil after freeing when a later free may run. Never free memory the library
still owns.

## Severity

`error`: the second free runs on every path through the first. `warning` (low confidence)
when a free rests on an inferred contract (a naming pair, or the package's own Go usage)
rather than documentation, an attribute or a C body. A release that a vendored C library's
body only suggests through a chain of internal calls is not used at all (see `cgoguard
contracts`). See `cgoguard explain severity`.
"""

from cgoguard.findings import Severity
from cgoguard.rules.analyses import report_lifetime_events
from cgoguard.rules.base import RuleContext, RuleMeta
from cgoguard.rules.severity import report_graded_by_contracts

META = RuleMeta(
    id="CG103",
    name="double-free",
    category="double-free",
    severity=Severity.ERROR,
    title="C memory freed twice",
)


def check(ctx: RuleContext) -> None:
    report_graded_by_contracts(ctx, META, lambda: report_lifetime_events(ctx, META, frozenset({"double-free", "bad-free"})))
