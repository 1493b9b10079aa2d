"""Exact order statistics: nearest-rank percentiles, no interpolation."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

QUANTILES = (("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("p99_9", 0.999))


def nearest_rank(sorted_values: Sequence[int], q: float) -> int:
    """The ceil(q*n)-th smallest value (1-based), the smallest for q == 0."""
    if not sorted_values:
        raise ValueError("no values")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile {q} outside [0, 1]")
    # Round q*n first so that 0.99*100 is 99, not 99.00000000000001 (which ceil would make 100).
    rank = max(1, math.ceil(round(q * len(sorted_values), 9)))
    return sorted_values[rank - 1]


@dataclass(frozen=True, slots=True)
class Distribution:
    """Count, total, max and nearest-rank percentiles of integer nanosecond samples."""

    count: int
    total_ns: int
    max_ns: int
    p50_ns: int
    p90_ns: int
    p99_ns: int
    p99_9_ns: int

    @classmethod
    def of(cls, values: Iterable[int]) -> Distribution:
        ordered = sorted(values)
        if not ordered:
            return cls(0, 0, 0, 0, 0, 0, 0)
        ranks = {name: nearest_rank(ordered, q) for name, q in QUANTILES}
        return cls(count=len(ordered), total_ns=sum(ordered), max_ns=ordered[-1],
                   p50_ns=ranks["p50"], p90_ns=ranks["p90"], p99_ns=ranks["p99"],
                   p99_9_ns=ranks["p99_9"])

    def to_ms_dict(self, prefix: str = "") -> dict[str, float | int]:
        return {
            f"{prefix}count": self.count,
            f"{prefix}total_ms": ms(self.total_ns),
            f"{prefix}max_ms": ms(self.max_ns),
            f"{prefix}p50_ms": ms(self.p50_ns),
            f"{prefix}p90_ms": ms(self.p90_ns),
            f"{prefix}p99_ms": ms(self.p99_ns),
            f"{prefix}p99_9_ms": ms(self.p99_9_ns),
        }


def ms(ns: int) -> float:
    """Nanoseconds as milliseconds; exact to the printed digits (ns/1e6 is correctly rounded)."""
    return ns / 1_000_000
