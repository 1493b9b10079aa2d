"""Property tests: no input makes the report pipeline raise."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cgoguard.reports import analyze, analyze_text
from cgoguard.reports.frames import parse_sanitizer_frame
from cgoguard.reports.lines import clean_line

# Line fragments of every report family, so that random sequences exercise every state.
FRAGMENTS = [
    "=================================================================",
    "==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000038 at pc 0x1 bp 0x2 sp 0x3",
    "==1==ERROR: AddressSanitizer: attempting double-free on 0x603000000160 in thread T0:",
    "==1==ERROR: LeakSanitizer: detected memory leaks",
    "Direct leak of 10 byte(s) in 1 object(s) allocated from:",
    "READ of size 4 at 0x602000000038 thread T0",
    "    #0 0x5385c5 in item_len /src/main.go:18",
    "    #1 0x5385c5 in _cgo_b61d85c710cd_Cfunc_item_len /tmp/go-build/cgo-gcc-prolog:67",
    "    #2 0x5159df  (/tmp/exe/prog+0x5159df) (BuildId: 13a8f7535c789ccc)",
    "freed by thread T0 here:", "previously allocated by thread T0 here:",
    "SUMMARY: AddressSanitizer: heap-use-after-free /src/main.go:18 in item_len", "==1==ABORTING",
    "panic: runtime error: cgo argument has Go pointer to unpinned Go pointer", "[recovered]",
    "fatal error: unpinned Go pointer stored into non-Go memory", "write of unpinned Go pointer 0xc0 to non-Go memory 0x7f",
    "SIGSEGV: segmentation violation", "PC=0x1a1090d0e m=0 sigcode=1 addr=0x20", "signal arrived during cgo execution",
    "goroutine 1 gp=0xc000002380 m=0 mp=0x10f7fb860 [syscall]:", "goroutine 7 [running]:", "runtime stack:",
    "main.main()", "\t/home/u/main.go:9 +0x13 fp=0x1 sp=0x2 pc=0x3", "main._Cfunc_f(0x1, {0x2, 0x3}, ...)",
    "\t_cgo_gotypes.go:48 +0x45", "??:0 +0x3c", "created by main.main in goroutine 1", "rax    0x0",
    "WARNING: DATA RACE", "Write at 0x00c00009c000 by goroutine 7:", "Previous read at 0x1 by main goroutine:",
    "Goroutine 7 (running) created at:", "==================", "Found 1 data race(s)",
    "WARNING: ThreadSanitizer: data race (pid=2282)", "  Write of size 4 at 0x0000006d20b8 by thread T2:",
    "==4879== Invalid read of size 1", "==4879==    at 0x484ED16: strlen (in /usr/lib/vgpreload_memcheck.so)",
    "==4879==  Address 0x4b9bfc0 is 0 bytes inside a block of size 3 free'd", "==4879== ",
    "<error>", "</error>", "<kind>InvalidRead</kind>", "<stack>", "<frame>", "<fn>f</fn>", "<line>3</line>", "",
]
lines = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=80)), max_size=60)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines)
def test_random_report_fragments_never_raise(chunks: list[str]) -> None:
    result = analyze_text("\n".join(chunks))
    for finding in result.findings:
        assert finding.source == "runtime" and finding.count >= 1 and finding.signature
        finding.to_dict()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_line_helpers_never_raise(text: str) -> None:
    clean_line(text)
    parse_sanitizer_frame(clean_line(text))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_never_raise(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "input.log"
    path.write_bytes(data)
    analyze([path])


UAF_PROGRAM = (Path(__file__).parent / "programs" / "uaf" / "main.go").read_bytes()
UAF_REPORT = """==9==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000038 at pc 0x1 bp 0x2 sp 0x3
READ of size 4 at 0x602000000038 thread T0
    #0 0x5385c5 in item_len /build/main.go:18
    #1 0x5385c5 in _cgo_b61d85c710cd_Cfunc_item_len /tmp/go-build/cgo-gcc-prolog:67
freed by thread T0 here:
    #0 0x7f910beb76a8 in __interceptor_free ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:52
    #1 0x484023 in runtime.asmcgocall /usr/local/go/src/runtime/asm_amd64.s:995
previously allocated by thread T0 here:
    #0 0x7f910beb89cf in __interceptor_malloc ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69
    #1 0x538651 in item_new /build/main.go:10
    #2 0x538651 in _cgo_b61d85c710cd_Cfunc_item_new /tmp/go-build/cgo-gcc-prolog:86
SUMMARY: AddressSanitizer: heap-use-after-free /build/main.go:18 in item_len
"""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, len(UAF_PROGRAM) - 1), st.binary(max_size=8)), max_size=12))
def test_broken_go_sources_never_break_the_mapping(tmp_path: Path, edits: list[tuple[int, bytes]]) -> None:
    source = bytearray(UAF_PROGRAM)
    for position, replacement in edits:
        source[position:position + len(replacement)] = replacement
    (tmp_path / "main.go").write_bytes(bytes(source))
    (finding,) = analyze_text(UAF_REPORT, source_roots=[tmp_path]).findings
    assert finding.category == "use-after-free" and finding.line > 0
