"""GC pause analysis of parsed gctrace cycles: pauses, CPU per window, heap, findings."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from cgoguard.findings import Confidence, Finding, InputError, Severity, stable_fingerprint
from cgoguard.gc.gctrace import MAX_LINE_CHARS, GcCycle, GctraceParser, LineCounts
from cgoguard.gc.stats import Distribution, ms

NS_PER_S = 1_000_000_000
DEFAULT_STW_THRESHOLD_MS = 10.0
# Auto window sizes (seconds): the smallest that gives at most MAX_AUTO_WINDOWS per run.
_NICE_WINDOWS_S = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 600, 1800, 3600, 86400)
MAX_AUTO_WINDOWS = 60
# Share of cycles started by runtime.GC()/debug.FreeOSMemory() worth pointing out.
FORCED_SHARE_NOTABLE = 0.10

Source = str | os.PathLike[str] | Iterable[str]


@dataclass(frozen=True, slots=True)
class Run:
    """One process lifetime in the input: cycle numbers restart at 1 in the next one."""

    index: int
    source: str
    first_number: int
    last_number: int
    cycles: int
    missing_cycles: int  # gaps in the numbering (an excerpt, or lines lost in the log)
    span_s: float  # from the first cycle's start to the last cycle's end
    cycles_per_s: float | None


@dataclass(frozen=True, slots=True)
class Window:
    """Cycles that started in [start_s, start_s + width) of one run."""

    run: int
    start_s: float
    cycles: int
    forced: int
    stw_total_ns: int
    stw_max_ns: int
    gc_cpu_fraction: float  # (STW cpu + assist + background) / (width * GOMAXPROCS)
    idle_mark_fraction: float  # idle-P marking, reported apart: it used otherwise idle Ps
    heap_live_max_mb: int | None
    heap_goal_max_mb: int | None


@dataclass(slots=True)
class GcAnalysis:
    cycles: list[GcCycle]
    counts: LineCounts
    sources: list[str]
    errors: list[InputError]
    window_s: float
    stw_threshold_ms: float = DEFAULT_STW_THRESHOLD_MS
    runs: list[Run] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    per_cycle: Distribution = field(default_factory=lambda: Distribution.of([]))
    pauses: Distribution = field(default_factory=lambda: Distribution.of([]))
    sweep_termination: Distribution = field(default_factory=lambda: Distribution.of([]))
    mark_termination: Distribution = field(default_factory=lambda: Distribution.of([]))
    findings: list[Finding] = field(default_factory=list)

    @property
    def forced_cycles(self) -> int:
        return sum(c.forced for c in self.cycles)

    @property
    def formats(self) -> list[str]:
        return sorted({c.format for c in self.cycles})

    def summary(self) -> dict[str, Any]:
        """Headline numbers.

        ``stw_*`` describe each cycle's stop-the-world time: sweep termination plus mark
        termination wall clock, the two phases gctrace reports as STW. ``pause_*`` describe
        each of those phases as a separate pause, as ``/gc/pauses:seconds`` and execution
        traces count them (``pauses`` of them, about two per cycle).
        """
        gc_cpu = sum(c.gc_cpu_ns for c in self.cycles)
        assist = sum(c.assist_cpu_ns for c in self.cycles)
        windows_cpu = [w.gc_cpu_fraction for w in self.windows]
        return {
            "cycles": len(self.cycles),
            "forced_cycles": self.forced_cycles,
            "runs": len(self.runs),
            "formats": self.formats,
            **{k: v for k, v in self.per_cycle.to_ms_dict("stw_").items() if k != "stw_count"},
            "pauses": self.pauses.count,
            **{k: v for k, v in self.pauses.to_ms_dict("pause_").items() if k != "pause_count"},
            "sweep_termination_max_ms": ms(self.sweep_termination.max_ns),
            "sweep_termination_p99_ms": ms(self.sweep_termination.p99_ns),
            "mark_termination_max_ms": ms(self.mark_termination.max_ns),
            "mark_termination_p99_ms": ms(self.mark_termination.p99_ns),
            "gc_cpu_ms": ms(gc_cpu),
            "assist_share_of_gc_cpu": round(assist / gc_cpu, 4) if gc_cpu else 0.0,
            "window_s": self.window_s,
            "gc_cpu_fraction_max": max(windows_cpu, default=0.0),
            "cycles_per_s": [r.cycles_per_s for r in self.runs],
            "heap_live_max_mb": max((c.heap_live_mb or 0 for c in self.cycles), default=0),
            "heap_goal_max_mb": max((c.heap_goal_mb or 0 for c in self.cycles), default=0),
            "lines": self.counts.total,
            "pacer_lines": self.counts.pacer,
            "scavenger_lines": self.counts.scavenger,
            "other_lines": self.counts.other,
            "damaged_gc_lines": len(self.counts.damaged),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "runs": [_run_dict(r) for r in self.runs],
            "windows": [_window_dict(w, self.window_s) for w in self.windows],
            "cycles": [cycle_dict(c) for c in self.cycles],
            "damaged_gc_lines": [{"path": p, "line": n} for p, n in self.counts.damaged],
        }


def cycle_dict(c: GcCycle) -> dict[str, Any]:
    return {
        "run": c.run, "gc": c.number, "path": c.source, "line": c.line, "format": c.format,
        "start_s": c.start_ns / NS_PER_S, "stw_ms": ms(c.stw_ns),
        "sweep_termination_ms": ms(c.sweep_term_ns), "concurrent_ms": ms(c.concurrent_ns),
        "mark_termination_ms": ms(c.mark_term_ns),
        "sweep_termination_cpu_ms": ms(c.sweep_term_cpu_ns), "mark_termination_cpu_ms": ms(c.mark_term_cpu_ns),
        "assist_cpu_ms": ms(c.assist_cpu_ns), "background_cpu_ms": ms(c.background_cpu_ns),
        "idle_cpu_ms": ms(c.idle_cpu_ns), "heap_start_mb": c.heap_start_mb, "heap_end_mb": c.heap_end_mb,
        "heap_live_mb": c.heap_live_mb, "heap_goal_mb": c.heap_goal_mb, "stacks_mb": c.stacks_mb,
        "globals_mb": c.globals_mb, "procs": c.procs, "forced": c.forced,
        "cumulative_cpu_percent": c.cumulative_cpu_percent,
    }


def _run_dict(r: Run) -> dict[str, Any]:
    return {"run": r.index, "path": r.source, "first_gc": r.first_number, "last_gc": r.last_number,
            "cycles": r.cycles, "missing_cycles": r.missing_cycles, "span_s": r.span_s,
            "cycles_per_s": r.cycles_per_s}


def _window_dict(w: Window, width_s: float) -> dict[str, Any]:
    return {"run": w.run, "start_s": w.start_s, "end_s": round(w.start_s + width_s, 9),
            "cycles": w.cycles, "forced": w.forced, "stw_total_ms": ms(w.stw_total_ns),
            "stw_max_ms": ms(w.stw_max_ns), "gc_cpu_fraction": w.gc_cpu_fraction,
            "idle_mark_fraction": w.idle_mark_fraction, "heap_live_max_mb": w.heap_live_max_mb,
            "heap_goal_max_mb": w.heap_goal_max_mb}


# ---------------------------------------------------------------------------------------------
# Reading input


def read_text_lines(stream: IO[bytes]) -> Iterator[str]:
    """Decode lines one at a time (bad UTF-8 replaced), cutting runaway lines."""
    while chunk := stream.readline(MAX_LINE_CHARS):
        if not chunk.endswith(b"\n"):
            # Drop the rest of an over-long line so that it cannot become many fake lines.
            while (rest := stream.readline(MAX_LINE_CHARS)) and not rest.endswith(b"\n"):
                pass
        yield chunk.decode("utf-8", "replace")


def _looks_binary(stream: IO[bytes]) -> bool:
    head = stream.peek(4096)[:4096] if hasattr(stream, "peek") else b""
    return b"\x00" in head


def _open_source(path: str, stdin: IO[bytes] | None) -> tuple[IO[bytes], bool]:
    """The byte stream for a path ("-" is stdin) and whether the caller must close it."""
    if path == "-":
        return (stdin or sys.stdin.buffer), False
    return open(path, "rb"), True


def _stream_sources(paths: Sequence[str], stdin: IO[bytes] | None, parser: GctraceParser,
                    errors: list[InputError]) -> Iterator[GcCycle]:
    for path in paths:
        try:
            stream, owned = _open_source(path, stdin)
        except OSError as exc:
            errors.append(InputError(path, f"cannot read: {exc.strerror or exc}"))
            continue
        try:
            if _looks_binary(stream):
                errors.append(InputError(path, "binary file, not gctrace text (GODEBUG=gctrace=1 stderr)"))
                continue
            yield from parser.feed(read_text_lines(stream), "<stdin>" if path == "-" else path)
        except OSError as exc:
            errors.append(InputError(path, f"read error: {exc.strerror or exc}"))
        finally:
            if owned:
                stream.close()


# ---------------------------------------------------------------------------------------------
# Analysis


def analyze_gctrace(path_or_lines: Source | Sequence[os.PathLike[str]], *,
                    window_s: float | None = None, stw_threshold_ms: float = DEFAULT_STW_THRESHOLD_MS,
                    stdin: IO[bytes] | None = None, name: str = "<input>") -> GcAnalysis:
    """Analyse gctrace output.

    ``path_or_lines`` is a path (``"-"`` for stdin), a list of ``Path`` objects (read in order,
    as one log), or any other iterable of text lines (``name`` labels them in findings).
    """
    if isinstance(path_or_lines, str | os.PathLike):
        return analyze_files([os.fspath(path_or_lines)], window_s=window_s,
                             stw_threshold_ms=stw_threshold_ms, stdin=stdin)
    items = path_or_lines if isinstance(path_or_lines, list | tuple) else None
    if items and all(isinstance(p, os.PathLike) for p in items):
        return analyze_files([os.fspath(p) for p in items], window_s=window_s,
                             stw_threshold_ms=stw_threshold_ms, stdin=stdin)
    parser = GctraceParser()
    cycles = list(parser.feed(path_or_lines, name))  # type: ignore[arg-type]
    return build_analysis(cycles, parser.counts, [name], [], window_s=window_s,
                          stw_threshold_ms=stw_threshold_ms)


def analyze_files(paths: Sequence[str], *, window_s: float | None = None,
                  stw_threshold_ms: float = DEFAULT_STW_THRESHOLD_MS,
                  stdin: IO[bytes] | None = None) -> GcAnalysis:
    """Analyse gctrace files read in order as one log; ``"-"`` reads stdin."""
    parser = GctraceParser()
    errors: list[InputError] = []
    cycles = list(_stream_sources(paths, stdin, parser, errors))
    sources = ["<stdin>" if p == "-" else p for p in paths]
    return build_analysis(cycles, parser.counts, sources, errors, window_s=window_s,
                          stw_threshold_ms=stw_threshold_ms)


def build_analysis(cycles: list[GcCycle], counts: LineCounts, sources: list[str],
                   errors: list[InputError], *, window_s: float | None = None,
                   stw_threshold_ms: float = DEFAULT_STW_THRESHOLD_MS) -> GcAnalysis:
    if window_s is not None and window_s <= 0:
        raise ValueError("window must be positive")
    if not cycles and not errors:
        errors.append(InputError(", ".join(sources), "no gctrace lines found "
                                 "(the program's stderr with GODEBUG=gctrace=1)"))
    runs = _runs(cycles)
    width = window_s if window_s is not None else _auto_window(runs)
    analysis = GcAnalysis(
        cycles=cycles, counts=counts, sources=sources, errors=errors, window_s=width,
        stw_threshold_ms=stw_threshold_ms, runs=runs, windows=_windows(cycles, width),
        per_cycle=Distribution.of(c.stw_ns for c in cycles),
        pauses=Distribution.of(p for c in cycles for p in c.pauses_ns),
        sweep_termination=Distribution.of(c.sweep_term_ns for c in cycles if c.format != "go1.4"),
        mark_termination=Distribution.of(c.mark_term_ns for c in cycles if c.format != "go1.4"),
    )
    analysis.findings = _findings(analysis)
    return analysis


def _runs(cycles: list[GcCycle]) -> list[Run]:
    by_run: dict[int, list[GcCycle]] = {}
    for cycle in cycles:
        by_run.setdefault(cycle.run, []).append(cycle)
    runs = []
    for index, members in by_run.items():
        first, last = members[0], members[-1]
        span_ns = max(c.end_ns for c in members) - first.start_ns
        runs.append(Run(
            index=index, source=first.source, first_number=first.number, last_number=last.number,
            cycles=len(members), missing_cycles=last.number - first.number + 1 - len(members),
            span_s=span_ns / NS_PER_S,
            # Cycle starts per second between the first and the last start.
            cycles_per_s=(round((len(members) - 1) * NS_PER_S / (last.start_ns - first.start_ns), 6)
                          if last.start_ns > first.start_ns else None),
        ))
    return runs


def _auto_window(runs: list[Run]) -> float:
    longest = max((r.span_s for r in runs), default=0.0)
    for width in _NICE_WINDOWS_S:
        if longest / width <= MAX_AUTO_WINDOWS:
            return float(width)
    return float(_NICE_WINDOWS_S[-1])


def _spread(totals: dict[tuple[int, int], list[float]], run: int, slot: int, begin_ns: int,
            end_ns: int, cpu_ns: int, width_ns: int) -> None:
    """Add ``cpu_ns`` spent evenly over [begin, end) to the windows it overlaps."""
    if cpu_ns == 0:
        return
    first, last = begin_ns // width_ns, max(begin_ns, end_ns - 1) // width_ns
    if first == last:  # the common case: the phase lies inside one window
        totals.setdefault((run, first), [0.0, 0.0])[slot] += cpu_ns
        return
    for index in range(first, last + 1):
        overlap = min(end_ns, (index + 1) * width_ns) - max(begin_ns, index * width_ns)
        totals.setdefault((run, index), [0.0, 0.0])[slot] += cpu_ns * overlap / (end_ns - begin_ns)


def _windows(cycles: list[GcCycle], width_s: float) -> list[Window]:
    """Per-window statistics; a cycle's CPU is spread over the phases it was spent in."""
    width_ns = round(width_s * NS_PER_S)
    started: dict[tuple[int, int], list[GcCycle]] = {}
    cpu: dict[tuple[int, int], list[float]] = {}  # [GC CPU, idle-P mark CPU]
    procs: dict[tuple[int, int], int] = {}
    # Go <= 1.4 printed no timestamps: its cycles cannot be placed in time.
    for c in (c for c in cycles if c.format != "go1.4"):
        started.setdefault((c.run, c.start_ns // width_ns), []).append(c)
        mark_begin = c.start_ns + c.sweep_term_ns
        mark_end = mark_begin + c.concurrent_ns
        phases = ((c.start_ns, mark_begin, c.sweep_term_cpu_ns, 0),
                  (mark_begin, mark_end, c.assist_cpu_ns + c.background_cpu_ns, 0),
                  (mark_begin, mark_end, c.idle_cpu_ns, 1),
                  (mark_end, c.end_ns, c.mark_term_cpu_ns, 0))
        for begin, end, cpu_ns, slot in phases:
            _spread(cpu, c.run, slot, begin, end, cpu_ns, width_ns)
        for index in range(c.start_ns // width_ns, max(c.end_ns - 1, c.start_ns) // width_ns + 1):
            procs[(c.run, index)] = max(procs.get((c.run, index), 0), c.procs)
    windows = []
    for key in sorted(cpu.keys() | started.keys()):
        members = started.get(key, [])
        gc_cpu, idle_cpu = cpu.get(key, [0.0, 0.0])
        capacity_ns = width_ns * max(procs.get(key, 1), 1)
        lives = [c.heap_live_mb for c in members if c.heap_live_mb is not None]
        goals = [c.heap_goal_mb for c in members if c.heap_goal_mb is not None]
        windows.append(Window(
            run=key[0], start_s=key[1] * width_ns / NS_PER_S, cycles=len(members),
            forced=sum(c.forced for c in members),
            stw_total_ns=sum(c.stw_ns for c in members),
            stw_max_ns=max((c.stw_ns for c in members), default=0),
            gc_cpu_fraction=round(gc_cpu / capacity_ns, 6),
            idle_mark_fraction=round(idle_cpu / capacity_ns, 6),
            heap_live_max_mb=max(lives, default=None), heap_goal_max_mb=max(goals, default=None),
        ))
    return windows


# ---------------------------------------------------------------------------------------------
# Findings: only statements the numbers in the log support.


def _finding(analysis: GcAnalysis, rule: str, message: str, cycle: GcCycle | None,
             severity: Severity, extra: dict[str, Any]) -> Finding:
    path = cycle.source if cycle else analysis.sources[0]
    return Finding(rule=rule, category="gc-pause", message=message, path=path,
                   line=cycle.line if cycle else 1, severity=severity, source="runtime",
                   confidence=Confidence.HIGH, fingerprint=stable_fingerprint(rule, path),
                   signature=rule, extra=extra)


def _findings(analysis: GcAnalysis) -> list[Finding]:
    cycles = analysis.cycles
    if not cycles:
        return []
    findings = []
    worst = max(cycles, key=lambda c: c.stw_ns)
    p99_ms = ms(analysis.per_cycle.p99_ns)
    if p99_ms > analysis.stw_threshold_ms:
        phase = "sweep termination" if worst.sweep_term_ns >= worst.mark_term_ns else "mark termination"
        findings.append(_finding(
            analysis, "gc-stw-p99",
            f"GC stop-the-world time per cycle has p99 {p99_ms:g} ms over {len(cycles)} cycles (threshold "
            f"{analysis.stw_threshold_ms:g} ms); the longest, gc {worst.number} at "
            f"@{worst.start_ns / NS_PER_S:.3f}s, stopped the world for {ms(worst.stw_ns):g} ms, mostly in "
            f"{phase} ({ms(worst.sweep_term_ns):g} + {ms(worst.mark_term_ns):g} ms)",
            worst, Severity.WARNING,
            {"stw_p99_ms": p99_ms, "stw_max_ms": ms(worst.stw_ns), "gc": worst.number}))
    gc_cpu = sum(c.gc_cpu_ns for c in cycles)
    assist = sum(c.assist_cpu_ns for c in cycles)
    background = sum(c.background_cpu_ns for c in cycles)
    if assist > background > 0:
        findings.append(_finding(
            analysis, "gc-assist-heavy",
            f"mutator assists did {assist * 100 / gc_cpu:.0f}% of the GC's CPU ({ms(assist):g} ms vs "
            f"{ms(background):g} ms by background workers): allocation outpaces the collector, so "
            "allocating goroutines are slowed by marking work (latency from assists, not from pauses)",
            None, Severity.INFO, {"assist_cpu_ms": ms(assist), "background_cpu_ms": ms(background)}))
    forced = analysis.forced_cycles
    if forced >= 2 and forced / len(cycles) >= FORCED_SHARE_NOTABLE:
        first_forced = next(c for c in cycles if c.forced)
        findings.append(_finding(
            analysis, "gc-forced-cycles",
            f"{forced} of {len(cycles)} GC cycles were forced by runtime.GC() or debug.FreeOSMemory()",
            first_forced, Severity.INFO, {"forced_cycles": forced}))
    return findings
