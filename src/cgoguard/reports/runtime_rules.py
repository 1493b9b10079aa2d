"""Documentation of the runtime rule ids (``RT-...``) that ``report`` and ``run`` give findings,
shown by ``cgoguard explain RT-CHECKPTR`` like a static rule's docs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuntimeRule:
    id: str
    title: str
    category: str
    docs: str  # Markdown: What it finds / Why it matters / Example / Fix


_CHECKPTR = """## What it finds

A Go program built with `-gcflags=all=-d=checkptr` (`cgoguard run --check checkptr`; `-race`
and `-asan` builds turn it on too) stops at an invalid use of `unsafe.Pointer`:

* `fatal error: checkptr: pointer arithmetic result points to invalid allocation`: arithmetic
  (`unsafe.Add`, `unsafe.Pointer(uintptr(p) + off)`) left the Go allocation it started in;
* `checkptr: pointer arithmetic computed bad pointer value`: the result is a small integer, not
  an address (`unsafe.Pointer(uintptr(nilPtr) + i)`, a handle or an index as a pointer);
* `checkptr: converted pointer straddles multiple allocations`: `(*T)(p)` or `(*[N]T)(p)` is
  larger than the object `p` points into;
* `checkptr: misaligned pointer conversion`: `(*T)(p)` for a `T` holding pointers, at an
  address not aligned for it;
* `checkptr: unsafe pointer conversion` / `unsafe pointer arithmetic` (the wording of Go 1.14).

The finding points at the Go line that made the pointer (the first frame below
`runtime.checkptr*`).

## Why it matters

Each is a violation of the `unsafe.Pointer` rules that the compiler cannot see and that a plain
build turns into reads of the neighbouring object, memory corruption, or a "bad pointer" crash
of the garbage collector much later, far from the cause. The static rules CG307
(unsafe-out-of-bounds) and CG308 (integer-as-pointer) describe the same bugs before they run;
a checkptr finding at a line they reported confirms them.

## Example

```go
v := new(int64)
next := (*int64)(unsafe.Pointer(uintptr(unsafe.Pointer(v)) + 8)) // checkptr: ... invalid allocation
```

## Fix

Keep arithmetic inside the allocation (`unsafe.Slice` with the real length lets Go check
every index), convert only to types no larger than the object, pass numbers as numbers
(`C.uintptr_t`, not `unsafe.Pointer`), and see `cgoguard explain CG307` / `CG308`.
"""

RUNTIME_RULES: dict[str, RuntimeRule] = {
    "RT-CHECKPTR": RuntimeRule("RT-CHECKPTR", "the -d=checkptr runtime check stopped at an invalid unsafe.Pointer",
                               "unsafe-pointer-misuse", _CHECKPTR),
}


def find_runtime_rule(key: str) -> RuntimeRule | None:
    return RUNTIME_RULES.get(key.upper())
