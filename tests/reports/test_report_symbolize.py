"""Symbolization of unsymbolized sanitizer frames with the real tools and with pyelftools."""

from __future__ import annotations

import re
import shutil

import pytest

from cgoguard.reports import analyze_text
from cgoguard.reports.symbolize import _dwarf

pytestmark = pytest.mark.go


def test_unsymbolized_c_only_asan_report_maps_to_the_go_call(c_only_asan_run) -> None:
    run = c_only_asan_run
    assert "(" in run.output and "+0x" in run.output and " in item_len" not in run.output
    result = analyze_text(run.output, source_roots=[run.source_dir])
    (finding,) = result.findings
    assert finding.category == "use-after-free"
    assert finding.line == run.line_of("C.item_len(")
    # Same bucket as the fully symbolized `go build -asan` report of the same bug.
    assert finding.signature == "use-after-free:item_len"
    # The inlined C function is expanded into its own frame, as ASan's own symbolizer does.
    assert [f.kind for f in finding.frames[:2]] == ["c", "cgo-glue"]
    assert finding.frames[0].function == "item_len" and finding.frames[1].function.endswith("_Cfunc_item_len")


def test_pyelftools_fallback_reads_dwarf_line_tables(c_only_asan_run) -> None:
    offsets = re.findall(r"\(\S+/prog\+(0x[0-9a-f]+)\)", c_only_asan_run.output)
    symbols = _dwarf(c_only_asan_run.binary, offsets[:1])
    ((function, path, line, _),) = symbols[offsets[0]]
    assert function.endswith("_Cfunc_item_len") and path.endswith("main.go") and line > 0


@pytest.mark.skipif(shutil.which("llvm-symbolizer") is None, reason="needs llvm-symbolizer")
def test_missing_module_uses_the_binary_option(c_only_asan_run) -> None:
    moved = c_only_asan_run.output.replace(str(c_only_asan_run.binary), "/gone/build/prog")
    result = analyze_text(moved, source_roots=[c_only_asan_run.source_dir], binary=c_only_asan_run.binary)
    assert result.findings[0].signature == "use-after-free:item_len"
    unresolved = analyze_text(moved, source_roots=[c_only_asan_run.source_dir])
    assert unresolved.findings[0].signature != "use-after-free:item_len"
