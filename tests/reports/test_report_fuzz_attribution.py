"""Property tests for the attribution inputs: maps files, fault addresses, cgo package
discovery, view recovery and the abort-dump and go test -json lines never make report raise."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cgoguard.findings import InputError
from cgoguard.gofront.cgoprefix import find_cgo_packages, package_for_symbol
from cgoguard.reports import analyze_text
from cgoguard.reports.faultaddr import classify, load_maps
from cgoguard.reports.identity import identify_stack

FRAGMENTS = [
    "==1==ERROR: AddressSanitizer: SEGV on unknown address 0x000000000000 (pc 0x1 bp 0x2 sp 0x3 T0)",
    "==1==Hint: this fault was caused by a dereference of a high value address (see register values below).",
    "==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000030 at pc 0x1 bp 0x0 sp 0x2",
    "    #0 0x4634b2 in runtime.slicecopy /usr/local/go/src/runtime/slice.go:418",
    "    #1 0x538438 in _cgo_b3b30d7cd585_Cfunc_make_name /tmp/go-build/cgo-gcc-prolog:65",
    "previously allocated by thread T0 here:", "freed by thread T0 here:", "==1==ABORTING",
    "SIGABRT: abort", "PC=0x7f2be60a8eec m=0 sigcode=18446744073709551610",
    "goroutine 1 gp=0x10c000008288 m=0 mp=0x6653a0 [running]:", "runtime: g 1 gp=0x10c000008288: unknown pc 0x1",
    "stack: frame={sp:0x7fff789d7060, fp:0x0} stack=[0x10c00004c000,0x10c00004d000)",
    "                   7 6 5 4  3 2 1 0   f e d c  b a 9 8  0123456789abcdef",
    "000010c00004cd50:                    00000000 0047d29c          ..G.....",
    "                                     ^ <main.main+0x1cc>", "^ <runtime.slicecopy+0x53>", "^ <",
    "fatal error: unsafe.Slice: len out of range", "panic during panic",
    "[signal SIGSEGV: segmentation violation code=0x80 addr=0x0 pc=0x5da137]",
    "[signal SIGSEGV: segmentation violation code=zz addr=0xffffffffffffffe4 pc=0x1]",
    "PC=0x4a2782 m=0 sigcode=1 addr=0x18", "panic: runtime error: cgo result has Go pointer",
    "main._Cfunc_call_get_counter()", "\t_cgo_gotypes.go:41 +0x48", "main._cgoexpwrap_0123456789ab_F()",
    '{"Time":"2024-01-01T00:00:00Z","Action":"output","Output":"SIGSEGV: segmentation violation\\n"}',
    '{"Action":"output","Output":12}', '{"Action":', "",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=60)), max_size=50))
def test_random_attribution_fragments_never_raise(chunks: list[str]) -> None:
    for finding in analyze_text("\n".join(chunks)).findings:
        json.dumps(finding.to_dict())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=2000))
def test_maps_files_never_raise(tmp_path: Path, text: str) -> None:
    path = tmp_path / "maps"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    errors: list[InputError] = []
    snapshot = load_maps(path, errors)
    assert (snapshot is None) == bool(errors)
    if snapshot is not None:
        classify(0x7F00_0000_1000, snapshot)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**64 - 1), st.sampled_from(["", "READ", "WRITE"]), st.one_of(st.none(), st.integers(-5, 300)))
def test_every_address_is_classified(address: int, access: str, code: int | None) -> None:
    fault = classify(address, access=access, code=code)
    assert fault.kind and fault.description and fault.short.startswith(f"fault address {address:#x}")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=600), st.binary(max_size=200))
def test_cgo_package_discovery_never_raises(tmp_path: Path, go_source: bytes, go_mod: bytes) -> None:
    (tmp_path / "a.go").write_bytes(b'package a\n\n// #include <x.h>\nimport "C"\n' + go_source)
    (tmp_path / "b.go").write_bytes(go_source)
    (tmp_path / "go.mod").write_bytes(go_mod)
    packages = find_cgo_packages([tmp_path])
    for package in packages:
        for digest in package.hashes:
            assert package_for_symbol(f"_cgo_{digest}_Cfunc_f", packages) is not None
    identify_stack([], packages)


VIEWUAF = (Path(__file__).parent / "programs" / "viewuaf" / "main.go").read_bytes()
VIEW_REPORT = """==9==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000030 at pc 0x1 bp 0x0 sp 0x2
READ of size 12 at 0x602000000030 thread T0
    #0 0x4634b2 in runtime.slicecopy /usr/local/go/src/runtime/slice.go:418
freed by thread T0 here:
    #0 0x7f37f8eb76a8 in __interceptor_free ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:52
    #1 0x4840c3 in runtime.asmcgocall /usr/local/go/src/runtime/asm_amd64.s:995
previously allocated by thread T0 here:
    #0 0x7f37f8eb89cf in __interceptor_malloc ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69
    #1 0x538438 in make_name /build/main.go:8
    #2 0x538438 in _cgo_b3b30d7cd585_Cfunc_make_name /tmp/go-build/cgo-gcc-prolog:65
SUMMARY: AddressSanitizer: heap-use-after-free /usr/local/go/src/runtime/slice.go:418 in runtime.slicecopy
"""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, len(VIEWUAF) - 1), st.binary(max_size=8)), max_size=12))
def test_broken_sources_never_break_the_view_recovery(tmp_path: Path, edits: list[tuple[int, bytes]]) -> None:
    source = bytearray(VIEWUAF)
    for position, replacement in edits:
        source[position:position + len(replacement)] = replacement
    (tmp_path / "main.go").write_bytes(bytes(source))
    (finding,) = analyze_text(VIEW_REPORT, source_roots=[tmp_path]).findings
    assert finding.category == "use-after-free"
