"""The known-split program under perf and runtime/pprof: the shares must match the work.

``heavy`` and ``light`` call two C functions with 3:1 of the same work; ``mixHeavy`` and
``mixLight`` call one C function with 3:1 of the work. Under ``perf record -e cpu-clock -g``
a Go 1.21+ build unwinds from C to the Go caller, so both splits are measured, within a few
points. pprof's split drifts under load (it samples with per-thread timers that a loaded
machine delays): only the order is asserted there.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gotools import build_go

from cgoguard.cli import main
from cgoguard.profile import analyze_profiles
from cgoguard.profile.capture import perf_env, perf_problem, record_command

PROGRAM = Path(__file__).parent / "programs" / "split"
SECONDS = "2.5"
TOLERANCE = 0.06  # the expected share is 0.75; perf measured 0.74-0.76 on a loaded 2-core machine


def _require_perf() -> None:
    problem = perf_problem()
    if problem:
        pytest.skip(f"perf cannot record here: {problem}")


@pytest.fixture(scope="module")
def binary() -> Path:
    return build_go(PROGRAM, name="split")


@pytest.fixture(scope="module")
def perf_data(binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    _require_perf()
    output = tmp_path_factory.mktemp("perf") / "perf.data"
    subprocess.run([*record_command(output), "--", str(binary), "-seconds", SECONDS], check=True, env=perf_env(),
                   capture_output=True, timeout=120)
    return output


@pytest.fixture(scope="module")
def pprof_profile(binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("pprof") / "cpu.pprof"
    subprocess.run([str(binary), "-seconds", SECONDS, "-cpuprofile", str(output)], check=True, timeout=120)
    return output


def _by_function(sites: list[dict]) -> dict[str, dict]:
    return {site["function"]: site for site in sites}


def _share(first: float, second: float) -> float:
    return first / (first + second)


def test_perf_attributes_the_known_split(perf_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "profile.json"
    assert main(["profile", str(perf_data), "--source", str(PROGRAM), "--format", "json", "-o", str(out)]) == 0
    document = json.loads(out.read_text())
    assert set(document) >= {"tool", "call_sites", "transitions", "unattributed"}
    sites = _by_function(document["call_sites"])
    heavy, light = sites["main.heavy"], sites["main.light"]
    mix_heavy, mix_light = sites["main.mixHeavy"], sites["main.mixLight"]
    print("perf:", {name: site["samples"] for name, site in sites.items()})
    assert abs(_share(heavy["samples"], light["samples"]) - 0.75) < TOLERANCE
    assert abs(_share(mix_heavy["samples"], mix_light["samples"]) - 0.75) < TOLERANCE
    for site in (heavy, light, mix_heavy, mix_light):
        assert site["method"] == "unwound"  # frame pointers reach the Go caller: no estimate
        assert Path(site["path"]).name == "main.go" and site["line"] > 0 and site["column"] > 0
        assert set(site) >= {"path", "line", "function", "c_function", "samples", "share", "c_share"}
    assert (heavy["c_function"], light["c_function"], mix_heavy["c_function"]) == ("spinA", "spinB", "mix")
    source = (PROGRAM / "main.go").read_text().splitlines()
    assert "C.mix(3 * unit)" in source[mix_heavy["line"] - 1] and "C.mix(unit)" in source[mix_light["line"] - 1]
    # Nearly all the time is in C, and the C functions under each site are named.
    assert document["profile"]["c_share"] > 0.9
    assert sum(s["c_share"] for s in document["call_sites"]) == pytest.approx(
        1 - document["unattributed"]["c_share"], abs=0.01)
    assert {f["function"] for f in mix_heavy["c_functions"]} & {"mix", "burn"}
    assert set(document["transitions"]["phases"]) == {"runtime.cgocall", "runtime.asmcgocall", "entersyscall",
                                                      "exitsyscall"}


def test_perf_script_text_and_the_binary_give_the_same_answer(perf_data: Path, binary: Path, tmp_path: Path) -> None:
    if shutil.which("perf") is None:
        pytest.skip("needs perf")
    text = tmp_path / "perf.txt"
    with text.open("wb") as out:
        subprocess.run(["perf", "script", "-i", str(perf_data)], stdout=out, check=True, env=perf_env(),
                       stderr=subprocess.DEVNULL, timeout=120)
    from_data = analyze_profiles([str(perf_data)], source_roots=[PROGRAM]).attribution
    from_text = analyze_profiles([str(text)], binary=binary, source_roots=[PROGRAM]).attribution
    assert [(s.function, s.line, s.samples) for s in from_data.call_sites] == [
        (s.function, s.line, s.samples) for s in from_text.call_sites]


def test_a_moved_binary_is_read_through_binary_and_stdin_works(perf_data: Path, binary: Path, tmp_path: Path) -> None:
    if shutil.which("perf") is None:
        pytest.skip("needs perf")
    text = subprocess.run(["perf", "script", "-i", str(perf_data)], capture_output=True, check=True, env=perf_env(),
                          timeout=120).stdout.replace(str(binary).encode(), b"/gone/split")
    renamed = tmp_path / "split-renamed"
    shutil.copy2(binary, renamed)
    result = subprocess.run([sys.executable, "-m", "cgoguard", "profile", "-", "--binary", str(renamed), "--source",
                             str(PROGRAM), "--format", "json"], input=text, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr
    sites = _by_function(json.loads(result.stdout)["call_sites"])
    # "burn" is inlined into spinA: only the binary's DWARF names it.
    assert "burn" in {f["function"] for f in sites["main.heavy"]["c_functions"]}
    assert all(site["line"] > 0 for site in sites.values())


def test_pprof_orders_the_sites_and_says_what_it_cannot_see(pprof_profile: Path) -> None:
    result = analyze_profiles([str(pprof_profile)], source_roots=[PROGRAM]).attribution
    sites = {site.function: site for site in result.call_sites}
    print("pprof:", {name: site.samples for name, site in sites.items()})
    assert not result.c_visible
    assert sites["main.heavy"].samples > sites["main.light"].samples
    assert sites["main.mixHeavy"].samples > sites["main.mixLight"].samples
    assert sites["main.mixHeavy"].line != sites["main.mixLight"].line
    assert all(site.c_function in ("spinA", "spinB", "mix") for site in result.call_sites)


def test_pprof_text_says_c_time_is_charged_to_the_go_caller(pprof_profile: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", str(pprof_profile), "--source", str(PROGRAM), "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "charged to runtime.cgocall under the Go caller" in out
    assert "main.heavy" in out and "C.spinA" in out


def test_html_page_with_flame_graph(perf_data: Path, tmp_path: Path) -> None:
    page = tmp_path / "profile.html"
    assert main(["profile", str(perf_data), "--source", str(PROGRAM), "--format", "html", "-o", str(page)]) == 0
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert '<svg class="flame"' in html and "main.mixHeavy" in html and "C.spinA" in html


def test_mappings_made_from_c_by_go_call_site(binary: Path, tmp_path: Path) -> None:
    _require_perf()
    output = tmp_path / "maps.data"
    events = ",".join(f"syscalls:sys_{d}_{c}" for c in ("mmap", "munmap", "brk") for d in ("enter", "exit"))
    recorded = subprocess.run(["perf", "record", "-q", "-g", "-e", events, "-o", str(output), "--", str(binary),
                               "-maps"], env=perf_env(), capture_output=True, text=True, timeout=120)
    if recorded.returncode != 0:
        pytest.skip(f"syscall tracepoints not available: {recorded.stderr.strip()[-200:]}")
    document = analyze_profiles([str(output)], source_roots=[PROGRAM]).attribution
    rows = {row["function"]: row for row in document.memory}
    keep, temp = rows["main.keepMaps"], rows["main.tempMaps"]
    assert keep["c_function"] == "keep_map" and keep["mmaps"] == 4
    assert keep["live_bytes"] == 4 << 20 and keep["unmapped_bytes"] == 0
    assert temp["mmaps"] == 4 and temp["live_bytes"] == 0 and temp["unmapped_bytes"] == 4 << 20
    assert "mmap" in document.memory_summary["exit_events"]
