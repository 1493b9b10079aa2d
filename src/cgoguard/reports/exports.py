"""Which ``//export`` Go function a C function calls: for result panics of Go before 1.26.

Before Go 1.26 the "cgo result has Go pointer" panic (``cgo result is unpinned Go pointer``
from 1.21) names no exported function: by the time the runtime checks the result, the
exported function's frame is gone, and the stack shows only the Go caller of the C function
(``main._Cfunc_call_get_counter``). The C side is in the sources: the C function the Go code
called, and the C functions it calls in turn, reach the exported Go functions by name.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path

from cgoguard.reports.identity import in_package
from cgoguard.reports.sourceindex import CFunction, GoFunction, SourceIndex

MAX_C_DEPTH = 6  # C wrappers between the function Go called and the exported one


@dataclass(frozen=True)
class ReachedExport:
    """An exported Go function reached from C, with the C calls that lead to it."""

    function: GoFunction
    chain: tuple[CFunction, ...]  # from the C function Go called to the one that calls the export


def exports_reached_from(index: SourceIndex, c_name: str, package: Path | None = None) -> list[ReachedExport]:
    """Exported Go functions the C function ``c_name`` calls, directly or through other C
    functions, nearest first (breadth first over the C call graph of the sources); those of
    the package in directory ``package`` when it has any."""
    if package is not None and (found := _search(index, c_name, package)):
        return found
    return _search(index, c_name, None)


def _search(index: SourceIndex, c_name: str, package: Path | None) -> list[ReachedExport]:
    start = _c_function(index, c_name, package)
    if start is None:
        return []
    found: list[ReachedExport] = []
    seen = {c_name}
    queue: deque[tuple[CFunction, ...]] = deque([(start,)])
    while queue:
        chain = queue.popleft()
        for callee in sorted(chain[-1].callees):
            exported = index.exported(callee, package)
            if exported is not None:
                if all(r.function is not exported for r in found):
                    found.append(ReachedExport(exported, chain))
            elif callee not in seen and len(chain) < MAX_C_DEPTH and (
                    following := _c_function(index, callee, package)) is not None:
                seen.add(callee)
                queue.append((*chain, following))
    return found


def _c_function(index: SourceIndex, name: str, package: Path | None) -> CFunction | None:
    return next((f for f in index.c_functions_by_name.get(name, []) if in_package(f.path, package)), None)
