"""Attribution of mappings to classes on process layouts seen on real processes.

The layouts are synthetic text, written after the shapes captured from tests/mem/program:
where the kernel put the mmap area and where Go 1.26 put its heap vary from run to run, and
the classes must not. Each table row is ``START-END PERMS RSS_KB VMFLAGS [NAME]``; VMFLAGS
lists the flags that matter here ("." for none), and :func:`_without_vm_flags` turns a table
into what maps text or a kernel without VmFlags gives.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cgoguard.mem.classify import CLASSES, classify
from cgoguard.mem.procfs import Mapping, parse_maps

KB = 1024
BASE_FLAGS = "rd wr mr mw me ac"

# A cgo process whose mmap area ASLR put below 0x7f0000000000 (28 random bits place it
# anywhere from 0x7efc.. up), with its Go heap at a randomised base: C chunks, glibc arenas and
# thread stacks must stay C, the Go arena stays Go.
LOW_MMAP_AREA = """
00400000-00402000 r--p 8 . /srv/app
00402000-006d0000 r-xp 2424 . /srv/app
009dc000-00a28000 rw-p 148 . /srv/app
00a28000-02aeb000 rw-p 96 .
1c3d7000-1c3f8000 rw-p 8 . [heap]
326e98000000-326e98800000 ---p 0 .
326e98800000-326e9a400000 rw-p 23208 .
326e9a400000-326e9c000000 ---p 0 .
7efe48000000-7efe48021000 rw-p 4 nr
7efe48021000-7efe4c000000 ---p 0 nr
7efe4c000000-7efe4c021000 rw-p 4 nr
7efe4c021000-7efe50000000 ---p 0 nr
7efe54472000-7efe567fd000 rw-p 36216 .
7efe567fd000-7efe567fe000 ---p 0 nh
7efe567fe000-7efe56ffe000 rw-p 8 nh
7efe56ffe000-7efe56fff000 ---p 0 nh
7efe56fff000-7efe577ff000 rw-p 8 nh
7efe5c6ff000-7efe5c700000 ---p 0 nh
7efe5c700000-7efe5f000000 rw-p 16 nh
7efe5f000000-7efe754dd000 ---p 0 .
7efe754dd000-7efe754de000 rw-p 4 .
7efe754de000-7efe954dd000 ---p 0 .
7efea3a4b000-7efea3a71000 r--p 152 . /usr/lib/x86_64-linux-gnu/libc.so.6
7efea3c20000-7efea3c2d000 rw-p 20 .
7ffe1f350000-7ffe1f371000 rw-p 16 . [stack]
"""
LOW_MMAP_AREA_CLASSES = {
    "go-heap": 23208,
    # The bss, the heap index merged with a stack (41 MiB: no stack) that begins a PROT_NONE
    # reservation, and the page summaries' first page.
    "go-runtime": 96 + 16 + 4,
    "c-heap": 8 + 4 + 4 + 36216,  # [heap], two arena heads, malloc's chunks merged
    "thread-stacks": 8 + 8 + 16,  # two pthread stacks and [stack]
    "file-backed": 8 + 2424 + 148 + 152,
    "other-anon": 20,  # libc's bss
}


def _smaps(table: str) -> str:
    lines = []
    for row in table.strip().splitlines():
        span, perms, rss, flags, *name = row.split()
        lines.append(f"{span} {perms} 00000000 {'fe:00 42' if name and name[0].startswith('/') else '00:00 0'} "
                     f"{' '.join(name)}")
        lines.append(f"Rss: {rss} kB")
        extra = "" if flags == "." else " " + flags
        lines.append(f"VmFlags: {' '.join(f for f in BASE_FLAGS.split() if 'w' in perms or f not in ('rd', 'wr', 'ac'))}"
                     f"{extra}")
    return "\n".join(lines) + "\n"


def _without_vm_flags(text: str) -> str:
    return "".join(line + "\n" for line in text.splitlines() if not line.startswith("VmFlags:"))


def _moved(table: str, start: int, end: int, to: int) -> str:
    """The table with the mappings in [start, end) moved to begin at ``to`` (a multiple of 64 MiB
    away, so alignments are kept)."""
    assert (to - start) % (64 << 20) == 0
    rows = []
    for row in table.strip().splitlines():
        span, rest = row.split(" ", 1)
        low, high = (int(x, 16) for x in span.split("-"))
        if start <= low < end:
            low, high = low - start + to, high - start + to
        rows.append(f"{low:x}-{high:x} {rest}")
    return "\n".join(sorted(rows, key=lambda r: int(r.split("-")[0], 16)))


def _kb(classes: dict[str, int]) -> dict[str, int]:
    return {name: value // KB for name, value in classes.items()}


MMAP_AREA = (0x7EFE48000000, 0x7EFEA3C2D000)


@pytest.mark.parametrize("table", [
    pytest.param(LOW_MMAP_AREA, id="mmap-area-below-0x7f0000000000"),
    pytest.param(_moved(LOW_MMAP_AREA, *MMAP_AREA, to=0x7FE818000000), id="mmap-area-at-0x7fe8"),
    # ulimit -s unlimited: the mmap area starts near 0x155555554000, below or above the Go heap.
    pytest.param(_moved(LOW_MMAP_AREA, *MMAP_AREA, to=0x155430000000), id="unlimited-stack"),
    pytest.param(_moved(_moved(LOW_MMAP_AREA, *MMAP_AREA, to=0x155430000000), 0x326E98000000, 0x326E9C000000,
                        to=0x0A1368000000), id="unlimited-stack-go-heap-below"),
    # Go before 1.26 (or GOEXPERIMENT=norandomizedheapbase64): the heap at 0xc000000000.
    pytest.param(_moved(LOW_MMAP_AREA, 0x326E98000000, 0x326E9C000000, to=0xC000000000), id="go-heap-at-0xc0"),
])
@pytest.mark.parametrize("vm_flags", [True, False])
def test_classes_do_not_depend_on_where_things_are_mapped(table: str, vm_flags: bool) -> None:
    text = _smaps(table)
    assert _kb(classify(parse_maps(text if vm_flags else _without_vm_flags(text)))) == LOW_MMAP_AREA_CLASSES


def test_go_heap_of_several_arenas_split_by_madvise() -> None:
    # Three 64 MiB arenas, committed in 4 MiB chunks; GODEBUG=disablethp splits the read-write
    # part where the runtime madvised it.
    table = """
f8ca8000000-f8ca9400000 ---p 0 .
f8ca9400000-f8cac000000 rw-p 40000 nh
f8cac000000-f8cb1000000 rw-p 80000 .
f8cb1000000-f8cb4000000 ---p 0 .
"""
    assert _kb(classify(parse_maps(_smaps(table))))["go-heap"] == 120000


def test_go_heap_at_its_arena_start_is_not_a_glibc_arena() -> None:
    # Go's first arena at 0xc000000000 begins read-write, like a glibc arena heap; its commit
    # ends on a 4 MiB boundary, and it has no MAP_NORESERVE.
    table = """
c000000000-c002800000 rw-p 37752 .
c002800000-c004000000 ---p 0 .
7f735c000000-7f735c021000 rw-p 4 nr
7f735c021000-7f7360000000 ---p 0 nr
"""
    for text in (_smaps(table), _without_vm_flags(_smaps(table))):
        classes = _kb(classify(parse_maps(text)))
        assert (classes["go-heap"], classes["c-heap"]) == (37752, 4)


def test_stack_and_malloc_chunks_filling_an_aligned_span_are_not_go_heap() -> None:
    # Malloc's chunks, a guard and a stack happen to fill 64 MiB between two aligned addresses,
    # and the stack's ends fall on 4 MiB boundaries: the chunks' end does not.
    table = """
7f2000000000-7f20037ff000 rw-p 50000 .
7f20037ff000-7f2003800000 ---p 0 .
7f2003800000-7f2004000000 rw-p 8 .
7f2004000000-7f2004021000 rw-p 4 nr
7f2004021000-7f2008000000 ---p 0 nr
"""
    for text in (_smaps(table), _without_vm_flags(_smaps(table))):
        assert _kb(classify(parse_maps(text))) == {
            "go-heap": 0, "go-runtime": 0, "c-heap": 50000 + 4, "thread-stacks": 8, "file-backed": 0,
            "other-anon": 0}


def test_stack_merged_with_malloc_chunks_is_not_all_stack() -> None:
    # Before Linux 6.7 a pthread stack is not kept apart from anonymous memory mapped right
    # above it: the kernel merges them, and a leak grows "the stack".
    table = """
7f10a27ff000-7f10a2800000 ---p 0 .
7f10a2800000-7f10a3000000 rw-p 12 .
7f10a3fff000-7f10a4000000 ---p 0 .
7f10a4000000-7f10a4800000 rw-p 8 .
7f10a4fff000-7f10a5000000 ---p 0 .
7f10a5000000-7f10a7a00000 rw-p 42000 .
"""
    classes = _kb(classify(parse_maps(_smaps(table))))
    assert (classes["thread-stacks"], classes["c-heap"]) == (12 + 8, 42000)


def test_named_mappings_win() -> None:
    # Go 1.25+ and glibc 2.39+ (glibc.mem.decorate_maps=1) name their mappings on kernels with
    # CONFIG_ANON_VMA_NAME; "heap" in a name does not make it the heap.
    table = """
7f0000000000-7f0000100000 rw-p 1024 . [anon: glibc: malloc arena]
7f0000200000-7f0000300000 rw-p 512 . [anon: glibc: malloc]
7f0000400000-7f0000c00000 rw-p 16 . [anon: glibc: pthread stack: 4242]
7f0001000000-7f0001100000 rw-p 64 . [anon: Go: immortal metadata]
7f0002000000-7f0004000000 rw-p 32 . [anon: Go: heap index]
7f0004000000-7f0008000000 rw-p 2048 . [anon: Go: heap]
"""
    classes = _kb(classify(parse_maps(_smaps(table))))
    assert (classes["c-heap"], classes["thread-stacks"], classes["go-runtime"], classes["go-heap"]) == \
        (1024 + 512, 16, 64 + 32, 2048)


def test_vm_flags_are_parsed_when_present() -> None:
    text = "7f0000000000-7f0000021000 rw-p 00000000 00:00 0\nRss: 4 kB\nVmFlags: rd wr mr mw me nr \n" \
           "7f0000021000-7f0004000000 ---p 00000000 00:00 0\nVmFlags: ?? bogus\n" \
           "7f0004000000-7f0004001000 rw-p 00000000 00:00 0\n"
    first, second, third = parse_maps(text)
    assert first.vm_flags == frozenset({"rd", "wr", "mr", "mw", "me", "nr"}) and first.rss == 4 * KB
    assert second.vm_flags is None and third.vm_flags is None


def test_pie_executable_above_the_libraries_keeps_its_bss() -> None:
    # ulimit -s unlimited puts the libraries below a PIE executable: the bss after the
    # executable is still the executable's.
    mappings = [
        Mapping(0x155554000000, 0x155554100000, "r-xp", 0, 7, "/usr/lib/x86_64-linux-gnu/libc.so.6"),
        Mapping(0x155554100000, 0x155554110000, "rw-p", 0, 0, "", {"Rss": 8 * KB}),
        Mapping(0x555555554000, 0x555555600000, "r-xp", 0, 9, "/srv/app"),
        Mapping(0x555555600000, 0x555555640000, "rw-p", 0, 0, "", {"Rss": 64 * KB}),
    ]
    classes = _kb(classify(mappings))
    assert (classes["go-runtime"], classes["other-anon"]) == (64, 8)


_ALIGNED = st.integers(0, 1 << 12).map(lambda n: n * (1 << 20))
_PAGES = st.integers(1, 1 << 15).map(lambda n: n * 4096)
_MAPPING_ROWS = st.lists(st.tuples(
    st.sampled_from(["rw-p", "---p", "r--p", "r-xp", "rw-s"]), _PAGES, st.integers(0, 64), st.booleans(),
    st.sampled_from(["", "", "[heap]", "[stack]", "/srv/app", "/lib/libc.so.6", "[anon: Go: heap]"]),
    st.sampled_from([None, frozenset(), frozenset({"nr"}), frozenset({"nh"})])), max_size=40)


@settings(max_examples=300, deadline=None)
@given(_ALIGNED, _MAPPING_ROWS)
def test_any_layout_is_attributed_whole(base: int, rows: list) -> None:
    """Adjacent or not, aligned or not: every resident byte lands in exactly one class."""
    mappings, address = [], base
    for perms, size, gap_pages, gap, name, flags in rows:
        address += gap_pages * 4096 if gap else 0
        rss = size // 2 if "w" in perms else 0
        mappings.append(Mapping(address, address + size, perms, 0, 7 if name.startswith("/") else 0, name,
                                {"Rss": rss}, flags))
        address += size
    classes = classify(mappings)
    assert set(classes) == set(CLASSES) and sum(classes.values()) == sum(m.rss for m in mappings)
