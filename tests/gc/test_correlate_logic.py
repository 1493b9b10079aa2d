"""The correlation arithmetic on hand-made decoder records (no Go needed)."""

from __future__ import annotations

from typing import Any

import pytest

from cgoguard.gc.analysis import analyze_gctrace
from cgoguard.gc.correlate import TraceData, mann_whitney_greater, measure, spearman

MS = 1_000_000


def _stw(begin_ms: float, duration_ms: float, reason: str = "GC sweep termination", stop_ms: float = 0.0,
         in_cgo: int = 0) -> dict[str, Any]:
    begin = round(begin_ms * MS)
    return {"k": "stw", "b": begin, "e": begin + round(duration_ms * MS), "r": reason,
            "stop": round(stop_ms * MS), "incgo": in_cgo, "begun": 0, "returned": 0}


def _trace(pauses: list[dict[str, Any]], calls_per_ms: dict[int, int], end_ms: int,
           returns: list[dict[str, Any]] = ()) -> TraceData:
    bins = [[i, n, n] for i, n in sorted(calls_per_ms.items())]
    return TraceData.from_records([*pauses, *returns, {"k": "bins", "w": MS, "b": bins},
                                   {"k": "meta", "end": end_ms * MS, "events": 1000,
                                    "cgo_calls": sum(calls_per_ms.values())}])


def test_busy_and_quiet_windows_with_equal_pauses_give_a_not_longer_verdict() -> None:
    # 100 ms windows alternate 50 and 5 calls per ms; every window holds four 0.1 ms pauses.
    calls = {ms: (50 if (ms // 100) % 2 == 0 else 5) for ms in range(1000)}
    pauses = [_stw(w * 100 + k * 20 + 10, 0.1) for w in range(10) for k in range(4)]
    c = measure("t.out", _trace(pauses, calls, 1000))
    assert c.high is not None and c.low is not None
    assert (c.high.windows, c.low.windows) == (5, 5)
    assert (c.high.mean_rate_per_s, c.low.mean_rate_per_s) == (50_000.0, 5_000.0)
    assert c.verdict[0].startswith("GC pauses are not longer when cgo activity is high: p99 0.1 ms")
    assert c.shift_p is None  # identical samples: no rank test to report
    assert c.rates["overall"] == 27_500.0
    assert c.findings == []


def test_longer_pauses_in_busy_windows_are_reported_as_such() -> None:
    calls = {ms: (50 if (ms // 100) % 2 == 0 else 5) for ms in range(1000)}
    pauses = [_stw(w * 100 + k * 20 + 10, 2.0 if (w % 2 == 0) else 0.1, stop_ms=0.5)
              for w in range(10) for k in range(4)]
    c = measure("t.out", _trace(pauses, calls, 1000))
    assert c.verdict[0].startswith("GC pauses are longer when cgo activity is high (Mann-Whitney one-sided p=")
    assert "p99 2 ms in high-cgo windows" in c.verdict[0] and "time to stop is" in c.verdict[0]
    assert c.shift_p is not None and c.shift_p < 1e-6


def test_a_longer_tail_alone_is_not_called_longer_pauses() -> None:
    calls = {ms: (50 if (ms // 100) % 2 == 0 else 5) for ms in range(1000)}
    # One 5 ms outlier among forty 0.1 ms pauses in the busy windows.
    pauses = [_stw(w * 100 + k * 20 + 10, 5.0 if (w, k) == (0, 0) else 0.1) for w in range(10) for k in range(4)]
    c = measure("t.out", _trace(pauses, calls, 1000))
    assert c.verdict[0].startswith("GC pauses are not longer overall when cgo activity is high")
    assert c.verdict[0].endswith("the difference rests on a few pauses")


def test_returns_during_a_pause_and_their_wait() -> None:
    pauses = [_stw(10, 1.0, "GC mark termination"), _stw(50, 0.5, "ReadMemStats")]
    returns = [
        {"k": "ret", "g": 7, "b": 9 * MS, "e": 10_400_000, "run": 11_200_000},  # waited 0.8 ms, 0.6 inside
        {"k": "ret", "g": 8, "b": 10 * MS, "e": 10_500_000, "run": 10_500_000},  # kept its P: no wait
        {"k": "ret", "g": 9, "b": 49 * MS, "e": 50_100_000, "run": 50_600_000},  # in a non-GC stop
    ]
    c = measure("t.out", _trace(pauses, {5: 3}, 100, returns))
    assert c.returns_in_pause == 3
    assert (c.return_waits.count, c.return_waits.total_ns, c.return_waits.max_ns) == (2, 1_300_000, 800_000)
    assert c.wait_inside_pause_ns == 600_000 + 400_000
    assert c.other_stw == {"ReadMemStats": (1, 500_000)}
    assert [f.rule for f in c.findings] == ["gc-cgo-return-wait"]


def test_time_to_stop_and_stw_findings_without_gctrace() -> None:
    pauses = [_stw(i * 10.0, 12.0 if i == 5 else 0.2, stop_ms=3.0 if i == 5 else 0.01, in_cgo=i % 3)
              for i in range(50)]
    c = measure("t.out", _trace(pauses, {1: 1}, 600))
    assert {f.rule for f in c.findings} == {"gc-stw-p99", "gc-time-to-stop"}
    with_gctrace = measure("t.out", _trace(pauses, {1: 1}, 600),
                           analyze_gctrace(["gc 1 @0.000s 0%: 0.1+1+0.1 ms clock, 0+0/0/0+0 ms cpu, "
                                            "4->4->2 MB, 5 MB goal, 4 P"]))
    # The gctrace analysis owns the STW threshold finding when it is there.
    assert {f.rule for f in with_gctrace.findings} == {"gc-time-to-stop"}


def test_gctrace_is_aligned_to_the_trace_clock() -> None:
    starts_ms = [5 + 7 * i + (i * i) % 5 for i in range(30)]  # GC cycles are not evenly spaced
    lines = [f"gc {i + 1} @{t / 1000:.3f}s 1%: 0.1+1+0.1 ms clock, 0+0/0/0+0 ms cpu, 4->4->2 MB, 5 MB goal, 4 P"
             for i, t in enumerate(starts_ms)]
    # The trace started 2 ms after the runtime, so its clock reads 2 ms less; it saw cycles 3..30.
    pauses = [_stw(t - 2, 0.1) for t in starts_ms[2:]]
    c = measure("t.out", _trace(pauses, {1: 1}, 300), analyze_gctrace(lines))
    assert (c.gctrace_offset_s, c.gctrace_matched) == (0.002, 28)


def test_verdicts_for_missing_data() -> None:
    assert measure("t.out", TraceData()).verdict == ["no events decoded: nothing to measure"]
    no_gc = measure("t.out", _trace([_stw(1, 0.1, "GOMAXPROCS")], {1: 1}, 10))
    assert no_gc.verdict == ["the trace holds no GC pause: nothing to correlate"]
    few = measure("t.out", _trace([_stw(1, 0.1), _stw(150, 0.1)], {ms: ms // 100 for ms in range(300)}, 300))
    assert few.verdict[0].startswith("too few GC pauses to compare windows")


@pytest.mark.parametrize(("xs", "ys", "rho"), [
    ([1, 2, 3, 4], [10, 20, 30, 40], 1.0),
    ([1, 2, 3, 4], [4, 3, 2, 1], -1.0),
    ([1, 1, 1], [1, 2, 3], None),
    ([1, 2], [1, 2], None),
    ([1, 2, 2, 3], [1, 3, 2, 4], 0.9487),
])
def test_spearman(xs: list[float], ys: list[float], rho: float | None) -> None:
    assert spearman(xs, ys) == rho


def test_mann_whitney() -> None:
    # Worked by hand: U=24.5, tie-corrected sd 4.7726, z=2.4096 with continuity correction.
    assert mann_whitney_greater([5, 6, 7, 8, 9], [1, 2, 3, 4, 5]) == 0.007985
    assert mann_whitney_greater([1, 1], [1, 1]) is None
    assert mann_whitney_greater([], [1]) is None
