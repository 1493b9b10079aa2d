"""End to end: ``cgoguard run --check all`` on examples/buggy and examples/clean.

Each module is run once per session (the Go build cache makes later sessions faster). The
expected lines come from the ``BUG(<category>)`` marker comments in the example sources.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from gotools import REPO_ROOT, requires_go

from cgoguard.cli import main
from cgoguard.findings import Finding, InputError
from cgoguard.runner.cli import render_run
from cgoguard.runner.session import CheckResult
from cgoguard.runner.toolchain import inspect_toolchain

pytestmark = [requires_go, pytest.mark.slow]

EXAMPLES = REPO_ROOT / "examples"
MARKER = re.compile(r"BUG\(([a-z-]+)\)")
# The check that must see each planted bug (others may see it too).
SEEN_BY = {
    "use-after-free": "asan", "double-free": "asan", "c-leak": "leak",
    "go-pointer-to-go-pointer": "cgocheck", "go-pointer-returned-to-c": "cgocheck",
    "go-pointer-stored-in-c-memory": "cgocheck2", "data-race": "race",
}


def go_has_leak_check() -> bool:
    """LeakSanitizer runs at exit of -asan programs from Go 1.25 on."""
    chain = inspect_toolchain(REPO_ROOT, dict(os.environ))
    return chain.at_least(1, 25)


def planted_bugs(module: Path) -> dict[str, tuple[str, int]]:
    """category -> (path as reports show it, line) of every BUG(...) marker in Go code."""
    bugs = {}
    for path in sorted(module.rglob("*.go")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code, _, comment = line.partition("//")
            if code.strip() and (match := MARKER.search(comment)):
                bugs[match[1]] = (os.path.relpath(path), number)
    return bugs


def tree_listing(module: Path) -> list[str]:
    return sorted(str(p.relative_to(module)) for p in module.rglob("*"))


def run_module(module: Path, out_dir: Path, *extra: str) -> tuple[int, dict[str, Any], float]:
    before = tree_listing(module)
    report = out_dir / "report.json"
    started = time.monotonic()
    code = main(["run", "--check", "all", "-C", str(module), "--format", "json", "-o", str(report), *extra])
    seconds = time.monotonic() - started
    assert tree_listing(module) == before, "cgoguard run wrote into the module"
    return code, json.loads(report.read_text()), seconds


@pytest.fixture(scope="session")
def buggy_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any]]:
    out_dir = tmp_path_factory.mktemp("buggy")
    code, document, seconds = run_module(EXAMPLES / "buggy", out_dir, "--keep-logs", str(out_dir / "logs"))
    print(f"\ncgoguard run --check all on examples/buggy: {seconds:.1f} s")
    return code, document


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any]]:
    code, document, _ = run_module(EXAMPLES / "clean", tmp_path_factory.mktemp("clean"), "--jobs", "2")
    return code, document


def test_every_planted_bug_is_marked() -> None:
    assert set(planted_bugs(EXAMPLES / "buggy")) == set(SEEN_BY)
    assert planted_bugs(EXAMPLES / "clean") == {}


@pytest.mark.parametrize("category", sorted(SEEN_BY))
def test_each_planted_bug_is_found_once_at_its_line(buggy_run: tuple[int, dict[str, Any]], category: str) -> None:
    _, document = buggy_run
    if category == "c-leak" and not go_has_leak_check():
        pytest.skip("this Go has no leak detection at exit of -asan programs")
    path, line = planted_bugs(EXAMPLES / "buggy")[category]
    matches = [f for f in document["findings"] if f["category"] == category]
    assert [(f["path"], f["line"]) for f in matches] == [(path, line)], json.dumps(matches, indent=1)
    (finding,) = matches
    assert finding["source"] == "runtime"
    assert SEEN_BY[category] in finding["extra"]["checks"]


def test_buggy_summary_and_exit_code(buggy_run: tuple[int, dict[str, Any]]) -> None:
    code, document = buggy_run
    assert code == 1
    statuses = {c["check"]: c["status"] for c in document["checks"]}
    # The checkptr build runs with the default cgocheck and glibc's double-free abort: it meets
    # the cgocheck and double-free bugs too (merged with the other checks' findings).
    assert statuses == {"asan": "found bugs", "leak": "found bugs" if go_has_leak_check() else "passed",
                        "cgocheck": "found bugs", "cgocheck2": "found bugs", "checkptr": "found bugs",
                        "race": "found bugs", "gc": "no GC cycle ran"}  # the example's tests end before the first collection
    by_check = {c["check"]: c for c in document["checks"]}
    assert by_check["asan"]["shared_with"] == "leak"
    # One package, re-run past each crashing test: no test is hidden by a crash before it.
    assert by_check["asan"]["processes"] == 5 and by_check["leak"]["processes"] == 5
    assert Path(document["logs"]).is_dir()


def test_buggy_reports_nothing_but_the_planted_bugs(buggy_run: tuple[int, dict[str, Any]]) -> None:
    _, document = buggy_run
    planted = set(planted_bugs(EXAMPLES / "buggy").values())
    extra = [(f["path"], f["line"], f["category"], f["message"]) for f in document["findings"]
             if (f["path"], f["line"]) not in planted]
    assert extra == []


def test_clean_module_passes_every_check(clean_run: tuple[int, dict[str, Any]]) -> None:
    code, document = clean_run
    assert code == 0
    assert document["findings"] == [] and document["errors"] == []
    assert {c["check"]: c["status"] for c in document["checks"]} == {
        **{name: "passed" for name in ("asan", "leak", "cgocheck", "cgocheck2", "checkptr", "race")}, "gc": "no GC cycle ran"}
    assert all(c["processes"] == 1 for c in document["checks"])


@pytest.mark.parametrize("fmt", ["text", "sarif", "html"])
def test_report_formats(buggy_run: tuple[int, dict[str, Any]], fmt: str) -> None:
    _, document = buggy_run
    findings = [Finding.from_dict(f) for f in document["findings"]]
    errors = [InputError(**e) for e in document["errors"]]
    results = [CheckResult(c["check"], c["status"], c["seconds"], [], c.get("message", ""), c["processes"])
               for c in document["checks"]]
    text = render_run(results, findings, errors, document, fmt)
    if fmt == "text":
        assert re.search(r"^  asan\s+found bugs", text, re.M) and "gc         no GC cycle ran" in text
        assert "(found by asan" in text and text.rstrip().endswith(f"s; logs in {document['logs']}")
    elif fmt == "sarif":
        sarif = json.loads(text)
        assert len(sarif["runs"][0]["results"]) == len(findings)
    else:
        assert text.startswith("<!DOCTYPE html>") and "found bugs" in text
