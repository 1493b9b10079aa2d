"""What ``cgoguard report`` says about its inputs: files that are not logs, go test -json
streams, the summary line, repeated reports and findings without a source line."""

from __future__ import annotations

import json
from pathlib import Path

from cgoguard.cli import main
from cgoguard.findings import Finding
from cgoguard.output import render_text
from cgoguard.reports import analyze, analyze_text

PANIC = """panic: runtime error: cgo argument has Go pointer to unpinned Go pointer

goroutine 1 [running]:
main.main.func1(...)
\t/src/app/main.go:14 +0x45
main.main()
\t/src/app/main.go:14 +0x2f
exit status 2
"""


def test_a_named_source_file_is_not_a_log(tmp_path: Path, capsys) -> None:
    source = tmp_path / "main.go"
    source.write_text("// Package main does things.\npackage main\n\nfunc main() {}\n")
    assert main(["report", str(source), "--source", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "not a log: this is Go source" in captured.out
    assert "none of the inputs could be read as a text log" in captured.err


def test_sources_met_while_walking_a_directory_are_skipped_quietly(tmp_path: Path) -> None:
    (tmp_path / "main.go").write_text("package main\n")
    (tmp_path / "lib.h").write_text("#include <stdlib.h>\n")
    (tmp_path / "crash.log").write_text(PANIC)
    result = analyze([tmp_path])
    assert result.errors == [] and result.files_read == 1 and len(result.findings) == 1


def test_go_test_json_output_is_unwrapped(tmp_path: Path) -> None:
    events = [{"Time": "2024-01-01T00:00:00Z", "Action": "run", "Package": "app", "Test": "TestX"}]
    events += [{"Time": "2024-01-01T00:00:00Z", "Action": "output", "Package": "app", "Test": "TestX",
                "Output": line + "\n"} for line in PANIC.splitlines()]
    events.append({"Time": "2024-01-01T00:00:01Z", "Action": "fail", "Package": "app", "Elapsed": 0.1})
    log = tmp_path / "test.json"
    log.write_text("".join(json.dumps(event) + "\n" for event in events))
    (finding,) = analyze([log]).findings
    assert (finding.category, finding.line) == ("go-pointer-to-go-pointer", 14)


def test_summary_line_counts_reports_files_and_quiet_files(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.log").write_text(PANIC * 4)
    (tmp_path / "b.log").write_text("all tests passed\n")
    code = main(["report", str(tmp_path / "a.log"), str(tmp_path / "b.log"), "--source", str(tmp_path)])
    assert code == 1
    captured = capsys.readouterr()
    assert "seen 4 times (seen 4 times)" not in captured.out and "(seen 4 times)" in captured.out
    assert captured.err.strip() == ("cgoguard: 1 error from 4 reports in 2 files "
                                    "(1 file without a runtime report)")


def test_a_finding_without_a_source_line_says_why() -> None:
    log = "fatal error: unexpected signal during runtime execution\n\ngoroutine 1 [running]:\nruntime.throw()\n"
    (finding,) = analyze_text(log).findings
    assert finding.extra["mapping"].startswith("no frame of the report has a source position")
    unplaced = Finding.from_dict({**finding.to_dict(), "path": "pkg/app", "line": 0})
    text = render_text([unplaced], [])
    assert text.startswith("pkg/app: error: RT-GO-FATAL [segv]") and ":0:0" not in text
    assert "    no source line: no frame of the report has a source position" in text
