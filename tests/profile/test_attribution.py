"""Attribution of stacks whose Go side is missing, as Go before 1.21 and DWARF unwinding leave them.

perf stacks of a Go 1.19 cgo program end in ``[unknown]`` right after ``_cgo_<hash>_Cfunc_f``
(shared sample perf_script_1). The hash names the package; the source's ``C.f`` calls are
the call sites: the only one gets everything ("static"), several share in proportion to the
samples unwound at each (transition samples keep their Go stacks), or equally.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cgoguard.cli import main
from cgoguard.gofront.cgoprefix import cgo_prefix
from cgoguard.profile.attribute import attribute
from cgoguard.profile.perfscript import parse_perf_script
from cgoguard.profile.stacks import classify_stack
from cgoguard.profile.symbols import Resolved, kind_of

PROGRAM = Path(__file__).parent / "programs" / "split"


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    tree = tmp_path / "split"
    shutil.copytree(PROGRAM, tree)
    return tree


def _sample(frames: list[str], count: int, start: int = 0) -> str:
    header = "split 7 [000] {t}.000001: 1001001 cpu-clock: \n"
    body = "".join(f"\t {0x1000 + i:x} {frame} (/gone/split)\n" for i, frame in enumerate(frames))
    return "".join(header.format(t=start + i) + body + "\t 0 [unknown] ([unknown])\n\n" for i in range(count))


def _old_go_profile(source: Path) -> str:
    prefix = cgo_prefix("example.com/split", [source / "main.go"])
    return (_sample([f"{prefix}Cfunc_mix+0x1a"], 400)
            + _sample([f"{prefix}Cfunc_spinA+0x1a"], 120)
            + _sample(["runtime.exitsyscall+0x5a", "runtime.cgocall+0xb1", "main._Cfunc_mix.abi0+0x4d",
                       "main.mixHeavy+0x25", "main.main+0x40"], 30)
            + _sample(["runtime.entersyscall+0x12", "runtime.cgocall+0x75", "main._Cfunc_mix.abi0+0x4d",
                       "main.mixLight+0x25", "main.main+0x50"], 10))


def test_stacks_that_stop_in_c_go_to_the_sources_call_sites(source: Path) -> None:
    counts = parse_perf_script(_old_go_profile(source).splitlines())
    result = attribute(counts, source_roots=[source])
    sites = {site.function: site for site in result.call_sites}
    mix_heavy, mix_light, heavy = sites["main.mixHeavy"], sites["main.mixLight"], sites["main.heavy"]
    assert mix_heavy.estimated == pytest.approx(300) and mix_light.estimated == pytest.approx(100)
    assert mix_heavy.method == mix_light.method == "proportional" and "in proportion" in mix_heavy.split
    assert (mix_heavy.transition, mix_light.transition) == (30, 10)
    assert heavy.samples == 120 and heavy.method == "static" and "only call of C.spinA" in heavy.split
    lines = (source / "main.go").read_text().splitlines()
    assert "C.mix(3 * unit)" in lines[mix_heavy.line - 1] and "C.spinA" in lines[heavy.line - 1]
    assert result.transitions == {"exitsyscall": 30, "entersyscall": 10}
    assert any("stop before their Go caller" in note for note in result.notes)


def test_without_transition_samples_the_split_is_equal_and_says_so(source: Path) -> None:
    prefix = cgo_prefix("example.com/split", [source / "main.go"])
    result = attribute(parse_perf_script(_sample([f"{prefix}Cfunc_mix+0x1a"], 40).splitlines()),
                       source_roots=[source])
    assert sorted(site.samples for site in result.call_sites) == [20, 20]
    assert all("split equally" in site.split for site in result.call_sites)


def test_a_hash_of_another_build_is_unattributed_with_the_reason(source: Path) -> None:
    result = attribute(parse_perf_script(_sample(["_cgo_0123456789ab_Cfunc_mix+0x1a"], 5).splitlines()),
                       source_roots=[source])
    assert not result.call_sites and result.unattributed["no-go-frame"].samples == 5
    assert any("matches no package under --source" in note for note in result.notes)


def test_transition_samples_are_split_by_phase() -> None:
    text = (_sample(["runtime.casgstatus+0x9", "runtime.cgocall+0xb1", "main._Cfunc_cadd.abi0+0x4d",
                     "main.main.func3+0x65"], 3)
            + _sample(["_cgo_topofstack+0x18", "main._Cfunc_cadd.abi0+0x4d", "main.main.func3+0x65"], 2)
            + _sample(["runtime.asmcgocall.abi0+0x60", "main._Cfunc_cadd.abi0+0x4d", "main.main.func3+0x65"], 1))
    result = attribute(parse_perf_script(text.splitlines()))
    assert result.transitions == {"runtime.cgocall": 5, "runtime.asmcgocall": 1}
    (site,) = result.call_sites
    assert site.transition == 6 and site.samples == 0 and site.function == "main.main.func3"


@pytest.mark.parametrize("names, kind", [
    (["spinA", "runtime.cgocall", "main._Cfunc_spinA.abi0", "main.heavy"], "c"),
    (["runtime.cgocall", "main._Cfunc_spinA.abi0", "main.heavy"], "transition"),
    (["main.goCallback", "_cgoexp_0123456789ab_goCallback", "crosscall2", "cfunc", "runtime.cgocall",
      "main._Cfunc_cfunc", "main.main"], "go"),
    (["__vdso_clock_gettime", "runtime.nanotime1.abi0", "runtime.main"], "go"),
    (["clone3"], "c"),
    (["burn.constprop.0", "runtime.asmcgocall.abi0"], "c"),
    (["x_cgo_mmap", "runtime.asmcgocall.abi0", "runtime.mmap.func1"], "go"),
    (["ksys_mmap"], "kernel"),
])
def test_stack_kinds(names: list[str], kind: str) -> None:
    module = {"ksys_mmap": "[kernel.kallsyms]"}
    frames = [Resolved(n, kind=kind_of(n, module.get(n, "/p")), module=module.get(n, "/p")) for n in names]
    assert classify_stack(frames).kind == kind


def test_pprof_and_perf_inputs_cannot_be_mixed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from test_pprof import profile_bytes

    (tmp_path / "cpu.pprof").write_bytes(profile_bytes())
    (tmp_path / "perf.txt").write_text(_sample(["f+0x1"], 2))
    assert main(["profile", str(tmp_path / "cpu.pprof"), str(tmp_path / "perf.txt")]) == 2
    assert "cannot be merged" in capsys.readouterr().err


@pytest.mark.parametrize("content, message", [
    (b"", "neither perf script text"), (b"\x00\x01garbage", "neither perf script text"),
    (b"PERFILE2" + b"\0" * 200, "perf script"), (b"\x1f\x8b\x08\x00\x00", "damaged"),
])
def test_unreadable_inputs_exit_2_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes,
                                                 message: str) -> None:
    path = tmp_path / "input"
    path.write_bytes(content)
    assert main(["profile", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", str(tmp_path / "missing")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["profile", "/dev/null"]) == 2
    assert "pseudo-file system" in capsys.readouterr().err
    (tmp_path / "p.txt").write_text(_sample(["f+0x1"], 1))
    assert main(["profile", str(tmp_path / "p.txt"), "--binary", str(tmp_path / "nope")]) == 2


def test_one_unreadable_input_among_good_ones_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "good.txt").write_text(_sample(["f+0x1"], 3))
    (tmp_path / "bad.bin").write_bytes(b"\x00" * 10)
    assert main(["profile", str(tmp_path / "good.txt"), str(tmp_path / "bad.bin"), "--format", "folded"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "f 3\n" and "bad.bin" in captured.err
