"""Fast tests of the runner's pieces: checks, command rewriting, logs, attribution, merging."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cgoguard.errors import UsageError
from cgoguard.findings import Finding, Frame
from cgoguard.runner import logs
from cgoguard.runner.attribution import enclosing_function_line, fold_induced_abort
from cgoguard.runner.checks import merge_godebug, parse_checks, plan
from cgoguard.runner.command import GoCommand, exec_flag, merge_goflags
from cgoguard.runner.execwrap import _with_skip, crashed_test
from cgoguard.runner.merge import merge_findings
from cgoguard.runner.session import CheckResult, split_by_check
from cgoguard.runner.toolchain import Toolchain, parse_go_version


def toolchain(version: str = "go1.26.1", platform: str = "linux/amd64") -> Toolchain:
    goos, goarch = platform.split("/")
    chain = Toolchain("/usr/bin/go", {"GOVERSION": version, "GOOS": goos, "GOARCH": goarch, "CC": "gcc"},
                      symbolizer="/usr/bin/llvm-symbolizer")
    chain._probes["address"] = None  # the compiler probe is exercised by the preflight tests
    return chain


# -- checks -----------------------------------------------------------------------------------

def test_parse_checks_orders_and_expands_all() -> None:
    assert parse_checks("race, asan") == ["asan", "race"]
    assert parse_checks("all") == ["asan", "leak", "cgocheck", "cgocheck2", "checkptr", "race", "gc"]
    with pytest.raises(UsageError, match="unknown check 'tsan'"):
        parse_checks("asan,tsan")
    with pytest.raises(UsageError):
        parse_checks(" , ")


@pytest.mark.parametrize(("text", "expected"), [
    ("go1.26.8", (1, 26, 8)), ("go version go1.22rc1 linux/amd64", (1, 22, 0)),
    ("devel go1.27-abcdef", (1, 27, 0)), ("nothing", None)])
def test_parse_go_version(text: str, expected: tuple[int, int, int] | None) -> None:
    assert parse_go_version(text) == expected


def test_asan_and_leak_share_one_asan_execution() -> None:
    setups = plan(["asan", "leak", "race"], toolchain(), {})
    assert [s.name for s in setups] == ["asan+leak", "race"]
    asan = setups[0]
    assert asan.go_flags == ["-asan"] and asan.needs_debug_info
    assert "detect_leaks=1" in asan.env["ASAN_OPTIONS"] and "abort_on_error=1" in asan.env["ASAN_OPTIONS"]
    assert asan.env["ASAN_SYMBOLIZER_PATH"] == "/usr/bin/llvm-symbolizer"
    assert asan.log_options == {"ASAN_OPTIONS": ":"}
    assert plan(["asan"], toolchain(), {})[0].env["ASAN_OPTIONS"].startswith("detect_leaks=0")


def test_leak_check_explains_old_go() -> None:
    (leak,) = plan(["leak"], toolchain("go1.24.3"), {})
    assert "Go 1.25" in leak.problem and "upgrade Go" in leak.problem
    (both,) = plan(["asan", "leak"], toolchain("go1.24.3"), {})
    assert not both.problem and any("Go 1.25" in note for note in both.notes)
    (asan,) = plan(["asan"], toolchain("go1.17.13"), {})
    assert "Go 1.18" in asan.problem


def test_cgocheck2_uses_goexperiment_or_godebug_by_version() -> None:
    (new,) = plan(["cgocheck2"], toolchain("go1.21.0"), {"GOEXPERIMENT": "loopvar,nocgocheck2"})
    assert new.build_env["GOEXPERIMENT"] == "loopvar,cgocheck2"
    assert new.env == {"GOTRACEBACK": "crash"}
    (old,) = plan(["cgocheck2"], toolchain("go1.20.14"), {"GODEBUG": "madvdontneed=1,cgocheck=0"})
    assert old.env["GODEBUG"] == "madvdontneed=1,cgocheck=2"
    assert old.build_env == {}


def test_checkptr_instruments_every_package() -> None:
    (check,) = plan(["checkptr"], toolchain(), {})
    assert check.go_flags == ["-gcflags=all=-d=checkptr"] and check.env == {"GOTRACEBACK": "crash"}
    assert not check.problem
    (old,) = plan(["checkptr"], toolchain("go1.13.15"), {})
    assert "Go 1.14" in old.problem


def test_default_cgocheck_overrides_a_disabled_one() -> None:
    (check,) = plan(["cgocheck"], toolchain(), {"GODEBUG": "cgocheck=0"})
    assert check.env == {"GODEBUG": "cgocheck=1", "GOTRACEBACK": "crash"}
    assert merge_godebug("", "gctrace", "1") == "gctrace=1"


def test_unsupported_platform_and_missing_go_are_explained() -> None:
    (race, asan) = plan(["race", "asan"], toolchain(platform="openbsd/amd64"), {})[::-1]
    assert "not supported on openbsd/amd64" in race.problem
    assert "not supported on openbsd/amd64" in asan.problem
    missing = Toolchain(None, problem="the Go toolchain ('go') is not on PATH")
    assert all(s.problem == missing.problem for s in plan(["asan", "cgocheck", "gc"], missing, {}))


# -- command rewriting ------------------------------------------------------------------------

def test_flags_go_right_after_the_go_subcommand() -> None:
    command = GoCommand.parse(["go", "test", "-run", "X", "./...", "-args", "-ldflags"])
    assert command.is_test and command.wrapped
    assert command.with_flags(["-asan"]) == ["go", "test", "-asan", "-run", "X", "./...", "-args", "-ldflags"]
    assert not command.has_flag("ldflags")  # after -args it belongs to the test binary
    assert GoCommand.parse(["go", "run", "-ldflags=-X a=b", "."]).has_flag("ldflags")
    assert not GoCommand.parse(["go", "test", "-exec", "qemu-arm", "."]).wrapped  # the user's -exec stays
    build = GoCommand.parse(["/usr/local/go/bin/go", "build", "./cmd/x"])
    assert build.subcommand == "build" and not build.wrapped
    script = GoCommand.parse(["sh", "-c", "go build -o /tmp/x . && /tmp/x"])
    assert script.subcommand == "" and script.with_flags(["-race"]) == list(script.argv)


def test_exec_skip_and_goflags() -> None:
    flag = exec_flag(Path("/tmp/dir with space/exec.json"))
    assert flag.startswith(f"-exec={sys.executable} ") and flag.endswith("'/tmp/dir with space/exec.json'")
    assert merge_goflags(" -mod=mod ", ["-race"]) == "-mod=mod -race"


# -- logs -------------------------------------------------------------------------------------

def write_process(tmp_path: Path, output: str, returncode: int, *, test: bool = True) -> logs.ProcessLog:
    directory = tmp_path / "cbuf.test-1"
    directory.mkdir()
    (directory / "output.log").write_text(output)
    (directory / "meta.json").write_text(json.dumps({"test": test, "returncode": returncode, "cwd": "/m/cbuf",
                                                      "start": 1.0}))
    (directory / "asan.123").write_text("==123==ERROR: AddressSanitizer: attempting double-free\n")
    (processes,) = logs.wrapped_processes(tmp_path)
    return processes


def test_crashed_test_is_the_last_one_started(tmp_path: Path) -> None:
    output = tmp_path / "out.log"
    output.write_text("=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\n=== RUN   TestB/sub\nSIGABRT: abort\n")
    assert crashed_test(output) == "TestB"
    output.write_text("\x16=== RUN   TestA\n\x16--- PASS: TestA (0.00s)\n\x16=== RUN   TestB\npanic: x\n")
    assert crashed_test(output) == "TestB"  # go test -json framing


def test_a_leak_report_after_pass_is_not_a_crash(tmp_path: Path) -> None:
    output = tmp_path / "out.log"
    output.write_text("=== RUN   TestA\n--- PASS: TestA (0.00s)\nPASS\n==1==ERROR: LeakSanitizer\n")
    assert crashed_test(output) is None


def test_reruns_skip_the_crashed_tests_and_keep_the_users_skip() -> None:
    args = ["-test.paniconexit0", "-test.timeout=10m0s"]
    assert _with_skip(args, []) == args
    assert _with_skip(args, ["TestA", "TestB"]) == ["-test.skip=^(TestA|TestB)$", *args]
    assert _with_skip(["-test.skip=Slow", "-test.v=true"], ["TestA"]) == ["-test.skip=Slow|^(TestA)$", "-test.v=true"]


def test_analysis_input_puts_the_abort_dump_right_after_the_sanitizer_report(tmp_path: Path) -> None:
    dump = "SIGABRT: abort\nPC=0x1 m=0\n\ngoroutine 1 [running]:\nruntime: g 1: unknown pc\nfatal error: unsafe.Slice\n"
    log = write_process(tmp_path, "=== RUN   TestA\nworking\n" + dump, 2)
    assert log.sanitizer_logs == [log.directory / "asan.123"] and log.returncode == 2
    text = logs.write_analysis_input(log, tmp_path / "combined.log").read_text()
    assert text.startswith("==123==ERROR: AddressSanitizer")
    report_end = text.index("SIGABRT: abort")
    assert text[report_end:].startswith(dump) and text.rstrip().endswith("=== RUN   TestA\nworking")


def test_analysis_input_of_a_process_without_sanitizer_logs_is_its_output(tmp_path: Path) -> None:
    log = write_process(tmp_path, "=== RUN   TestA\nSIGABRT: abort\nPC=0x1 m=0\n", 2)
    for path in log.sanitizer_logs:
        path.unlink()
    log.sanitizer_logs = []
    text = logs.write_analysis_input(log, tmp_path / "combined.log").read_text()
    assert text == "=== RUN   TestA\nSIGABRT: abort\nPC=0x1 m=0\n"


def test_gotraceback_crash_thread_dumps_are_dropped() -> None:
    lines = [b"fatal error: x\n", b"-----\n", b"\n", b"SIGQUIT: quit\n", b"PC=0x1 m=2\n"]
    assert list(logs.drop_thread_dumps(iter(lines))) == [b"fatal error: x\n"]
    other = [b"a\n", b"-----\n", b"b\n"]
    assert list(logs.drop_thread_dumps(iter(other))) == other


# -- attribution and merging ------------------------------------------------------------------

SOURCE = """package p

func Bytes() []byte {
	p := alloc()
	defer free(p)
	free(p)
	return nil
}

func Other() {
	work()
}
"""


def finding(category: str, line: int, *, detector: str = "asan", path: str = "p/p.go", **extra: object) -> Finding:
    return Finding(rule=f"RT-{detector.upper()}", category=category, message=f"{category} report", path=path,
                   line=line, source="runtime", extra={"detector": detector, **extra})


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A module in the current directory, as reports show paths relative to it."""
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "p.go").write_text(SOURCE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_enclosing_function(module: Path) -> None:
    assert enclosing_function_line("p/p.go", 6) == 3
    assert enclosing_function_line(str(module / "p/p.go"), 11) == 10
    assert enclosing_function_line("p/p.go", 1) == 0
    assert enclosing_function_line("p/missing.go", 5) == 0


def test_induced_abort_gives_an_unplaced_report_its_go_line(module: Path) -> None:
    report = finding("double-free", 0, path="/tmp/log.txt")
    abort = finding("crash", 5, detector="go-signal", signal="SIGABRT")
    (merged,) = fold_induced_abort([report, abort], module)
    assert merged is report and (report.path, report.line) == ("p/p.go", 5)


def test_induced_abort_at_another_line_becomes_related(module: Path) -> None:
    report = finding("double-free", 6)
    abort = finding("double-free", 5, detector="go-signal", signal="SIGABRT")
    (merged,) = fold_induced_abort([report, abort], module)
    assert merged.line == 6 and [(r.line, r.message) for r in merged.related] == [
        (5, "Go stack at the sanitizer's abort")]


def test_same_bug_from_several_checks_is_one_finding(module: Path) -> None:
    results = [
        CheckResult("asan", "found bugs", findings=[finding("double-free", 6), finding("use-after-free", 11)]),
        CheckResult("cgocheck", "found bugs", findings=[finding("double-free", 5, detector="go-signal")]),
        CheckResult("race", "found bugs", findings=[finding("crash", 5, detector="go-signal")]),
    ]
    merged = sorted(merge_findings(results), key=lambda f: f.line)
    assert [(f.category, f.line, f.extra["checks"]) for f in merged] == [
        ("double-free", 6, ["asan", "cgocheck", "race"]), ("use-after-free", 11, ["asan"])]
    assert merged[0].message.endswith("(found by asan, cgocheck, race)")
    assert [r.line for r in merged[0].related] == [5]


def test_one_checks_distinct_lines_stay_distinct(module: Path) -> None:
    results = [CheckResult("asan", "found bugs", findings=[finding("double-free", 5), finding("double-free", 6)])]
    assert sorted(f.line for f in merge_findings(results)) == [5, 6]


def test_an_exports_result_seen_by_cgocheck_and_cgocheck2_is_one_bug(module: Path) -> None:
    result_check = finding("go-pointer-returned-to-c", 6, detector="cgocheck", export_function="goLabel")
    store = finding("go-pointer-stored-in-c-memory", 11, detector="cgocheck2")
    store.frames = [Frame("runtime.cgoCheckPtrWrite"), Frame("_cgoexp_4d36dcbee811_goLabel"),
                    Frame("runtime.cgocallbackg1"), Frame("p.Label", "p/p.go", 11)]
    user_store = finding("go-pointer-stored-in-c-memory", 5, detector="cgocheck2")
    user_store.frames = [Frame("runtime.cgoCheckPtrWrite"), Frame("p.Bytes", "p/p.go", 5),
                         Frame("_cgoexp_4d36dcbee811_goLabel")]
    results = [CheckResult("cgocheck", "found bugs", findings=[result_check]),
               CheckResult("cgocheck2", "found bugs", findings=[store, user_store])]
    merged = sorted(merge_findings(results), key=lambda f: f.line)
    assert [(f.category, f.line, f.extra["checks"]) for f in merged] == [
        ("go-pointer-stored-in-c-memory", 5, ["cgocheck2"]),
        ("go-pointer-returned-to-c", 6, ["cgocheck", "cgocheck2"])]


def test_shared_execution_splits_leaks_from_other_findings() -> None:
    from cgoguard.runner.checks import Setup
    from cgoguard.runner.session import Execution

    execution = Execution(Setup("asan+leak", ("asan", "leak")), "found bugs", 3.0,
                          [finding("c-leak", 5, detector="lsan"), finding("double-free", 6)])
    asan, leak = split_by_check(execution)
    assert [f.category for f in asan.findings] == ["double-free"] and asan.shared_with == "leak"
    assert [f.category for f in leak.findings] == ["c-leak"] and leak.status == "found bugs"


def test_cli_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cgoguard.cli import main

    assert main(["run", "--check", "bogus", "-C", str(tmp_path)]) == 2
    assert "unknown check 'bogus'" in capsys.readouterr().err
    assert main(["run", "-C", str(tmp_path / "missing")]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert main(["run", "--jobs", "0"]) == 2
