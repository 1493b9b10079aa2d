"""The perf script parser: the shared samples, every header variant, bad and huge input."""

from __future__ import annotations

import io
import time
import tracemalloc
from pathlib import Path

import pytest
from gotools import SHARED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cgoguard.profile import model
from cgoguard.profile.perfscript import (
    event_name,
    parse_frame,
    parse_header,
    parse_perf_script,
    parse_perf_script_stream,
    read_lines,
)

SAMPLES = sorted((SHARED / "samples").glob("perf_script_*.txt"))
CGO_SAMPLE = SHARED / "samples" / "perf_script_1_go119_cgo.txt"


def _parse(text: str) -> model.StackCounts:
    return parse_perf_script(text.splitlines())


@pytest.mark.skipif(not SAMPLES, reason="shared samples not available")
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_shared_sample_parses_completely(path: Path) -> None:
    with path.open("rb") as stream:
        counts = parse_perf_script_stream(stream)
    headers = sum(1 for line in path.read_text().splitlines() if "cpu-clock" in line and not line.startswith("\t"))
    assert counts.samples == headers > 0
    assert counts.event == "cpu-clock" and counts.nanoseconds == 2004008 * headers
    assert all(frame.module or not frame.function for stack in counts.stacks for frame in stack)


@pytest.mark.skipif(not CGO_SAMPLE.exists(), reason="shared samples not available")
def test_cgo_sample_keeps_the_c_glue_frame_and_the_go_callers() -> None:
    counts = parse_perf_script_stream(CGO_SAMPLE.open("rb"))
    leaves = {stack[0].function for stack in counts.stacks}
    assert "_cgo_7945bf2591c9_Cfunc_cspin" in leaves
    cadd = next(stack for stack in counts.stacks if stack[0].function == "runtime.casgstatus")
    assert [f.function for f in cadd][:4] == ["runtime.casgstatus", "runtime.cgocall", "main._Cfunc_cadd.abi0",
                                              "main.main.func3"]
    assert cadd[1].offset == 0xB1 and cadd[1].address == 0x4F91 and cadd[1].module == "/home/dev/demo/demo"


@pytest.mark.parametrize("line, expected", [
    ("demo  9596   407.021451:    2004008 cpu-clock:ppp: ", (9596, 9596, 2004008, "cpu-clock:ppp")),
    ("demo  9596 [001]   407.021451:    2004008 cpu-clock:ppp: ", (9596, 9596, 2004008, "cpu-clock:ppp")),
    ("Web Content 12/34 [003] 1.5: 1 cycles:u: ", (12, 34, 1, "cycles:u")),
    ("ls 25375 [000]  4816.744903:    syscalls:sys_enter_brk: brk: 0x00000000",
     (25375, 25375, 0, "syscalls:sys_enter_brk")),
    ("split2 28682 [001] 5583.195495: syscalls:sys_exit_mmap: 0x7f9a67f00000",
     (28682, 28682, 0, "syscalls:sys_exit_mmap")),
])
def test_header_variants(line: str, expected: tuple) -> None:
    header = parse_header(line)
    assert header is not None and (header.pid, header.tid, header.period, header.event) == expected


def test_event_names_lose_modifiers_only() -> None:
    assert event_name("cpu-clock:ppp") == "cpu-clock" and event_name("cycles:u") == "cycles"
    assert event_name("syscalls:sys_enter_mmap") == "syscalls:sys_enter_mmap"


@pytest.mark.parametrize("line, expected", [
    ("\t  884c5 _cgo_7945bf2591c9_Cfunc_cspin+0x35 (/home/dev/demo/demo)",
     ("_cgo_7945bf2591c9_Cfunc_cspin", 0x35, "/home/dev/demo/demo", 0x884C5)),
    ("\t      0 [unknown] ([unknown])", ("", None, "", 0)),
    ("\t 7f1 std::vector<int>::push_back(int const&)+0x1 (/usr/lib/libx.so (deleted))",
     ("std::vector<int>::push_back(int const&)", 1, "/usr/lib/libx.so (deleted)", 0x7F1)),
    ("\t ffffffff81000d62 asm_common_interrupt+0x22 ([kernel.kallsyms])",
     ("asm_common_interrupt", 0x22, "[kernel.kallsyms]", 0xFFFFFFFF81000D62)),
    ("\t 4f91 runtime.cgocall (/bin/prog)", ("runtime.cgocall", None, "/bin/prog", 0x4F91)),
])
def test_frame_variants(line: str, expected: tuple) -> None:
    frame = parse_frame(line)
    assert frame is not None and (frame.function, frame.offset, frame.module, frame.address) == expected


def test_sample_without_call_graph_has_its_frame_on_the_header_line() -> None:
    counts = _parse("sh  7656  5010.093178:     250000 cpu-clock:      7f6a09b410af "
                    "handle_intel.constprop.0+0x2f (/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2)\n")
    (stack,) = counts.stacks
    assert stack[0].function == "handle_intel.constprop.0" and counts.samples == 1


def test_several_events_analyse_the_cpu_one_and_say_so() -> None:
    text = ("p 1 1.0: 1 page-faults: \n\t 10 f+0x1 (/bin/p)\n\n" * 5
            + "p 1 2.0: 1000 cpu-clock: \n\t 10 f+0x1 (/bin/p)\n\n" * 2)
    counts = _parse(text)
    assert counts.event == "cpu-clock" and counts.samples == 2 and counts.other_events["page-faults"] == 5
    assert any("page-faults" in note for note in counts.notes)


@pytest.mark.parametrize("text", [
    "", "\n\n\n", "# ========\n# captured on: x\n", "garbage\n\tnot a frame\n", "\x00\xff\xfe" * 100,
    "p 1 1.0: 1 cpu-clock: \n\t 10 f+0x1 (/bin/p",  # truncated mid-frame
    "p 1 1.0: 1 cpu-clock: \n\t zz f+0x1 (/bin/p)\n", "p 1 1.0: \n", "p 1 1.0: 1 cpu-clock:",
])
def test_malformed_and_truncated_input_never_raises(text: str) -> None:
    counts = _parse(text)
    assert counts.samples <= 1


def test_a_truncated_file_keeps_the_samples_before_the_cut() -> None:
    block = "p 7 1.0: 1000 cpu-clock: \n\t 10 leaf+0x1 (/bin/p)\n\t 20 main.main+0x2 (/bin/p)\n\n"
    counts = _parse(block * 10 + block[:30])
    assert counts.samples == 11 and counts.stacks[tuple(next(iter(counts.stacks)))] == 10


def test_very_long_lines_are_cut_not_held(tmp_path: Path) -> None:
    stream = io.BytesIO(b"p 1 1.0: 1 cpu-clock: \n\t 10 " + b"x" * 5_000_000 + b" (/bin/p)\n\t 20 g+0x1 (/bin/p)\n\n")
    lines = list(read_lines(stream, max_line=4096))
    assert max(len(line) for line in lines) <= 4096 and lines[-2].endswith("g+0x1 (/bin/p)")


def test_huge_input_streams_in_bounded_memory(tmp_path: Path) -> None:
    block = "".join(f"prog 7/7 [001] {i}.5: 1001001 cpu-clock: \n\t 10 spin+0x{i % 7:x} (/bin/prog)\n"
                    f"\t 20 runtime.cgocall+0x75 (/bin/prog)\n\t 30 main._Cfunc_spin.abi0+0x3a (/bin/prog)\n"
                    f"\t 40 main.work{i % 3}+0x29 (/bin/prog)\n\t 50 runtime.goexit.abi0+0x1 (/bin/prog)\n\n"
                    for i in range(1000))
    path = tmp_path / "huge.txt"
    with path.open("w") as out:
        for _ in range(60):  # ~24 MB
            out.write(block)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with path.open("rb") as stream:
            counts = parse_perf_script_stream(stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert counts.samples == 60_000 and len(counts.stacks) == 21
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    print(f"{path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - started:.1f} s, peak {peak / 1e6:.2f} MB")


def test_distinct_stacks_are_capped_and_the_rest_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "MAX_DISTINCT_STACKS", 10)
    text = "".join(f"p 1 1.{i}: 1 cpu-clock: \n\t {i:x} f{i}+0x1 (/bin/p)\n\n" for i in range(50))
    counts = _parse(text)
    assert len(counts.stacks) == 10 and counts.dropped == 40 and counts.samples == 50


_FRAGMENTS = st.sampled_from([
    "prog 12 [000] 1.000001: 1001 cpu-clock: ", "prog 12/13 5.5: syscalls:sys_enter_mmap: addr: 0x0, len: 0x1000",
    "prog 12 6.5: syscalls:sys_exit_mmap: 0x7f0000000000", "prog 12 7.5: syscalls:sys_enter_munmap: addr: 0x7f0000000000, len: 0x1000",
    "\t 4f91 runtime.cgocall+0xb1 (/p)", "\t 884c5 _cgo_7945bf2591c9_Cfunc_cspin+0x35 (/p)",
    "\t 875ed main._Cfunc_cadd.abi0+0x4d (/p)", "\t 0 [unknown] ([unknown])", "", "#", "\t ((((", "))) (",
    "\t ffffffff8100 irq+0x1 ([kernel.kallsyms])", "a 1 1.1: 2 cycles:u: 10 f+0x1 (/x)",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_FRAGMENTS, st.text(max_size=80)), max_size=60))
def test_fuzz_the_parser_never_raises(lines: list[str]) -> None:
    counts = parse_perf_script(lines)
    assert counts.samples >= sum(counts.stacks.values())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_fuzz_bytes_stream(data: bytes) -> None:
    parse_perf_script_stream(io.BytesIO(data))
