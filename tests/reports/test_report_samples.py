"""Every runtime-report sample in ../shared/samples parses into the expected finding.

The samples are read in place (never copied). Expectations: category, rule and signature,
and for Go reports the primary location.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cgoguard.reports import analyze, analyze_text

# sample -> (category, rule, signature, path suffix and line of the primary location or None)
EXPECTED: dict[str, tuple[str, str, str, tuple[str, int] | None]] = {
    "asan_bad_free_not_malloced_clusterfuzz_1.txt": (
        "invalid-free", "RT-ASAN", "invalid-free:_gnutls_buffer_append_printf > print_cert > gnutls_x509_crt_print",
        ("/src/gnutls/lib/str.c", 331)),
    "asan_double_free_clusterfuzz_1.txt": (
        "double-free", "RT-ASAN", "double-free:clear > CPDF_DocPageData::Clear > CPDF_DocPageData::~CPDF_DocPageData",
        None),
    "asan_go_asan_segv_x_cgo_init_1.txt": ("segv", "RT-ASAN", "segv:x_cgo_init", None),
    "asan_heap_buffer_overflow_buildid_2.txt": ("buffer-overflow", "RT-ASAN", "buffer-overflow:main", None),
    "asan_heap_use_after_free_cgo_1.txt": ("use-after-free", "RT-ASAN", "use-after-free:test", None),
    "asan_heap_use_after_free_freed_by_2.txt": (
        "use-after-free", "RT-ASAN", "use-after-free:main", ("CPLUS_HASHMAP/main.cpp", 6)),
    "asan_stack_buffer_underflow_cgo_1.txt": (
        "buffer-overflow", "RT-ASAN",
        "buffer-overflow:rtc::scoped_refptr<webrtc::DataChannelInterface>::scoped_refptr<FakeDataChannel> > "
        "rtc::RefCountedObject<CGoDataChannelObserver>::RefCountedObject<rtc::scoped_refptr<FakeDataChannel>&> > "
        "CGO_getFakeDataChannel", None),
    "go_cgocheck2_write_barrier_5.txt": (
        "go-pointer-stored-in-c-memory", "RT-CGOCHECK2",
        "go-pointer-stored-in-c-memory:write of unpinned Go pointer ADDR to non-Go memory ADDR", None),
    "go_cgocheck_panic_go_pointer_1.txt": (
        "go-pointer-to-go-pointer", "RT-CGOCHECK",
        "go-pointer-to-go-pointer:main.cgoWriter.Write.func1 > main.cgoWriter.Write > "
        "compress/flate.(*huffmanBitWriter).write", ("junk.go", 15)),
    "go_cgocheck_panic_go_pointer_test_2.txt": (
        "go-pointer-to-go-pointer", "RT-CGOCHECK",
        "go-pointer-to-go-pointer:github.com/proglottis/gpgme.NewDataReader > "
        "github.com/proglottis/gpgme.TestDataNewDataReader", ("gpgme/data.go", 109)),
    "go_cgocheck_result_go126_4.txt": (
        "go-pointer-returned-to-c", "RT-CGOCHECK", "go-pointer-returned-to-c:go:internal.go",
        ("sdk/go/abi/internal.go", 1491)),
    "go_cgocheck_result_unpinned_3.txt": (
        "go-pointer-returned-to-c", "RT-CGOCHECK", "go-pointer-returned-to-c:export foo", None),
    "go_concurrent_map_writes_1.txt": (
        "concurrent-map-write", "RT-GO-MAP", "concurrent-map-write:main.handle_request", ("iBench.go", 142)),
    "go_concurrent_map_writes_go118_2.txt": (
        "concurrent-map-write", "RT-GO-MAP",
        "concurrent-map-write:github.com/gin-gonic/gin/render.writeContentType > "
        "github.com/gin-gonic/gin/render.WriteJSON > github.com/gin-gonic/gin/render.JSON.Render",
        ("render/render.go", 39)),
    "go_fatal_error_cgo_asan_abrt_clusterfuzz_1.txt": (
        "crash", "RT-GO-FATAL", "crash:encoding/json.(*decodeState).unquoteBytes > main.LLVMFuzzerTestOneInput",
        ("go.fuzz.main/main.go", 35)),
    "go_fatal_error_stack_overflow_clusterfuzz_1.txt": (
        "crash", "RT-GO-FATAL",
        "crash:github.com/google/syzkaller/pkg/ast.(*scanner).next > "
        "github.com/google/syzkaller/pkg/ast.(*scanner).scanIdent > github.com/google/syzkaller/pkg/ast.(*scanner).Scan",
        ("ast/scanner.go", 271)),
    "go_fatal_unexpected_signal_cgo_1.txt": ("segv", "RT-GO-FATAL", "segv:C.start", None),
    "go_fatal_unexpected_signal_cgo_2.txt": ("segv", "RT-GO-FATAL", "segv:runtime.cgocall", None),
    "go_goroutine_dump_cgo_frame_panicparse_test_1.txt": (
        "crash", "RT-GO-PANIC", "crash:gopkg.in/yaml%2ev2.handleErr > reflect.Value.assignTo > main.main",
        ("yaml.v2/yaml.go", 153)),
    "go_panic_cgo_libfuzzer_asan_clusterfuzz_1.txt": (
        "crash", "RT-GO-PANIC",
        "crash:github.com/dvyukov/go-fuzz-corpus/asn1.Fuzz > main.LLVMFuzzerTestOneInput", ("asn1/asn1.go", 46)),
    "go_panic_msan_abrt_clusterfuzz_1.txt": (
        "crash", "RT-GO-PANIC",
        "crash:main.(*Manager).httpPrio > main.(*Manager).(main.httpPrio)-fm > net/http.HandlerFunc.ServeHTTP",
        ("syz-manager/html.go", 298)),
    "go_panic_sigsegv_clusterfuzz_1.txt": ("segv", "RT-GO-PANIC", "segv:math.glob..func1 > math.init.ializers", None),
    "go_race_data_race_1.txt": ("data-race", "RT-RACE", "data-race:main.main.func1 | main.main.func2", ("test.go", 15)),
    "go_sigabrt_cgo_1.txt": (
        "crash", "RT-GO-SIGNAL", "crash:github.com/lanl/clp.(*Simplex).Primal", ("clp@v1.2.0/simplex.go", 236)),
    "go_sigabrt_cgo_gp_m_header_2.txt": (
        "crash", "RT-GO-SIGNAL",
        "crash:github.com/giongto35/cloud-game/v3/pkg/encoder/h264.(*H264).Shutdown.func1 > "
        "github.com/giongto35/cloud-game/v3/pkg/encoder/h264.(*H264).Shutdown", ("h264/x264.go", 180)),
    "go_sigabrt_cgo_old_format_3.txt": ("crash", "RT-GO-SIGNAL", "crash:C.clEnqueueWriteBuffer", None),
    "go_sigsegv_cgo_short_1.txt": ("segv", "RT-GO-SIGNAL", "segv:runtime.cgocall", None),
    "tsan_c_data_race_cgo_1.txt": ("data-race", "RT-TSAN", "data-race:setVal | setVal", ("testsanitizers/tsan.go", 22)),
    "tsan_cpp_data_race_clusterfuzz_1.txt": (
        "data-race", "RT-TSAN", "data-race:sqlite3StatusSet > pcache1Alloc | sqlite3StatusSet > pcache1Alloc", None),
    "valgrind_invalid_read_freed_block_2.txt": (
        "use-after-free", "RT-VALGRIND", "use-after-free:liberacionProceso", ("main.c", 1728)),
    "valgrind_invalid_read_null_sigsegv_3.txt": ("segv", "RT-VALGRIND", "segv:rindex > main", None),
    "valgrind_xml_protocol4_1.txt": ("buffer-overflow", "RT-VALGRIND", "buffer-overflow:frame3 > frame2 > frame1",
                                     None),
}
# Samples that hold no bug of their own (a summary; memcheck's Go-runtime false positive).
NO_FINDINGS = ("valgrind_leak_summary_go_cgo_4.txt", "valgrind_go_runtime_frames_1.txt")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample(shared_samples: Path, name: str) -> None:
    path = shared_samples / name
    if not path.exists():
        pytest.skip(f"{name} not in the shared samples")
    category, rule, signature, location = EXPECTED[name]
    result = analyze([path])
    assert not result.errors
    assert [(f.category, f.rule, f.signature) for f in result.findings] == [(category, rule, signature)]
    finding = result.findings[0]
    assert finding.source == "runtime" and finding.count == 1
    if location is not None:
        assert finding.path.endswith(location[0]) and finding.line == location[1]


@pytest.mark.parametrize("name", NO_FINDINGS)
def test_samples_without_bugs(shared_samples: Path, name: str) -> None:
    if not (shared_samples / name).exists():
        pytest.skip(f"{name} not in the shared samples")
    assert analyze([shared_samples / name]).findings == []


def test_lsan_blocks_become_separate_findings(shared_samples: Path) -> None:
    result = analyze([shared_samples / "lsan_direct_and_indirect_leak_clusterfuzz_1.txt"])
    leaks = sorted((f.extra["kind"], f.signature) for f in result.findings)
    assert leaks == [("direct-leak", "c-leak:xmlStrndup > xmlStrdup > xmlGetPropNodeValueInternal"),
                     ("indirect-leak", "c-leak:__GI___strdup")]


def test_identical_leak_stacks_are_counted(shared_samples: Path) -> None:
    result = analyze([shared_samples / "lsan_indirect_leak_clusterfuzz_1.txt"])
    assert [f.count for f in result.findings] == [4]
    assert result.reports_parsed == 4


def test_tsan_use_after_free(shared_samples: Path) -> None:
    result = analyze([shared_samples / "tsan_heap_use_after_free_clusterfuzz_1.txt"])
    assert [(f.category, f.count) for f in result.findings] == [("use-after-free", 3)]


def test_heap_use_after_free_stacks(shared_samples: Path) -> None:
    result = analyze([shared_samples / "asan_heap_use_after_free_clusterfuzz_1.txt"])
    (finding,) = result.findings
    assert finding.category == "use-after-free"
    assert finding.extra["access"] == "READ"
    assert finding.frames[0].kind == "c"


def _instantiate(expected_regex: str) -> str:
    """Turn Go's expected-output regexes (runtime/race/output_test.go) into a concrete report."""
    text = expected_regex.replace("0x[0-9,a-f]+", "0xc000012345").replace("[0-9]", "7")
    text = text.replace("_cgoexp_[0-9a-z]+_", "_cgoexp_0123456789ab_").replace("[0-9]+", "42")
    text = re.sub(r"\.[*+]/", "/home/u/prog/", text)
    text = text.replace(".*_cgo_gotypes", "_cgo_gotypes")
    return re.sub(r"\\(.)", r"\1", text)


@pytest.mark.parametrize(("name", "signature", "line"), [
    ("go_race_expected_regex_3.txt", "data-race:main.store > main.main | main.store > main.racer", 12),
    ("go_race_cgo_callback_expected_regex_2.txt", "data-race:main.goCallback | main.main", 34),
])
def test_race_expected_outputs(shared_samples: Path, name: str, signature: str, line: int) -> None:
    result = analyze_text(_instantiate((shared_samples / name).read_text()))
    assert [(f.signature, f.path, f.line) for f in result.findings] == [(signature, "/home/u/prog/main.go", line)]
    related = result.findings[0].related
    assert related and related[0].message.startswith("the other access")
