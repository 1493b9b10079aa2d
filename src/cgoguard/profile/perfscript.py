"""A streaming parser of ``perf script`` text (perf 4.x to 6.x, default fields).

Each sample is a header line, then (with ``perf record -g``) one line per frame, leaf first,
then a blank line::

    prog  9596 [001]   407.021451:    2004008 cpu-clock:ppp:
    \t  884c5 _cgo_7945bf2591c9_Cfunc_cspin+0x35 (/home/dev/demo/demo)
    \t      0 [unknown] ([unknown])

Without ``-g`` the one frame follows the event name on the header line. Tracepoint samples
(``syscalls:sys_enter_mmap: addr: 0x0, len: 0x2000, ...``) carry their fields there instead.
The command name may hold spaces, the ``[cpu]`` column and the period may be missing, and
lines the parser does not know (``perf script -F +srcline`` source lines, warnings) are skipped.

Input is read line by line with a cap on a line's length, and identical stacks are counted
(:class:`~cgoguard.profile.model.StackCounts`), so memory stays bounded on any input size.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from cgoguard.profile.model import MAX_FRAMES, Frame, Stack, StackCounts

MAX_LINE = 64 * 1024  # longer lines are cut (a C++ symbol can be long, not this long)
_TIME = re.compile(r"\s(?P<time>\d+\.\d+):(?=\s|$)")
_LEFT = re.compile(r"^(?P<comm>\S.{0,200}?)\s+(?P<pid>-?\d+)(?:/(?P<tid>-?\d+))?(?:\s+\[(?P<cpu>\d+)\])?$")
_RIGHT = re.compile(r"^\s*(?:(?P<period>\d+)\s+)?(?P<event>[^\s:][^\s]*?):(?:\s+(?P<rest>.*))?$")
_MAX_LEFT = 256  # command name (16 bytes in the kernel), pid/tid and cpu
_HEX = frozenset("0123456789abcdefABCDEF")
_TRACE_FIELD = re.compile(r"(?P<name>\w+):\s*(?P<value>0x[0-9a-fA-F]+|-?\d+)")
_BARE_VALUE = re.compile(r"^\s*(?P<value>0x[0-9a-fA-F]+|-?\d+)\s*$")
# Sampling events that measure CPU time, preferred over others when a file holds several.
CPU_EVENTS = ("cpu-clock", "task-clock", "cycles", "cpu-cycles", "instructions", "ref-cycles")
_MODIFIERS = re.compile(r":[ukhHGpPSDIWe]+$")


def read_lines(stream: BinaryIO, max_line: int = MAX_LINE) -> Iterator[str]:
    """Decoded lines of a byte stream, each cut at ``max_line`` bytes (the rest of it skipped)."""
    while True:
        raw = stream.readline(max_line)
        if not raw:
            return
        if not raw.endswith(b"\n") and len(raw) >= max_line:
            while (rest := stream.readline(max_line)) and not rest.endswith(b"\n"):
                pass
        yield raw.decode("utf-8", "replace").rstrip("\r\n")


def event_name(raw: str) -> str:
    """``cpu-clock:ppp`` -> ``cpu-clock``; ``syscalls:sys_enter_mmap`` stays as it is."""
    if raw.count(":") == 1 and _MODIFIERS.search(raw) and not raw.startswith(("syscalls:", "raw_syscalls:")):
        return _MODIFIERS.sub("", raw)
    return raw


class Header:
    """The fields of a sample header line that the analysis uses."""

    __slots__ = ("event", "period", "pid", "rest", "tid")

    def __init__(self, pid: int, tid: int, period: int, event: str, rest: str) -> None:
        self.pid, self.tid, self.period, self.event, self.rest = pid, tid, period, event, rest


def parse_header(line: str) -> Header | None:
    """``comm pid[/tid] [cpu] time: [period] event: [rest]`` (None for any other line)."""
    time = _TIME.search(line)
    if time is None or time.start() > _MAX_LEFT:
        return None
    left = _LEFT.match(line[:time.start()].rstrip())
    right = _RIGHT.match(line[time.end():])
    if left is None or right is None:
        return None
    pid = int(left["pid"])
    return Header(pid, int(left["tid"]) if left["tid"] else pid, int(right["period"] or 0), right["event"],
                  right["rest"] or "")


def parse_frame(line: str) -> Frame | None:
    """``  4f91 runtime.cgocall+0xb1 (/path/prog)`` (linear in the line's length: no backtracking)."""
    text = line.strip()
    address, _, rest = text.partition(" ")
    if not address or len(address) > 16 or not set(address) <= _HEX or not rest.endswith(")"):
        return None
    depth = 0
    for index in range(len(rest) - 1, -1, -1):  # the module's opening bracket, from the end
        depth += {")": 1, "(": -1}.get(rest[index], 0)
        if depth == 0:
            break
    else:
        return None
    if index == 0 or not rest[index - 1].isspace():
        return None
    module = rest[index + 1:-1].strip()
    symbol = rest[:index].strip()
    offset = None
    base, plus, tail = symbol.rpartition("+0x")
    if plus and tail and len(tail) <= 16 and set(tail) <= _HEX:
        symbol, offset = base, int(tail, 16)
    if symbol == "[unknown]":
        symbol = ""
    if module == "[unknown]":
        module = ""
    return Frame(function=symbol, module=module, address=int(address, 16), offset=offset)


class PerfScriptParser:
    """Feed lines with :meth:`feed`, then :meth:`finish` for the counted stacks."""

    def __init__(self, source: str = "perf script") -> None:
        self.source = source
        self._by_event: dict[str, StackCounts] = {}
        self._memory = StackCounts(source)  # holds the mapping tracker and parse notes
        self._header: Header | None = None
        self._frames: list[Frame] = []
        self._interned: dict[Stack, Stack] = {}
        self.lines = 0
        self.headers = 0
        self.unparsed = 0

    def feed(self, line: str) -> None:
        self.lines += 1
        if not line.strip():
            self._flush()
            return
        if line[0] in " \t":
            if self._header is not None and len(self._frames) < MAX_FRAMES * 2:
                frame = parse_frame(line)
                if frame is not None:
                    self._frames.append(frame)
                elif not line.strip().startswith(("/", ".")) and ":" not in line:
                    self.unparsed += 1
            return
        header = parse_header(line)
        if header is None:
            self._flush()
            if not line.startswith("#"):
                self.unparsed += 1
            return
        self._flush()
        self.headers += 1
        self._header = header
        if header.rest and (frame := parse_frame(header.rest)) is not None:
            self._frames.append(frame)

    def finish(self) -> StackCounts:
        self._flush()
        counts = self._primary()
        counts.memory = self._memory.memory
        counts.memory.finish()
        counts.notes += self._memory.notes
        if self.headers == 0 and self.lines:
            counts.notes.append(f"no perf script sample header among {self.lines} lines")
        return counts

    # -- internals -------------------------------------------------------------------------------
    def _flush(self) -> None:
        header, frames = self._header, self._frames
        self._header, self._frames = None, []
        if header is None:
            return
        stack = self._intern(tuple(frames))
        event = event_name(header.event)
        if event.startswith("syscalls:"):
            self._memory.memory.event(event.split(":", 1)[1], header.tid, _trace_fields(header.rest), stack)
            return
        counts = self._by_event.get(event)
        if counts is None:
            counts = self._by_event[event] = StackCounts(self.source, event=event)
        counts.add(stack)
        if event in ("cpu-clock", "task-clock"):
            counts.nanoseconds += header.period  # these count nanoseconds
        for frame in stack:
            if frame.module and not frame.module.startswith("["):
                counts.binaries[frame.module] += 1
                break

    def _intern(self, stack: Stack) -> Stack:
        found = self._interned.get(stack)
        if found is not None:
            return found
        if len(self._interned) < 2 * 200_000:
            self._interned[stack] = stack
        return stack

    def _primary(self) -> StackCounts:
        """The CPU sampling event (the most sampled one when there are several)."""
        if not self._by_event:
            return StackCounts(self.source)
        ranked = sorted(self._by_event.values(),
                        key=lambda c: (c.event.split(":")[0] not in CPU_EVENTS, -c.samples, c.event))
        chosen = ranked[0]
        chosen.other_events = Counter({c.event: c.samples for c in ranked[1:]})
        if chosen.other_events:
            others = ", ".join(f"{name} ({n})" for name, n in chosen.other_events.most_common())
            chosen.notes.append(f"analysed the {chosen.event} samples; other events not analysed: {others}")
        return chosen


def _trace_fields(text: str) -> dict[str, int]:
    """``addr: 0x0, len: 0x2000, ...`` -> ints; a bare value (an exit event's) is ``ret``."""
    bare = _BARE_VALUE.match(text)
    if bare is not None:
        return {"ret": int(bare["value"], 0)}
    fields = {}
    for match in _TRACE_FIELD.finditer(text):
        value = match["value"]
        fields[match["name"]] = int(value, 16) if value.startswith("0x") else int(value)
    return fields


def parse_perf_script(lines: Iterable[str], source: str = "perf script") -> StackCounts:
    parser = PerfScriptParser(source)
    for line in lines:
        parser.feed(line)
    return parser.finish()


def parse_perf_script_stream(stream: BinaryIO, source: str = "perf script") -> StackCounts:
    return parse_perf_script(read_lines(stream), source)


def looks_like_perf_script(head: bytes) -> bool:
    """Whether the first bytes of a file hold a ``perf script`` sample header."""
    text = head.decode("utf-8", "replace")
    return any(parse_header(line) for line in text.splitlines()[:200] if line and line[0] not in " \t#")
