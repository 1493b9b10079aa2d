"""The intermediate form every parser produces, and the collector protocol they follow.

Parsers are *collectors*: the scanner offers each line to the active collector, which
answers whether it took the line. A collector never sees more than one report and keeps at
most a fixed number of frames, so a gigabyte log costs no more memory than a short one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from cgoguard.findings import Frame
from cgoguard.reports.frames import MAX_FRAMES_PER_STACK


class Take(Enum):
    MORE = "more"  # line consumed, the report continues
    DONE = "done"  # line consumed, the report is complete
    REJECT = "reject"  # line not part of this report: the report ended before it


@dataclass
class Report:
    """One runtime report, before Go source mapping.

    ``stacks`` holds the crash stack under ``"crash"`` and, when the detector prints them,
    ``"free"`` (freed by), ``"alloc"`` (allocated by), ``"previous"`` (the other access of a
    race) and ``"creator"`` (where the goroutine or thread was created).
    """

    detector: str  # asan, lsan, tsan, go-race, go-panic, go-fatal, go-signal, cgocheck, cgocheck2, valgrind
    kind: str  # the detector's own name for the bug (heap-use-after-free, concurrent map writes, ...)
    category: str
    message: str
    origin: str = ""
    origin_line: int = 0
    stacks: dict[str, list[Frame]] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    truncated: bool = False

    def add_frame(self, stack: str, frame: Frame) -> None:
        frames = self.stacks.setdefault(stack, [])
        if len(frames) < MAX_FRAMES_PER_STACK:
            frames.append(frame)

    @property
    def crash_stack(self) -> list[Frame]:
        return self.stacks.get("crash", [])


class Collector(Protocol):
    def feed(self, line: str) -> Take: ...

    def finish(self) -> list[Report]: ...


# The first line of any report family: a collector that meets one ends its own report.
REPORT_START = re.compile(
    r"^(?:==\d+==\s*)?(?:ERROR: \w*Sanitizer|WARNING: MemorySanitizer):|^WARNING: (?:DATA RACE|ThreadSanitizer:)|^panic: |"
    r"^fatal error: |^SIG[A-Z]+: |^write of (?:unpinned )?Go pointer |^runtime: goroutine stack exceeds|"
    r"^==\d+== (?:Invalid |Mismatched free|Conditional jump|Use of uninitialised|Syscall param|"
    r"Process terminating|\d[\d,]* (?:\(\d[\d,]* direct, \d[\d,]* indirect\) )?bytes in)|^<error>$")
