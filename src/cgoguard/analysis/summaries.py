"""What a Go function of the package does with C memory, as seen by its callers.

Summaries are their own layer: computed by the lifetime analysis (one function in
:mod:`cgoguard.analysis.lifetime.summary`, the package to a fixpoint in
:mod:`cgoguard.analysis.lifetime.driver`) and read wherever a call is transferred, so
wrappers compose: ``newBuf`` returning ``(*C.char)(C.malloc(8))`` is an allocator,
``(*Buf).Close`` calling ``C.free(b.p)`` frees field ``p`` of its receiver, and a function
calling ``freeBuf(p)`` frees ``p`` too.

Parameter indexes count from 0; the receiver of a method is index ``RECEIVER``.
"""

from __future__ import annotations

from dataclasses import dataclass

RECEIVER = -1


@dataclass(frozen=True, slots=True)
class FunctionSummary:
    # result index -> deallocator of the C memory the caller receives and must release
    returns_owned: tuple[tuple[int, str], ...] = ()
    # result index -> parameter index whose pointer the result aliases
    returns_param: tuple[tuple[int, int], ...] = ()
    frees: frozenset[int] = frozenset()  # parameters released on some path
    escapes: frozenset[int] = frozenset()  # parameters stored somewhere longer-lived or handed off
    frees_fields: frozenset[tuple[int, str]] = frozenset()  # (parameter, ".field") released
    nils_fields: frozenset[tuple[int, str]] = frozenset()  # (parameter, ".field") set to nil afterwards
    # parameters whose elements or deeper fields are released (`for i := range ds { C.free(ds[i].buf) }`)
    frees_contents: frozenset[int] = frozenset()
    # (parameter, ".field") whose C memory the function reads (`b.c.len`, `C.f(b.c)`)
    uses_fields: frozenset[tuple[int, str]] = frozenset()

    def owned_result(self, index: int) -> str | None:
        return next((dealloc for i, dealloc in self.returns_owned if i == index), None)

    def aliased_param(self, index: int) -> int | None:
        return next((param for i, param in self.returns_param if i == index), None)


EMPTY_SUMMARY = FunctionSummary()
