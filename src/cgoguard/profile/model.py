"""What the profile parsers produce and the attribution reads: samples of call stacks.

A :class:`Frame` is one frame as the input names it (a perf symbol with its offset and DSO, or
a pprof function with its file and line); a stack is a tuple of frames, leaf first. Identical
stacks are counted, not kept once per sample, so memory grows with the number of distinct
stacks, not with the length of the input (:class:`StackCounts` caps that number as well).
Syscall tracepoint events (mmap, munmap, brk) go to a :class:`~cgoguard.profile.syscalls.MappingTracker`
as they stream by.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from cgoguard.findings import InputError
from cgoguard.profile.syscalls import MappingTracker

# Distinct stacks kept per profile; samples of further new stacks are counted as dropped.
MAX_DISTINCT_STACKS = 200_000
# Frames kept per stack (the leaf end: attribution needs the frames near the cgo boundary and
# the Go caller; a deep recursion's root end says nothing about C time).
MAX_FRAMES = 256


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame of a sampled stack, before symbolization.

    ``address`` is what the input printed (perf: the DSO-relative address; pprof: the
    program counter); ``offset`` the offset into ``function`` when the input gives it.
    ``path``/``line`` come from the input (pprof) or from symbolization (perf).
    """

    function: str
    module: str = ""
    address: int = 0
    offset: int | None = None
    path: str = ""
    line: int = 0
    inlined: bool = False  # an inlined call inside the next (outer) frame, same address

    @property
    def unknown(self) -> bool:
        return not self.function or self.function == "[unknown]"


Stack = tuple[Frame, ...]


@dataclass
class StackCounts:
    """Counted stacks of one sampling event, plus what the parser saw on the way."""

    source: str  # "perf script", "perf.data", "pprof"
    event: str = ""  # "cpu-clock", "cycles", "cpu" (pprof)
    unit: str = "samples"
    stacks: Counter[Stack] = field(default_factory=Counter)
    samples: int = 0  # every sample read, including those of dropped stacks
    dropped: int = 0  # samples of new stacks beyond MAX_DISTINCT_STACKS
    truncated_stacks: int = 0  # stacks cut to MAX_FRAMES
    nanoseconds: int = 0  # CPU time the samples stand for, when the input says (pprof, perf period)
    other_events: Counter[str] = field(default_factory=Counter)  # samples of events not analysed
    memory: MappingTracker = field(default_factory=MappingTracker)
    errors: list[InputError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    binaries: Counter[str] = field(default_factory=Counter)  # DSOs of user frames, most frequent first

    def add(self, stack: Stack, count: int = 1) -> None:
        self.samples += count
        if len(stack) > MAX_FRAMES:
            stack = stack[:MAX_FRAMES]
            self.truncated_stacks += 1
        if stack not in self.stacks and len(self.stacks) >= MAX_DISTINCT_STACKS:
            self.dropped += count
            return
        self.stacks[stack] += count

    def merge(self, other: StackCounts) -> None:
        """Add ``other``'s samples (another file of the same program) to these."""
        for stack, count in other.stacks.items():
            self.add(stack, count)
        self.samples += other.dropped
        self.dropped += other.dropped
        self.truncated_stacks += other.truncated_stacks
        self.nanoseconds += other.nanoseconds
        self.other_events.update(other.other_events)
        self.memory.merge(other.memory)
        self.errors += other.errors
        self.notes += [note for note in other.notes if note not in self.notes]
        self.binaries.update(other.binaries)
