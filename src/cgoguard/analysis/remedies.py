"""What an analysis knows about removing one of its findings, for the rule that builds the fix.

Analyses attach these to the events they report; rules turn them into text edits
(``cgoguard.fix``). They carry facts only the analysis has (which deallocator pairs with an
allocation, whether any path frees it, which location still holds freed memory), never
positions: those come from the event's nodes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Release:
    """Leaked C memory: how to free it, and whether freeing it when the function returns is
    right on every path (no path frees it, stores it or hands it off)."""

    dealloc: str  # "C.free" or the library's deallocator ("C.buffer_free")
    every_path: bool = False


@dataclass(frozen=True, slots=True)
class Clear:
    """A location still holding memory that was just freed: reset it after the free."""

    target: str  # Go expression naming the location: "b.c", "b.inner.p", "cache"
    kind: str  # "field" (of a variable) or "global" (a package variable)


Remedy = Release | Clear
