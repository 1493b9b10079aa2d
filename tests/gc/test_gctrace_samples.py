"""Exact numbers on the shared, verbatim gctrace samples (every format since Go 1.4).

Expected values were worked out by hand from the sample lines (and, for the 78-cycle log,
with awk over the clock fields), not by running the parser.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cgoguard.gc import analyze_gctrace
from cgoguard.gc.gctrace import parse_lines


def _sample(samples: Path, name: str) -> Path:
    path = samples / name
    if not path.exists():
        pytest.skip(f"{name} is not in the shared samples")
    return path


def test_go119_full_log_matches_the_runtime_pause_histogram(shared_samples: Path) -> None:
    a = analyze_gctrace(_sample(shared_samples, "gctrace_13_go119_local_full_with_pacer_scav.txt"))
    s = a.summary()
    # 78 cycles give the 156 samples the demo's /gc/pauses:seconds histogram counted.
    assert (s["cycles"], s["forced_cycles"], s["pauses"]) == (78, 1, 156)
    assert (s["pause_total_ms"], s["pause_max_ms"], s["pause_p50_ms"], s["pause_p90_ms"], s["pause_p99_ms"]) == \
        (145.578, 6.8, 0.16, 4.0, 6.2)
    assert (s["stw_total_ms"], s["stw_max_ms"], s["stw_p50_ms"], s["stw_p90_ms"]) == (145.578, 6.9, 0.66, 5.16)
    assert (s["pacer_lines"], s["scavenger_lines"], s["other_lines"], s["damaged_gc_lines"]) == (154, 78, 1, 0)
    forced = [c for c in a.cycles if c.forced]
    assert [(c.number, c.line, c.heap_goal_mb) for c in forced] == [(22, 86, 108)]
    assert a.findings == []  # a 6.8 ms worst pause is under the 10 ms threshold


def test_go119_excerpt_gap_is_not_a_restart(shared_samples: Path) -> None:
    a = analyze_gctrace(_sample(shared_samples, "gctrace_12_go119_local.txt"))
    assert len(a.runs) == 1
    run = a.runs[0]
    assert (run.first_number, run.last_number, run.cycles, run.missing_cycles) == (1, 22, 11, 11)
    gc3 = a.cycles[2]
    assert (gc3.number, gc3.sweep_term_ns, gc3.concurrent_ns, gc3.mark_term_ns) == (3, 3_100_000, 4_100_000,
                                                                                     3_800_000)
    assert (gc3.stw_cpu_ns, gc3.assist_cpu_ns, gc3.background_cpu_ns, gc3.idle_cpu_ns) == (
        14_000_000, 99_000, 86_000, 0)
    assert (gc3.heap_start_mb, gc3.heap_end_mb, gc3.heap_live_mb, gc3.heap_goal_mb) == (17, 19, 19, 18)
    assert (gc3.stacks_mb, gc3.globals_mb, gc3.procs, gc3.format) == (0, 0, 4, "go1.18")


def test_restart_starts_a_new_run_and_per_cycle_sums_are_exact(shared_samples: Path) -> None:
    a = analyze_gctrace(_sample(shared_samples, "gctrace_5.txt"))
    assert [(r.first_number, r.last_number, r.cycles) for r in a.runs] == [(170, 171, 2), (1, 10, 10)]
    s = a.summary()
    assert s["cycles"] == 12 and s["runs"] == 2
    # Per-cycle A+C, sorted: .021 .028 .061 .080 .094 .098 .116 .201 .275 2.3 6.18 8.735
    assert (s["stw_total_ms"], s["stw_max_ms"], s["stw_p50_ms"],
            s["stw_p90_ms"], s["stw_p99_ms"]) == (18.189, 8.735, 0.098, 6.18, 8.735)
    assert (s["pause_max_ms"], s["sweep_termination_max_ms"], s["mark_termination_max_ms"]) == (8.7, 8.7, 5.8)
    last = a.cycles[-1]
    assert (last.run, last.number, last.start_ns, last.stw_ns) == (1, 10, 77_279_000_000, 8_735_000)


def test_go15_five_phase_lines_and_old_pacer_lines(shared_samples: Path) -> None:
    a = analyze_gctrace(_sample(shared_samples, "gctrace_2.txt"))
    assert [c.format for c in a.cycles] == ["go1.5"] * 3
    assert a.counts.pacer == 6
    gc337 = a.cycles[1]
    # 1.0+1.0+2.0+12+2.0 ms clock: STW are the first and the last phase.
    assert (gc337.sweep_term_ns, gc337.concurrent_ns, gc337.mark_term_ns) == (1_000_000, 15_000_000, 2_000_000)
    # 8.0+1.0+0+18/12/39+16 ms cpu: scan and synchronize-Ps CPU count as background work.
    assert (gc337.stw_cpu_ns, gc337.assist_cpu_ns, gc337.background_cpu_ns, gc337.idle_cpu_ns) == (
        24_000_000, 18_000_000, 13_000_000, 39_000_000)
    assert a.summary()["stw_total_ms"] == 6.0


def test_go14_legacy_lines_count_the_whole_cycle_as_pause(shared_samples: Path) -> None:
    a = analyze_gctrace(_sample(shared_samples, "gctrace_1.txt"))
    assert len(a.cycles) == 9 and {c.format for c in a.cycles} == {"go1.4"}
    assert [c.stw_ns for c in a.cycles[5:7]] == [1_000_000, 1_000_000]
    assert a.cycles[5].procs == 5
    assert a.summary()["pauses"] == 9  # one pause per cycle before Go 1.5
    assert a.windows == []  # no timestamps: nothing to place in time


@pytest.mark.parametrize(("name", "cycles", "fmt", "total_ms", "max_ms"), [
    # max_ms is the largest per-cycle STW: sweep termination + mark termination clock.
    ("gctrace_3.txt", 1, "go1.6", 167.0, 167.0),
    ("gctrace_4.txt", 6, "go1.6", 5.298, 3.34),
    ("gctrace_6.txt", 10, "go1.6", 1.865, 0.559),
    ("gctrace_7.txt", 2, "go1.18", 0.081, 0.042),
    ("gctrace_8.txt", 1, "go1.18", 0.069, 0.069),
    ("gctrace_9.txt", 1, "go1.18", 0.015, 0.015),
    ("gctrace_10.txt", 10, "go1.18", 3.963, 1.4),
    ("gctrace_11.txt", 16, "go1.6", 3.0, 1.0),
])
def test_each_sample_total_and_max(shared_samples: Path, name: str, cycles: int, fmt: str,
                                   total_ms: float, max_ms: float) -> None:
    s = analyze_gctrace(_sample(shared_samples, name)).summary()
    assert (s["cycles"], s["formats"], s["stw_total_ms"], s["stw_max_ms"]) == (cycles, [fmt], total_ms, max_ms)


def test_forced_stacks_and_prefixes(shared_samples: Path) -> None:
    forced = analyze_gctrace(_sample(shared_samples, "gctrace_7.txt"))
    assert [c.forced for c in forced.cycles] == [True, False]
    assert forced.cycles[0].heap_goal_mb == 1526
    stacks = analyze_gctrace(_sample(shared_samples, "gctrace_8.txt")).cycles[0]
    assert (stacks.stacks_mb, stacks.globals_mb, stacks.procs) == (66, 0, 4)
    journald = analyze_gctrace(_sample(shared_samples, "gctrace_6.txt"))
    assert [c.number for c in journald.cycles] == list(range(93, 103))
    assert journald.cycles[0].start_ns == 3_074_095_000_000
    mixed = analyze_gctrace(_sample(shared_samples, "gctrace_9.txt"))
    assert (len(mixed.cycles), mixed.counts.other) == (1, 9)


def test_heavy_stw_sample_is_a_finding(shared_samples: Path) -> None:
    a = analyze_gctrace(_sample(shared_samples, "gctrace_3.txt"))
    assert [f.rule for f in a.findings] == ["gc-stw-p99"]
    finding = a.findings[0]
    assert finding.category == "gc-pause" and finding.line == 1
    assert "129 ms" in finding.message and "mark termination" in finding.message


def test_scavenger_lines_are_counted_not_parsed(shared_samples: Path) -> None:
    cycles, counts = parse_lines(_sample(shared_samples, "scvg_1.txt").read_text().splitlines())
    assert cycles == [] and counts.scavenger == 3
