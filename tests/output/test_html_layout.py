"""The HTML page's layout: for ``run``, the per-check table first and the metadata as a table."""

from __future__ import annotations

from cgoguard.findings import Finding, Severity
from cgoguard.output import render

FINDING = Finding(rule="RT-ASAN", category="use-after-free", message="use after free", path="a.go", line=3,
                  severity=Severity.ERROR, source="runtime")
RUN_EXTRA = {
    "command": ["go", "test", "./..."], "directory": "/src/m", "wall_seconds": 7.9,
    "checks": [{"check": "asan", "status": "found bugs", "findings": 1, "seconds": 3.0, "processes": 5,
                "shared_with": "leak"},
               {"check": "race", "status": "passed", "findings": 0, "seconds": 1.0, "processes": 4}],
    "toolchain": {"go": "go1.26.8", "platform": "linux/amd64", "cc": "gcc 12.2"},
    "gc": [], "notes": None,
}


def test_run_page_shows_checks_first_then_details_then_findings() -> None:
    page = render([FINDING], [], "html", extra=RUN_EXTRA)
    assert "<title>cgoguard run</title>" in page and "<h1>cgoguard run</h1>" in page
    checks, details, findings = (page.index(f"<h2>{name}</h2>") for name in ("Checks", "Details", "Findings"))
    assert checks < details < findings
    assert "<th>shared with</th>" in page and "<td>found bugs</td>" in page
    # The metadata is a table (nested for the toolchain), never raw JSON; empty values are left out.
    details_html = page[details:findings]
    assert "<th>command</th><td><code>go test ./...</code></td>" in details_html
    assert "<th>go</th><td>go1.26.8</td>" in details_html and "{" not in details_html
    assert "<th>gc</th>" not in details_html and "<th>notes</th>" not in details_html


def test_report_page_keeps_its_title() -> None:
    page = render([FINDING], [], "html", extra={"reports_parsed": 3})
    assert "<h1>cgoguard report</h1>" in page and "<th>reports parsed</th><td>3</td>" in page
