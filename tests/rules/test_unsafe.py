"""unsafe-pointer-misuse rules (CG302-CG308) over their fixtures, the layout helpers, and the
runtime demos that confirm the findings on real builds (checkptr, ASan, the stack copier)."""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from analysistest import FIXTURES, analyze, expectations, run

from cgoguard.analysis.unsafeflow import C_SIZES, GO_SIZES, layout
from cgoguard.gofront import discover, load_packages
from cgoguard.gofront.types import GoType
from cgoguard.reports import analyze_text

UNSAFE_RULES = {"CG302", "CG303", "CG304", "CG305", "CG306", "CG307", "CG308"}


@pytest.fixture(scope="module")
def unsafe_findings() -> list:
    return run(FIXTURES / "unsafe", UNSAFE_RULES)


def test_fixture_findings_match_wants(unsafe_findings: list) -> None:
    assert {f.category for f in unsafe_findings} == {"unsafe-pointer-misuse"}


def test_every_sub_rule_has_several_positives_and_negatives(unsafe_findings: list) -> None:
    per_rule = Counter(f.rule for f in unsafe_findings)
    assert all(per_rule[rule] >= 4 for rule in UNSAFE_RULES), per_rule
    negatives = 0
    for path in (FIXTURES / "unsafe").rglob("*.go"):
        negatives += path.read_text().count("// Negative")
    assert negatives >= 20


def test_wants_name_the_rule() -> None:
    wants = expectations(sorted((FIXTURES / "unsafe").rglob("*.go")))
    assert all(w.pattern.split()[0] in UNSAFE_RULES for w in wants)


def _severities(findings: list, rule: str, file: str) -> dict[str, str]:
    """Severity by the name of the function each finding is in (the fixture's functions)."""
    lines = (FIXTURES / "unsafe" / file).read_text().splitlines()
    starts = [(i, line.split("(")[0].removeprefix("func ")) for i, line in enumerate(lines, 1) if line.startswith("func ")]
    return {next(name for start, name in reversed(starts) if start < f.line): f.severity.value
            for f in findings if f.rule == rule and f.path.endswith(file)}


def test_modernisation_advice_is_info_unless_a_hazard_exists(unsafe_findings: list) -> None:
    huge = _severities(unsafe_findings, "CG306", "hugearray.go")
    assert huge["ints"] == huge["doubles"] == "info", "[:n:n] over C memory: correct bounds, no GC hazard"
    assert huge["goView"] == "warning", "over Go memory: checkptr rejects the fake array"
    assert huge["shortView"] == "warning", "no capacity bound: append writes past the allocation"
    assert huge["at"] == "warning", "indexed without a bound"
    header = _severities(unsafe_findings, "CG304", "header.go")
    assert header["cBufferLiteral"] == header["headerVariable"] == "info", "Data is C memory"
    assert header["wordsAsBytes"] == header["copiedHeader"] == "error", "Data is Go memory"
    assert header["newHeader"] == "error", "Data of unknown origin"


def test_huge_array_cast_is_silent_before_go_1_17(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module old.example/m\n\ngo 1.16\n")
    (tmp_path / "old.go").write_text(
        'package old\n\n// #include <stdlib.h>\nimport "C"\nimport "unsafe"\n\n'
        "func view(p *C.int, n int) []C.int { return (*[1 << 30]C.int)(unsafe.Pointer(p))[:n:n] }\n")
    assert [f.rule for f in analyze(tmp_path, {"CG306"})] == []
    (tmp_path / "go.mod").write_text("module old.example/m\n\ngo 1.21\n")
    assert [f.rule for f in analyze(tmp_path, {"CG306"})] == ["CG306"]


@pytest.mark.parametrize(("type_", "size", "align"), [
    (GoType("basic", "int"), 8, 8),
    (GoType("basic", "string"), 16, 8),
    (GoType("slice", elem=GoType("basic", "byte")), 24, 8),
    (GoType("struct", fields=(("a", GoType("basic", "uint8")), ("b", GoType("basic", "int64")),
                              ("c", GoType("basic", "uint16")))), 24, 8),
    (GoType("array", elem=GoType("basic", "int32"), length="1 << 4"), 64, 4),
    (GoType("c", "long"), 8, 8),
    (GoType("c", "uint"), 4, 4),
])
def test_layouts_follow_linux_amd64(type_: GoType, size: int, align: int, tmp_path: Path) -> None:
    (tmp_path / "p.go").write_text("package p\n")
    package = load_packages(discover([str(tmp_path)]).packages[0])[0]
    result = layout(type_, package)
    assert result is not None and (result.size, result.align) == (size, align)


def test_c_records_with_padding_and_unknown_arrays(tmp_path: Path) -> None:
    (tmp_path / "p.go").write_text(
        'package p\n\n/*\n#include <stdint.h>\ntypedef struct { char c; double d; short s; } padded;\n'
        'typedef struct { int n; char name[8]; } named;\ntypedef union { int i; double d; } either;\n'
        'typedef struct { int a: 3; int b: 5; } bits;\n'
        'typedef struct { char c; int i; } __attribute__((packed)) tight;\n*/\nimport "C"\n')
    package = load_packages(discover([str(tmp_path)]).packages[0])[0]
    assert layout(GoType("c", "padded"), package).size == 24
    assert layout(GoType("c", "either"), package).size == 8
    # Not modelled, so the rule stays silent: array lengths, bitfields, packing.
    assert [layout(GoType("c", name), package) for name in ("named", "bits", "tight")] == [None, None, None]


def test_size_tables_agree_on_fixed_width_types() -> None:
    assert C_SIZES["int32_t"] == GO_SIZES["int32"] and C_SIZES["uint64_t"] == GO_SIZES["uint64"]


def test_go_addresses_held_as_integers_really_go_stale(go_builder: Callable[..., Path]) -> None:
    """The CG303 and CG302 labels are real (DataDog/zstd #90): when the stack grows during the
    call, C's write through the integer address is lost (through unsafe.Pointer it arrives),
    and so is a write through a uintptr kept across a call that grows the stack."""
    demo = FIXTURES / "unsafe" / "stackmove"
    assert sorted(f.rule for f in analyze(demo, UNSAFE_RULES)) == ["CG302", "CG303"]
    output = subprocess.run([str(go_builder(demo))], capture_output=True, text=True, timeout=120, check=True).stdout
    assert output.splitlines() == ["integer: C's write was lost", "pointer: C's write arrived",
                                   "uintptr kept across a call: the write was lost"]


def test_a_size_mismatched_cast_really_garbles_the_value(go_builder: Callable[..., Path]) -> None:
    """The CG305 label is real: C writes 4 bytes of -1 into an 8-byte Go int."""
    demo = FIXTURES / "unsafe" / "sizedemo"
    assert [f.rule for f in analyze(demo, UNSAFE_RULES)] == ["CG305"]
    output = subprocess.run([str(go_builder(demo))], capture_output=True, text=True, timeout=120, check=True).stdout
    assert output.splitlines() == ["mismatched: 4294967295", "matched: -1"]


def _run_demo(go_builder: Callable[..., Path], demo: Path, flags: tuple[str, ...], mode: str,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    try:
        binary = go_builder(demo, flags=flags)
    except RuntimeError as exc:  # e.g. no libasan for -asan
        pytest.skip(f"cannot build {demo.name} with {flags}: {str(exc).splitlines()[-1]}")
    return subprocess.run([str(binary), mode], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", **(env or {})})


def _confirmed(output: str, demo: Path, static: list, rule: str) -> list:
    """The runtime findings of ``output``, asserting each confirms a static finding of ``rule``."""
    result = analyze_text(output, source_roots=[demo], static_findings=static)
    assert result.findings, output
    assert all(f.extra.get("confirmed_at_runtime") for f in static if f.rule == rule), \
        [(f.to_dict(), [r.to_dict() for r in result.findings]) for f in static]
    return result.findings


def test_out_of_bounds_arithmetic_is_stopped_by_checkptr_and_asan(go_builder: Callable[..., Path]) -> None:
    """The CG307 labels are real: checkptr stops the read past a heap int64, ASan the write past
    C.malloc(16), each at the line CG307 reports; the in-bounds variant runs clean."""
    demo = FIXTURES / "unsafe" / "boundsdemo"
    static = analyze(demo, UNSAFE_RULES)
    assert sorted(f.rule for f in static) == ["CG307", "CG307"]
    checkptr = _run_demo(go_builder, demo, ("-gcflags=all=-d=checkptr",), "checkptr")
    assert "fatal error: checkptr: pointer arithmetic result points to invalid allocation" in checkptr.stderr
    (finding,) = _confirmed(checkptr.stderr, demo, [static[0]], "CG307")
    assert (finding.rule, finding.category) == ("RT-CHECKPTR", "unsafe-pointer-misuse")
    assert _run_demo(go_builder, demo, ("-gcflags=all=-d=checkptr",), "within").stdout == "within: 0\n"
    asan = _run_demo(go_builder, demo, ("-asan",), "asan")  # the write is in Go code: its frames are in the report
    assert "AddressSanitizer: heap-buffer-overflow" in asan.stderr and "WRITE of size 4" in asan.stderr
    (finding,) = _confirmed(asan.stderr, demo, [static[1]], "CG307")
    assert (finding.rule, finding.category) == ("RT-ASAN", "buffer-overflow")
    assert _run_demo(go_builder, demo, ("-asan",), "within").returncode == 0


def test_integers_as_pointers_crash_the_runtime(go_builder: Callable[..., Path]) -> None:
    """The CG308 labels are real: checkptr rejects arithmetic on nil (go-ceph's VoidPtr), and a
    cgo.Handle held as unsafe.Pointer kills the stack copier; the handle as a uintptr_t is fine."""
    demo = FIXTURES / "unsafe" / "intdemo"
    static = analyze(demo, UNSAFE_RULES)
    assert [f.rule for f in static] == ["CG308", "CG308"]
    checkptr = _run_demo(go_builder, demo, ("-gcflags=all=-d=checkptr",), "checkptr")
    assert "fatal error: checkptr: pointer arithmetic computed bad pointer value" in checkptr.stderr
    (finding,) = _confirmed(checkptr.stderr, demo, [static[0]], "CG308")
    assert finding.rule == "RT-CHECKPTR"
    stack = _run_demo(go_builder, demo, (), "stack")
    assert "fatal error: invalid pointer found on stack" in stack.stderr and ": 0x1\n" in stack.stderr
    assert [f.category for f in analyze_text(stack.stderr, source_roots=[demo]).findings] == ["unsafe-pointer-misuse"]
    number = _run_demo(go_builder, demo, ("-gcflags=all=-d=checkptr",), "number")
    assert (number.returncode, number.stdout) == (0, "number: state\n")
