"""Memory mappings from ``perf record -e syscalls:sys_enter_mmap,...`` tracepoints.

The seed method for finding C-heap growth outside malloc's books: record the mmap, munmap and
brk system calls with their call stacks, then see which mappings were made and never unmapped.
:class:`MappingTracker` takes the events in the order ``perf script`` prints them (time order)
and keeps only what is live: the mappings not yet unmapped, and per distinct stack the calls
and bytes. A mapping's address is known from ``sys_exit_mmap`` (the return value) or, without
it, from a ``MAP_FIXED`` request; mappings whose address is unknown are counted, not tracked.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable
from dataclasses import dataclass, field

MAP_FIXED = 0x10
MAP_ANONYMOUS = 0x20
_ERROR_RETURN = -4096  # a syscall's return value in [-4095, -1] is -errno
# Live mappings tracked at once; beyond this new ones are only counted.
MAX_LIVE_MAPPINGS = 1_000_000
SYSCALLS = ("mmap", "munmap", "brk")


@dataclass
class SiteMemory:
    """The mapping activity of one stack."""

    mmaps: int = 0
    mapped_bytes: int = 0
    anonymous_bytes: int = 0
    munmaps: int = 0
    unmapped_bytes: int = 0  # bytes this stack unmapped (of any mapping)
    brk_calls: int = 0
    brk_growth: int = 0  # bytes the program break grew in this stack's brk calls
    live_mappings: int = 0  # made by this stack and still mapped at the end
    live_bytes: int = 0

    def merge(self, other: SiteMemory) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Pending:
    call: str
    stack: Hashable
    fields: dict[str, int]


@dataclass
class MappingTracker:
    """Live mappings and per-stack totals, fed one tracepoint at a time."""

    sites: dict[Hashable, SiteMemory] = field(default_factory=dict)
    events: int = 0
    saw_exit: set[str] = field(default_factory=set)  # syscalls whose sys_exit_* events were recorded
    unknown_address: int = 0  # mmaps whose resulting address was never seen
    unmatched_unmaps: int = 0  # munmaps of memory mapped before the recording (or untracked)
    failed: int = 0  # calls that returned an error
    untracked: int = 0  # mappings beyond MAX_LIVE_MAPPINGS
    _starts: list[int] = field(default_factory=list)
    _live: dict[int, tuple[int, Hashable]] = field(default_factory=dict)  # start -> (end, stack)
    _pending: dict[int, _Pending] = field(default_factory=dict)  # tid -> call entered, not yet exited
    _break: int | None = None

    @property
    def seen(self) -> bool:
        return self.events > 0

    def event(self, name: str, tid: int, fields: dict[str, int], stack: Hashable) -> bool:
        """One ``sys_enter_X``/``sys_exit_X`` event; False when it is not one of ours."""
        direction, _, call = name.removeprefix("sys_").partition("_")
        if call not in SYSCALLS or direction not in ("enter", "exit"):
            return False
        self.events += 1
        if direction == "exit":
            self.saw_exit.add(call)
            pending = self._pending.pop(tid, None)
            if pending is not None and pending.call == call:
                self._complete(pending, fields.get("ret", fields.get("value", 0)))
            return True
        previous = self._pending.pop(tid, None)
        if previous is not None:  # no exit event for the previous call (not recorded, or lost)
            self._complete(previous, None)
        if call == "munmap":
            # Its arguments say all, and waiting for an exit event that may not be recorded would
            # apply it after later mappings that reuse the addresses.
            self._complete(_Pending(call, stack, fields), None)
        else:
            self._pending[tid] = _Pending(call, stack, fields)
        return True

    def finish(self) -> None:
        """Complete the calls still waiting for their exit event."""
        for pending in self._pending.values():
            self._complete(pending, None)
        self._pending.clear()
        for start, (end, stack) in self._live.items():
            site = self._site(stack)
            site.live_mappings += 1
            site.live_bytes += end - start

    def merge(self, other: MappingTracker) -> None:
        """Totals of another (finished) tracker: another process or another file."""
        for stack, memory in other.sites.items():
            self._site(stack).merge(memory)
        self.events += other.events
        self.saw_exit |= other.saw_exit
        self.unknown_address += other.unknown_address
        self.unmatched_unmaps += other.unmatched_unmaps
        self.failed += other.failed
        self.untracked += other.untracked

    # -- one call ------------------------------------------------------------------------------
    def _complete(self, pending: _Pending, ret: int | None) -> None:
        if ret is not None and _signed(ret) < 0 and _signed(ret) >= _ERROR_RETURN:
            self.failed += 1
            return
        site = self._site(pending.stack)
        fields = pending.fields
        if pending.call == "mmap":
            self._mmap(site, pending.stack, fields, ret)
        elif pending.call == "munmap":
            site.munmaps += 1
            removed = self._unmap(fields.get("addr", 0), fields.get("len", 0))
            site.unmapped_bytes += removed
            if not removed:
                self.unmatched_unmaps += 1
        else:
            self._brk(site, fields.get("brk", 0), ret)

    def _mmap(self, site: SiteMemory, stack: Hashable, fields: dict[str, int], ret: int | None) -> None:
        length = _page_round(fields.get("len", 0))
        site.mmaps += 1
        site.mapped_bytes += length
        if fields.get("flags", 0) & MAP_ANONYMOUS:
            site.anonymous_bytes += length
        address = ret if ret is not None else (fields.get("addr", 0) if fields.get("flags", 0) & MAP_FIXED else None)
        if address is None or length <= 0:
            self.unknown_address += 1
            return
        self._unmap(address, length)  # a mapping over an old one replaces it
        if len(self._live) >= MAX_LIVE_MAPPINGS:
            self.untracked += 1
            return
        bisect.insort(self._starts, address)
        self._live[address] = (address + length, stack)

    def _unmap(self, address: int, length: int) -> int:
        """Remove [address, address+length) from the live mappings; the bytes that were tracked."""
        length = _page_round(length)
        if length <= 0:
            return 0
        end = address + length
        first = max(bisect.bisect_right(self._starts, address) - 1, 0)
        last = bisect.bisect_left(self._starts, end)
        overlapping = [start for start in self._starts[first:last] if self._live[start][0] > address]
        removed = 0
        for start in overlapping:
            live_end, stack = self._live.pop(start)
            del self._starts[bisect.bisect_left(self._starts, start)]
            removed += min(live_end, end) - max(start, address)
            for piece_start, piece_end in ((start, address), (end, live_end)):  # what is left either side
                if piece_start < piece_end:
                    bisect.insort(self._starts, piece_start)
                    self._live[piece_start] = (piece_end, stack)
        return removed

    def _brk(self, site: SiteMemory, requested: int, ret: int | None) -> None:
        site.brk_calls += 1
        new_break = ret if ret is not None else (requested or None)
        if new_break is None:
            return
        if self._break is not None and new_break > self._break:
            site.brk_growth += new_break - self._break
        self._break = new_break

    def _site(self, stack: Hashable) -> SiteMemory:
        site = self.sites.get(stack)
        if site is None:
            site = self.sites[stack] = SiteMemory()
        return site


def _page_round(length: int) -> int:
    return (max(length, 0) + 4095) & ~4095


def _signed(value: int) -> int:
    """A 64-bit return value as printed (``0xfffffffffffffff4``) back to its signed meaning."""
    return value - (1 << 64) if value >= 1 << 63 else value
