"""The scan driver's library API: cache, parallel workers, fingerprints."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from scanhelpers import LEAKY, write_tree

from cgoguard.gofront.discover import PackageSources, SourceFile
from cgoguard.gofront.syntax import parse_go
from cgoguard.output import render
from cgoguard.rules.base import Rule, RuleContext
from cgoguard.scan import ScanConfig, ScanResult, load_config, scan
from cgoguard.scan.cache import external_headers
from cgoguard.scan.fingerprints import enclosing_function

pytestmark = pytest.mark.usefixtures("test_rules")


def many_packages(root: Path, count: int) -> Path:
    files: dict[str, str] = {"go.mod": "module example.com/many\n\ngo 1.21\n"}
    for i in range(count):
        files[f"pkg{i}/a.go"] = LEAKY.replace("package leaky", f"package pkg{i}")
        files[f"pkg{i}/b.go"] = f'package pkg{i}\n\nimport "C"\n\nfunc B() {{ _ = C.CString("{i}") }}\n'
    return write_tree(root, files)


def as_json(result: ScanResult) -> str:
    return render(result.findings, result.errors, "json")


def test_parallel_scan_equals_serial_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    many_packages(tmp_path, 6)
    monkeypatch.chdir(tmp_path)
    serial = scan(["."], load_config(tmp_path, {"jobs": 1, "use_cache": False}))
    parallel = scan(["."], load_config(tmp_path, {"jobs": 2, "use_cache": False}))
    assert serial.packages == parallel.packages == 6
    assert len(serial.findings) == 18
    assert as_json(serial) == as_json(parallel)


def test_cache_hit_gives_identical_results_and_a_change_misses(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    many_packages(tmp_path, 3)
    monkeypatch.chdir(tmp_path)
    config = load_config(tmp_path, {"jobs": 1})
    first = scan(["."], config)
    assert first.cached == 0
    assert (tmp_path / ".cgoguard_cache" / "CACHEDIR.TAG").is_file()
    second = scan(["."], config)
    assert second.cached == 3
    assert as_json(first) == as_json(second)
    (tmp_path / "pkg1" / "b.go").write_text('package pkg1\n\nimport "C"\n\nfunc B() {}\n')
    third = scan(["."], config)
    assert third.cached == 2
    assert len(third.findings) == len(first.findings) - 1


def test_cache_key_includes_configuration_and_headers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {
        "go.mod": "module m\n",
        "include/shared.h": "int shared(void);\n",
        "p/p.go": 'package p\n\n// #cgo CFLAGS: -I${SRCDIR}/../include\n// #include "shared.h"\n'
                  'import "C"\n\nfunc F() { _ = C.CString("x") }\n',
    })
    monkeypatch.chdir(tmp_path)
    assert scan(["."], load_config(tmp_path)).cached == 0
    assert scan(["."], load_config(tmp_path, {"select": ("CG990",)})).cached == 0
    (tmp_path / "include" / "shared.h").write_text("int shared(int);\n")
    assert scan(["."], load_config(tmp_path)).cached == 0
    assert scan(["."], load_config(tmp_path)).cached == 1


def test_external_headers_follow_quoted_includes(tmp_path: Path) -> None:
    write_tree(tmp_path, {"inc/a.h": '#include "b.h"\n', "inc/b.h": "int b;\n", "p/own.h": "int own;\n"})
    go = SourceFile(tmp_path / "p/p.go", "p/p.go",
                    b'package p\n// #cgo CFLAGS: -I../inc\n// #include "a.h"\n// #include "own.h"\nimport "C"\n')
    own = SourceFile(tmp_path / "p/own.h", "p/own.h", b"int own;\n")
    sources = PackageSources(dir=tmp_path / "p", display_dir="p", go_files=[go], c_files=[own], roots=(tmp_path,))
    assert external_headers(sources) == [(tmp_path / "inc/a.h").resolve(), (tmp_path / "inc/b.h").resolve()]


def test_no_cache_writes_nothing(project: Path) -> None:
    scan(["."], load_config(project, {"use_cache": False}))
    assert not (project / ".cgoguard_cache").exists()


def test_unwritable_cache_directory_does_not_break_the_scan(project: Path) -> None:
    (project / "blocker").write_text("a file where the cache directory would go")
    result = scan(["."], load_config(project, {"cache_dir": project / "blocker" / "cache"}))
    assert len(result.findings) == 2


def test_fingerprints_ignore_line_numbers_but_keep_occurrences(project: Path) -> None:
    config = ScanConfig(root=project, use_cache=False)
    before = {f.rule: f.fingerprint for f in scan(["."], config).findings}
    write_tree(project, {"leaky/leaky.go": LEAKY.replace("package leaky\n", "package leaky\n\n// moved\n\n")})
    after = {f.rule: f.fingerprint for f in scan(["."], config).findings}
    assert before == after
    twice = LEAKY.replace("\tp := C.CString(s)\n", "\tp := C.CString(s)\n\tp := C.CString(s)\n")
    write_tree(project, {"leaky/leaky.go": twice})
    prints = [f.fingerprint for f in scan(["."], config).findings if f.rule == "CG990"]
    assert len(set(prints)) == 2 and before["CG990"] in prints


def test_enclosing_function_names_methods_and_package_level() -> None:
    source = b"package p\n\nvar x = 1\n\ntype T struct{}\n\nfunc (t *T) M() {\n\tf := func() {}\n\t_ = f\n}\n"
    root = parse_go(source).root_node
    assert enclosing_function(root, 8, 7) == "T.M"
    assert enclosing_function(root, 3, 5) == ""


def test_scan_result_counts(project: Path) -> None:
    result = scan(["."], ScanConfig(root=project, use_cache=False))
    assert (result.packages, result.files, result.lines) == (1, 1, LEAKY.strip().count("\n") + 1)
    assert json.loads(as_json(result))["errors"] == []


def test_interrupt_stops_the_workers_promptly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              test_rules: dict[str, Rule]) -> None:
    """Ctrl-C during a parallel scan ends it at once, not after the packages in progress."""
    slow = test_rules["CG990"]

    def crawl(ctx: RuleContext) -> None:
        time.sleep(1.0)
        slow.check(ctx)

    test_rules["CG990"] = Rule(meta=slow.meta, docs=slow.docs, check=crawl)
    many_packages(tmp_path, 24)
    monkeypatch.chdir(tmp_path)
    # Ctrl-C raises KeyboardInterrupt even when this test runs in a background job, which
    # inherits SIGINT ignored.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    interrupt = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    start = time.monotonic()
    interrupt.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            scan(["."], load_config(tmp_path, {"jobs": 2, "use_cache": False}))
        assert time.monotonic() - start < 6  # finishing the scan would take about 12 s
    finally:
        interrupt.join()
        signal.signal(signal.SIGINT, previous)
