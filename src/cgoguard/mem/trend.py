"""Growth rates (robust Theil–Sen slopes) and the verdict on where memory is leaking."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from itertools import combinations

from cgoguard.mem.classify import CLASSES
from cgoguard.mem.sample import Sample

MB = 1024 * 1024
# Growth below this rate is noise for a process of any size (allocator and page-cache churn).
MIN_SIGNIFICANT_MB_PER_MIN = 1.0


@dataclass
class Growth:
    name: str
    mb_per_min: float
    start_mb: float
    end_mb: float
    significant: bool


@dataclass
class Verdict:
    kind: str  # "c-leak", "go-growth", "both", "stable", "too-short"
    message: str
    growth: dict[str, Growth]


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


def analyse(samples: list[Sample]) -> Verdict:
    if len(samples) < 3 or samples[-1].time - samples[0].time <= 0:
        return Verdict("too-short", "need at least 3 samples over time to judge growth", {})
    times = [s.time for s in samples]
    growth = {c: series_growth(c, times, [float(s.classes.get(c, 0)) for s in samples]) for c in CLASSES}
    growth["non-go"] = series_growth("non-go", times, [float(s.classes.get("c-heap", 0) + s.classes.get(
        "other-anon", 0)) for s in samples])
    growth["go"] = series_growth("go", times, [float(s.classes.get("go-heap", 0) + s.classes.get(
        "go-runtime", 0)) for s in samples])
    growth["rss"] = series_growth("rss", times, [float(s.rss) for s in samples])
    return Verdict(*_judge(growth), growth)


def _judge(growth: dict[str, Growth]) -> tuple[str, str]:
    non_go, go = growth["non-go"], growth["go"]
    c_growing = non_go.significant and non_go.mb_per_min > 0
    go_growing = go.significant and go.mb_per_min > 0
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
