"""Unused suppression: a suppression comment that suppresses nothing.

## What it finds

A `//cgoguard:ignore RULE -- reason` comment on a line (or the line above it) where none of
the named rules reports anything any more; likewise a `//cgoguard:file-ignore` with no
finding of its rules in the file, and a `//nolint:cgoguard` with no cgoguard finding in what
it covers. A bare `//nolint` (or `//nolint:all`) is never reported: it may serve another
linter.

## Why it matters

Suppressions outlive the code they were written for. A stale one silently hides the next
real bug that appears on that line, and it misleads readers into thinking there is a
problem to work around.

## Example

```go
cs := C.CString(name)
defer C.free(unsafe.Pointer(cs))
//cgoguard:ignore CG101 -- freed by the library  (nothing leaks here any more)
C.use(cs)
```

## Fix

Delete the comment, or name the rule that actually reports on the line. This finding is
informational and never fails a scan on its own unless `--fail-on info` is used.
"""

from cgoguard.findings import Severity
from cgoguard.rules.base import RuleContext, RuleMeta

META = RuleMeta(
    id="CG901",
    name="unused-suppression",
    category="suppression",
    severity=Severity.INFO,
    title="cgoguard:ignore comment that suppresses nothing",
)


def check(ctx: RuleContext) -> None:
    """Nothing to do per package: the scan driver reports this after applying suppressions."""
