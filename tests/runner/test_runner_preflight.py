"""Preflight: what is missing is named, with what to install, and the other checks still run."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from gotools import requires_go

from cgoguard.cli import main
from cgoguard.runner.checks import plan
from cgoguard.runner.toolchain import Toolchain, inspect_toolchain


def path_with(tmp_path: Path, *tools: str) -> str:
    """A PATH holding only ``tools`` (symlinks to the real ones)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in tools:
        real = shutil.which(tool)
        assert real, f"{tool} is needed for this test"
        (bin_dir / tool).symlink_to(real)
    return str(bin_dir)


def run_json(tmp_path: Path, path: str, *args: str) -> tuple[int, dict]:
    report = tmp_path / "report.json"
    old_path = os.environ["PATH"]
    os.environ["PATH"] = path
    try:
        code = main(["run", "--no-static", "-C", str(tmp_path), "--format", "json", "-o", str(report), *args])
    finally:
        os.environ["PATH"] = old_path
    return code, json.loads(report.read_text())


def test_without_go_every_check_says_how_to_get_it(tmp_path: Path, capsys) -> None:
    code, document = run_json(tmp_path, path_with(tmp_path), "--check", "asan,cgocheck,race")
    assert code == 2  # no check ran: not a green CI job
    assert ("no check ran, so nothing was tested: asan, cgocheck, race: failed to run (the Go toolchain"
            in capsys.readouterr().err)
    assert [c["status"] for c in document["checks"]] == ["failed to run"] * 3
    assert all("'go') is not on PATH" in c["message"] and "https://go.dev/dl/" in c["message"]
               for c in document["checks"])
    assert {e["path"] for e in document["errors"]} == {"check asan", "check cgocheck", "check race"}
    code, _ = run_json(tmp_path, path_with(tmp_path), "--check", "cgocheck", "--strict")
    assert code == 2


@requires_go
def test_without_a_c_compiler_cgo_checks_say_what_to_install(tmp_path: Path) -> None:
    code, document = run_json(tmp_path, path_with(tmp_path, "go"), "--check", "cgocheck,leak", "--strict")
    assert code == 2
    for check in document["checks"]:
        assert check["status"] == "failed to run"
        assert "C compiler 'gcc' (go env CC) is not on PATH" in check["message"]
        assert "apt-get install gcc" in check["message"]


@requires_go
def test_missing_symbolizer_is_a_note_not_a_failure(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": path_with(tmp_path, "go", "gcc")}
    chain = inspect_toolchain(tmp_path, env)
    assert chain.usable and chain.symbolizer is None
    (asan,) = plan(["asan"], chain, env)
    assert not asan.problem
    assert "allow_addr2line=1" in asan.env["ASAN_OPTIONS"] and "ASAN_SYMBOLIZER_PATH" not in asan.env
    assert any("llvm-symbolizer not found" in note and "apt-get install llvm" in note for note in asan.notes)


@requires_go
def test_real_compiler_links_asan_and_a_broken_one_is_explained(tmp_path: Path) -> None:
    chain = inspect_toolchain(tmp_path, dict(os.environ))
    assert chain.usable and chain.at_least(1, 18)
    assert chain.sanitizer_problem("address") == ""
    broken = Toolchain(chain.go, {**chain.env, "CC": "false"})
    problem = broken.sanitizer_problem("address")
    assert "cannot link a -fsanitize=address program" in problem and "apt-get install libasan8" in problem


def test_when_asan_cannot_run_the_other_checks_still_do() -> None:
    chain = Toolchain("/usr/bin/go", {"GOVERSION": "go1.26.0", "GOOS": "linux", "GOARCH": "amd64",
                                      "CC": shutil.which("gcc") or "gcc"})
    chain._probes["address"] = "cannot find libasan_preinit.o: No such file or directory"
    if chain.compiler.path is None:
        pytest.skip("needs gcc on PATH")
    setups = {s.name: s for s in plan(["asan", "leak", "cgocheck", "race"], chain, {})}
    assert "cannot find libasan_preinit.o" in setups["asan+leak"].problem
    assert "apt-get install libasan" in setups["asan+leak"].problem
    assert not setups["cgocheck"].problem and not setups["race"].problem
