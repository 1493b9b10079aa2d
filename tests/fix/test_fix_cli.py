"""``cgoguard scan --fix / --diff`` on copies of the examples and of the autofix fixtures:
golden diffs, the fixed findings gone on a re-scan, and fixed code the real Go toolchain
still builds."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from analysistest import FIXTURES
from gotools import REPO_ROOT, requires_go

from cgoguard.cli import main

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture
def examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO_ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path / "examples")
    return tmp_path / "examples"


def _cgoguard(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["scan", "--no-cache", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _rules(capsys: pytest.CaptureFixture[str], path: str) -> list[tuple[str, int]]:
    _, out, _ = _cgoguard(capsys, "--format", "json", "-q", path)
    return [(f["rule"], f["line"]) for f in json.loads(out)["findings"]]


def test_diff_shows_the_fixes_and_writes_nothing(examples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {p: p.read_bytes() for p in examples.rglob("*.go")}
    status, out, err = _cgoguard(capsys, "--diff", "buggy")
    assert status == 1
    assert out == (GOLDEN / "examples_buggy.diff").read_text()
    assert "would fix 2 finding(s) in 1 file(s)" in err
    assert {p: p.read_bytes() for p in examples.rglob("*.go")} == before
    assert _cgoguard(capsys, "--diff", "clean")[:2] == (0, "")


def test_scan_summary_says_what_is_fixable(examples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = _cgoguard(capsys, "buggy")
    assert "cgoguard: 2 fixable with --fix (preview with --diff)" in err


def test_fix_rejects_write_baseline(examples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _cgoguard(capsys, "--fix", "--write-baseline", "b.json", "buggy")
    assert status == 2 and "--write-baseline" in err


@requires_go
def test_fixed_examples_build_and_the_fixed_findings_are_gone(examples: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    before = _rules(capsys, "buggy")
    status, _, err = _cgoguard(capsys, "--fix", "buggy")
    assert status == 1  # the findings without a fix remain
    assert "fixed 2 finding(s) in 1 file(s) (4 remaining)" in err
    after = _rules(capsys, "buggy")
    assert {r for r, _ in before} - {r for r, _ in after} == {"CG101", "CG104"}
    assert len(after) == len(before) - 2
    _go(examples / "buggy", "vet", "./...")
    assert _cgoguard(capsys, "--fix", "buggy")[2].startswith("cgoguard: fixed 0 finding(s)")


@requires_go
def test_unsafe_fixes_too_leave_code_that_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    module = tmp_path / "autofix"
    shutil.copytree(FIXTURES / "autofix", module, ignore=shutil.ignore_patterns("*.golden"))
    (module / "go.mod").write_text("module example.com/autofix\n\ngo 1.22\n")
    monkeypatch.chdir(module)
    selected = ("--select", "CG101,CG104,CG301,CG306")
    status, _, err = _cgoguard(capsys, *selected, "--fix", "--unsafe-fixes", ".")
    assert status == 1  # three findings have no fix
    assert "fixed 20 finding(s) in 6 file(s) (3 remaining)" in err, err
    _, out, _ = _cgoguard(capsys, "--format", "json", "-q", *selected, ".")
    remaining = {(f["rule"], Path(f["path"]).read_text().splitlines()[f["line"] - 1].strip())
                 for f in json.loads(out)["findings"]}
    assert remaining == {  # the three findings without a fix
        ("CG101", 'cs := C.CString(s) // want "CG101"'),
        ("CG104", 'C.free(unsafe.Pointer(n.val)) // want "CG104"'),
        ("CG306", 'return (*[1 << 30]C.int)(unsafe.Pointer(p))[i] // want "CG306"'),
    }
    _go(module, "vet", "-cgocall=false", "-unsafeptr=false", "./...")


def _go(directory: Path, *args: str) -> None:
    result = subprocess.run(["go", *args], cwd=directory, capture_output=True, text=True, timeout=600,
                            env={**__import__("os").environ, "CGO_ENABLED": "1", "GOFLAGS": "-mod=mod"})
    assert result.returncode == 0, result.stderr
