"""Real reports from real cgo programs: category, primary Go line and signature.

Each program is built once per session (``go build -asan``, default cgocheck,
``GOEXPERIMENT=cgocheck2``, ``-race``) and run once; the tests share the outputs.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from cgoguard.cli import main as cgoguard_main
from cgoguard.findings import Confidence, Finding
from cgoguard.reports import analyze_text

pytestmark = pytest.mark.go


def only_finding(run) -> Finding:
    result = analyze_text(run.output, source_roots=[run.source_dir])
    assert not result.errors
    assert len(result.findings) == 1, [f.to_dict() for f in result.findings]
    return result.findings[0]


def test_use_after_free_points_at_the_use_and_explains_the_chain(run_program) -> None:
    run = run_program("uaf")
    finding = only_finding(run)
    assert finding.category == "use-after-free"
    assert finding.rule == "RT-ASAN"
    assert finding.path.endswith("uaf/main.go")
    assert finding.line == run.line_of("C.item_len(")
    assert finding.confidence is Confidence.HIGH
    assert finding.signature == "use-after-free:item_len"
    chain = {r.message: r.line for r in finding.related}
    assert chain["allocated here (C.item_new)"] == run.line_of("C.item_new(")
    assert chain['pointer stored in map entry cache["a"]'] == run.line_of('cache["a"] = it')
    assert chain["freed here (C.item_free)"] == run.line_of("C.item_free(")
    kinds = [f.kind for f in finding.frames]
    assert kinds[:2] == ["c", "cgo-glue"] and kinds[-1] == "go"


def test_double_free_points_at_the_second_free(run_program) -> None:
    run = run_program("doublefree")
    finding = only_finding(run)
    assert finding.category == "double-free"
    assert finding.line == run.line_of("\tC.free(b.data)")
    assert finding.signature == "double-free:C.free > go:main.main"
    assert finding.confidence is Confidence.MEDIUM
    messages = {r.message: r.line for r in finding.related}
    assert messages["first freed here (C.free)"] == run.line_of("func (b *buffer) Close()")
    assert messages["allocated here (C.malloc)"] == run.line_of("C.malloc(32)")
    assert messages["pointer stored in struct field buffer.data"] == run.line_of("C.malloc(32)")


def test_leak_points_at_the_allocation(run_program) -> None:
    run = run_program("leak")
    finding = only_finding(run)
    assert finding.category == "c-leak"
    assert finding.rule == "RT-LSAN"
    assert finding.line == run.line_of("C.dup_name(cs)")
    assert finding.signature == "c-leak:dup_name"


def test_cgocheck_argument_panic_points_at_the_c_call(run_program) -> None:
    run = run_program("ptrptr")
    finding = only_finding(run)
    assert finding.category == "go-pointer-to-go-pointer"
    assert finding.rule == "RT-CGOCHECK"
    assert finding.line == run.line_of("C.consume(")
    assert finding.signature == "go-pointer-to-go-pointer:main.main.func1 > main.main"


def test_cgocheck_result_panic_points_at_the_return_of_the_export(run_program) -> None:
    run = run_program("result")
    finding = only_finding(run)
    assert finding.category == "go-pointer-returned-to-c"
    assert finding.line == run.line_of("return counter")
    assert finding.confidence is Confidence.HIGH
    assert finding.signature == "go-pointer-returned-to-c:main.main"


def test_cgocheck2_store_points_at_the_store(run_program) -> None:
    run = run_program("store")
    finding = only_finding(run)
    assert finding.category == "go-pointer-stored-in-c-memory"
    assert finding.rule == "RT-CGOCHECK2"
    assert finding.line == run.line_of("h.user = unsafe.Pointer(cfg)")
    assert finding.signature == "go-pointer-stored-in-c-memory:main.attach > main.main"


def test_race_points_at_the_racy_access(run_program) -> None:
    run = run_program("race")
    finding = only_finding(run)
    assert finding.category == "data-race"
    assert finding.line == run.line_of("total += ")
    assert finding.signature == "data-race:main.add > main.main | main.add > main.main.func1"
    assert {r.message for r in finding.related} >= {"goroutine created here"}


def test_duplicates_collapse_into_one_counted_finding(run_program) -> None:
    run = run_program("uaf")
    log = ("unrelated output\n" + run.output) * 3
    result = analyze_text(log, source_roots=[run.source_dir])
    assert [f.count for f in result.findings] == [3]
    assert result.reports_parsed == 3


def test_static_finding_is_confirmed_at_runtime(run_program) -> None:
    run = run_program("uaf")
    static = Finding(rule="CG-UAF", category="use-after-free", message="use after C.item_free",
                     path="placeholder", line=run.line_of("C.item_len("))
    first = only_finding(run)
    static.path = first.path
    result = analyze_text(run.output, source_roots=[run.source_dir], static_findings=[static])
    assert static.extra["confirmed_at_runtime"] is True
    assert result.findings[0].extra["confirms"]


def test_cli_reads_a_directory_and_writes_json(run_program, tmp_path, capsys) -> None:
    for name in ("ptrptr", "store"):
        (tmp_path / f"{name}.log").write_text(run_program(name).output)
    out = tmp_path / "out.json"
    code = cgoguard_main(["report", str(tmp_path), "--format", "json", "--output", str(out),
                          "--source", str(run_program("ptrptr").source_dir.parent)])
    document = json.loads(out.read_text())
    assert code == 1
    assert sorted(f["category"] for f in document["findings"]) == [
        "go-pointer-stored-in-c-memory", "go-pointer-to-go-pointer"]
    assert all(f["source"] == "runtime" and f["frames"] for f in document["findings"])


def test_symbolizes_raw_offsets_with_the_binary(run_program) -> None:
    run = run_program("store")
    # The same cgocheck2 report with frames reduced to raw pc values, as a stripped log shows them.
    pcs = [line.split("pc=")[1] for line in run.output.splitlines() if "main.go" in line and "pc=" in line]
    assert pcs
    log = ("fatal error: unpinned Go pointer stored into non-Go memory\n\ngoroutine 1 [running]:\n"
           + "".join(f"non-Go function at pc={pc}\n" for pc in pcs))
    result = analyze_text(log, source_roots=[run.source_dir], binary=run.binary)
    finding = result.findings[0]
    assert any(f.function == "main.main" and f.path.endswith("main.go") for f in finding.frames)


def test_goroutine_dump_keeps_only_the_crashing_goroutine(run_program) -> None:
    finding = only_finding(run_program("store"))  # GOTRACEBACK=system-style `gp= m= mp=` headers
    assert finding.extra["goroutines"] > 1
    assert all("gcenable" not in f.function for f in finding.frames)


@pytest.mark.parametrize("fmt", ["sarif", "html"])
def test_cli_rich_formats(run_program, tmp_path, fmt: str) -> None:
    pytest.importorskip(f"cgoguard.output.{fmt}")
    run = run_program("uaf")
    log = tmp_path / "uaf.log"
    log.write_text(run.output)
    out = tmp_path / f"out.{fmt}"
    assert cgoguard_main(["report", str(log), "--format", fmt, "--output", str(out),
                          "--source", str(run.source_dir)]) == 1
    text = out.read_text()
    if fmt == "sarif":
        (result,) = json.loads(text)["runs"][0]["results"]
        assert result["codeFlows"]
    else:
        assert "use-after-free" in text


def test_abort_on_error_go_stack_gives_the_exact_go_line(run_program) -> None:
    run = run_program("doublefree")
    aborted = subprocess.run([str(run.binary)], capture_output=True, text=True, timeout=120,
                             env={**os.environ, "ASAN_OPTIONS": "abort_on_error=1"})
    assert "signal arrived during cgo execution" in aborted.stderr
    result = analyze_text(aborted.stderr, source_roots=[run.source_dir])
    (finding,) = result.findings  # the SIGABRT dump is folded into the ASan finding
    assert finding.category == "double-free"
    assert finding.line == run.line_of("\tC.free(b.data)")
    assert finding.confidence is Confidence.HIGH
    assert finding.frames[-1].kind == "go" and finding.frames[-1].path.endswith("doublefree/main.go")
    assert finding.signature == only_finding(run).signature  # same bucket as without abort_on_error


def test_with_scan_marks_static_findings_confirmed(run_program, tmp_path) -> None:
    pytest.importorskip("cgoguard.scan.engine")
    run = run_program("uaf")
    log = tmp_path / "uaf.log"
    log.write_text(run.output)
    out = tmp_path / "out.json"
    cgoguard_main(["report", str(log), "--with-scan", "--format", "json", "--output", str(out),
                   "--source", str(run.source_dir)])
    findings = json.loads(out.read_text())["findings"]
    confirmed = [f for f in findings if f["source"] == "static"]
    assert confirmed and all(f["extra"]["confirmed_at_runtime"] for f in confirmed)
    (runtime,) = [f for f in findings if f["source"] == "runtime"]
    assert runtime["extra"]["confirms"]


def test_go_side_asan_report_points_at_the_go_access(run_program) -> None:
    run = run_program("gooverflow")
    finding = only_finding(run)
    assert finding.category == "unsafe-pointer-misuse"
    assert finding.extra["kind"] == "use-after-poison"
    assert finding.line == run.line_of("*(*int8)(p) = 10")
    assert finding.signature == "unsafe-pointer-misuse:main.bar > main.main"


def test_pinner_leak_points_at_the_pin_without_unpin(run_program) -> None:
    run = run_program("pinleak")
    finding = only_finding(run)
    assert finding.category == "pinner-leak"
    assert finding.line == run.line_of("pinner.Pin(b)")
    assert finding.confidence is Confidence.MEDIUM
    assert finding.signature == "pinner-leak:go:main.register"


def test_invalid_handle_points_at_the_stale_use(run_program) -> None:
    run = run_program("handle")
    finding = only_finding(run)
    assert (finding.rule, finding.category) == ("RT-GO-HANDLE", "crash")
    assert finding.line == run.line_of("kept.Value()")
    assert finding.signature == "crash:main.main"


def test_go_read_of_freed_c_memory_has_go_frames_and_the_chain(run_program) -> None:
    run = run_program("gouaf")
    finding = only_finding(run)
    assert finding.category == "use-after-free"
    assert finding.line == run.line_of("fmt.Println(it.len)")
    assert finding.confidence is Confidence.HIGH
    assert finding.signature == "use-after-free:main.main"
    assert {(r.message, r.line) for r in finding.related} == {
        ("allocated here (C.malloc)", run.line_of("C.malloc(")), ("freed here (C.free)", run.line_of("C.free("))}


def test_c_thread_race_points_at_the_preamble_line(run_program) -> None:
    run = run_program("ctsan")
    finding = only_finding(run)
    assert (finding.rule, finding.category) == ("RT-TSAN", "data-race")
    assert finding.line == run.line_of("counter++")
    assert finding.confidence is Confidence.HIGH
    assert finding.signature == "data-race:bump | bump"
    assert [r.line for r in finding.related] == [run.line_of("C.race_twice()")]


OLD_RESULT_MESSAGES = ("cgo result has Go pointer",  # Go 1.6 .. 1.20
                       "cgo result is unpinned Go pointer or points to unpinned Go pointer")  # Go 1.21 .. 1.25


@pytest.mark.parametrize("message", OLD_RESULT_MESSAGES)
def test_old_style_result_panic_points_at_the_return_through_the_c_caller(run_program, message: str) -> None:
    """Before Go 1.26 the panic names only the Go caller of the C function (the stack is the
    same): the C function it called leads, in the sources, to the exported function."""
    run = run_program("result")
    first = run.output.splitlines()[0]
    assert first.startswith("panic: runtime error: ") and "result of Go function getCounter" in first
    old = run.output.replace(first, f"panic: runtime error: {message}", 1)
    result = analyze_text(old, source_roots=[run.source_dir])
    (finding,) = result.findings
    assert finding.category == "go-pointer-returned-to-c"
    assert finding.line == run.line_of("return counter")
    assert finding.confidence is Confidence.MEDIUM
    related = {r.message: (Path(r.path).name, r.line) for r in finding.related}
    assert related["C function call_get_counter calls getCounter"][0] == "call.c"
    assert related["the Go call of C.call_get_counter"] == ("main.go", run.line_of("C.call_get_counter()"))
    assert finding.signature == only_finding(run).signature  # one bucket whatever the Go version


def test_result_panic_of_a_real_old_go(run_program, tmp_path) -> None:
    """The same with a Go 1.21..1.25 toolchain, when one is in the module cache (never downloaded)."""
    import glob
    import shutil

    cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, timeout=60).stdout.strip()
    toolchains = sorted(glob.glob(f"{cache}/golang.org/toolchain@v0.0.1-go1.2[1-5].*.linux-amd64/bin/go"))
    if not toolchains:
        pytest.skip("no Go 1.21..1.25 toolchain in the module cache")
    run = run_program("result")
    work = tmp_path / "result"
    shutil.copytree(run.source_dir, work)
    (work / "go.mod").write_text("module example.com/result\n\ngo 1.21\n")
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
    subprocess.run([toolchains[-1], "build", "-o", str(tmp_path / "old"), "."], cwd=work, env=env, check=True,
                   capture_output=True, timeout=600)
    output = subprocess.run([str(tmp_path / "old")], capture_output=True, text=True, timeout=60).stderr
    assert "cgo result is unpinned Go pointer" in output
    (finding,) = analyze_text(output, source_roots=[work]).findings
    assert (Path(finding.path).name, finding.line) == ("main.go", run.line_of("return counter"))


def test_go_read_through_a_view_of_freed_c_memory_is_found_in_the_sources(run_program) -> None:
    """ASan's stack is runtime.slicecopy alone; the allocation stack and the sources give the read."""
    run = run_program("viewuaf")
    assert "in runtime.slicecopy" in run.output
    finding = only_finding(run)
    assert finding.category == "use-after-free"
    assert finding.line == run.line_of("b.WriteString(name)")
    assert finding.confidence is Confidence.MEDIUM
    assert {r.message: r.line for r in finding.related} == {
        "allocated here (C.make_name)": run.line_of("C.make_name()"),
        "name made a view of the C memory": run.line_of("name := view(p)"),
        "freed here (C.free)": run.line_of("C.free(unsafe.Pointer(p))")}
    assert finding.frames[-1].kind == "go" and finding.frames[-1].function == "main.greeting"


def test_view_read_with_the_runtime_abort_dump_names_the_function(run_program) -> None:
    """With abort_on_error=1 the runtime's garbled dump marks the Go callers in a hexdump: it is
    folded into the ASan report (no second finding) and confirms the function."""
    run = run_program("viewuaf")
    aborted = subprocess.run([str(run.binary)], capture_output=True, text=True, timeout=120,
                             env={**os.environ, "ASAN_OPTIONS": "abort_on_error=1"})
    assert "SIGABRT" in aborted.stderr
    result = analyze_text(aborted.stderr, source_roots=[run.source_dir])
    (finding,) = result.findings
    assert finding.line == run.line_of("b.WriteString(name)")
    if "<main.greeting+" in aborted.stderr:
        assert finding.confidence is Confidence.HIGH
