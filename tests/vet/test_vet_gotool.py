"""``go vet -vettool=cgoguard-vet`` with the real go command, on copies of the examples."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gotools import REPO_ROOT, requires_go

pytestmark = requires_go
_BUG = re.compile(r"// BUG\(([a-z-]+)\)")
_DIAGNOSTIC = re.compile(r"^(?P<path>[^\s:]+\.go):(?P<line>\d+):\d+: (?P<rule>CG\d{3}) \[(?P<category>[a-z-]+)\]")


@pytest.fixture(scope="module")
def vettool(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The installed console script, or a wrapper around this interpreter when the package is
    not installed as a distribution (running from a source tree)."""
    installed = shutil.which("cgoguard-vet", path=str(Path(sys.executable).parent)) or shutil.which("cgoguard-vet")
    if installed:
        return installed
    wrapper = tmp_path_factory.mktemp("bin") / "cgoguard-vet"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m cgoguard.vet.main "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    shutil.copytree(REPO_ROOT / "examples", tmp_path / "examples")
    return tmp_path / "examples"


def _go_vet(module: Path, vettool: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CGO_ENABLED": "1", "GOFLAGS": "-mod=mod"}
    return subprocess.run(["go", "vet", f"-vettool={vettool}", *args, "./..."], cwd=module, env=env,
                          capture_output=True, text=True, timeout=900)


def _planted_bugs(module: Path) -> set[tuple[str, int, str]]:
    bugs = set()
    for path in module.rglob("*.go"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = _BUG.search(line)
            if match and match.group(1) != "data-race":  # a runtime-only bug (cgoguard run --check race)
                bugs.add((path.relative_to(module).as_posix(), number, match.group(1)))
    return bugs


def test_buggy_example_reports_every_planted_bug(examples: Path, vettool: str) -> None:
    module = examples / "buggy"
    result = _go_vet(module, vettool)
    assert result.returncode == 1, result.stderr
    reported = {(m["path"], int(m["line"]), m["category"])
                for m in map(_DIAGNOSTIC.match, result.stderr.splitlines()) if m}
    assert _planted_bugs(module) <= reported, result.stderr
    assert "\tfirst freed here" in result.stderr  # related locations, under their finding
    # A second run is answered from the go command's cache, with the same diagnostics (in
    # another order: the go command prints analyzers in map order).
    again = _go_vet(module, vettool)
    assert again.returncode == 1 and sorted(again.stderr.splitlines()) == sorted(result.stderr.splitlines())


def test_clean_example_reports_nothing(examples: Path, vettool: str) -> None:
    result = _go_vet(examples / "clean", vettool)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_json_and_rule_selection(examples: Path, vettool: str) -> None:
    result = _go_vet(examples / "buggy", vettool, "-json", "-select=CG103")
    assert result.returncode == 0, result.stderr
    trees = [json.loads(chunk) for chunk in re.split(r"(?m)^(?=\{)", result.stdout + result.stderr)
             if chunk.strip().startswith("{")]
    diagnostics = [d for tree in trees for analyzers in tree.values() for d in analyzers.get("double-free", [])]
    assert [d["posn"].rsplit(":", 2)[1] for d in diagnostics] == ["51"]


def test_go_vet_fix_applies_the_safe_fixes(examples: Path, vettool: str) -> None:
    module = examples / "buggy"
    preview = _go_vet(module, vettool, "-fix", "-diff")
    assert preview.returncode == 1 and "+\tb.c = nil" in preview.stdout
    fixed = _go_vet(module, vettool, "-fix")
    assert fixed.returncode == 0, fixed.stderr
    source = (module / "cbuf" / "buffer.go").read_text()
    assert "\tC.buffer_free(b.c)\n\tb.c = nil\n" in source and "defer C.free(unsafe.Pointer(cBufferString))" in source
    after = _go_vet(module, vettool)
    assert not re.search(r"CG10[14]", after.stderr), after.stderr
