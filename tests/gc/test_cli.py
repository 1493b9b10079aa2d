"""``cgoguard gc`` through the real command-line entry point."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from gotools import requires_go

from cgoguard.cli import main
from cgoguard.gc.plot import PlotData, render_html
from cgoguard.output import charts

LINES = "\n".join([
    "gc 1 @0.010s 1%: 0.050+2.0+0.030 ms clock, 0.20+0.10/1.0/0.5+0.12 ms cpu, 4->4->2 MB, 5 MB goal, "
    "0 MB stacks, 0 MB globals, 4 P",
    "server: request served",
    "gc 2 @0.050s 1%: 12+3.0+0.5 ms clock, 48+0.2/2.0/0+2.0 ms cpu, 5->6->3 MB, 6 MB goal, "
    "0 MB stacks, 0 MB globals, 4 P (forced)",
]) + "\n"


@pytest.fixture
def gctrace_log(tmp_path: Path) -> Path:
    path = tmp_path / "gctrace.log"
    path.write_text(LINES)
    return path


def test_json_summary(gctrace_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gc", str(gctrace_log), "--format", "json"]) == 1  # the 12 ms pause is a warning
    document = json.loads(capsys.readouterr().out)
    summary = document["summary"]
    assert {k: summary[k] for k in ("cycles", "forced_cycles", "stw_total_ms", "stw_max_ms", "stw_p50_ms",
                                    "stw_p99_ms")} == {"cycles": 2, "forced_cycles": 1, "stw_total_ms": 12.58,
                                                       "stw_max_ms": 12.5, "stw_p50_ms": 0.08,
                                                       "stw_p99_ms": 12.5}
    assert [f["rule"] for f in document["findings"]] == ["gc-stw-p99"]
    assert document["findings"][0]["line"] == 3
    assert [c["gc"] for c in document["gc"]["cycles"]] == [1, 2]
    assert document["gc"]["runs"][0]["cycles_per_s"] == 25.0


def test_text_report_threshold_and_output_file(gctrace_log: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    assert main(["gc", str(gctrace_log), "--stw-threshold", "20", "--output", str(report)]) == 0
    text = report.read_text()
    assert "GC cycles: 2 (1 forced) in 1 run(s)" in text
    assert "each pause" in text and " forced" in text.splitlines()[-1]


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(LINES.encode())))
    assert main(["gc", "-", "--format", "json", "--fail-on", "error"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["cycles"] == 2


@pytest.mark.parametrize("argv", [["gc"], ["gc", "x.log", "--window", "0"], ["gc", "x.log", "--plot", "a.svg"]])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "cgoguard: error:" in capsys.readouterr().err


def test_unreadable_input_exits_2_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gc", str(tmp_path / "missing.log")]) == 2
    captured = capsys.readouterr()
    assert "cannot read" in captured.out and "Traceback" not in captured.err


@requires_go
def test_bad_trace_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "bogus.trace"
    bogus.write_bytes(b"\x00\x01garbage")
    assert main(["gc", "--trace", str(bogus)]) == 2
    assert "not a Go execution trace" in capsys.readouterr().out


def test_plots_from_gctrace(shared_samples: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    sample = shared_samples / "gctrace_5.txt"
    png, page = tmp_path / "gc.png", tmp_path / "gc.html"
    assert main(["gc", str(sample), "--plot", str(png), "--output", str(tmp_path / "r.txt")]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert main(["gc", str(sample), "--plot", str(page), "--output", str(tmp_path / "r.txt")]) == 0
    html = page.read_text()
    assert html.count('id="axes_') == 2  # pauses and heap, in one matplotlib chart
    assert "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        'xmlns:xlink="http://www.w3.org/1999/xlink"', "").replace("http://www.w3.org/1999/xlink", "")


@pytest.mark.parametrize("matplotlib", [True, False])
def test_html_escapes_names(monkeypatch: pytest.MonkeyPatch, matplotlib: bool) -> None:
    if matplotlib:
        pytest.importorskip("matplotlib")
    monkeypatch.setattr(charts, "have_matplotlib", lambda: matplotlib)
    page = render_html(PlotData(title="<script>", gc_pauses=[(0.0, 1.0), (1.0, 2.0)]))
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_html_without_matplotlib_draws_axes_threshold_and_clipped_outliers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(charts, "have_matplotlib", lambda: False)
    pauses = [(t / 10, 0.2 + (t % 3) / 10) for t in range(30)] + [(1.55, 90.1)]
    page = render_html(PlotData(title="t", gc_pauses=pauses, heap_live=[(0.0, 4.0), (3.0, 12.0)],
                                stw_threshold_ms=1.0, stw_p99_ms=0.4))
    assert page.count("<svg") == 2 and "Drawn without matplotlib" in page
    assert "threshold 1 ms" in page and "p99 0.4 ms" in page and "90.1 ms ↑" in page
    assert ">pause (ms)</text>" in page and ">time (s, gctrace clock)</text>" in page
    # Rounded ticks: the pause axis is cut at 4 x the threshold; the heap axis steps by 2.5 MB.
    assert ">4</text>" in page and ">12.5</text>" in page and ">5</text>" not in page.split("heap (MB)")[0]
    assert "<script" not in page
