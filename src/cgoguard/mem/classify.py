"""Attribute resident memory to Go heap, Go runtime, C heap, thread stacks, files and the rest.

From mappings alone the split is a heuristic, stated as such. It recognises memory by its
shape, never by its address: where the kernel puts mmap'd memory moves with ASLR (28 bits of
randomness put the top-down mmap area anywhere from 0x7efc.. to 0x7fff.. on x86-64) and with
the stack rlimit (under ``ulimit -s unlimited`` it starts near 0x155555554000), and Go 1.26
puts its heap at a random address below 2**46. An address boundary between "Go arenas" and
"the mmap area" is therefore wrong for some processes, and whole classes flip with it.

* Names win where the kernel names anonymous mappings (CONFIG_ANON_VMA_NAME): the runtime's
  ``[anon: Go: heap]`` and its other names (Go 1.25+), glibc's ``[anon: glibc: malloc arena]``,
  ``[anon: glibc: malloc]`` and ``[anon: glibc: pthread stack: TID]`` (glibc 2.39+ with the
  ``glibc.mem.decorate_maps`` tunable).
* Go heap: the runtime reserves its heap as 64 MiB-aligned arenas (PROT_NONE) and commits them
  read-write in 4 MiB-aligned chunks. A Go heap is a run of adjacent anonymous mappings that
  begins and ends on 64 MiB boundaries and has every inner boundary on a 4 MiB one. Thread
  stacks, malloc chunks and glibc arenas break that shape at some page.
* C heap: the brk ``[heap]``; glibc's per-thread arena heaps, which glibc maps MAP_NORESERVE
  (VmFlags ``nr``, which the Go runtime never uses; without VmFlags: a read-write head on a
  64 MiB boundary and a PROT_NONE tail ending on the next); the other anonymous read-write
  mappings of 128 KiB and more (malloc's large chunks, each its own mmap, merged by the kernel
  when adjacent).
* Thread stacks: ``[stack]``, and read-write mappings right above a guard of at most 16 pages
  that are no larger than the process's usual thread stack. A larger one is a stack the kernel
  merged with an adjacent mapping (kernels before 6.7 do not keep MAP_STACK mappings apart),
  and is judged by what it was merged with: its stack part is a few pages.
* Go runtime: the executable's bss, and read-write mappings that begin a large PROT_NONE
  reservation that is neither a glibc arena nor a Go heap arena (the runtime's sparse metadata).

Limits: the kernel merges adjacent anonymous mappings with equal protection and flags, and
nothing in smaps tells the parts apart, so malloc chunks mapped right below the runtime's
metadata count as Go runtime, and a thread stack merged with its neighbour counts as that
neighbour. The runtime's small metadata mappings (persistentalloc chunks, the heap index)
count as C heap or other-anon: a few MB that grow with the Go heap. A Go heap whose arena run
touches a foreign mapping, or one decommitted page by page (``GODEBUG=harddecommit=1``), falls
to the rules for the rest. Without VmFlags (maps text, hand-written smaps), a glibc arena heap
whose size is a multiple of 4 MiB looks like a Go arena. Other allocators (jemalloc, tcmalloc,
mimalloc) count as C heap by size only.

With the runtime's own MemStats (a pprof endpoint), :func:`refine_with_memstats` replaces the
heuristic Go total by the runtime's figure, so Go versus non-Go is exact to a few pages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from cgoguard.mem.procfs import Mapping

CLASSES = ("go-heap", "go-runtime", "c-heap", "thread-stacks", "file-backed", "other-anon")
NON_GO_CLASSES = ("c-heap", "other-anon")
PAGE = 4096
# The Go runtime's heap arena (heapArenaBytes, 64-bit Linux) and the unit it commits them in
# (pallocChunkBytes).
GO_ARENA = 64 << 20
GO_COMMIT_CHUNK = 4 << 20
# glibc's HEAP_MAX_SIZE on 64-bit: each per-thread arena heap is one such aligned reservation.
GLIBC_HEAP_MAX = 64 << 20
MAX_GUARD = 16 * PAGE
# malloc's default mmap threshold is 128 KiB: smaller anonymous mappings are not its chunks.
LARGE_CHUNK = 32 * PAGE
# A PROT_NONE tail at least this large is a reservation, not a guard page.
MIN_RESERVATION = 64 * PAGE
# Names of anonymous mappings (PR_SET_VMA_ANON_NAME), without "[anon:" and "]".
_GO_HEAP_NAMES = ("Go: heap", "Go: user arena chunk")
_THREAD_STACK_NAMES = ("Go: OS thread stack", "glibc: pthread stack")
_C_HEAP_NAMES = ("glibc: malloc", "glibc: loader malloc")


def classify(mappings: Sequence[Mapping]) -> dict[str, int]:
    """Resident bytes per class."""
    layout = _Layout.of(mappings)
    totals = dict.fromkeys(CLASSES, 0)
    for index, mapping in enumerate(layout.mappings):
        totals[layout.class_of(index)] += mapping.rss
    return totals


@dataclass
class _Layout:
    mappings: list[Mapping]
    go_heap: set[int]  # indices of the mappings that form Go heap arenas
    stack_size: int  # the usual size of a thread stack's read-write part (0: none seen)
    binary_end: int  # end of the main executable's last segment (its bss follows it)

    @classmethod
    def of(cls, mappings: Sequence[Mapping]) -> _Layout:
        ordered = sorted(mappings, key=lambda m: m.start)
        return cls(ordered, _go_heap_arenas(ordered), _usual_stack_size(ordered), _binary_end(ordered))

    def class_of(self, index: int) -> str:
        mapping = self.mappings[index]
        named = _class_by_name(mapping)
        if named:
            return named
        if index in self.go_heap:
            return "go-heap"
        if self.binary_end and mapping.start == self.binary_end:
            return "go-runtime"  # the executable's bss: Go globals and runtime data (and C globals)
        if _is_glibc_arena_heap(self.mappings, index):
            return "c-heap"
        if _above_guard(self.mappings, index) and mapping.size <= self.stack_size:
            return "thread-stacks"  # glibc puts the guard page below each thread stack
        if self._begins_runtime_reservation(index):
            return "go-runtime"
        return "c-heap" if mapping.size >= LARGE_CHUNK else "other-anon"

    def _begins_runtime_reservation(self, index: int) -> bool:
        if "w" not in self.mappings[index].perms or index + 1 >= len(self.mappings):
            return False
        following = self.mappings[index + 1]
        return following.start == self.mappings[index].end and following.perms.startswith("---") \
            and following.anonymous and not following.name and following.size >= MIN_RESERVATION \
            and index + 1 not in self.go_heap and not _noreserve(following)


def _class_by_name(mapping: Mapping) -> str:
    """The class of a mapping its name decides, or ""."""
    name = mapping.name
    label = name[len("[anon:"):-1].strip() if name.startswith("[anon:") and name.endswith("]") else ""
    if label in _GO_HEAP_NAMES:
        return "go-heap"
    if label.startswith(_THREAD_STACK_NAMES):
        return "thread-stacks"
    if label.startswith("Go:"):
        return "go-runtime"  # heap reservation, heap index, page summary, gc bits, ...
    if label.startswith(_C_HEAP_NAMES):
        return "c-heap"
    if name == "[heap]":
        return "c-heap"
    if name.startswith("[stack"):
        return "thread-stacks"
    if mapping.file_backed:
        return "file-backed"
    if not mapping.anonymous or name:
        return "other-anon"  # [vvar], [vdso], shared memory, other named mappings
    return ""


def _go_heap_arenas(mappings: list[Mapping]) -> set[int]:
    """Mappings in runs shaped like Go heap arenas: 64 MiB-aligned ends, 4 MiB-aligned inside."""
    found: set[int] = set()
    for run in _reservable_runs(mappings):
        parts = [mappings[i] for i in run]
        if parts[0].start % GO_ARENA or parts[-1].end % GO_ARENA:
            continue
        if any(m.start % GO_COMMIT_CHUNK or m.end % GO_COMMIT_CHUNK for m in parts):
            continue
        if any("w" in m.perms for m in parts):
            found.update(run)
    return found


def _reservable_runs(mappings: list[Mapping]) -> list[list[int]]:
    """Maximal runs of adjacent unnamed private anonymous mappings, read-write or PROT_NONE,
    not mapped MAP_NORESERVE: what a Go arena reservation can consist of."""
    runs: list[list[int]] = []
    for index, mapping in enumerate(mappings):
        if not (mapping.anonymous and not mapping.name and mapping.perms in ("rw-p", "---p")
                and not _noreserve(mapping)):
            continue
        if runs and runs[-1][-1] == index - 1 and mappings[index - 1].end == mapping.start:
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs


def _noreserve(mapping: Mapping) -> bool:
    return mapping.vm_flags is not None and "nr" in mapping.vm_flags


def _is_glibc_arena_heap(mappings: list[Mapping], index: int) -> bool:
    """A glibc per-thread arena heap: mapped MAP_NORESERVE; without VmFlags, the read-write head
    of one by its shape (on a 64 MiB boundary, the rest of the 64 MiB reserved PROT_NONE)."""
    mapping = mappings[index]
    if not mapping.anonymous or mapping.name:
        return False
    if mapping.vm_flags is not None:
        return "nr" in mapping.vm_flags
    if mapping.start % GLIBC_HEAP_MAX or "w" not in mapping.perms:
        return False
    tail = mappings[index + 1] if index + 1 < len(mappings) else None
    if tail is None or tail.start != mapping.end or not tail.perms.startswith("---"):
        return mapping.size == GLIBC_HEAP_MAX
    return tail.end - mapping.start == GLIBC_HEAP_MAX


def _above_guard(mappings: list[Mapping], index: int) -> bool:
    """A writable mapping right above a small PROT_NONE one: where a pthread stack lives."""
    mapping = mappings[index]
    if not index or "w" not in mapping.perms:
        return False
    guard = mappings[index - 1]
    return guard.end == mapping.start and guard.perms.startswith("---") and guard.size <= MAX_GUARD


def _usual_stack_size(mappings: list[Mapping]) -> int:
    """The most common size of a mapping above a guard (the smallest among equals): threads
    share one stack size, and a stack merged with its neighbour is larger than it."""
    sizes = Counter(m.size for i, m in enumerate(mappings)
                    if m.anonymous and not m.name and _above_guard(mappings, i))
    if not sizes:
        return 0
    most = max(sizes.values())
    return min(size for size, count in sizes.items() if count == most)


def _binary_end(mappings: list[Mapping]) -> int:
    """End of the main executable's last segment (its bss follows it anonymously): the first
    file with code that is not a shared object (a PIE executable may lie above the libraries)."""
    files = [m for m in mappings if m.file_backed]
    code = (m for m in files if "x" in m.perms and ".so" not in m.name.rsplit("/", 1)[-1])
    executable = next(code, files[0] if files else None)
    if executable is None:
        return 0
    return max(m.end for m in files if m.name == executable.name)


def refine_with_memstats(classes: dict[str, int], memstats: dict[str, int]) -> dict[str, int]:
    """Use the Go runtime's own accounting for the Go side; the rest of anonymous memory is
    what Go does not know about (C allocations, C libraries' caches)."""
    go_heap = memstats.get("HeapInuse", 0) + memstats.get("HeapIdle", 0) - memstats.get("HeapReleased", 0)
    go_runtime = sum(memstats.get(k, 0) for k in (
        "StackSys", "MSpanSys", "MCacheSys", "BuckHashSys", "GCSys", "OtherSys"))
    if not go_heap:
        return classes
    anon_total = sum(classes[c] for c in ("go-heap", "go-runtime", "c-heap", "other-anon"))
    refined = dict(classes)
    refined["go-heap"] = min(go_heap, anon_total)
    refined["go-runtime"] = min(go_runtime, anon_total - refined["go-heap"])
    # Anonymous memory the Go runtime does not account for was allocated outside it: by C.
    refined["c-heap"] = anon_total - refined["go-heap"] - refined["go-runtime"]
    refined["other-anon"] = 0
    return refined
