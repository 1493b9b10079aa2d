"""Growth rates (robust Theil–Sen slopes) and the verdict on where memory is leaking.

A process's memory first warms up (the Go heap grows to its working set, caches fill,
allocator arenas appear) and only then shows whether it leaks. Before calling a verdict the
warm-up is separated from growth: a series that grows and then stays flat for the rest of
the observation was warming up, and the verdict is computed on the samples after the last
such warm-up ends (at most the first half of the observation). A C leak next to a Go heap
that is still warming up then reads as a C leak, not as "both grow". Likewise, attributed from
mappings, a Go heap that grows drags the runtime's off-heap metadata along, which reads as
non-Go growth of a few per cent of it: that alone does not make "both".
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from itertools import combinations

from cgoguard.mem.classify import CLASSES
from cgoguard.mem.sample import Sample

MB = 1024 * 1024
# Growth below this rate is noise for a process of any size (allocator and page-cache churn).
MIN_SIGNIFICANT_MB_PER_MIN = 1.0
# Attributed from mappings, the runtime's own metadata outside its heap (heap arena metadata,
# span structures, GC bitmaps) reads as non-Go memory; it grows with the Go heap, by a few per
# cent of it (about 1% measured on tests/mem/program). Non-Go growth within this share of the
# Go heap's growth is explained by it.
RUNTIME_METADATA_SHARE = 0.05


@dataclass
class Growth:
    name: str
    mb_per_min: float
    start_mb: float
    end_mb: float
    significant: bool


# The warm-up may take at most this share of the observation; growth beyond it is growth.
MAX_WARMUP_SHARE = 0.5
# Candidate warm-up ends tried, evenly spread over that share (and samples used per fit).
_WARMUP_CANDIDATES = 20
_WARMUP_FIT_POINTS = 200


@dataclass
class Verdict:
    kind: str  # "c-leak", "go-growth", "both", "stable", "too-short"
    message: str
    growth: dict[str, Growth]
    warmup_s: float = 0.0  # the warm-up left out of the growth rates (seconds from the first sample)


def theil_sen(xs: list[float], ys: list[float]) -> float:
    """Median of pairwise slopes: robust to the GC's saw-tooth and to outliers."""
    slopes = [(y2 - y1) / (x2 - x1) for (x1, y1), (x2, y2) in combinations(zip(xs, ys, strict=True), 2)
              if x2 != x1]
    if len(slopes) > 20000:  # thin long series: the median barely moves
        slopes = slopes[:: len(slopes) // 20000 + 1]
    return statistics.median(slopes) if slopes else 0.0


def series_growth(name: str, times: list[float], values: list[float]) -> Growth:
    slope = theil_sen(times, values) * 60 / MB
    duration = times[-1] - times[0]
    residual_noise = statistics.pstdev(values) / MB if len(values) > 2 else 0.0
    total_change = slope * duration / 60
    # Significant when the fitted change exceeds both the noise floor and a minimum rate.
    significant = abs(slope) >= MIN_SIGNIFICANT_MB_PER_MIN and abs(total_change) >= 0.5 * residual_noise \
        and abs(total_change) >= 1.0
    return Growth(name, slope, values[0] / MB, values[-1] / MB, significant)


def go_series(samples: list[Sample]) -> list[float]:
    return [float(s.classes.get("go-heap", 0) + s.classes.get("go-runtime", 0)) for s in samples]


def non_go_series(samples: list[Sample]) -> list[float]:
    return [float(s.classes.get("c-heap", 0) + s.classes.get("other-anon", 0)) for s in samples]


def analyse(samples: list[Sample]) -> Verdict:
    if len(samples) < 3 or samples[-1].time - samples[0].time <= 0:
        return Verdict("too-short", "need at least 3 samples over time to judge growth", {})
    start = warmup_end([s.time for s in samples], {"go": go_series(samples), "non-go": non_go_series(samples)})
    warmup_s = samples[start].time - samples[0].time
    samples = samples[start:]
    times = [s.time for s in samples]
    growth = {c: series_growth(c, times, [float(s.classes.get(c, 0)) for s in samples]) for c in CLASSES}
    growth["non-go"] = series_growth("non-go", times, non_go_series(samples))
    growth["go"] = series_growth("go", times, go_series(samples))
    growth["rss"] = series_growth("rss", times, [float(s.rss) for s in samples])
    kind, message = _judge(growth, heuristic=any(s.source != "memstats" for s in samples))
    if start:
        message += f" (after a {warmup_s:.1f} s warm-up, left out of the rates)"
    return Verdict(kind, message, growth, round(warmup_s, 3))


def warmup_end(times: list[float], series: dict[str, list[float]]) -> int:
    """Index of the first sample after the warm-up: 0 when no series rises to a level it then keeps.

    A series warms up when it rises from its first sample to a plateau it then keeps (it does
    not grow significantly from some point within the first MAX_WARMUP_SHARE on); its warm-up
    ends where it first reaches that plateau, less the noise around it. A series that keeps
    growing has no warm-up (it is growth). The warm-up ends when the last warm-up has ended.
    """
    duration = times[-1] - times[0]
    if len(times) < 6 or duration <= 0:
        return 0
    limit = max(i for i, t in enumerate(times) if t - times[0] <= duration * MAX_WARMUP_SHARE)
    candidates = sorted({round(limit * step / _WARMUP_CANDIDATES) for step in range(_WARMUP_CANDIDATES + 1)})
    ends = []
    for name, values in series.items():
        flat_from = next((i for i in candidates if len(times) - i >= 3 and not _grows(name, times[i:], values[i:])),
                         None)
        if flat_from is None:
            continue  # growth all along
        plateau = values[flat_from:]
        level = statistics.median(plateau)
        spread = max(MB, 2 * statistics.median(abs(v - level) for v in plateau))
        if level - values[0] < 2 * spread:
            continue  # no rise worth the name: flat from the start
        reached = next(i for i, v in enumerate(values) if v >= level - spread)
        if reached <= limit:
            ends.append(reached)
    return max(ends, default=0)


def _grows(name: str, times: list[float], values: list[float]) -> bool:
    stride = max(1, len(times) // _WARMUP_FIT_POINTS)
    growth = series_growth(name, times[::stride], values[::stride])
    return growth.significant and growth.mb_per_min > 0


def _judge(growth: dict[str, Growth], heuristic: bool = True) -> tuple[str, str]:
    non_go, go = growth["non-go"], growth["go"]
    c_growing = non_go.significant and non_go.mb_per_min > 0
    go_growing = go.significant and go.mb_per_min > 0
    if heuristic and go_growing and c_growing and non_go.mb_per_min <= RUNTIME_METADATA_SHARE * go.mb_per_min:
        return "go-growth", (f"the Go heap grows {go.mb_per_min:.1f} MB/min and non-Go memory only with it "
                             f"({non_go.mb_per_min:+.1f} MB/min, within what the runtime's own metadata "
                             "takes): Go-side growth; use pprof's heap profile")
    if c_growing and not go_growing:
        return "c-leak", (f"non-Go memory grows {non_go.mb_per_min:.1f} MB/min while the Go heap is flat "
                          f"({go.mb_per_min:+.1f} MB/min): suspect a C-side leak (C.malloc/C.CString "
                          "without free, or a C library cache); run `cgoguard run --check leak`")
    if go_growing and not c_growing:
        return "go-growth", (f"the Go heap grows {go.mb_per_min:.1f} MB/min while non-Go memory is flat "
                             f"({non_go.mb_per_min:+.1f} MB/min): Go-side growth; use pprof's heap profile")
    if go_growing and c_growing:
        return "both", (f"both grow: Go {go.mb_per_min:.1f} MB/min, non-Go {non_go.mb_per_min:.1f} MB/min "
                        "(Go objects may be keeping C memory alive, or two leaks)")
    return "stable", (f"no significant growth (Go {go.mb_per_min:+.1f} MB/min, non-Go "
                      f"{non_go.mb_per_min:+.1f} MB/min)")
