"""Baselines match findings by fingerprint (as a multiset), never by line number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scanhelpers import LEAKY, RunCli, write_tree

pytestmark = pytest.mark.usefixtures("test_rules")


def test_write_then_use_baseline(project: Path, cli: RunCli) -> None:
    status, _, err = cli("scan", "--no-cache", "--write-baseline", "baseline.json")
    assert status == 0
    assert "wrote 2 finding(s) to baseline baseline.json" in err
    entries = json.loads(Path("baseline.json").read_text())["findings"]
    assert [e["rule"] for e in entries] == ["CG990", "CG991"]
    status, out, err = cli("scan", "--no-cache", "--baseline", "baseline.json")
    assert (status, out) == (0, "")
    assert "2 in baseline" in err


def test_baseline_survives_code_motion_and_reports_only_new_findings(project: Path, cli: RunCli) -> None:
    cli("scan", "--no-cache", "--write-baseline", "baseline.json")
    moved = LEAKY.replace("func Name(s string) {", "// A new comment\n// pushes everything down.\n\n"
                                                    "func Name(s string) {\n\t_ = 0")
    moved += "\nfunc Fresh() {\n\t_ = C.CString(\"new\")\n}\n"
    write_tree(project, {"leaky/leaky.go": moved})
    status, out, _ = cli("scan", "--no-cache", "--baseline", "baseline.json")
    assert status == 1
    assert out.splitlines() == ["leaky/leaky.go:21:6: warning: CG990 [c-leak] C.CString call"]


def test_baseline_is_a_multiset(project: Path, cli: RunCli) -> None:
    cli("scan", "--no-cache", "--write-baseline", "baseline.json")
    doubled = LEAKY.replace("\tp := C.CString(s)\n", "\tp := C.CString(s)\n\tp := C.CString(s)\n")
    write_tree(project, {"leaky/leaky.go": doubled})
    status, out, _ = cli("scan", "--no-cache", "--baseline", "baseline.json")
    assert status == 1
    assert out.splitlines() == ["leaky/leaky.go:9:7: warning: CG990 [c-leak] C.CString call"]


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"findings": [{"line": 3}]}'])
def test_malformed_baseline_is_a_usage_error(project: Path, cli: RunCli, content: str) -> None:
    Path("baseline.json").write_text(content)
    status, out, err = cli("scan", "--no-cache", "--baseline", "baseline.json")
    assert status == 2 and out == ""
    assert "is not a cgoguard baseline" in err


def test_write_baseline_ignores_the_configured_baseline(project: Path, cli: RunCli) -> None:
    cli("scan", "--no-cache", "--write-baseline", "baseline.json")
    write_tree(project, {"cgoguard.toml": 'baseline = "baseline.json"\n'})
    status, out, _ = cli("scan", "--no-cache")
    assert (status, out) == (0, "")  # the configured baseline accepts both findings
    status, _, err = cli("scan", "--no-cache", "--write-baseline", "again.json")
    assert status == 0 and "wrote 2 finding(s)" in err
