"""Where a live cgo process's memory goes (Go heap, C heap, stacks, files) and whether the
non-Go part is leaking, without restarting or rebuilding the process."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cgoguard.errors import CgoguardError
from cgoguard.mem.memstats import fetch_memstats
from cgoguard.mem.procfs import ProcessGone
from cgoguard.mem.sample import Sample, load, sample_process, save
from cgoguard.mem.trend import Verdict, analyse

__all__ = ["Sample", "Verdict", "WatchResult", "analyse", "load", "watch"]


@dataclass
class WatchResult:
    samples: list[Sample] = field(default_factory=list)
    # Why sampling stopped early ("" when it ran for the whole duration).
    stopped: str = ""


def watch(pid: int, *, interval: float = 1.0, duration: float = 10.0, pprof: str | None = None,
          save_dir: Path | None = None, on_sample: Callable[[Sample], None] | None = None) -> WatchResult:
    """Sample ``pid`` every ``interval`` seconds for ``duration`` seconds.

    A process that exits, or Ctrl-C, ends sampling early; what was sampled is kept.
    """
    if interval <= 0 or duration < 0:
        raise CgoguardError("--interval must be positive and --duration not negative")
    result = WatchResult()
    deadline = time.monotonic() + duration
    while True:
        try:
            memstats = fetch_memstats(pprof) if pprof else None
            sample = sample_process(pid, memstats)
        except ProcessGone as exc:
            if not result.samples:
                raise
            result.stopped = str(exc)
            return result
        except KeyboardInterrupt:
            result.stopped = "interrupted"
            return result
        result.samples.append(sample)
        if save_dir is not None:
            save(sample, save_dir, len(result.samples))
        if on_sample is not None:
            on_sample(sample)
        if time.monotonic() + interval > deadline:
            return result
        try:
            time.sleep(interval)
        except KeyboardInterrupt:
            result.stopped = "interrupted"
            return result
