"""``cgoguard run`` never exits 0 on nothing: its exit status in each way a check can fail.

``programs/tiny`` is a small cgo module with a passing test, a test that sleeps when asked
(to time a check out), a file that breaks only the ``-race`` build, and a package without
tests.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from gotools import requires_go

from cgoguard.cli import main

TINY = Path(__file__).parent / "programs" / "tiny"

pytestmark = requires_go


def run(tmp_path: Path, directory: Path, *args: str) -> tuple[int, dict]:
    report = tmp_path / "report.json"
    code = main(["run", "--no-static", "-C", str(directory), "--format", "json", "-o", str(report), *args])
    return code, json.loads(report.read_text())


def statuses(document: dict) -> dict[str, str]:
    return {check["check"]: check["status"] for check in document["checks"]}


def test_outside_a_module_no_check_runs(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, document = run(tmp_path, empty, "--check", "cgocheck")
    assert code == 2
    assert statuses(document) == {"cgocheck": "failed to run"}
    # (no go.mod above, or one above that does not hold this directory)
    why = re.compile(r"go\.mod file not found|does not contain main module")
    assert why.search(document["checks"][0]["message"])
    err = capsys.readouterr().err
    assert "no check ran, so nothing was tested: cgocheck: failed to run (" in err and why.search(err)


def test_every_check_timed_out(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("TINY_SLEEP", "1")
    code, document = run(tmp_path, TINY, "--check", "cgocheck", "--timeout", "3", "--",
                         "go", "test", "-run", "TestSleep", ".")
    assert code == 2
    assert statuses(document) == {"cgocheck": "timed out"}
    assert "cgocheck: timed out (killed after 3 s (--timeout))" in capsys.readouterr().err


def test_a_command_that_starts_no_program_ran_nothing(tmp_path: Path, capsys) -> None:
    code, document = run(tmp_path, TINY, "--check", "cgocheck", "--", "go", "test", "./notests")
    assert code == 2
    assert statuses(document) == {"cgocheck": "nothing ran"}
    assert "started no test binary or program" in capsys.readouterr().err


def test_a_partial_run_passes_without_strict_and_fails_with_it(tmp_path: Path, capsys) -> None:
    if shutil.which("go") is None:
        pytest.skip("needs go")
    code, document = run(tmp_path, TINY, "--check", "cgocheck,race", "--", "go", "test", "-run", "TestAdd", ".")
    assert statuses(document) == {"cgocheck": "passed", "race": "failed to run"}
    assert code == 0  # judged by the checks that ran; the table says race did not
    code, _ = run(tmp_path, TINY, "--check", "cgocheck,race", "--strict", "--",
                  "go", "test", "-run", "TestAdd", ".")
    assert code == 2
    assert "--strict: race did not run" in capsys.readouterr().err


def test_gc_check_without_a_collection_says_so(tmp_path: Path) -> None:
    code, document = run(tmp_path, TINY, "--check", "gc", "--", "go", "test", "-run", "TestAdd", ".")
    assert code == 0  # it ran; there was nothing to measure
    assert statuses(document) == {"gc": "no GC cycle ran"}
    assert "ended before the first garbage collection" in document["checks"][0]["message"]


def test_text_summary_counts_findings_and_checks(tmp_path: Path, capsys) -> None:
    code = main(["run", "--no-static", "-C", str(TINY), "--check", "cgocheck,race", "--",
                 "go", "test", "-run", "TestAdd", "."])
    assert code == 0
    out = capsys.readouterr().out
    assert "cgoguard: no findings from 1 of 2 checks in " in out
    assert "(race: failed to run)" in out
