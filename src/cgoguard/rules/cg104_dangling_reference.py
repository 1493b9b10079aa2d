"""Dangling reference: C memory freed while a map, package variable or field still holds it.

## What it finds

A free of C memory that stays reachable after the function returns: as a key or value of
a map, in a package-level variable, or in a field of an object that outlives the call (a
receiver, a parameter, a global), with no `delete`, overwrite or nil-out of that location
after the free in the same function. Finalizers are exempt: nothing can reach their object.

## Why it matters

The next reader of the map or field gets a pointer to freed memory: a use after free or a
double free waiting to happen (a second `Close`, a cache hit). `delete(m, k)` is perfectly
reliable after a cgo call; the missing `delete` is the bug.

## Example

```go
func (c *Cache) Drop(key string) {
    C.free(unsafe.Pointer(c.entries[key])) // c.entries[key] still points at it
}
```

## Fix

Remove the reference right after freeing: `delete(c.entries, key)`, `b.p = nil`, or
reassign the package variable.
"""

from cgoguard.findings import Severity
from cgoguard.rules.analyses import report_lifetime_events
from cgoguard.rules.base import RuleContext, RuleMeta

META = RuleMeta(
    id="CG104",
    name="dangling-reference",
    category="dangling-reference",
    severity=Severity.WARNING,
    title="freed C memory still reachable from a map, global or field",
)


def check(ctx: RuleContext) -> None:
    report_lifetime_events(ctx, META, frozenset({"dangling"}))
