"""End to end on the machine's Go: gctrace recorded from real programs, and a real execution trace
of a program mixing allocation with cgo calls, decoded by the shipped helper."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from cgoguard.cli import main
from cgoguard.gc import Correlation, GcAnalysis, analyze_gctrace, correlate
from cgoguard.output.charts import have_matplotlib

PROGRAMS = Path(__file__).parent / "programs"
CGOMIX_DURATION = "1500ms"


def _run(binary: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GODEBUG": "gctrace=1"}
    env.pop("GOGC", None)
    return subprocess.run([str(binary), *args], env=env, capture_output=True, text=True, timeout=120,
                          check=True)


def test_recorded_gctrace_matches_the_runtimes_own_counts(go_builder) -> None:
    result = _run(go_builder(PROGRAMS / "gcforced"))
    counts = dict(item.split("=") for item in result.stdout.split())
    a = analyze_gctrace(result.stderr.splitlines(), name="gcforced stderr")
    assert len(a.cycles) == int(counts["numgc"])
    assert a.forced_cycles == int(counts["forced"]) == 3
    assert a.cycles[-1].forced and {c.format for c in a.cycles} == {"go1.18"}
    assert [c.number for c in a.cycles] == list(range(1, len(a.cycles) + 1))
    assert a.counts.damaged == [] and a.errors == []


@dataclass
class CgoMixRun:
    gctrace: GcAnalysis
    correlation: Correlation
    trace_path: Path
    gctrace_path: Path


@pytest.fixture(scope="session")
def cgomix(go_builder, tmp_path_factory: pytest.TempPathFactory) -> CgoMixRun:
    """Run the cgo/allocation mix once per session, with gctrace and an execution trace."""
    out = tmp_path_factory.mktemp("cgomix")
    trace_path = out / "trace.out"
    result = _run(go_builder(PROGRAMS / "cgomix"), "-d", CGOMIX_DURATION, "-trace", str(trace_path))
    gctrace_path = out / "gctrace.log"
    gctrace_path.write_text(result.stderr)
    analysis = analyze_gctrace(gctrace_path)
    # 50 ms windows: half of each 100 ms phase of the program, so most windows see one phase.
    return CgoMixRun(analysis, correlate(trace_path, analysis, window_s=0.05), trace_path, gctrace_path)


def test_trace_pauses_and_cgo_calls_are_decoded(cgomix: CgoMixRun) -> None:
    c = cgomix.correlation
    data = c.data
    assert c.errors == [] and data.warning == ""
    assert data.cgo_calls > 1000
    gc_pauses = [p for p in data.pauses if p.is_gc]
    sweeps = [p for p in gc_pauses if p.reason == "GC sweep termination"]
    marks = [p for p in gc_pauses if p.reason == "GC mark termination"]
    assert abs(len(sweeps) - len(marks)) <= 1 and len(sweeps) >= 10
    # Every cycle the trace saw is also in the gctrace log of the same process.
    assert c.gctrace_matched >= 0.9 * min(len(sweeps), 200)
    for earlier, later in zip(data.pauses, data.pauses[1:], strict=False):
        assert earlier.end_ns <= later.begin_ns  # the world is stopped once at a time
    assert all(0 <= p.stop_ns <= p.duration_ns for p in data.pauses)
    assert all(r.call_begin_ns <= r.return_ns <= r.running_ns for r in data.returns)
    assert sum(begun for begun, _ in data.bins.values()) == data.cgo_calls


def test_correlation_reports_measured_verdict(cgomix: CgoMixRun) -> None:
    c = cgomix.correlation
    assert c.high is not None and c.low is not None
    # The program alternates 100 ms of heavy and light cgo use: the split must see it.
    assert c.high.mean_rate_per_s > 3 * c.low.mean_rate_per_s
    assert c.rates["overall"] and c.rates["before_pause"] is not None
    assert c.verdict[0].startswith(("GC pauses are longer", "GC pauses are not longer", "GC pauses are slightly",
                                    "too few"))
    assert c.shift_p is not None
    assert c.verdict[1].startswith("time to stop:")
    assert c.returns_in_pause >= c.return_waits.count
    assert {f.category for f in c.findings} <= {"gc-pause"}
    document = c.to_dict()
    assert document["cgo_calls"] == c.data.cgo_calls and document["verdict"] == c.verdict
    # Shown with `pytest -s`; the numbers are what the run measured.
    print("\n".join(c.text_lines()))


def test_bad_trace_is_a_clear_error(tmp_path: Path, cgomix: CgoMixRun) -> None:
    bogus = tmp_path / "not-a-trace.out"
    bogus.write_text("hello\n")
    c = correlate(bogus)
    assert not c.ok and "not a Go execution trace" in c.errors[0].message
    truncated = tmp_path / "truncated.out"
    truncated.write_bytes(cgomix.trace_path.read_bytes()[:50_000])
    c = correlate(truncated)
    assert c.errors and not c.findings


def test_cli_with_trace_json_and_plots(cgomix: CgoMixRun, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    png, page = tmp_path / "gc.png", tmp_path / "gc.html"
    main(["gc", str(cgomix.gctrace_path), "--trace", str(cgomix.trace_path), "--format", "json",
          "--plot", str(page)])
    document = json.loads(capsys.readouterr().out)
    assert document["summary"]["cycles"] == len(cgomix.gctrace.cycles)
    assert document["correlation"]["verdict"] and document["correlation"]["gctrace_cycles_matched"] > 0
    html = page.read_text()
    assert html.count('id="axes_') == 3 if have_matplotlib() else html.count("<svg") == 3  # pauses, heap, cgo
    assert "threshold 10 ms" in html
    pytest.importorskip("matplotlib")
    assert main(["gc", "--trace", str(cgomix.trace_path), "--plot", str(png),
                 "--output", str(tmp_path / "report.txt")]) in (0, 1)
    assert png.stat().st_size > 10_000
    assert "Verdict:" in (tmp_path / "report.txt").read_text()


def _goroot() -> Path | None:
    try:
        result = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, timeout=60)
    except OSError:
        return None
    return Path(result.stdout.strip()) if result.returncode == 0 else None


@pytest.mark.parametrize("name", ["stress_1_11_good", "stress_1_19_good", "stress_1_21_good"])
def test_pre_go122_traces_decode(name: str) -> None:
    """Old-format traces (the Go distribution's own test data) go through x/exp/trace's conversion."""
    goroot = _goroot()
    trace = goroot / "src/internal/trace/internal/tracev1/testdata" / name if goroot else None
    if trace is None or not trace.exists():
        pytest.skip(f"{name} is not in this Go installation")
    c = correlate(trace)
    assert c.errors == [] and c.data.events > 10_000
    reasons = {p.reason for p in c.data.pauses}
    assert {"GC sweep termination", "GC mark termination"} <= reasons
    assert c.gc_pauses.count >= 100
    assert c.verdict == [f"the trace holds no cgo call; {c.gc_pauses.count} GC pauses, p99 "
                         f"{c.gc_pauses.p99_ns / 1e6:.4g} ms"]
