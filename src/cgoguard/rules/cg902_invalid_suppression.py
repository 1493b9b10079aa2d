"""Invalid suppression: a `//cgoguard:ignore` comment without a reason or with an unknown rule.

## What it finds

A `//cgoguard:ignore` or `//cgoguard:file-ignore` comment that cgoguard will not honour: it
gives no reason after ` -- `, names no rule, or names a rule that does not exist. (A
golangci-lint style `//nolint:cgoguard` needs no reason, as in golangci-lint.) Such a comment suppresses nothing, so the
finding it was meant to hide is still reported next to this one.

## Why it matters

A reason is what lets a reviewer tell a deliberate exception from a silenced bug. Requiring
one keeps every suppression auditable; a misspelt rule id would otherwise look like a
working suppression while hiding nothing.

## Example

```go
//cgoguard:ignore CG101
p := C.CString(s)
```

## Fix

Name the rules (ids like `CG101` or names like `c-leak`, separated by commas) and give the
reason after a double dash:

```go
//cgoguard:ignore CG101 -- ownership passes to the C queue, which frees it
p := C.CString(s)
```
"""

from cgoguard.findings import Severity
from cgoguard.rules.base import RuleContext, RuleMeta

META = RuleMeta(
    id="CG902",
    name="invalid-suppression",
    category="suppression",
    severity=Severity.WARNING,
    title="cgoguard:ignore comment without a reason or naming an unknown rule",
)


def check(ctx: RuleContext) -> None:
    """Nothing to do per package: the scan driver validates suppression comments."""
