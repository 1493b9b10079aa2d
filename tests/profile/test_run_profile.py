"""``cgoguard run --check profile``: the test binaries under perf, the ranked call sites in the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gotools import requires_go

from cgoguard.cli import main
from cgoguard.profile.capture import explain_failure, perf_problem
from cgoguard.runner.checks import parse_checks

MODULE = Path(__file__).parent / "programs" / "runmod"


def test_profile_is_a_check_that_all_leaves_out() -> None:
    assert "profile" not in parse_checks("all") and parse_checks("all,profile")[-1] == "profile"
    assert parse_checks("profile") == ["profile"]


@requires_go
def test_run_reports_the_ranked_call_sites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "run.json"
    before = sorted(p.name for p in MODULE.iterdir())
    code = main(["run", "--check", "profile", "-C", str(MODULE), "--format", "json", "-o", str(report)])
    assert sorted(p.name for p in MODULE.iterdir()) == before
    document = json.loads(report.read_text())
    (check,) = document["checks"]
    if perf_problem():
        assert code == 2 and check["status"] == "failed to run" and check["message"] == perf_problem()
        pytest.skip(f"perf cannot record here: {perf_problem()}")
    assert code == 0 and check["status"] == "passed"
    sites = {site["function"].rsplit(".", 1)[-1]: site for site in document["profile"]["call_sites"]}
    heavy, light = sites["Heavy"], sites["Light"]
    assert heavy["c_function"] == light["c_function"] == "spin"
    assert abs(heavy["samples"] / (heavy["samples"] + light["samples"]) - 0.75) < 0.08
    assert Path(heavy["path"]).name == "work.go" and heavy["line"] < light["line"]


@pytest.mark.parametrize("message, expected", [
    ("perf_event_open(..., PERF_FLAG_FD_CLOEXEC) failed with unexpected error 1 (Operation not permitted)",
     "may not open events"),
    ("WARNING: perf not found for kernel 6.5.0-1", "not installed for this kernel"),
    ("The sys_perf_event_open() syscall returned with 38 (Function not implemented)", "not available"),
    ("something else", "perf record failed: something else"),
])
def test_perf_failures_say_what_to_change(message: str, expected: str) -> None:
    assert expected in explain_failure(message)
