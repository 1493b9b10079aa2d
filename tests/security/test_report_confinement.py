"""``report`` reads source only under ``--source``: a log cannot make it quote other files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hostile import cgoguard, write_tree

from cgoguard.findings import Frame
from cgoguard.reports.sourceindex import SourceIndex
from cgoguard.reports.symbolize import needs_symbol

SECRET = "SECRET-c41d"
LEGIT = "LEGIT-LINE-MARKER"
PANIC = """panic: runtime error: cgo argument has Go pointer to unpinned Go pointer

goroutine 1 [running]:
main.{function}(...)
\t{path}:{line} +0x3d
main.main()
\t{path}:{line} +0x3d
exit status 2
"""


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.go").write_text("".join(f"// {SECRET} line {i}\n" for i in range(1, 30)))
    src = write_tree(tmp_path / "work" / "src", {
        "main.go": "package main\n\n" + "".join(f"// filler {i}\n" for i in range(3, 12))
                   + f"func main() {{ work() }} // {LEGIT}\n",
    })
    os.symlink(outside / "secret.go", src / "leak.go")
    log = "".join([
        PANIC.format(function="a", path="/proc/self/environ", line=1),
        PANIC.format(function="b", path=outside / "secret.go", line=3),
        PANIC.format(function="c", path="/build/src/leak.go", line=4),
        PANIC.format(function="d", path=src / "leak.go", line=5),
        PANIC.format(function="e", path="/build/src/main.go", line=12),
    ])
    (tmp_path / "work" / "crash.log").write_text(log)
    return src


@pytest.mark.parametrize("fmt", ["html", "text", "json", "sarif", "github"])
def test_no_format_quotes_a_file_outside_the_source_roots(sources: Path, fmt: str) -> None:
    result = cgoguard("report", "crash.log", "--source", "src", "--format", fmt, "--fail-on", "none",
                      cwd=sources.parent, env={"CGOGUARD_TEST_MARK": SECRET})
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    if fmt == "html":  # the positive control: a file inside --source is quoted
        assert LEGIT in result.stdout


def test_the_source_index_never_resolves_outside_its_roots(sources: Path) -> None:
    index = SourceIndex([sources])
    assert index.resolve("/proc/self/environ", "main.a", 1) is None
    assert index.resolve(str(sources / "leak.go"), "main.d", 5) is None
    assert index.resolve("/build/src/leak.go", "main.c", 4) is None
    assert index.resolve("/build/src/main.go") == sources / "main.go"
    assert [p.name for p in index._files[0]] == ["main.go"]


def test_symbolization_passes_only_hexadecimal_offsets() -> None:
    assert needs_symbol(Frame(function="", module="/bin/x", offset="0x4005d4"))
    for offset in ("--version", "@/etc/passwd", "0x12 -e /x", "12"):
        assert not needs_symbol(Frame(function="", module="/bin/x", offset=offset))
