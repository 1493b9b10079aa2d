"""Attribute resident memory to Go heap, Go runtime, C heap, thread stacks, files and the rest.

From mappings alone the split is a heuristic, stated as such:

* Go heap: mappings the runtime names (``[anon: Go: heap]``, recent kernels and Go), else
  anonymous mappings below the mmap area (Go reserves its arenas from address hints far below
  it: 0xc000000000 and up, randomised since Go 1.26), excluding the brk heap and the binary's
  own bss;
* C heap: the brk ``[heap]``, glibc arenas (64 MiB-aligned, 64 MiB rw+reserved pairs) and the
  other anonymous mappings in the mmap area (malloc's large chunks);
* Go runtime: anonymous rw mappings that reserve a large PROT_NONE tail which is not a
  glibc arena (the runtime's sparse metadata arrays);
* thread stacks: ``[stack]`` and rw mappings right above a one-page guard.

With the runtime's own MemStats (a pprof endpoint), :func:`refine_with_memstats` replaces the
heuristic Go total by the runtime's figure, so Go versus non-Go is exact to a few pages.
"""

from __future__ import annotations

from collections.abc import Sequence

from cgoguard.mem.procfs import Mapping

CLASSES = ("go-heap", "go-runtime", "c-heap", "thread-stacks", "file-backed", "other-anon")
NON_GO_CLASSES = ("c-heap", "other-anon")
# Below this address anonymous memory is not the kernel's top-down mmap area (x86-64, arm64).
MMAP_AREA_START = 0x7F0000000000
GLIBC_ARENA = 64 << 20
PAGE = 4096


def classify(mappings: Sequence[Mapping]) -> dict[str, int]:
    """Resident bytes per class."""
    totals = dict.fromkeys(CLASSES, 0)
    binary_end = _binary_end(mappings)
    for index, mapping in enumerate(mappings):
        totals[_class_of(mappings, index, binary_end)] += mapping.rss
    return totals


def _binary_end(mappings: Sequence[Mapping]) -> int:
    """End of the main executable's last segment (its bss follows it anonymously)."""
    first_file = next((m for m in mappings if m.file_backed), None)
    if first_file is None:
        return 0
    return max((m.end for m in mappings if m.name == first_file.name), default=0)


def _class_of(mappings: Sequence[Mapping], index: int, binary_end: int) -> str:
    mapping = mappings[index]
    name = mapping.name
    if name.startswith("[anon: Go:") or name.startswith("[anon:Go:"):
        return "go-heap" if "heap" in name and "reservation" not in name else "go-runtime"
    if name == "[heap]":
        return "c-heap"
    if name.startswith("[stack"):
        return "thread-stacks"
    if mapping.file_backed:
        return "file-backed"
    if not mapping.anonymous or name:
        return "other-anon"  # [vvar], [vdso], shared memory and other special mappings
    if binary_end and mapping.start == binary_end:
        return "go-runtime"  # the executable's bss: Go globals and runtime data
    previous = mappings[index - 1] if index else None
    following = mappings[index + 1] if index + 1 < len(mappings) else None
    if previous is not None and previous.end == mapping.start and previous.perms.startswith("---") \
            and previous.size <= 16 * PAGE and "w" in mapping.perms:
        return "thread-stacks"  # glibc puts the guard page below each thread stack
    if mapping.start < MMAP_AREA_START:
        return "go-heap"
    if _is_glibc_arena(mapping, following):
        return "c-heap"
    if following is not None and following.start == mapping.end and following.perms.startswith("---") \
            and following.size >= 64 * PAGE:
        return "go-runtime"
    return "c-heap" if mapping.size >= 32 * PAGE else "other-anon"


def _is_glibc_arena(mapping: Mapping, following: Mapping | None) -> bool:
    if mapping.start % GLIBC_ARENA or "w" not in mapping.perms:
        return False
    if following is None or following.start != mapping.end or not following.perms.startswith("---"):
        return mapping.size == GLIBC_ARENA
    return following.end - mapping.start == GLIBC_ARENA


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
