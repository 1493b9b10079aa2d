"""Mappings made and not unmapped, from mmap/munmap/brk tracepoints."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cgoguard.profile.perfscript import parse_perf_script
from cgoguard.profile.syscalls import MappingTracker

A, B = ("a",), ("b",)


def test_exit_events_give_addresses_and_munmap_splits_mappings() -> None:
    tracker = MappingTracker()
    tracker.event("sys_enter_mmap", 1, {"addr": 0, "len": 0x4000, "flags": 0x22}, A)
    tracker.event("sys_exit_mmap", 1, {"ret": 0x10000}, A)
    tracker.event("sys_enter_munmap", 1, {"addr": 0x11000, "len": 0x1000}, B)  # a hole in the middle
    tracker.event("sys_enter_mmap", 2, {"addr": 0, "len": 0x1000, "flags": 0x22}, B)
    tracker.event("sys_exit_mmap", 2, {"ret": 0xFFFFFFFFFFFFFFF4}, B)  # -ENOMEM
    tracker.finish()
    a, b = tracker.sites[A], tracker.sites[B]
    assert (a.mmaps, a.mapped_bytes, a.live_mappings, a.live_bytes) == (1, 0x4000, 2, 0x3000)
    assert (b.munmaps, b.unmapped_bytes, b.mmaps) == (1, 0x1000, 0)
    assert tracker.failed == 1 and tracker.unmatched_unmaps == 0


def test_without_exit_events_only_fixed_mappings_are_tracked() -> None:
    tracker = MappingTracker()
    tracker.event("sys_enter_mmap", 1, {"addr": 0, "len": 0x1000, "flags": 0x22}, A)
    tracker.event("sys_enter_mmap", 1, {"addr": 0x20000, "len": 0x2000, "flags": 0x32}, A)  # MAP_FIXED
    tracker.event("sys_enter_munmap", 1, {"addr": 0x50000, "len": 0x1000}, B)
    tracker.finish()
    assert tracker.unknown_address == 1 and tracker.sites[A].live_bytes == 0x2000
    assert tracker.unmatched_unmaps == 1


def test_brk_growth_is_charged_to_the_caller() -> None:
    tracker = MappingTracker()
    tracker.event("sys_enter_brk", 1, {"brk": 0}, A)
    tracker.event("sys_exit_brk", 1, {"ret": 0x1000000}, A)
    tracker.event("sys_enter_brk", 1, {"brk": 0x1021000}, B)
    tracker.event("sys_exit_brk", 1, {"ret": 0x1021000}, B)
    tracker.finish()
    assert tracker.sites[B].brk_growth == 0x21000 and tracker.sites[A].brk_growth == 0


def test_perf_script_tracepoints_reach_the_tracker() -> None:
    text = """p 5 [001] 1.1: syscalls:sys_enter_mmap: addr: 0x00000000, len: 0x00100000, prot: 0x00000003, flags: 0x00000022, fd: 0xffffffff, off: 0x00000000
\t 1019b3 __mmap+0x13 (/usr/lib/libc.so.6)
\t 7cf35 runtime.cgocall+0x75 (/p)
\t cf745 main._Cfunc_keep_map.abi0+0x45 (/p)
\t cfb49 main.keepMaps+0x29 (/p)

p 5 [001] 1.2: syscalls:sys_exit_mmap: 0x7f9a67f00000
\t 1019b3 __mmap+0x13 (/usr/lib/libc.so.6)

"""
    counts = parse_perf_script(text.splitlines())
    assert counts.samples == 0 and counts.memory.events == 2
    (site,) = [s for s in counts.memory.sites.values() if s.mmaps]
    assert site.live_bytes == 1 << 20


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["sys_enter_mmap", "sys_exit_mmap", "sys_enter_munmap", "sys_enter_brk",
                                            "sys_exit_brk", "sys_enter_open"]),
                          st.integers(1, 3), st.integers(0, 1 << 20), st.integers(-5, 1 << 18),
                          st.integers(0, 0x40)), max_size=80))
def test_fuzz_live_bytes_never_exceed_mapped(events: list[tuple[str, int, int, int, int]]) -> None:
    tracker = MappingTracker()
    for name, tid, address, length, flags in events:
        fields = {"addr": address, "len": length, "flags": flags, "brk": address, "ret": address}
        tracker.event(name, tid, fields, (name, tid))
    tracker.finish()
    for site in tracker.sites.values():
        assert 0 <= site.live_bytes <= site.mapped_bytes
