"""Report wordings across Go versions, log noise, interleaving and truncation."""

from __future__ import annotations

import pytest

from cgoguard.reports import analyze_text
from cgoguard.reports.lines import MAX_LINE_BYTES, clean_line

GO_STACK = """
goroutine 1 [running]:
main.send.func1(0xc000012345)
\t/home/u/app/send.go:21 +0x48
main.send(...)
\t/home/u/app/send.go:21
main.main()
\t/home/u/app/main.go:9 +0x13
exit status 2
"""


@pytest.mark.parametrize(("header", "category"), [
    # cgocheck=1 argument checks: Go 1.6-1.20, 1.21-1.25, 1.26+ (one line per <kind>).
    ("panic: runtime error: cgo argument has Go pointer to Go pointer", "go-pointer-to-go-pointer"),
    ("panic: runtime error: cgo argument has Go pointer to unpinned Go pointer", "go-pointer-to-go-pointer"),
    *[(f"panic: runtime error: argument of cgo function has Go pointer to unpinned Go {kind}",
       "go-pointer-to-go-pointer")
      for kind in ("channel", "function", "interface", "map", "pointer", "slice", "string", "struct",
                   "unsafe pointer")],
    # Result checks.
    ("panic: runtime error: cgo result has Go pointer", "go-pointer-returned-to-c"),
    ("panic: runtime error: cgo result is unpinned Go pointer or points to unpinned Go pointer",
     "go-pointer-returned-to-c"),
    ("panic: runtime error: /home/u/app/export.go:31: result of Go function getBuf called from cgo is "
     "unpinned Go slice or points to unpinned Go slice", "go-pointer-returned-to-c"),
    # cgocheck2 (GODEBUG=cgocheck=2 up to 1.20, GOEXPERIMENT=cgocheck2 since 1.21).
    ("write of Go pointer 0xc0000b2330 to non-Go memory 0x7f0f9772f080\n"
     "fatal error: Go pointer stored into non-Go memory", "go-pointer-stored-in-c-memory"),
    ("write of unpinned Go pointer 0xc0000b2330 to non-Go memory 0x7f0f9772f080\n"
     "fatal error: unpinned Go pointer stored into non-Go memory", "go-pointer-stored-in-c-memory"),
    ("fatal error: unpinned Go pointer stored into non-Go memory", "go-pointer-stored-in-c-memory"),
    ("panic: runtime error: runtime.Pinner: found leaking pinned pointer; forgot to unpin?", "pinner-leak"),
    ("fatal error: concurrent map writes", "concurrent-map-write"),
    ("fatal error: concurrent map read and map write", "concurrent-map-write"),
    ("panic: runtime/cgo: misuse of an invalid Handle", "crash"),
    ("panic: runtime error: invalid memory address or nil pointer dereference\n"
     "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x5da137]", "segv"),
    ("fatal error: unexpected signal during runtime execution\n"
     "[signal SIGSEGV: segmentation violation code=0x1 addr=0x20 pc=0x7f2cc6e3b5c6]", "segv"),
])
def test_go_message_wordings(header: str, category: str) -> None:
    result = analyze_text(header + "\n" + GO_STACK)
    assert [f.category for f in result.findings] == [category]
    finding = result.findings[0]
    if category == "go-pointer-returned-to-c" and "export.go" in header:
        assert (finding.path, finding.line) == ("/home/u/app/export.go", 31)
    else:
        assert (finding.path, finding.line) == ("/home/u/app/send.go", 21)


CHECKPTR_STACK = """
goroutine 1 gp=0x3444854161e0 m=0 mp=0x594380 [running]:
runtime.throw({0x4d3a47?, 0x8?})
\t/usr/local/go/src/runtime/panic.go:1229 +0x48 fp=0xc000095e20 sp=0xc000095df0 pc=0x47a1a8
runtime.checkptrArithmetic(0x7f3cf38d7108?, {0xc000095f28, 0x1, 0x101013cf38d7108?})
\t/usr/local/go/src/runtime/checkptr.go:69 +0x9c fp=0xc000095e80 sp=0xc000095e50 pc=0x415a5c
main.neighbour(...)
\t/home/u/app/bounds.go:22
main.main()
\t/home/u/app/main.go:43 +0x10f fp=0xc000095f48 sp=0xc000095eb8 pc=0x4a47cf
"""


@pytest.mark.parametrize("header", [
    "fatal error: checkptr: pointer arithmetic result points to invalid allocation",
    "fatal error: checkptr: pointer arithmetic computed bad pointer value",
    "fatal error: checkptr: converted pointer straddles multiple allocations",
    "fatal error: checkptr: misaligned pointer conversion",
    "panic: runtime error: checkptr: unsafe pointer conversion",  # Go 1.14
    "panic: runtime error: checkptr: unsafe pointer arithmetic",  # Go 1.14
])
def test_checkptr_wordings_point_at_the_go_line(header: str) -> None:
    result = analyze_text(header + "\n" + CHECKPTR_STACK)
    assert [(f.rule, f.category, f.path, f.line) for f in result.findings] == [
        ("RT-CHECKPTR", "unsafe-pointer-misuse", "/home/u/app/bounds.go", 22)]
    assert "checkptr: " in result.findings[0].message


def test_invalid_pointer_on_stack_is_an_unsafe_pointer_misuse() -> None:
    result = analyze_text("runtime: bad pointer in frame main.main at 0xc000095ee8: 0x1\n"
                          "fatal error: invalid pointer found on stack\n" + GO_STACK)
    assert [(f.rule, f.category) for f in result.findings] == [("RT-GO-FATAL", "unsafe-pointer-misuse")]


def test_glibc_abort_message_classifies_sigabrt() -> None:
    log = ("free(): double free detected in tcache 2\nSIGABRT: abort\nPC=0x7f0499a5be2c m=0 sigcode=18446744073709551610\n"
           "signal arrived during cgo execution\n\ngoroutine 1 gp=0xc000002380 m=0 mp=0x53b480 [syscall]:\n"
           "runtime.cgocall(0x4a1b20, 0xc000070f38)\n\t/usr/local/go/src/runtime/cgocall.go:167 +0x4b fp=0x1 sp=0x2 pc=0x3\n"
           "main._Cfunc_release(0x1e8f2a0)\n\t_cgo_gotypes.go:61 +0x3f fp=0x1 sp=0x2 pc=0x3\n"
           "main.main()\n\t/home/u/app/main.go:20 +0x2c fp=0x1 sp=0x2 pc=0x3\n"
           "rax    0x0\nrbx    0x7f\nrip    0x7f0499a5be2c\n")
    (finding,) = analyze_text(log).findings
    assert finding.category == "double-free"
    assert finding.extra["in_cgo"] is True
    assert (finding.path, finding.line) == ("/home/u/app/main.go", 20)


def test_gotraceback_crash_sigabrt_echo_is_not_a_second_finding() -> None:
    log = ("fatal error: concurrent map writes\n" + GO_STACK.replace("exit status 2\n", "")
           + "SIGABRT: abort\nPC=0x46e1c1 m=0 sigcode=18446744073709551610\n\ngoroutine 0 gp=0x1 m=0 mp=0x2 [idle]:\n"
           "runtime.raise()\n\t/usr/local/go/src/runtime/sys_linux_amd64.s:154 +0x21\n")
    assert [f.category for f in analyze_text(log).findings] == ["concurrent-map-write"]


def test_prefixed_coloured_crlf_log() -> None:
    plain = "panic: runtime error: cgo argument has Go pointer to unpinned Go pointer\n" + GO_STACK
    decorated = "".join(f"2024-05-01T10:00:00.123456789Z app-1  | \x1b[31m{line}\x1b[0m\r\n"
                        for line in plain.splitlines())
    (finding,) = analyze_text(decorated).findings
    assert (finding.category, finding.path, finding.line) == ("go-pointer-to-go-pointer", "/home/u/app/send.go", 21)


@pytest.mark.parametrize(("raw", "clean"), [
    ("2024-01-01T12:00:00Z panic: x", "panic: x"),
    ("2024/01/01 12:00:00 fatal error: y", "fatal error: y"),
    ("Feb 26 12:52:23.767 host app[12]: SIGSEGV: segmentation violation", "SIGSEGV: segmentation violation"),
    ("[1234] ==1==ERROR: AddressSanitizer: SEGV", "==1==ERROR: AddressSanitizer: SEGV"),
    ("worker03-1     | goroutine 20 [syscall]:", "goroutine 20 [syscall]:"),
    ("[2026-03-26 10:00:08.612] panic: z", "panic: z"),
    ("\x1b[1;31m    #0 0x1 in f a.c:1\x1b[0m\r\n", "#0 0x1 in f a.c:1"),
    ("main.main()", "main.main()"),
])
def test_clean_line(raw: str, clean: str) -> None:
    assert clean_line(raw) == clean


def test_interleaved_reports_from_two_processes() -> None:
    asan = ("==11==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000038 at pc 0x1 bp 0x2 sp 0x3\n"
            "READ of size 4 at 0x602000000038 thread T0\n    #0 0x5 in item_len /src/a.go:18\n")
    go = "panic: runtime error: cgo argument has Go pointer to Go pointer\n" + GO_STACK
    # A Go panic starts in the middle of the ASan report: both are reported, nothing raises.
    result = analyze_text(asan + go + "SUMMARY: AddressSanitizer: heap-use-after-free /src/a.go:18 in item_len\n")
    assert sorted(f.category for f in result.findings) == ["go-pointer-to-go-pointer", "use-after-free"]
    assert any(f.extra.get("truncated") for f in result.findings)


def test_truncated_reports_do_not_raise() -> None:
    for text in ("==1==ERROR: AddressSanitizer: heap-buffer-overflow on address", "panic: ",
                 "goroutine 1 [running]:\nmain.main(", "WARNING: DATA RACE\nWrite at 0x1 by goroutine 7:\n  main.f(",
                 "<error>\n  <kind>InvalidRead</kind>\n  <what>Invalid read of size 4</what>\n  <stack>\n"
                 "    <frame>\n      <fn>use_it</fn>\n      <file>a.c</file>\n      <line>9</line>\n"):
        analyze_text(text)
    (finding,) = analyze_text("<error>\n  <kind>InvalidRead</kind>\n  <what>Invalid read</what>\n  <stack>\n"
                              "    <frame>\n      <fn>use_it</fn>\n      <file>a.c</file>\n      <line>9</line>\n").findings
    assert (finding.category, finding.signature, finding.extra["truncated"]) == (
        "buffer-overflow", "buffer-overflow:use_it", True)


def test_valgrind_xml_use_after_free() -> None:
    xml = """<error>
  <unique>0x1</unique>
  <tid>1</tid>
  <kind>InvalidRead</kind>
  <what>Invalid read of size 4</what>
  <stack>
    <frame><ip>0x10915E</ip><obj>/p</obj><fn>item_len</fn><dir>/src</dir><file>main.go</file><line>18</line></frame>
    <frame><ip>0x10916E</ip><obj>/p</obj><fn>_cgo_0123456789ab_Cfunc_item_len</fn></frame>
  </stack>
  <auxwhat>Address 0x4a8d048 is 8 bytes inside a block of size 16 free'd</auxwhat>
  <stack>
    <frame><ip>0x483CA3F</ip><obj>/v</obj><fn>free</fn></frame>
  </stack>
</error>
"""
    (finding,) = analyze_text(xml).findings
    assert (finding.category, finding.signature, finding.path, finding.line) == (
        "use-after-free", "use-after-free:item_len", "/src/main.go", 18)


def test_very_long_line_is_cut_not_loaded(tmp_path) -> None:
    from cgoguard.reports import analyze

    log = tmp_path / "long.log"
    with log.open("wb") as out:
        out.write(b"x" * (MAX_LINE_BYTES * 50) + b"\n")
        out.write(b"panic: runtime error: cgo result has Go pointer\n" + GO_STACK.encode())
    assert [f.category for f in analyze([log]).findings] == ["go-pointer-returned-to-c"]


def test_binary_and_missing_inputs_are_errors(tmp_path) -> None:
    from cgoguard.reports import analyze

    binary = tmp_path / "core"
    binary.write_bytes(b"\x7fELF\x00\x00\x01" * 100)
    latin1 = tmp_path / "latin1.log"
    latin1.write_bytes("caf\xe9\n".encode("latin-1") + b"fatal error: concurrent map writes\n" + GO_STACK.encode())
    result = analyze([binary, tmp_path / "missing.log", latin1])
    assert sorted(e.message.split(" (")[0] for e in result.errors) == ["binary file", "no such file or directory"]
    assert [f.category for f in result.findings] == ["concurrent-map-write"]


def test_cli_reads_stdin_and_fails_on_severity(monkeypatch, capsys) -> None:
    import io

    from cgoguard.cli import main

    log = "fatal error: concurrent map writes\n" + GO_STACK
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(log.encode())))
    assert main(["report", "-", "--source", "."]) == 1
    assert "RT-GO-MAP [concurrent-map-write]" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"nothing to see\n")))
    assert main(["report", "-", "--fail-on", "warning"]) == 0


def test_cli_usage_errors(capsys) -> None:
    from cgoguard.cli import main

    assert main(["report", "/nonexistent/x.log"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["report", __file__, "--binary", "/nonexistent/bin"]) == 2
    assert "--binary" in capsys.readouterr().err


def test_cgo_traceback_frames_from_a_symbolizer() -> None:
    # runtime.SetCgoTraceback + a symbolizer (ianlancetaylor/cgosymbolizer) prints C frames
    # as a bare name and "\tfile:line pc=0x..", and unknown ones as "non-Go function at pc=".
    log = ("SIGSEGV: segmentation violation\nPC=0x4a1a0e m=0 sigcode=1 addr=0x0\nsignal arrived during cgo execution\n\n"
           "goroutine 1 gp=0xc000002380 m=0 mp=0x53b480 [syscall]:\n"
           "crash_here\n\t/src/app/main.go:7 pc=0x4a1a0e\nnon-Go function at pc=0x7f12faab76a8\n"
           "runtime.cgocall(0x4a19f0, 0xc000070f38)\n\t/usr/local/go/src/runtime/cgocall.go:167 +0x4b\n"
           "main._Cfunc_crash_here()\n\t_cgo_gotypes.go:61 +0x3f\nmain.main()\n\t/src/app/main.go:15 +0x2c\n"
           "Aborted\n")
    (finding,) = analyze_text(log).findings
    assert finding.category == "segv"
    assert finding.signature == "segv:crash_here > main.main"
    assert (finding.path, finding.line) == ("/src/app/main.go", 15)
    assert finding.frames[0].kind == "c" and finding.frames[1].offset == "0x7f12faab76a8"


def test_stack_variable_frame_is_not_part_of_the_crash_stack() -> None:
    log = """==5==ERROR: AddressSanitizer: stack-buffer-overflow on address 0x7ffd1 at pc 0x1 bp 0x2 sp 0x3
WRITE of size 4 at 0x7ffd1 thread T0
    #0 0x4f in fill /src/app/main.go:9
    #1 0x50 in _cgo_0123456789ab_Cfunc_fill /tmp/go-build/cgo-gcc-prolog:50
Address 0x7ffd1 is located in stack of thread T0 at offset 40 in frame
    #0 0x4e in fill /src/app/main.go:6
  This frame has 1 object(s):
    [32, 40) 'buf' (line 7) <== Memory access at offset 40 overflows this variable
SUMMARY: AddressSanitizer: stack-buffer-overflow /src/app/main.go:9 in fill
"""
    (finding,) = analyze_text(log).findings
    assert (finding.category, finding.signature) == ("buffer-overflow", "buffer-overflow:fill")
    assert [f.line for f in finding.frames] == [9, 50]


def test_tsan_location_block_is_the_allocation() -> None:
    log = """WARNING: ThreadSanitizer: data race (pid=9)
  Write of size 4 at 0x7b0400000010 by thread T2:
    #0 bump /src/app/main.go:8 (prog+0x4b9b0)
    #1 _cgo_82605fb7dc7c_Cfunc_bump /src/app/main.go:96 (prog+0x4ba31)
  Previous read of size 4 at 0x7b0400000010 by main thread:
    #0 peek /src/app/main.go:12 (prog+0x4b9f0)
  Location is heap block of size 4 at 0x7b0400000010 allocated by main thread:
    #0 malloc <null> (libtsan.so.2+0x3fb7d)
    #1 make_counter /src/app/main.go:4 (prog+0x4b900)
SUMMARY: ThreadSanitizer: data race /src/app/main.go:8 in bump
"""
    (finding,) = analyze_text(log).findings
    assert finding.signature == "data-race:bump | peek"
    assert finding.extra["location"].startswith("Location is heap block")


def test_valgrind_definite_leak_maps_to_the_go_allocation() -> None:
    from pathlib import Path

    programs = Path(__file__).parent / "programs"
    log = """==31== 8 bytes in 1 blocks are definitely lost in loss record 1 of 9
==31==    at 0x4848899: malloc (in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so)
==31==    by 0x4A1E6BE: strdup (strdup.c:42)
==31==    by 0x4A1A0E: dup_name (main.go:7)
==31==    by 0x4A1A30: _cgo_edc9d6d07361_Cfunc_dup_name (cgo-gcc-prolog:54)
==31==    by 0x482003: runtime.asmcgocall.abi0 (asm_amd64.s:995)
==31==
"""
    (finding,) = analyze_text(log, source_roots=[programs / "leak"]).findings
    source = (programs / "leak" / "main.go").read_text().splitlines()
    assert (finding.category, finding.rule, finding.signature) == ("c-leak", "RT-VALGRIND", "c-leak:dup_name")  # as LSan buckets it
    assert "C.dup_name(cs)" in source[finding.line - 1]


def test_sigquit_dump_is_parsed_but_not_a_bug() -> None:
    log = "SIGQUIT: quit\nPC=0x46e1c1 m=0 sigcode=0\n" + GO_STACK
    result = analyze_text(log)
    assert result.findings == [] and result.reports_parsed == 1


def test_same_bug_from_different_builds_is_one_bucket(tmp_path) -> None:
    from cgoguard.reports import analyze

    template = """==%d==ERROR: AddressSanitizer: heap-use-after-free on address %s at pc 0x1 bp 0x2 sp 0x3
READ of size 4 at %s thread T0
    #0 0x5385c5 in item_len /tmp/build-%d/main.go:18
    #1 0x5385c5 in _cgo_%s_Cfunc_item_len /tmp/go-build/cgo-gcc-prolog:67
SUMMARY: AddressSanitizer: heap-use-after-free /tmp/build-%d/main.go:18 in item_len
"""
    for run, (address, build_hash) in enumerate([("0x602000000038", "b61d85c710cd"), ("0x6020000000f8", "0a73695ed89a")]):
        (tmp_path / f"run{run}.log").write_text(template % (100 + run, address, address, run, build_hash, run))
    (finding,) = analyze([tmp_path]).findings
    assert (finding.count, finding.signature) == (2, "use-after-free:item_len")
    assert len(finding.extra["occurrences"]) == 2


def test_panic_word_in_application_logs_is_not_a_crash() -> None:
    log = "panic: recovered from handler error, continuing\nserving on :8080\nrequest ok\nrequest ok\n" * 3
    assert analyze_text(log).findings == []


def test_report_right_after_a_stackless_panic_line_is_found() -> None:
    log = ("panic: handler failed\n==3==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020 at pc 0x1 bp 0x2 "
           "sp 0x3\nREAD of size 4 at 0x6020 thread T0\n    #0 0x5 in item_len /src/a.go:18\n"
           "SUMMARY: AddressSanitizer: heap-use-after-free /src/a.go:18 in item_len\n")
    assert [f.category for f in analyze_text(log).findings] == ["use-after-free"]


def test_memory_sanitizer_warning() -> None:
    log = """==42==WARNING: MemorySanitizer: use-of-uninitialized-value
    #0 0x4a in checksum /src/app/main.go:9:7
    #1 0x4b in _cgo_0123456789ab_Cfunc_checksum /tmp/go-build/cgo-gcc-prolog:50
SUMMARY: MemorySanitizer: use-of-uninitialized-value /src/app/main.go:9:7 in checksum
Exiting
"""
    (finding,) = analyze_text(log).findings
    assert (finding.rule, finding.category, finding.signature) == ("RT-MSAN", "crash", "crash:checksum")


def test_library_frames_do_not_land_on_a_local_file_with_the_same_name(tmp_path) -> None:
    (tmp_path / "render.go").write_text("package main\n\nfunc render() {}\n")
    log = ("fatal error: concurrent map writes\n\ngoroutine 9 [running]:\n"
           "github.com/gin-gonic/gin/render.writeContentType({0x1, 0x2})\n"
           "\t/gopath/pkg/mod/github.com/gin-gonic/gin@v1.9.0/render/render.go:39 +0x7f\n")
    (finding,) = analyze_text(log, source_roots=[tmp_path]).findings
    assert finding.path == "/gopath/pkg/mod/github.com/gin-gonic/gin@v1.9.0/render/render.go"


def test_utf16_log_from_powershell(tmp_path) -> None:
    from cgoguard.reports import analyze

    log = tmp_path / "ps.log"
    log.write_bytes(("fatal error: concurrent map writes\r\n" + GO_STACK.replace("\n", "\r\n")).encode("utf-16"))
    result = analyze([log])
    assert not result.errors
    assert [f.category for f in result.findings] == ["concurrent-map-write"]


def test_cli_exit_2_when_no_input_is_readable(tmp_path, capsys) -> None:
    from cgoguard.cli import main

    binary = tmp_path / "core.bin"
    binary.write_bytes(bytes(range(256)) * 64)
    assert main(["report", str(binary)]) == 2
    assert "binary" in capsys.readouterr().out
    plain = tmp_path / "app.log"
    plain.write_text("server started\n")
    assert main(["report", str(plain)]) == 0  # a clean log is not an error
