"""Parser behaviour on constructed input: damage, interleaving, encodings, sizes; plus properties."""

from __future__ import annotations

import io
import math
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cgoguard.gc import analyze_gctrace
from cgoguard.gc.analysis import analyze_files
from cgoguard.gc.gctrace import MAX_LINE_CHARS, parse_lines
from cgoguard.gc.stats import Distribution, nearest_rank

LINE_118 = ("gc 7 @1.250s 3%: 0.050+2.5+0.075 ms clock, 0.40+0.10/2.0/1.5+0.60 ms cpu, "
            "40->42->20 MB, 41 MB goal, 0 MB stacks, 1 MB globals, 8 P")
LINE_116 = "gc 8 @1.300s 3%: 0.1+3+0.2 ms clock, 0.8+0/4/1+1.6 ms cpu, 40->41->21 MB, 42 MB goal, 8 P (forced)"


def test_container_prefixes_and_interleaved_output() -> None:
    lines = [
        '{"log":"' + LINE_118 + '\\n","stream":"stderr"}',
        "app: listening on :8080",
        "2026-11-21T10:00:00.123Z stderr F " + LINE_116,
        "pacer: assist ratio=+1.0e+000 (scan 0 MB in 3->4 MB) workers=1++0.000000e+000",
        "scav 0 KiB work (bg), 0 KiB work (eager), 1024 KiB now, 99% util",
    ]
    cycles, counts = parse_lines(lines, "log")
    assert [(c.number, c.format, c.forced) for c in cycles] == [(7, "go1.18", False), (8, "go1.6", True)]
    assert (counts.other, counts.pacer, counts.scavenger, counts.damaged) == (1, 1, 1, [])
    assert cycles[0].stw_ns == 125_000 and cycles[0].globals_mb == 1


def test_a_line_cut_by_concurrent_output_is_reported_as_damaged() -> None:
    broken = LINE_118[:60] + "HELLO FROM main\n"
    cycles, counts = parse_lines([LINE_118, broken], "mixed")
    assert len(cycles) == 1
    assert counts.damaged == [("mixed", 2)]


def test_restart_and_multiple_files_read_as_one_log(tmp_path: Path) -> None:
    first = tmp_path / "a.log"
    second = tmp_path / "b.log"
    first.write_text(LINE_118 + "\n")
    second.write_text(LINE_116 + "\n" + LINE_118 + "\n")  # 8 continues the run; 7 again restarts
    a = analyze_files([str(first), str(second)])
    assert [c.run for c in a.cycles] == [0, 0, 1]
    assert [(r.source, r.cycles) for r in a.runs] == [(str(first), 2), (str(second), 1)]


def test_binary_missing_and_non_utf8_input(tmp_path: Path) -> None:
    binary = tmp_path / "core"
    binary.write_bytes(b"\x7fELF\x00\x00" + bytes(range(256)))
    latin = tmp_path / "latin.log"
    latin.write_bytes(b"caf\xe9 \xff\n" + LINE_118.encode() + b"\n")
    a = analyze_files([str(binary), str(tmp_path / "missing.log"), str(latin)])
    assert len(a.cycles) == 1
    assert [e.message.split(",")[0].split(":")[0] for e in a.errors] == ["binary file", "cannot read"]


def test_runaway_line_is_cut_not_split_into_fake_lines(tmp_path: Path) -> None:
    log = tmp_path / "huge.log"
    log.write_bytes(b"x" * (MAX_LINE_CHARS * 3 + 5) + b"\n" + LINE_118.encode() + b"\n")
    a = analyze_files([str(log)])
    assert len(a.cycles) == 1 and a.counts.total == 2


def test_stdin_and_in_memory_lines() -> None:
    a = analyze_gctrace("-", stdin=io.BytesIO((LINE_118 + "\n").encode()))
    assert a.sources == ["<stdin>"] and a.cycles[0].source == "<stdin>"
    b = analyze_gctrace([LINE_118, LINE_116], name="captured stderr")
    assert [c.source for c in b.cycles] == ["captured stderr"] * 2


def test_empty_input_is_an_error_not_a_crash() -> None:
    a = analyze_gctrace([], name="empty")
    assert a.cycles == [] and a.summary()["cycles"] == 0
    assert "no gctrace lines" in a.errors[0].message


def test_gc_cpu_is_spread_over_the_phases_it_was_spent_in() -> None:
    # 10 ms of concurrent mark at 4 P with 8 ms of background CPU: 20% of the window's capacity.
    line = ("gc 1 @0.000s 0%: 0+10+0 ms clock, 0+0/8/4+0 ms cpu, 4->4->2 MB, 5 MB goal, 4 P")
    a = analyze_gctrace([line], window_s=0.01)
    assert [(w.start_s, w.gc_cpu_fraction, w.idle_mark_fraction) for w in a.windows] == [(0.0, 0.2, 0.1)]
    halves = analyze_gctrace([line], window_s=0.005)
    assert [w.gc_cpu_fraction for w in halves.windows] == [0.2, 0.2]


# ---------------------------------------------------------------------------------------------
# Properties

def _fmt_ms(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


durations = st.decimals(min_value=0, max_value=5000, places=3).map(_fmt_ms)
sizes = st.integers(min_value=0, max_value=1 << 20)


@st.composite
def gctrace_lines(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    fields = {
        "n": draw(st.integers(1, 10**7)), "t": draw(st.decimals(0, 10**6, places=3)).normalize(),
        "a": draw(durations), "b": draw(durations), "c": draw(durations),
        "d": draw(durations), "e": draw(durations), "f": draw(durations), "g": draw(durations),
        "h": draw(durations), "h0": draw(sizes), "h1": draw(sizes), "h2": draw(sizes), "goal": draw(sizes),
        "stacks": draw(st.none() | sizes), "globals": draw(sizes), "p": draw(st.integers(1, 1024)),
        "forced": draw(st.booleans()), "prefix": draw(st.sampled_from(["", "Feb 26 12:52:23.767 ", "[pod-1] "])),
    }
    stacks = "" if fields["stacks"] is None else f"{fields['stacks']} MB stacks, {fields['globals']} MB globals, "
    line = (f"{fields['prefix']}gc {fields['n']} @{format(fields['t'], 'f')}s 5%: "
            f"{fields['a']}+{fields['b']}+{fields['c']} ms clock, "
            f"{fields['d']}+{fields['e']}/{fields['f']}/{fields['g']}+{fields['h']} ms cpu, "
            f"{fields['h0']}->{fields['h1']}->{fields['h2']} MB, {fields['goal']} MB goal, {stacks}"
            f"{fields['p']} P{' (forced)' if fields['forced'] else ''}")
    return line, fields


def _ns(text: object) -> int:
    return int(Decimal(str(text)) * 1_000_000)


@given(gctrace_lines())
@settings(max_examples=300, deadline=None)
def test_generated_lines_round_trip(case: tuple[str, dict[str, object]]) -> None:
    line, f = case
    cycles, counts = parse_lines([line])
    assert counts.damaged == [] and len(cycles) == 1
    c = cycles[0]
    assert (c.number, c.forced, c.procs, c.heap_goal_mb, c.stacks_mb) == (f["n"], f["forced"], f["p"],
                                                                          f["goal"], f["stacks"])
    assert (c.sweep_term_ns, c.concurrent_ns, c.mark_term_ns) == (_ns(f["a"]), _ns(f["b"]), _ns(f["c"]))
    assert c.stw_cpu_ns == _ns(f["d"]) + _ns(f["h"])
    assert (c.assist_cpu_ns, c.background_cpu_ns, c.idle_cpu_ns) == (_ns(f["e"]), _ns(f["f"]), _ns(f["g"]))
    assert c.start_ns == int(Decimal(str(f["t"])) * 1_000_000_000)


@given(st.lists(st.text(max_size=300), max_size=30))
@settings(max_examples=300, deadline=None)
def test_no_text_input_raises(lines: list[str]) -> None:
    analysis = analyze_gctrace(lines)
    analysis.summary()
    analysis.to_dict()


@given(st.lists(st.sampled_from([LINE_118, LINE_116, "gc 3 @", "gc 1 @0.1s 1%: 1+2", "noise"]), max_size=40),
       st.floats(min_value=0.001, max_value=100))
@settings(max_examples=200, deadline=None)
def test_mixtures_of_real_and_broken_lines_never_raise(lines: list[str], window: float) -> None:
    analysis = analyze_gctrace(lines, window_s=window)
    assert len(analysis.cycles) == sum(line in (LINE_118, LINE_116) for line in lines)


@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=500))
def test_percentiles_are_monotone_and_nearest_rank(values: list[int]) -> None:
    d = Distribution.of(values)
    ordered = sorted(values)
    assert min(values) <= d.p50_ns <= d.p90_ns <= d.p99_ns <= d.p99_9_ns <= d.max_ns == max(values)
    for q in (0.5, 0.9, 0.99, 0.999):
        rank = math.ceil(round(q * len(values), 9))
        assert nearest_rank(ordered, q) == ordered[rank - 1]
        assert nearest_rank(ordered, q) in values


def test_nearest_rank_edges() -> None:
    assert nearest_rank(list(range(1, 101)), 0.99) == 99  # 0.99*100 is exactly rank 99
    assert nearest_rank(list(range(1, 101)), 0.999) == 100
    assert nearest_rank([5], 0.0) == 5
