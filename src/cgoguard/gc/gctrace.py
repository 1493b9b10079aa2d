"""Streaming parser for ``GODEBUG=gctrace=1`` output of every Go release since 1.4.

Line shapes (see shared/reference/gc_formats.md):

* Go 1.4 and older: ``gcN(P): a+b+c+d us, X -> Y MB, ...``; the whole cycle ran with the world
  stopped, so its pause is the sum of the four phases.
* Go 1.5: five clock phases ``st+scan+syncP+mark+mt ms clock``; only the first (sweep
  termination) and the last (mark termination) stopped the world.
* Go 1.6 to 1.17: ``A+B+C ms clock, D+E/F/G+H ms cpu, H0->H1->H2 MB, GOAL MB goal, P P``.
* Go 1.18 and later: the same plus ``S MB stacks, GL MB globals`` before ``P P``.
* any version: an optional `` (forced)`` suffix.

Lines are matched anywhere in the text (``re.search``) so that syslog/journald/container
prefixes do not matter, and every other line (program output, ``pacer:``, ``scvg``/``scav``
scavenger lines) is counted and skipped. Durations are kept as integer nanoseconds parsed
from the decimal text, so sums and percentiles are exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

NS_PER_MS = 1_000_000
NS_PER_US = 1_000
# Longer lines are cut: gctrace lines are ~200 bytes, and a runaway line must not eat memory.
MAX_LINE_CHARS = 64 * 1024

_NUM = r"\d+(?:\.\d+)?"
_MODERN = re.compile(
    rf"\bgc (?P<n>\d+) @(?P<t>{_NUM})s (?P<pct>\d+)%: "
    rf"(?P<clock>{_NUM}(?:\+{_NUM})+) ms clock, "
    rf"(?P<cpu>{_NUM}(?:[+/]{_NUM})+) ms cpu, "
    r"(?P<h0>\d+)->(?P<h1>\d+)->(?P<h2>\d+) MB, (?P<goal>\d+) MB goal, "
    r"(?:(?P<stacks>\d+) MB stacks, (?P<globals>\d+) MB globals, )?"
    r"(?P<procs>\d+) P(?P<forced> \(forced\))?"
)
_LEGACY = re.compile(
    rf"\bgc(?P<n>\d+)\((?P<procs>\d+)\): (?P<clock>{_NUM}(?:\+{_NUM}){{3}}) us, "
    r"(?P<h0>\d+) -> (?P<h1>\d+) MB"
)
# Something that announces a GC cycle; if neither full pattern matches it, the line is damaged.
_GC_HINT = re.compile(r"\bgc ?\d+(?: @|\(\d+\):)")
_PACER = re.compile(r"\bpacer: ")
_SCAVENGER = re.compile(r"\bscvg\d+: |\bscav \d+ ")


@dataclass(frozen=True, slots=True)
class GcCycle:
    """One parsed gctrace line. Durations are integer nanoseconds, heap sizes MiB (truncated)."""

    run: int  # 0-based process run; a cycle number that does not increase starts a new run
    number: int
    source: str
    line: int
    format: str  # "go1.4", "go1.5", "go1.6", "go1.18"
    start_ns: int  # since runtime init (0 for go1.4, which prints no timestamp)
    cumulative_cpu_percent: int | None
    sweep_term_ns: int
    concurrent_ns: int  # concurrent mark and scan; the world runs
    mark_term_ns: int
    sweep_term_cpu_ns: int  # an STW phase times the number of Ps (computed, not measured)
    mark_term_cpu_ns: int
    assist_cpu_ns: int
    background_cpu_ns: int
    idle_cpu_ns: int
    heap_start_mb: int
    heap_end_mb: int
    heap_live_mb: int | None
    heap_goal_mb: int | None
    stacks_mb: int | None
    globals_mb: int | None
    procs: int
    forced: bool

    @property
    def stw_ns(self) -> int:
        """Wall-clock stop-the-world time of the cycle: sweep + mark termination."""
        return self.sweep_term_ns + self.mark_term_ns

    @property
    def pauses_ns(self) -> tuple[int, ...]:
        """The individual pauses, as ``/gc/pauses:seconds`` records them (two per cycle)."""
        if self.format == "go1.4":
            return (self.stw_ns,)
        return (self.sweep_term_ns, self.mark_term_ns)

    @property
    def stw_cpu_ns(self) -> int:
        return self.sweep_term_cpu_ns + self.mark_term_cpu_ns

    @property
    def wall_ns(self) -> int:
        return self.sweep_term_ns + self.concurrent_ns + self.mark_term_ns

    @property
    def end_ns(self) -> int:
        return self.start_ns + self.wall_ns

    @property
    def gc_cpu_ns(self) -> int:
        """CPU the GC took from the program: STW, assists and background workers.

        Idle-P marking is left out, as the runtime does for ``gc_cpu_fraction``: it only
        uses Ps that had nothing else to run.
        """
        return self.stw_cpu_ns + self.assist_cpu_ns + self.background_cpu_ns


@dataclass(slots=True)
class LineCounts:
    """What the non-cycle lines were; reported so that nothing is silently dropped."""

    total: int = 0
    pacer: int = 0
    scavenger: int = 0
    other: int = 0
    # (source, line number) of lines that look like a gc line but do not parse.
    damaged: list[tuple[str, int]] = field(default_factory=list)


def _ns(text: str, unit_ns: int) -> int:
    try:
        return int(Decimal(text) * unit_ns)
    except InvalidOperation as exc:  # the regex admits only digits and one dot
        raise ValueError(f"bad duration {text!r}") from exc


class GctraceParser:
    """Feed lines (from one or several files, in order); collect cycles as they are seen."""

    def __init__(self) -> None:
        self.counts = LineCounts()
        self._run = -1
        self._last_number: int | None = None

    def feed(self, lines: Iterable[str], source: str) -> Iterator[GcCycle]:
        for line_no, line in enumerate(lines, 1):
            self.counts.total += 1
            cycle = self._parse_line(line[:MAX_LINE_CHARS], source, line_no)
            if cycle is not None:
                yield cycle

    def _parse_line(self, line: str, source: str, line_no: int) -> GcCycle | None:
        if "gc" in line:
            cycle = None
            if match := _MODERN.search(line):
                cycle = self._modern(match, source, line_no)
            elif match := _LEGACY.search(line):
                cycle = self._legacy(match, source, line_no)
            if cycle is not None:
                return cycle
            if _GC_HINT.search(line):
                self.counts.damaged.append((source, line_no))
                return None
        if _PACER.search(line):
            self.counts.pacer += 1
        elif _SCAVENGER.search(line):
            self.counts.scavenger += 1
        else:
            self.counts.other += 1
        return None

    def _next_run(self, number: int) -> int:
        if self._last_number is None or number <= self._last_number:
            self._run += 1
        self._last_number = number
        return self._run

    def _modern(self, m: re.Match[str], source: str, line_no: int) -> GcCycle | None:
        clock = [_ns(v, NS_PER_MS) for v in m["clock"].split("+")]
        cpu_parts = m["cpu"].split("+")
        if len(clock) == 3 and len(cpu_parts) == 3:
            fmt = "go1.18" if m["stacks"] is not None else "go1.6"
            sweep, concurrent, mark_term = clock
        elif len(clock) == 5 and len(cpu_parts) == 5:
            # Go 1.5: sweep termination, scan, synchronize Ps, mark, mark termination.
            fmt = "go1.5"
            sweep, mark_term = clock[0], clock[4]
            concurrent = clock[1] + clock[2] + clock[3]
        else:
            return None
        mark_cpu = cpu_parts[-2].split("/")
        if len(mark_cpu) != 3 or "/" in cpu_parts[0] + cpu_parts[-1]:
            return None
        assist, background, idle = (_ns(v, NS_PER_MS) for v in mark_cpu)
        # Go 1.5's scan and synchronize-Ps CPU ran concurrently: count them as background work.
        background += sum(_ns(v, NS_PER_MS) for v in cpu_parts[1:-2])
        number = int(m["n"])
        return GcCycle(
            run=self._next_run(number), number=number, source=source, line=line_no, format=fmt,
            start_ns=_ns(m["t"], 1_000_000_000), cumulative_cpu_percent=int(m["pct"]),
            sweep_term_ns=sweep, concurrent_ns=concurrent, mark_term_ns=mark_term,
            sweep_term_cpu_ns=_ns(cpu_parts[0], NS_PER_MS), mark_term_cpu_ns=_ns(cpu_parts[-1], NS_PER_MS),
            assist_cpu_ns=assist, background_cpu_ns=background, idle_cpu_ns=idle,
            heap_start_mb=int(m["h0"]), heap_end_mb=int(m["h1"]), heap_live_mb=int(m["h2"]),
            heap_goal_mb=int(m["goal"]),
            stacks_mb=int(m["stacks"]) if m["stacks"] is not None else None,
            globals_mb=int(m["globals"]) if m["globals"] is not None else None,
            procs=int(m["procs"]), forced=m["forced"] is not None,
        )

    def _legacy(self, m: re.Match[str], source: str, line_no: int) -> GcCycle:
        # Go <= 1.4 stopped the world for the whole collection: every phase is pause time.
        phases = [_ns(v, NS_PER_US) for v in m["clock"].split("+")]
        number = int(m["n"])
        procs = int(m["procs"])
        return GcCycle(
            run=self._next_run(number), number=number, source=source, line=line_no, format="go1.4",
            start_ns=0, cumulative_cpu_percent=None,
            sweep_term_ns=sum(phases), concurrent_ns=0, mark_term_ns=0,
            sweep_term_cpu_ns=sum(phases) * procs, mark_term_cpu_ns=0, assist_cpu_ns=0, background_cpu_ns=0, idle_cpu_ns=0,
            heap_start_mb=int(m["h0"]), heap_end_mb=int(m["h1"]), heap_live_mb=None,
            heap_goal_mb=None, stacks_mb=None, globals_mb=None, procs=procs, forced=False,
        )


def parse_lines(lines: Iterable[str], source: str = "<input>") -> tuple[list[GcCycle], LineCounts]:
    """Parse one stream of lines; convenience wrapper around :class:`GctraceParser`."""
    parser = GctraceParser()
    cycles = list(parser.feed(lines, source))
    return cycles, parser.counts
