"""cgoguard mem: parsers on saved files, classification, trends, and real processes."""

from __future__ import annotations

import json
import os
import resource
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cgoguard.cli import main
from cgoguard.errors import CgoguardError
from cgoguard.mem import analyse, load, watch
from cgoguard.mem.classify import classify, refine_with_memstats
from cgoguard.mem.memstats import heap_profile_url, parse_memstats
from cgoguard.mem.procfs import parse_maps, parse_status, read_process
from cgoguard.mem.sample import Sample, sample_process
from cgoguard.mem.trend import MB, go_series, series_growth, theil_sen

PROGRAM = Path(__file__).parent / "program"

SMAPS = """\
00400000-00402000 r--p 00000000 fe:00 9978674                            /srv/app
Rss:                   8 kB
00544000-0054d000 rw-p 00143000 fe:00 9978674                            /srv/app
Rss:                  36 kB
0054d000-00583000 rw-p 00000000 00:00 0
Rss:                 100 kB
0ef96000-0efb7000 rw-p 00000000 00:00 0                                  [heap]
Rss:                 132 kB
c000000000-c004000000 rw-p 00000000 00:00 0
Rss:               40960 kB
7f6124000000-7f6124021000 rw-p 00000000 00:00 0
Rss:                 132 kB
7f6124021000-7f6128000000 ---p 00000000 00:00 0
Rss:                   0 kB
7f612b7ff000-7f612b800000 ---p 00000000 00:00 0
Rss:                   0 kB
7f612b800000-7f612c000000 rw-p 00000000 00:00 0
Rss:                  64 kB
7f6139c00000-7f6139e00000 rw-p 00000000 00:00 0
Rss:                2048 kB
7f614ceaa000-7f614ceab000 rw-p 00000000 00:00 0
Rss:                   4 kB
7f614ceab000-7f616ceaa000 ---p 00000000 00:00 0
Rss:                   0 kB
7f6180761000-7f6180787000 r--p 00000000 fe:00 326269                     /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                 152 kB
7ffca1dab000-7ffca1dcc000 rw-p 00000000 00:00 0                          [stack]
Rss:                  20 kB
"""


def test_smaps_parser_and_classification() -> None:
    mappings = parse_maps(SMAPS)
    assert len(mappings) == 14 and mappings[4].rss == 40960 * 1024
    classes = {k: v // 1024 for k, v in classify(mappings).items()}
    assert classes == {
        "go-heap": 40960,  # the arena below the mmap area
        "go-runtime": 100 + 4,  # the binary's bss, and a rw page reserving a PROT_NONE tail
        "c-heap": 132 + 132 + 2048,  # brk heap, a 64 MiB glibc arena, a large malloc chunk
        "thread-stacks": 64 + 20,  # above a one-page guard, and [stack]
        "file-backed": 8 + 36 + 152,
        "other-anon": 0,
    }


def test_named_go_mappings_win_over_addresses() -> None:
    mappings = parse_maps("7f0000000000-7f0000100000 rw-p 00000000 00:00 0  [anon: Go: heap]\nRss: 1024 kB\n")
    assert classify(mappings)["go-heap"] == 1024 * 1024


@pytest.mark.parametrize("text", [
    "", "garbage\n\x00\x01", "zzzz-yyyy rw-p 0 0:0 0\nRss: 4 kB\n", "Rss: 12 kB\n",
    "00400000-00300000 rw-p 00000000 00:00 0\n",  # end before start
    "00400000-00402000 rw-p 00000000 fe:00 1 /x\nRss: lots kB\nPss:\n",
])
def test_malformed_smaps_never_raise(text: str) -> None:
    for mapping in parse_maps(text):
        assert mapping.end > mapping.start


def test_status_parser() -> None:
    status = parse_status("Name:\tapp\nVmRSS:\t  2136 kB\nThreads:\t7\nbogus\nVmData: x kB\n")
    assert status == {"VmRSS": 2136 * 1024, "Threads": 7}


def test_memstats_refine_the_split() -> None:
    text = "heap profile: 1: 2 [3: 4] @ heap/1048576\n# runtime.MemStats\n# HeapInuse = 10485760\n" \
           "# HeapIdle = 2097152\n# HeapReleased = 1048576\n# StackSys = 524288\n# GCSys = 524288\n"
    stats = parse_memstats(text)
    assert stats["HeapInuse"] == 10485760
    classes = {"go-heap": 30 * MB, "go-runtime": 0, "c-heap": 5 * MB, "thread-stacks": MB,
               "file-backed": 3 * MB, "other-anon": 0}
    refined = refine_with_memstats(classes, stats)
    assert refined["go-heap"] == 11 * MB and refined["go-runtime"] == MB
    assert refined["c-heap"] == 35 * MB - 12 * MB and refined["thread-stacks"] == MB
    assert heap_profile_url("http://127.0.0.1:6060/") == "http://127.0.0.1:6060/debug/pprof/heap?debug=1"


def test_theil_sen_ignores_outliers() -> None:
    xs = [float(i) for i in range(10)]
    ys = [2.0 * x for x in xs]
    ys[3] = 500.0
    assert theil_sen(xs, ys) == pytest.approx(2.0)


def _samples(go_rate: float, c_rate: float, n: int = 10) -> list[Sample]:
    return [Sample(time=60.0 * i, pid=1, rss=0, classes={
        "go-heap": int(100 * MB + go_rate * MB * i), "go-runtime": MB, "c-heap": int(50 * MB + c_rate * MB * i),
        "thread-stacks": 0, "file-backed": 0, "other-anon": 0}) for i in range(n)]


@pytest.mark.parametrize(("go_rate", "c_rate", "kind"), [
    (0, 20, "c-leak"), (20, 0, "go-growth"), (20, 20, "both"), (0, 0, "stable"), (0.2, 0.3, "stable"),
])
def test_verdicts(go_rate: float, c_rate: float, kind: str) -> None:
    assert analyse(_samples(go_rate, c_rate)).kind == kind


def test_runtime_metadata_growing_with_the_go_heap_is_not_a_c_leak() -> None:
    # Attributed from mappings, the runtime's metadata outside the heap grows with it and reads
    # as non-Go; with MemStats it is Go's, and the same non-Go growth is C's.
    samples = _samples(go_rate=100, c_rate=2)
    verdict = analyse(samples)
    assert verdict.kind == "go-growth" and "runtime's own metadata" in verdict.message
    for sample in samples:
        sample.source = "memstats"
    assert analyse(samples).kind == "both"
    assert analyse(_samples(go_rate=100, c_rate=10)).kind == "both"


def _warming(go_warmup_mb: float, c_rate: float, warmup_samples: int = 3, n: int = 12) -> list[Sample]:
    """A Go heap that grows by go_warmup_mb over the first samples and then stays flat (with
    a GC saw-tooth), next to a C heap growing c_rate MB per minute from the start."""
    samples = []
    for i in range(n):
        go = 20 * MB + go_warmup_mb * MB * min(i, warmup_samples) / warmup_samples + (i % 2) * MB // 2
        samples.append(Sample(time=60.0 * i, pid=1, rss=0, classes={
            "go-heap": int(go), "go-runtime": MB, "c-heap": int(50 * MB + c_rate * MB * i),
            "thread-stacks": 0, "file-backed": 0, "other-anon": 0}))
    return samples


def test_go_warm_up_is_not_growth() -> None:
    samples = _warming(go_warmup_mb=200, c_rate=10, warmup_samples=5)
    # Over the whole observation the Go side does grow: without the warm-up split, "both".
    whole = series_growth("go", [s.time for s in samples], go_series(samples))
    assert whole.significant and whole.mb_per_min > 5
    leak = analyse(samples)
    assert leak.kind == "c-leak" and leak.warmup_s == 300.0, leak.message
    assert "after a 300.0 s warm-up" in leak.message
    assert leak.growth["non-go"].mb_per_min == pytest.approx(10.0)
    settled = analyse(_warming(go_warmup_mb=200, c_rate=0, warmup_samples=5))
    assert settled.kind == "stable" and settled.warmup_s == 300.0
    # A Go heap that grows for more than half the observation is growth, not warm-up.
    assert analyse(_warming(go_warmup_mb=200, c_rate=10, warmup_samples=6)).kind == "both"
    assert analyse(_samples(20, 20)).warmup_s == 0.0


def test_too_few_samples() -> None:
    assert analyse(_samples(0, 50, n=2)).kind == "too-short"


def test_snapshot_files_and_bad_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for index, sample in enumerate(_samples(0, 30)):
        (tmp_path / f"sample-{index:05d}.json").write_text(json.dumps(sample.to_dict()))
    assert main(["mem", str(tmp_path), "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["verdict"]["kind"] == "c-leak" and document["findings"][0]["category"] == "memory-growth"
    (tmp_path / "broken.json").write_text("{not json")
    assert main(["mem", str(tmp_path)]) == 2
    assert "invalid JSON snapshot" in capsys.readouterr().err
    binary = tmp_path.parent / "bin.dat"
    binary.write_bytes(b"\x00\x01\x02")
    with pytest.raises(CgoguardError, match="binary"):
        load([binary])


def test_raw_smaps_file_is_a_snapshot(tmp_path: Path) -> None:
    (tmp_path / "smaps").write_text(SMAPS)
    [sample] = load([tmp_path / "smaps"])
    assert sample.classes["go-heap"] == 40960 * 1024


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mem"]) == 2
    assert main(["mem", "--pid", "999999999", "--duration", "0"]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.fixture(scope="module")
def memprog(go_builder) -> Path:
    return go_builder(PROGRAM, name="memprog")


def _start(binary: Path, mode: str, env: dict[str, str] | None = None,
           unlimited_stack: bool = False) -> tuple[subprocess.Popen, list[str]]:
    """The program running in ``mode``, and the words of its "ready" line."""
    command = [str(binary), mode]
    if unlimited_stack:
        # The kernel lays out a process started with an unlimited stack rlimit differently:
        # its mmap area begins near 0x155555554000 instead of 0x7f...
        command = ["sh", "-c", 'ulimit -s unlimited && exec "$0" "$@"', *command]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
    return process, process.stdout.readline().split()


def _observe(binary: Path, mode: str, pprof: bool = False, duration: float = 3.0):
    process, ready = _start(binary, mode, {"MEMPROG_PPROF": "1"} if pprof else {})
    try:
        url = ready[1] if pprof and len(ready) > 1 else None
        return watch(process.pid, interval=0.25, duration=duration, pprof=url).samples
    finally:
        process.kill()
        process.wait()


def test_five_real_processes(memprog: Path, tmp_path: Path) -> None:
    modes = ["cleak", "goleak", "steady", "frees", "warmcleak"]
    with ThreadPoolExecutor(len(modes)) as pool:
        # The warm-up process is watched longer, so that its 1.1 s warm-up ends well within the
        # first half of the observation (the most a warm-up may take) and the growth after it
        # has samples of its own, also on a loaded machine.
        observed = dict(zip(modes, pool.map(
            lambda m: _observe(memprog, m, duration=5.0 if m == "warmcleak" else 3.0), modes), strict=True))
    verdicts = {mode: analyse(samples) for mode, samples in observed.items()}
    rates = {m: {k: round(g.mb_per_min, 1) for k, g in v.growth.items()} for m, v in verdicts.items()}
    assert {m: v.kind for m, v in verdicts.items()} == {
        "cleak": "c-leak", "goleak": "go-growth", "steady": "stable", "frees": "stable",
        "warmcleak": "c-leak"}, rates
    # The warm-up process's Go heap did grow while it was observed: the verdict left it out.
    # (Whether the undivided series would read "both" depends on the warm-up's share of the
    # observation; test_go_warm_up_is_not_growth asserts it on fixed series.)
    assert verdicts["warmcleak"].warmup_s > 0
    warm = observed["warmcleak"]
    assert (warm[-1].classes["go-heap"] - warm[0].classes["go-heap"]) > 5 * MB
    # The C-leaking process's growth is in the C heap, not in Go's classes.
    cleak = verdicts["cleak"].growth
    assert cleak["c-heap"].mb_per_min > 10 * max(1.0, cleak["go-heap"].mb_per_min)
    # The steady process holds ~10 MiB on each side, and they are told apart.
    steady = observed["steady"][-1].classes
    assert 8 * MB < steady["c-heap"] < 16 * MB and 8 * MB < steady["go-heap"] < 64 * MB, steady
    from cgoguard.mem.plot import plot

    plot(observed["cleak"], verdicts["cleak"], tmp_path / "mem.png")
    plot(observed["cleak"], verdicts["cleak"], tmp_path / "mem.html")
    assert (tmp_path / "mem.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (tmp_path / "mem.html").read_text()


@pytest.mark.skipif(resource.getrlimit(resource.RLIMIT_STACK)[1] != resource.RLIM_INFINITY,
                    reason="the stack rlimit cannot be raised to unlimited here")
def test_split_holds_with_the_mmap_area_moved(memprog: Path) -> None:
    # Under an unlimited stack rlimit the kernel puts the mmap area (libraries, thread stacks,
    # malloc's arenas and chunks) far below 0x7f0000000000, next to where Go puts its heap:
    # the split must not depend on addresses.
    process, _ = _start(memprog, "steady", unlimited_stack=True)
    try:
        mappings, _, _ = read_process(process.pid)
        classes = sample_process(process.pid).classes
    finally:
        process.kill()
        process.wait()
    libc = min(m.start for m in mappings if "libc" in m.name)
    assert 8 * MB < classes["c-heap"] < 16 * MB and 8 * MB < classes["go-heap"] < 64 * MB, (hex(libc), classes)


def test_memstats_from_a_live_pprof_endpoint(memprog: Path) -> None:
    samples = _observe(memprog, "cleak", pprof=True)
    assert all(s.source == "memstats" for s in samples)
    assert analyse(samples).kind == "c-leak"


def test_process_exiting_mid_run_keeps_samples(memprog: Path) -> None:
    process = subprocess.Popen([str(memprog), "steady"], stdout=subprocess.PIPE, text=True)
    process.stdout.readline()
    subprocess.Popen(["sh", "-c", f"sleep 0.8; kill {process.pid}"])
    result = watch(process.pid, interval=0.2, duration=5.0)
    process.wait()
    assert result.samples and "exit" in result.stopped


@pytest.mark.parametrize("matplotlib", [True, False])
def test_html_page_shows_warm_up_fits_and_threshold(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                    matplotlib: bool) -> None:
    from cgoguard.mem.plot import plot, trend_lines
    from cgoguard.output import charts

    if matplotlib:
        pytest.importorskip("matplotlib")
    monkeypatch.setattr(charts, "have_matplotlib", lambda: matplotlib)
    samples = _warming(go_warmup_mb=200, c_rate=10, warmup_samples=5)
    verdict = analyse(samples)
    lines = trend_lines(samples, verdict)
    assert lines["non-go"][0][0][0] == 300.0 and lines["non-go"][1] == pytest.approx(10.0)
    plot(samples, verdict, tmp_path / "mem.html")
    page = (tmp_path / "mem.html").read_text()
    assert "after a 300.0 s warm-up" in page and "warm-up ends" in page
    assert "non-go fit +10.0 MB/min" in page and "threshold 1 MB/min" in page
    assert ("Drawn without matplotlib" in page) is not matplotlib
    assert "<script" not in page
