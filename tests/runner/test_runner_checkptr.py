"""``--check checkptr``: the module's tests built with -gcflags=all=-d=checkptr, failures at the Go line."""

from __future__ import annotations

import json
from pathlib import Path

from analysistest import analyze
from gotools import requires_go

from cgoguard.cli import main

PROGRAM = Path(__file__).parent / "programs" / "checkptr"


def _line_of(needle: str) -> int:
    lines = (PROGRAM / "view.go").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


@requires_go
def test_checkptr_check_reports_the_go_line(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    code = main(["run", "--check", "checkptr", "-C", str(PROGRAM), "--format", "json", "-o", str(report),
                 "--no-static"])
    assert code == 1
    document = json.loads(report.read_text())
    (check,) = document["checks"]
    assert (check["check"], check["status"]) == ("checkptr", "found bugs")
    (finding,) = document["findings"]
    assert (finding["rule"], finding["category"]) == ("RT-CHECKPTR", "unsafe-pointer-misuse")
    assert finding["path"].endswith("view.go") and finding["line"] == _line_of("BUG: past the end")
    assert "pointer arithmetic result points to invalid allocation" in finding["message"]
    assert finding["extra"]["checks"] == ["checkptr"]


def test_the_static_rule_reports_the_same_line() -> None:
    assert [(f.rule, f.line) for f in analyze(PROGRAM, {"CG307"})] == [("CG307", _line_of("BUG: past the end"))]
