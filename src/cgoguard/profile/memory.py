"""The mappings a profile's mmap, munmap and brk events made, by who made them.

Each stack of :class:`~cgoguard.profile.syscalls.MappingTracker` is classified like a CPU
sample: a stack through a cgo call belongs to the Go call site of the C function (the Go
runtime's own heap and stack mappings, and Go code calling mmap directly, are told apart),
and the rows say how many bytes each mapped, unmapped, and left mapped at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cgoguard.profile.model import Stack
from cgoguard.profile.sites import SiteFinder
from cgoguard.profile.stacks import classify_stack
from cgoguard.profile.symbols import Resolved
from cgoguard.profile.syscalls import MappingTracker, SiteMemory

GO_RUNTIME = "Go runtime (heap, stacks)"


def summarize_memory(tracker: MappingTracker, resolve: Callable[[Stack], list[Resolved]],
                     finder: SiteFinder) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows per owner (most bytes left mapped first) and a summary of the events."""
    owners: dict[tuple[str, int, str, str], SiteMemory] = {}
    for stack, memory in tracker.sites.items():
        key = _owner(resolve(stack), finder)  # type: ignore[arg-type]
        owners.setdefault(key, SiteMemory()).merge(memory)
    rows = []
    for (path, line, function, c_function), memory in owners.items():
        if not (memory.mapped_bytes or memory.unmapped_bytes or memory.live_bytes or memory.brk_growth):
            continue
        row: dict[str, Any] = {"path": path, "line": line, "function": function, "c_function": c_function}
        row.update({name: getattr(memory, name) for name in memory.__dataclass_fields__})
        rows.append(row)
    rows.sort(key=lambda r: (-r["live_bytes"], -r["mapped_bytes"], r["function"]))
    summary = {
        "events": tracker.events,
        "exit_events": sorted(tracker.saw_exit),
        "mapped_bytes": sum(r["mapped_bytes"] for r in rows),
        "unmapped_bytes": sum(r["unmapped_bytes"] for r in rows),
        "live_bytes": sum(r["live_bytes"] for r in rows),
        "brk_growth": sum(r["brk_growth"] for r in rows),
        "unknown_address": tracker.unknown_address,
        "unmatched_unmaps": tracker.unmatched_unmaps,
        "failed_calls": tracker.failed,
    }
    return rows, summary


def _owner(frames: list[Resolved], finder: SiteFinder) -> tuple[str, int, str, str]:
    """(path, line, function, C function) of the code that asked for the mapping."""
    outcome = classify_stack(frames)
    if outcome.caller is not None:
        path, line, _, function = finder.call_site(outcome.caller, outcome.c_function, outcome.package)
        return path, line, function, outcome.c_function
    if outcome.kind == "c" and outcome.c_function:
        sites = finder.static_sites(outcome.c_function, outcome.package)
        if len(sites) == 1:
            path, line, _, function, _ = sites[0]
            return path, line, function, outcome.c_function
        return "", 0, "(Go caller not on the stack)", outcome.c_function
    if outcome.kind == "c":  # name the outermost C function known: the leaf is only libc's mmap
        return "", 0, f"C: {outcome.c_functions[-1]} (no cgo call on the stack)", ""
    go = next((f for f in frames if f.kind in ("go", "runtime")), None)
    if go is None:
        return "", 0, "(unknown)", ""
    if go.kind == "runtime":  # the heap, goroutine stacks, GC metadata
        return "", 0, GO_RUNTIME, ""
    return go.path, go.line, go.function, ""
