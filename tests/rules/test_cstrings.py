"""CG205 (unterminated C string) over its fixture, and the demo whose C side shows the bug."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from analysistest import FIXTURES, analyze, expectations, run

from cgoguard.reports import analyze_text

DEMO = FIXTURES / "cstrings" / "cstrdemo"


def test_fixture_findings_match_wants() -> None:
    findings = run(FIXTURES / "cstrings", {"CG205"})
    assert {f.category for f in findings} == {"buffer-overflow"}
    assert len([f for f in findings if "cstrdemo" not in f.path]) >= 10
    wants = expectations(sorted((FIXTURES / "cstrings").rglob("*.go")))
    assert all(w.pattern.startswith("CG205") for w in wants)
    negatives = (FIXTURES / "cstrings" / "cstrings.go").read_text().count("// Negative")
    assert negatives >= 6


def test_a_document_asking_for_the_terminator_silences_an_uncalled_function(tmp_path: Path) -> None:
    source = ('package p\n\n// #include <stdio.h>\nimport "C"\nimport "unsafe"\n\n{doc}'
              "func Print(s string) {{ C.puts((*C.char)(unsafe.Pointer(unsafe.StringData(s)))) }}\n")
    (tmp_path / "p.go").write_text(source.format(doc=""))
    assert [f.rule for f in analyze(tmp_path, {"CG205"})] == ["CG205"]
    (tmp_path / "p.go").write_text(source.format(doc="// Print prints s, which must be NUL-terminated.\n"))
    assert analyze(tmp_path, {"CG205"}) == []


def _run(go_builder: Callable[..., Path], flags: tuple[str, ...], mode: str,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    try:
        binary = go_builder(DEMO, flags=flags)
    except RuntimeError as exc:  # e.g. no libasan for -asan
        pytest.skip(f"cannot build the demo with {flags}: {str(exc).splitlines()[-1]}")
    return subprocess.run([str(binary), mode], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", **(env or {})})


def test_c_prints_the_bytes_after_the_go_array(go_builder: Callable[..., Path]) -> None:
    """The CG205 label is real: printf's %s runs past the 8 Go bytes into the next field."""
    static = analyze(DEMO, {"CG205"})
    assert [f.rule for f in static] == ["CG205", "CG205"]
    assert _run(go_builder, (), "adjacent").stdout == "[Gophers!+tail]\n"
    assert _run(go_builder, (), "terminated").stdout == "[Gophers!]\n"


def test_asan_stops_the_read_past_the_go_bytes(go_builder: Callable[..., Path]) -> None:
    static = analyze(DEMO, {"CG205"})
    heap = [f for f in static if "Gophers!" in f.message and "[]byte" in f.message]
    asan = _run(go_builder, ("-asan",), "asan", {"ASAN_OPTIONS": "abort_on_error=1"})
    assert "AddressSanitizer: use-after-poison" in asan.stderr and "READ of size 9" in asan.stderr
    result = analyze_text(asan.stderr, source_roots=[DEMO], static_findings=heap)
    assert [(f.rule, f.line) for f in result.findings] == [("RT-ASAN", heap[0].line)]
    assert heap[0].extra.get("confirmed_at_runtime")
    assert _run(go_builder, ("-asan",), "terminated").returncode == 0
