"""Fault-address classification: from the address alone, from a maps file, and as ``cgoguard
run`` captures the map at the crash. ``programs/faults`` crashes in C on a nil struct
pointer, on memory it unmapped (whole, or the first half of a mapping), on a PROT_NONE
reservation and on a pointer made of text."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from gotools import requires_go

from cgoguard.cli import main
from cgoguard.findings import InputError
from cgoguard.mem.procfs import parse_maps
from cgoguard.reports import analyze_text
from cgoguard.reports.faultaddr import EARLIER_MARKER, MapsSnapshot, classify, load_maps
from cgoguard.runner import execwrap

PROGRAM = Path(__file__).parent / "programs" / "faults"
MAPS = """\
00400000-00402000 r--p 00000000 fe:00 1 /srv/app
00402000-004a4000 r-xp 00002000 fe:00 1 /srv/app
00584000-0058f000 rw-p 00183000 fe:00 1 /srv/app
0058f000-005c5000 rw-p 00000000 00:00 0
36793000-367b4000 rw-p 00000000 00:00 0 [heap]
10e34c000000-10e34cc00000 ---p 00000000 00:00 0
10e34cc00000-10e34d000000 rw-p 00000000 00:00 0
7fd44805c000-7fd44805d000 ---p 00000000 00:00 0
7fd44805d000-7fd44885d000 rw-p 00000000 00:00 0
7fd490000000-7fd490100000 rw-p 00000000 00:00 0
7fd4a0000000-7fd4a0100000 r-xp 00000000 fe:00 2 /usr/lib/libc.so.6
7fffb2c0d000-7fffb2c2e000 rw-p 00000000 00:00 0 [stack]
"""
SNAPSHOT = MapsSnapshot(parse_maps(MAPS), parse_maps("7fd480000000-7fd480100000 rw-p 00000000 00:00 0\n"),
                        "test maps")


@pytest.mark.parametrize(("address", "kind"), [
    (0x0, "nil"), (0x18, "nil-field"), (0xFF8, "nil-field"), (0x8010, "low"), (0xFFFFFFFFFFFFFFE4, "nil-negative"),
    (0x2121216F6C6C6568, "non-canonical"), (0xFFFF888000000000, "kernel"), (0x602000000030, "c-heap"),
    (0x00C000012AB0, "go-heap"), (0x7F2F48D9B010, "mmap-area"), (0x123456789AB0, "below-mmap-area"),
])
def test_classification_from_the_address_alone(address: int, kind: str) -> None:
    fault = classify(address)
    assert fault.kind == kind, fault
    assert fault.evidence.startswith("the address alone")


def test_text_in_a_pointer_is_shown() -> None:
    assert "holding the text 'hello!!!'" in classify(0x2121216F6C6C6568).description


def test_general_protection_fault_is_not_a_nil_dereference() -> None:
    assert classify(0, code=0x80).kind == "non-canonical"
    assert classify(0, high_value_hint=True).kind == "non-canonical"


@pytest.mark.parametrize(("address", "kind"), [
    (0x36793010, "c-heap"), (0x10E34C000010, "prot-none"), (0x10E34CC00010, "go-heap"), (0x58F010, "bss"),
    (0x7FD44805C010, "guard-page"), (0x7FD44805D010, "anonymous"), (0x7FD480000010, "unmapped"),
    (0x7FD488000000, "unmapped"), (0x402010, "file"), (0x7FFFB2C0D010, "stack"), (0x3000_0000_0000, "wild"),
])
def test_classification_from_a_memory_map(address: int, kind: str) -> None:
    fault = classify(address, SNAPSHOT)
    assert fault.kind == kind, fault
    assert fault.evidence == "test maps"


def test_mapped_then_unmapped_versus_a_hole() -> None:
    assert "was mapped and then unmapped" in classify(0x7FD480000010, SNAPSHOT).description
    assert "a hole in the mmap area" in classify(0x7FD488000000, SNAPSHOT).description


def test_write_to_read_only_memory() -> None:
    assert classify(0x402010, SNAPSHOT, access="WRITE").kind == "read-only"


def test_run_and_report_agree_on_the_maps_file_format() -> None:
    assert execwrap.EARLIER_MARKER == EARLIER_MARKER


def test_the_kernels_maperr_outranks_a_map_taken_before_the_fault() -> None:
    fault = classify(0x7FD490000010, SNAPSHOT, code=1)  # SEGV_MAPERR: nothing was mapped there
    assert fault.kind == "unmapped" and "was mapped and then unmapped" in fault.description
    assert "[0x7fd490000000-0x7fd490100000 rw-p]" in fault.description
    assert classify(0x7FD490000010, SNAPSHOT, code=2).kind == "anonymous"


# The kernel merges a new anonymous mapping with an adjacent one of the same permissions:
# a 1 MiB buffer mapped just below a 256 KiB runtime chunk is one line until it is unmapped.
LIBC = "7fd4a0000000-7fd4a0100000 r-xp 00026000 fe:00 2 /usr/lib/libc.so.6"
CHUNK = "7fd4a0200000-7fd4a0240000 rw-p 00000000 00:00 0"
MERGED = ["7fd4a0100000-7fd4a0240000 rw-p 00000000 00:00 0", LIBC]


def watched(tmp_path: Path, monkeypatch, snapshots: list[list[str]], crash: bool) -> MapsSnapshot:
    """maps.txt as the exec wrapper writes it after these snapshots of a process that failed."""
    monkeypatch.setattr(execwrap, "MAPS_INTERVAL_S", 3600.0)  # only the snapshots taken here
    watcher = execwrap.MapsWatcher(os.getpid(), tmp_path)
    remaining = iter(snapshots)
    monkeypatch.setattr(watcher, "_read", lambda: next(remaining, []))
    for _ in snapshots[:-1]:
        watcher.snapshot()
    if crash:
        watcher.saw(b"SIGSEGV: segmentation violation\n")
    else:
        watcher.snapshot()
    watcher.finish(2, "/tmp/program")
    errors: list[InputError] = []
    maps = load_maps(tmp_path / "maps.txt", errors)
    assert maps is not None and not errors
    return maps


def test_run_keeps_the_part_of_a_merged_mapping_that_was_unmapped(tmp_path: Path, monkeypatch) -> None:
    maps = watched(tmp_path, monkeypatch, [[LIBC], [MERGED[1], MERGED[0]], [LIBC, CHUNK]], crash=True)
    assert maps.source.endswith("captured at the crash")
    assert [(m.start, m.end) for m in maps.earlier] == [(0x7FD4A0100000, 0x7FD4A0200000)]
    fault = classify(0x7FD4A0100010, maps)
    assert fault.kind == "unmapped" and "[0x7fd4a0100000-0x7fd4a0200000 rw-p] existed earlier" in fault.description


def test_run_keeps_the_file_offset_of_part_of_a_file_mapping(tmp_path: Path, monkeypatch) -> None:
    shrunk = "7fd4a0080000-7fd4a0100000 r-xp 00106000 fe:00 2 /usr/lib/libc.so.6"
    maps = watched(tmp_path, monkeypatch, [[LIBC], [shrunk]], crash=True)
    (gone,) = maps.earlier
    assert (gone.start, gone.end, gone.offset, gone.name) == (0x7FD4A0000000, 0x7FD4A0080000, 0x26000,
                                                              "/usr/lib/libc.so.6")


def test_a_map_from_before_the_crash_and_maperr_still_say_unmapped(tmp_path: Path, monkeypatch) -> None:
    # The process exited before the crash snapshot: the last periodic one still shows the buffer.
    maps = watched(tmp_path, monkeypatch, [[LIBC], MERGED], crash=False)
    assert "s before it exited" in maps.source and not maps.earlier
    fault = classify(0x7FD4A0100010, maps, code=1)
    assert fault.kind == "unmapped" and "was mapped and then unmapped" in fault.description


# -- real crashes ----------------------------------------------------------------------------------
def fault_line(mode: str) -> int:
    lines = (PROGRAM / "main.go").read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.endswith(f"// FAULT {mode}"))


@pytest.fixture(scope="module")
def faults_binary(go_builder) -> Path:
    return go_builder(PROGRAM)


def crash(binary: Path, mode: str, maps: Path | None = None) -> str:
    env = {**os.environ, **({"FAULTS_MAPS": str(maps)} if maps else {})}
    result = subprocess.run([str(binary), mode], capture_output=True, text=True, timeout=60, env=env)
    assert "SIGSEGV" in result.stderr, result.stderr
    return result.stderr


@requires_go
@pytest.mark.parametrize(("mode", "alone", "with_maps"), [
    ("nil-field", "nil-field", "nil-field"), ("unmapped", "mmap-area", "unmapped"),
    ("prot-none", "mmap-area", "prot-none"), ("garbage", "non-canonical", "non-canonical"),
])
def test_real_crashes_are_classified(faults_binary: Path, tmp_path: Path, mode: str, alone: str,
                                     with_maps: str) -> None:
    maps = tmp_path / "maps"
    log = crash(faults_binary, mode, maps)
    (finding,) = analyze_text(log, source_roots=[PROGRAM]).findings
    assert finding.line == fault_line(mode)
    assert finding.extra["fault_address"]["kind"] == alone
    (finding,) = analyze_text(log, source_roots=[PROGRAM], maps=maps).findings
    assert finding.extra["fault_address"]["kind"] == with_maps
    assert f"fault address {finding.extra['fault_address']['address']}" in finding.message
    if mode == "nil-field":
        assert finding.extra["fault_address"]["address"] == "0x18"  # offsetof(config, count)


@requires_go
def test_report_cli_takes_a_maps_file(faults_binary: Path, tmp_path: Path, capsys) -> None:
    maps = tmp_path / "maps"
    (tmp_path / "crash.log").write_text(crash(faults_binary, "prot-none", maps))
    assert main(["report", str(tmp_path / "crash.log"), "--source", str(PROGRAM), "--maps", str(maps)]) == 1
    assert "a PROT_NONE reservation" in capsys.readouterr().out
    assert main(["report", str(tmp_path / "crash.log"), "--maps", str(tmp_path / "missing")]) == 2


@requires_go
@pytest.mark.parametrize("mode", ["unmapped", "unmapped-part"])
def test_run_captures_the_map_and_sees_the_region_unmapped(tmp_path: Path, mode: str) -> None:
    module = tmp_path / "faults"
    shutil.copytree(PROGRAM, module)
    (module / "go.mod").write_text("module example.com/faults\n\ngo 1.21\n")
    report = tmp_path / "report.json"
    code = main(["run", "--no-static", "--check", "cgocheck", "-C", str(module), "--keep-logs", str(tmp_path / "logs"),
                 "--format", "json", "-o", str(report), "--", "go", "run", ".", mode])
    assert code == 1
    document = json.loads(report.read_text())
    (finding,) = document["findings"]
    assert finding["line"] == fault_line(mode)
    fault = finding["extra"]["fault_address"]
    assert fault["kind"] == "unmapped" and "was mapped and then unmapped" in fault["description"]
    assert fault["evidence"].startswith("/proc/") and "captured" in fault["evidence"]


@pytest.mark.parametrize(("sample", "address", "kind"), [
    ("valgrind_invalid_read_null_sigsegv_3.txt", "0x0", "nil"),
    ("asan_segv_unknown_address_clusterfuzz_1.txt", "0x000000010008", "low"),
    ("go_sigsegv_cgo_short_1.txt", "0x20", "nil-field"),
])
def test_public_samples_are_classified(shared_samples: Path, sample: str, address: str, kind: str) -> None:
    from cgoguard.reports import analyze

    faults = [f.extra["fault_address"] for f in analyze([shared_samples / sample]).findings
              if "fault_address" in f.extra]
    assert faults and faults[0]["kind"] == kind and int(faults[0]["address"], 16) == int(address, 16)
