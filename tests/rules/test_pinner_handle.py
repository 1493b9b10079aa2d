"""Pinner and Handle leak rules (CG401, CG402) over their analysistest fixtures."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from analysistest import FIXTURES, run

PINHANDLE = FIXTURES / "pinhandle"


@pytest.fixture(scope="module")
def findings() -> list:
    return run(PINHANDLE, {"CG401", "CG402"})


def _negative_functions(path: Path) -> int:
    return len(re.findall(r"^func ", path.read_text().split("// ---- negatives ----", 1)[1], re.M))


def test_each_rule_has_enough_positives_and_negatives(findings: list) -> None:
    per_rule = Counter(f.rule for f in findings)
    assert per_rule["CG401"] >= 8 and per_rule["CG402"] >= 8, per_rule
    assert _negative_functions(PINHANDLE / "pinner" / "pinner.go") >= 8
    assert _negative_functions(PINHANDLE / "handle" / "handle.go") >= 8


def test_pinner_message_names_the_return_and_the_fix(findings: list) -> None:
    leak = next(f for f in findings if f.rule == "CG401" and f.line == 27)
    assert "returns at line 29" in leak.message
    assert "defer pinner.Unpin()" in leak.message
    assert [r.line for r in leak.related] == [29]


def test_handle_message_names_the_handle(findings: list) -> None:
    leak = next(f for f in findings if f.rule == "CG402" and f.line == 25)
    assert "h.Delete()" in leak.message
    assert {f.category for f in findings if f.rule == "CG402"} == {"handle-leak"}


PINNER_LEAK_PROGRAM = """package main

import (
	"fmt"
	"runtime"
	"time"
)

// The shape CG401 reports: Pin without Unpin, the Pinner then dropped.
func leak() {
	var p runtime.Pinner
	p.Pin(new([64]byte))
}

func main() {
	leak()
	for i := 0; i < 5; i++ {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Println("no panic")
}
"""


def test_pinner_leak_label_is_real(go_builder, tmp_path: Path) -> None:
    """The Go runtime itself rejects what CG401 reports: a dropped Pinner that still pins."""
    source = tmp_path / "pinleak"
    source.mkdir()
    (source / "main.go").write_text(PINNER_LEAK_PROGRAM)
    binary = go_builder(source, name="pinleak")
    result = subprocess.run([str(binary)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "leaking pinned pointer" in result.stderr
