"""Measured relation between stop-the-world pauses and cgo calls, from a Go execution trace.

What the runtime does (gc_formats.md section 3): stopping the world does not wait for
goroutines inside C calls (their P is taken at once), but a C call that returns while the
world is stopped cannot re-enter Go until it restarts. This module measures, on one clock:

* every stop-the-world range and its time to stop (until the last P went idle);
* the cgo call rate overall, in the 10 ms before each GC pause, and during pauses;
* cgo calls that returned during a pause, and how long they then waited to run Go again;
* the GC pause distribution in high- versus low-cgo windows;

and states a verdict from those numbers only.
"""

from __future__ import annotations

import bisect
import math
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cgoguard.errors import CgoguardError
from cgoguard.findings import Confidence, Finding, InputError, Severity, stable_fingerprint
from cgoguard.gc.analysis import DEFAULT_STW_THRESHOLD_MS, GcAnalysis, analyze_gctrace
from cgoguard.gc.stats import Distribution, ms

NS_PER_S = 1_000_000_000
DEFAULT_WINDOW_S = 0.1
BEFORE_PAUSE_MS = 10  # the "just before a pause" window for the cgo call rate
# Pauses in high-cgo windows count as longer when p99 is this much higher (ratio and absolute).
LONGER_RATIO = 1.25
LONGER_MIN_DIFF_NS = 50_000
MIN_PAUSES_PER_GROUP = 3
WEAK_CORRELATION = 0.3
SIGNIFICANT_P = 0.01
TIME_TO_STOP_NOTABLE_MS = 1.0
# gctrace prints cycle starts to 1 ms; a trace pause within this distance matches a cycle.
ALIGN_TOLERANCE_NS = 1_500_000
ALIGN_PROBE = 8


@dataclass(frozen=True, slots=True)
class Pause:
    """One stop-the-world range of the trace."""

    begin_ns: int
    end_ns: int
    reason: str
    stop_ns: int  # from the stop request until the last P stopped
    in_cgo: int  # goroutines inside a C call when the stop began
    cgo_begun: int
    cgo_returned: int

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.begin_ns

    @property
    def is_gc(self) -> bool:
        return self.reason.startswith("GC")


@dataclass(frozen=True, slots=True)
class CgoReturn:
    """A cgo call that returned while the world was stopped (or being stopped)."""

    goroutine: int
    call_begin_ns: int
    return_ns: int
    running_ns: int  # when the goroutine ran Go code again

    @property
    def wait_ns(self) -> int:
        return self.running_ns - self.return_ns


@dataclass(slots=True)
class TraceData:
    """What the helper decoded; times are nanoseconds since the trace's first event."""

    pauses: list[Pause] = field(default_factory=list)
    returns: list[CgoReturn] = field(default_factory=list)
    bins: dict[int, tuple[int, int]] = field(default_factory=dict)  # bin -> (begun, returned)
    bin_ns: int = 1_000_000
    end_ns: int = 0
    events: int = 0
    cgo_calls: int = 0
    metrics: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    gc_marks: list[tuple[int, int]] = field(default_factory=list)
    warning: str = ""

    @classmethod
    def from_records(cls, records: Iterable[dict[str, Any]]) -> TraceData:
        data = cls()
        for record in records:
            data._add(record)
        data.pauses.sort(key=lambda p: p.begin_ns)
        data.returns.sort(key=lambda r: r.return_ns)
        return data

    def _add(self, r: dict[str, Any]) -> None:
        kind = r.get("k")
        if kind == "stw":
            self.pauses.append(Pause(r["b"], r["e"], r["r"], r["stop"], r["incgo"], r["begun"], r["returned"]))
        elif kind == "ret":
            self.returns.append(CgoReturn(r["g"], r["b"], r["e"], r["run"]))
        elif kind == "bins":
            self.bin_ns = r["w"]
            self.bins = {index: (begun, returned) for index, begun, returned in r["b"]}
        elif kind == "metric":
            self.metrics.setdefault(r["n"], []).append((r["t"], r["v"]))
        elif kind == "gc":
            self.gc_marks.append((r["b"], r["e"]))
        elif kind == "meta":
            self.end_ns, self.events, self.cgo_calls = r["end"], r["events"], r["cgo_calls"]
            self.warning = r.get("error", "")

    def begun_between(self, first_bin: int, end_bin: int) -> int:
        return sum(self.bins.get(i, (0, 0))[0] for i in range(first_bin, end_bin))


@dataclass(frozen=True, slots=True)
class WindowGroup:
    """GC pauses that began in windows of one cgo-activity class."""

    windows: int
    mean_rate_per_s: float
    pauses: Distribution


@dataclass(slots=True)
class Correlation:
    trace_path: str
    data: TraceData
    window_s: float
    gc_pauses: Distribution = field(default_factory=lambda: Distribution.of([]))
    time_to_stop: Distribution = field(default_factory=lambda: Distribution.of([]))
    other_stw: dict[str, tuple[int, int]] = field(default_factory=dict)  # reason -> (count, total ns)
    rates: dict[str, float | None] = field(default_factory=dict)
    returns_in_pause: int = 0
    return_waits: Distribution = field(default_factory=lambda: Distribution.of([]))
    wait_inside_pause_ns: int = 0
    high: WindowGroup | None = None
    low: WindowGroup | None = None
    rho_rate_vs_pause: float | None = None
    shift_p: float | None = None  # Mann-Whitney: P(pauses in busy windows are not longer)
    rho_incgo_vs_stop: float | None = None
    verdict: list[str] = field(default_factory=list)
    gctrace_offset_s: float | None = None
    gctrace_matched: int = 0
    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.data.events > 0

    def summary(self) -> dict[str, Any]:
        return {
            "cycles": sum(1 for p in self.data.pauses if p.reason == "GC sweep termination"),
            "forced_cycles": None,  # a trace does not say which cycles runtime.GC() started
            **{k: v for k, v in self.gc_pauses.to_ms_dict("stw_").items() if k != "stw_count"},
            "source": "trace",
        }

    def to_dict(self) -> dict[str, Any]:
        def group(g: WindowGroup | None) -> dict[str, Any] | None:
            return None if g is None else {"windows": g.windows, "mean_cgo_calls_per_s": g.mean_rate_per_s,
                                           **g.pauses.to_ms_dict("pause_")}
        return {
            "trace": self.trace_path,
            "trace_duration_s": self.data.end_ns / NS_PER_S,
            "events": self.data.events,
            "cgo_calls": self.data.cgo_calls,
            "window_s": self.window_s,
            "gc_pauses": self.gc_pauses.to_ms_dict(),
            "time_to_stop": self.time_to_stop.to_ms_dict(),
            "other_stw": {reason: {"count": n, "total_ms": ms(total)}
                          for reason, (n, total) in sorted(self.other_stw.items())},
            "cgo_calls_per_s": self.rates,
            "returned_during_pause": {
                "calls": self.returns_in_pause,
                "delayed": self.return_waits.count,
                "wait": self.return_waits.to_ms_dict(),
                "wait_inside_pause_ms": ms(self.wait_inside_pause_ns),
            },
            "high_cgo_windows": group(self.high),
            "low_cgo_windows": group(self.low),
            "spearman_cgo_rate_before_vs_pause": self.rho_rate_vs_pause,
            "mann_whitney_p_high_longer": self.shift_p,
            "spearman_in_cgo_vs_time_to_stop": self.rho_incgo_vs_stop,
            "gctrace_offset_s": self.gctrace_offset_s,
            "gctrace_cycles_matched": self.gctrace_matched,
            "verdict": self.verdict,
            "pauses": [{"begin_ms": ms(p.begin_ns), "duration_ms": ms(p.duration_ns), "reason": p.reason,
                        "time_to_stop_ms": ms(p.stop_ns), "in_cgo": p.in_cgo,
                        "cgo_begun": p.cgo_begun, "cgo_returned": p.cgo_returned}
                       for p in self.data.pauses],
        }

    def text_lines(self) -> list[str]:
        d = self.data
        r = self.rates
        lines = [f"Execution trace {self.trace_path}: {d.end_ns / NS_PER_S:.3f} s, {d.events} events, "
                 f"{d.cgo_calls} cgo calls"]
        if d.warning:
            lines.append(f"  warning: trace read stopped early: {d.warning}")
        lines += [
            "  " + _dist_text("GC pauses", self.gc_pauses),
            "  " + _dist_text("time to stop", self.time_to_stop),
            f"  cgo calls/s: overall {_rate(r.get('overall'))}, in the {BEFORE_PAUSE_MS} ms before GC pauses "
            f"{_rate(r.get('before_pause'))}, begun during pauses {_rate(r.get('begun_during_pause'))}, "
            f"returned during pauses {_rate(r.get('returned_during_pause'))}",
            f"  cgo calls returned during a pause: {self.returns_in_pause}; "
            f"{self.return_waits.count} waited to run Go again "
            f"(total {_ms(self.return_waits.total_ns)} ms, max {_ms(self.return_waits.max_ns)} ms, "
            f"{_ms(self.wait_inside_pause_ns)} ms of it inside the pause)",
        ]
        for name, g in (("high", self.high), ("low", self.low)):
            if g is not None:
                lines.append(f"  {name}-cgo windows ({g.windows} x {self.window_s:g} s, mean "
                             f"{g.mean_rate_per_s:.0f} calls/s): " + _dist_text("GC pauses", g.pauses))
        if self.other_stw:
            lines.append("  other stop-the-world: " + ", ".join(
                f"{reason} x{n} ({_ms(total)} ms)" for reason, (n, total) in sorted(self.other_stw.items())))
        if self.gctrace_offset_s is not None:
            lines.append(f"  gctrace aligned: {self.gctrace_matched} cycles matched, trace time = gctrace "
                         f"time {-self.gctrace_offset_s:+.3f} s")
        lines += ["Verdict:"] + [f"  {v}" for v in self.verdict]
        return lines


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def _ms(ns: int) -> str:
    """Trace durations are in ns; four significant digits read better and lose nothing useful."""
    return f"{ms(ns):.4g}"


def _dist_text(label: str, d: Distribution) -> str:
    if not d.count:
        return f"{label}: none"
    return (f"{label}: n={d.count} total {_ms(d.total_ns)} max {_ms(d.max_ns)} p50 {_ms(d.p50_ns)} "
            f"p90 {_ms(d.p90_ns)} p99 {_ms(d.p99_ns)} p99.9 {_ms(d.p99_9_ns)} ms")


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rank correlation (average ranks for ties); None when undefined."""
    if len(xs) != len(ys) or len(xs) < 3:
        return None
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx)
    vy = sum((b - my) ** 2 for b in ry)
    if vx == 0 or vy == 0:
        return None
    return round(cov / math.sqrt(vx * vy), 4)


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def mann_whitney_greater(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """One-sided p-value that ``xs`` tend to be larger than ``ys`` (normal approximation).

    Ties get average ranks and the variance its tie correction; None when undefined.
    """
    n1, n2 = len(xs), len(ys)
    if n1 == 0 or n2 == 0:
        return None
    values = [*xs, *ys]
    ranks = _ranks(values)
    u = sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    n = n1 + n2
    ties = Counter(values).values()
    variance = n1 * n2 / 12 * ((n + 1) - sum(t ** 3 - t for t in ties) / (n * (n - 1)))
    if variance <= 0:
        return None
    z = (u - n1 * n2 / 2 - 0.5) / math.sqrt(variance)
    return round(0.5 * math.erfc(z / math.sqrt(2)), 6)


# ---------------------------------------------------------------------------------------------


def correlate(trace_path: str | os.PathLike[str], gctrace: GcAnalysis | str | os.PathLike[str] | None = None,
              *, window_s: float | None = None,
              stw_threshold_ms: float = DEFAULT_STW_THRESHOLD_MS) -> Correlation:
    """Decode ``trace_path`` with the Go helper and measure pauses against cgo calls.

    ``gctrace`` (an analysis or a gctrace path) of the same process, when given, is aligned to
    the trace clock by matching its cycle start times to the trace's GC pauses.
    """
    from cgoguard.gc.helper import decode_trace

    path = os.fspath(trace_path)
    try:
        data = TraceData.from_records(decode_trace(path))
    except CgoguardError as exc:
        correlation = Correlation(path, TraceData(), window_s or DEFAULT_WINDOW_S)
        correlation.errors.append(InputError(path, str(exc).removeprefix(f"{path}: ")))
        return correlation
    analysis = gctrace if isinstance(gctrace, GcAnalysis | None) else analyze_gctrace(gctrace)
    return measure(path, data, analysis, window_s=window_s, stw_threshold_ms=stw_threshold_ms)


def measure(path: str, data: TraceData, gctrace: GcAnalysis | None = None, *,
            window_s: float | None = None, stw_threshold_ms: float = DEFAULT_STW_THRESHOLD_MS) -> Correlation:
    width = window_s or DEFAULT_WINDOW_S
    c = Correlation(path, data, width)
    gc_pauses = [p for p in data.pauses if p.is_gc]
    c.gc_pauses = Distribution.of(p.duration_ns for p in gc_pauses)
    c.time_to_stop = Distribution.of(p.stop_ns for p in gc_pauses)
    others = Counter[str]()
    other_ns = Counter[str]()
    for p in data.pauses:
        if not p.is_gc:
            others[p.reason] += 1
            other_ns[p.reason] += p.duration_ns
    c.other_stw = {reason: (n, other_ns[reason]) for reason, n in others.items()}
    _rates(c, gc_pauses)
    _returns(c)
    _window_groups(c, gc_pauses)
    before = [_before_rate(data, p) for p in gc_pauses]
    c.rho_rate_vs_pause = spearman(before, [p.duration_ns for p in gc_pauses])
    c.rho_incgo_vs_stop = spearman([p.in_cgo for p in gc_pauses], [p.stop_ns for p in gc_pauses])
    if gctrace is not None and gctrace.cycles:
        _align(c, gctrace, gc_pauses)
    c.verdict = _verdict(c)
    c.findings = _findings(c, gctrace, stw_threshold_ms)
    if data.warning:
        c.errors.append(InputError(path, f"trace read stopped early (truncated?): {data.warning}"))
    if not data.events:
        c.errors.append(InputError(path, "the execution trace holds no complete generation of events"))
    return c


def _before_rate(data: TraceData, p: Pause) -> float:
    """cgo calls begun per second in the BEFORE_PAUSE_MS before a pause (1 ms bins)."""
    bins_before = max(1, BEFORE_PAUSE_MS * 1_000_000 // data.bin_ns)
    last = p.begin_ns // data.bin_ns
    first = max(0, last - bins_before)
    if last == first:
        return 0.0
    return data.begun_between(first, last) * NS_PER_S / ((last - first) * data.bin_ns)


def _rates(c: Correlation, gc_pauses: list[Pause]) -> None:
    data = c.data
    paused_ns = sum(p.duration_ns for p in gc_pauses)
    c.rates = {
        "overall": data.cgo_calls * NS_PER_S / data.end_ns if data.end_ns else None,
        "before_pause": (sum(_before_rate(data, p) for p in gc_pauses) / len(gc_pauses)) if gc_pauses else None,
        "begun_during_pause": sum(p.cgo_begun for p in gc_pauses) * NS_PER_S / paused_ns if paused_ns else None,
        "returned_during_pause": (sum(p.cgo_returned for p in gc_pauses) * NS_PER_S / paused_ns
                                  if paused_ns else None),
    }


def _returns(c: Correlation) -> None:
    pauses = c.data.pauses
    begins = [p.begin_ns for p in pauses]
    waits = []
    inside = 0
    for r in c.data.returns:
        index = bisect.bisect_right(begins, r.return_ns) - 1
        if index < 0 or r.return_ns > pauses[index].end_ns:
            continue
        c.returns_in_pause += 1
        if r.wait_ns > 0:
            waits.append(r.wait_ns)
            inside += min(r.wait_ns, pauses[index].end_ns - r.return_ns)
    c.return_waits = Distribution.of(waits)
    c.wait_inside_pause_ns = inside


def _window_groups(c: Correlation, gc_pauses: list[Pause]) -> None:
    data = c.data
    width_ns = max(data.bin_ns, round(c.window_s * NS_PER_S / data.bin_ns) * data.bin_ns)
    count = data.end_ns // width_ns  # whole windows only: a partial last one has a skewed rate
    if count < 2:
        return
    per_window = width_ns // data.bin_ns
    rates = [data.begun_between(i * per_window, (i + 1) * per_window) * NS_PER_S / width_ns
             for i in range(count)]
    median = sorted(rates)[(count - 1) // 2]
    if max(rates) == median:
        return  # no window is busier than the median: nothing to split
    groups: dict[bool, list[int]] = {True: [], False: []}
    for i, rate in enumerate(rates):
        groups[rate > median].append(i)
    pause_windows: dict[int, list[int]] = {}
    for p in gc_pauses:
        pause_windows.setdefault(p.begin_ns // width_ns, []).append(p.duration_ns)

    durations = {busy: [d for i in indices for d in pause_windows.get(i, [])] for busy, indices in groups.items()}

    def group(busy: bool) -> WindowGroup:
        indices = groups[busy]
        return WindowGroup(len(indices), round(sum(rates[i] for i in indices) / len(indices), 1),
                           Distribution.of(durations[busy]))
    c.high, c.low = group(True), group(False)
    c.shift_p = mann_whitney_greater(durations[True], durations[False])


def _align(c: Correlation, gctrace: GcAnalysis, gc_pauses: list[Pause]) -> None:
    """Find the shift that puts most gctrace cycle starts on a trace sweep termination."""
    run = gctrace.cycles[-1].run  # the traced process is the last one in the log
    starts = sorted(cy.start_ns for cy in gctrace.cycles if cy.run == run)
    sweeps = [p.begin_ns for p in gc_pauses if p.reason == "GC sweep termination"][:200]
    if not starts or not sweeps:
        return
    def matches(offset: int, candidates: list[int]) -> tuple[int, int]:
        """How many pauses land on a cycle start, and (negated) how far off they land in total."""
        hits, residual = 0, 0
        for s in candidates:
            i = bisect.bisect_left(starts, s + offset - ALIGN_TOLERANCE_NS)
            if i < len(starts) and starts[i] <= s + offset + ALIGN_TOLERANCE_NS:
                hits += 1
                residual += abs(starts[i] - s - offset)
        return hits, -residual

    best_offset, best = 0, (0, 0)
    probe = sweeps[:ALIGN_PROBE]
    for start in starts:
        offset = start - sweeps[0]
        # Cheap test on the first few pauses before scoring all of them.
        if matches(offset, probe)[0] * 2 < len(probe):
            continue
        score = matches(offset, sweeps)
        if score > best:
            best_offset, best = offset, score
    best_score = best[0]
    if best_score * 2 >= min(len(sweeps), len(starts)):
        c.gctrace_offset_s, c.gctrace_matched = best_offset / NS_PER_S, best_score


def _verdict(c: Correlation) -> list[str]:
    data = c.data
    if not data.events:
        return ["no events decoded: nothing to measure"]
    if not c.gc_pauses.count:
        return ["the trace holds no GC pause: nothing to correlate"]
    if not data.cgo_calls:
        return [f"the trace holds no cgo call; {c.gc_pauses.count} GC pauses, p99 "
                f"{_ms(c.gc_pauses.p99_ns)} ms"]
    lines = [_pause_vs_activity(c), _stop_vs_in_cgo(c)]
    if c.returns_in_pause:
        lines.append(
            f"{c.returns_in_pause} cgo calls returned while the world was stopped or stopping; "
            f"{c.return_waits.count} of them could not re-enter Go at once and waited "
            f"{_ms(c.return_waits.total_ns)} ms in total (max {_ms(c.return_waits.max_ns)} ms), "
            f"{_ms(c.wait_inside_pause_ns)} ms of it while the world was still stopped and the rest "
            "queued for a P after the restart: latency the pause added to those C callers")
    else:
        lines.append("no cgo call returned during a pause, so no C caller was delayed by one")
    return lines


def _pause_vs_activity(c: Correlation) -> str:
    high, low = c.high, c.low
    if high is None or low is None:
        return "cgo activity was uniform across windows: no high/low comparison possible"
    if min(high.pauses.count, low.pauses.count) < MIN_PAUSES_PER_GROUP:
        return (f"too few GC pauses to compare windows ({high.pauses.count} in high-cgo, "
                f"{low.pauses.count} in low-cgo windows)")
    hp, lp = high.pauses.p99_ns, low.pauses.p99_ns
    longer = hp > lp * LONGER_RATIO and hp - lp > LONGER_MIN_DIFF_NS
    detail = (f"p99 {_ms(hp)} ms in high-cgo windows ({high.pauses.count} pauses, "
              f"{high.mean_rate_per_s:.0f} calls/s) vs {_ms(lp)} ms in low-cgo windows "
              f"({low.pauses.count} pauses, {low.mean_rate_per_s:.0f} calls/s); p90 "
              f"{_ms(high.pauses.p90_ns)} vs {_ms(low.pauses.p90_ns)} ms, p50 "
              f"{_ms(high.pauses.p50_ns)} vs {_ms(low.pauses.p50_ns)} ms")
    shifted = c.shift_p is not None and c.shift_p < SIGNIFICANT_P
    test = "" if c.shift_p is None else f" (Mann-Whitney one-sided p={c.shift_p:.3g})"
    if longer and shifted:
        return (f"GC pauses are longer when cgo activity is high{test}: {detail}; time to stop is "
                f"{_stopping_share(c)} of GC pause time. The stop does not wait for goroutines inside C "
                "calls (see the time-to-stop line), but threads busy in C compete for CPUs with the "
                "threads the pause needs")
    if longer:
        return (f"GC pauses are not longer overall when cgo activity is high{test}, though the tail "
                f"is: {detail}; the difference rests on a few pauses")
    if shifted:
        return (f"GC pauses are slightly longer overall when cgo activity is high{test}, but the tail "
                f"is not: {detail}")
    return f"GC pauses are not longer when cgo activity is high{test}: {detail}"


def _stopping_share(c: Correlation) -> str:
    total = c.gc_pauses.total_ns
    return f"{c.time_to_stop.total_ns * 100 / total:.0f}%" if total else "n/a"


def _stop_vs_in_cgo(c: Correlation) -> str:
    rho = c.rho_incgo_vs_stop
    prefix = (f"time to stop: p50 {_ms(c.time_to_stop.p50_ns)} ms, p99 {_ms(c.time_to_stop.p99_ns)} ms "
              f"({_stopping_share(c)} of GC pause time)")
    if rho is None:
        return f"{prefix}; the number of goroutines in C at the stop did not vary enough to correlate"
    strength = "no clear" if abs(rho) < WEAK_CORRELATION else ("a positive" if rho > 0 else "a negative")
    return (f"{prefix}; {strength} relation to the number of goroutines inside C calls when the "
            f"stop began (Spearman rho {rho:+.2f})")


def _finding(c: Correlation, rule: str, message: str, severity: Severity, extra: dict[str, Any]) -> Finding:
    return Finding(rule=rule, category="gc-pause", message=message, path=c.trace_path, line=1,
                   severity=severity, source="runtime", confidence=Confidence.HIGH,
                   fingerprint=stable_fingerprint(rule, c.trace_path), signature=rule, extra=extra)


def _findings(c: Correlation, gctrace: GcAnalysis | None, stw_threshold_ms: float) -> list[Finding]:
    findings = []
    if gctrace is None and ms(c.gc_pauses.p99_ns) > stw_threshold_ms:
        findings.append(_finding(c, "gc-stw-p99", f"GC stop-the-world pause p99 is "
                                 f"{_ms(c.gc_pauses.p99_ns)} ms over {c.gc_pauses.count} pauses (threshold "
                                 f"{stw_threshold_ms:g} ms)", Severity.WARNING,
                                 {"stw_p99_ms": ms(c.gc_pauses.p99_ns)}))
    if ms(c.time_to_stop.p99_ns) > TIME_TO_STOP_NOTABLE_MS:
        findings.append(_finding(
            c, "gc-time-to-stop", f"stopping the world took up to {_ms(c.time_to_stop.max_ns)} ms (p99 "
            f"{_ms(c.time_to_stop.p99_ns)} ms, {_stopping_share(c)} of GC pause time): Ps running Go code reached a "
            "safe point late (possible causes: code the runtime cannot preempt, or fewer CPUs than "
            "runnable threads)",
            Severity.WARNING, {"time_to_stop_p99_ms": ms(c.time_to_stop.p99_ns)}))
    if c.return_waits.count:
        findings.append(_finding(
            c, "gc-cgo-return-wait", f"{c.return_waits.count} cgo calls returned during a stop-the-world "
            f"pause and waited up to {_ms(c.return_waits.max_ns)} ms to re-enter Go (total "
            f"{_ms(c.return_waits.total_ns)} ms)", Severity.INFO,
            {"delayed_calls": c.return_waits.count, "max_wait_ms": ms(c.return_waits.max_ns)}))
    return findings
