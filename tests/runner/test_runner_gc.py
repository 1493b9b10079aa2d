"""``--check gc``: gctrace and an execution trace per test binary, analysed by cgoguard.gc."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gotools import requires_go

from cgoguard.cli import main

PROGRAM = Path(__file__).parent / "programs" / "gcload"


@requires_go
def test_gc_check_collects_gctrace_and_trace_of_the_test_binary(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    code = main(["run", "--check", "gc", "-C", str(PROGRAM), "--keep-logs", str(tmp_path / "logs"),
                 "--format", "json", "-o", str(report), "--fail-on", "none"])
    assert code == 0
    document = json.loads(report.read_text())
    (check,) = document["checks"]
    assert check["check"] == "gc" and check["status"] in ("passed", "found bugs") and check["processes"] == 1
    (summary,) = document["gc"]  # the test binary only: cmd/go's own GC is not mixed in
    assert summary["cycles"] > 10
    assert Path(summary["trace"]).stat().st_size > 0
    assert "gc " in Path(summary["gctrace"]).read_text()
    if "correlation" not in summary:
        pytest.skip("cgoguard.gc.correlate is not available")
    assert summary["correlation"]["source"] == "trace" and summary["correlation"]["cycles"] > 10
    for finding in document["findings"]:
        assert finding["category"] == "gc-pause" and finding["extra"]["checks"] == ["gc"]
