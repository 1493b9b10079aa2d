"""C-memory lifetime rules (CG101-CG104) over their analysistest fixtures."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from analysistest import FIXTURES, run

LIFETIME_RULES = {"CG101", "CG102", "CG103", "CG104"}
LIFETIME = FIXTURES / "lifetime"
CASES = {"leak": "CG101", "uaf": "CG102", "doublefree": "CG103", "dangling": "CG104"}


@pytest.fixture(scope="module")
def findings() -> dict[str, list]:
    return {name: run(LIFETIME / name, LIFETIME_RULES) for name in CASES}


def _negative_functions(directory: Path) -> int:
    source = "\n".join(p.read_text() for p in directory.glob("*.go"))
    negatives = source.split("// ---- negatives ----", 1)[1]
    return len(re.findall(r"^func ", negatives, re.M))


@pytest.mark.parametrize("case", sorted(CASES))
def test_fixture_matches_wants_with_enough_cases(findings: dict[str, list], case: str) -> None:
    per_rule = Counter(f.rule for f in findings[case])
    assert per_rule[CASES[case]] >= 8, per_rule
    assert _negative_functions(LIFETIME / case) >= 8


def _line_of(case: str, needle: str) -> int:
    source = next((LIFETIME / case).glob("*.go")).read_text().splitlines()
    return next(number for number, line in enumerate(source, 1) if needle in line)


def test_leak_message_names_variable_return_line_and_fix(findings: dict[str, list]) -> None:
    start = _line_of("leak", "func earlyReturn(")
    leak = next(f for f in findings["leak"] if f.rule == "CG101" and f.line == start + 1)
    assert f"returns at line {start + 3}" in leak.message
    assert "cs" in leak.message and "defer C.free(unsafe.Pointer(cs))" in leak.message
    assert [r.line for r in leak.related] == [start + 3]


def test_use_after_free_points_at_free_and_allocation(findings: dict[str, list]) -> None:
    start = _line_of("uaf", "func goStringAfterFree(")
    uaf = next(f for f in findings["uaf"] if f.rule == "CG102" and f.line == start + 3)
    assert {r.message for r in uaf.related} == {"freed here", "allocated here"}
    assert sorted(r.line for r in uaf.related) == [start + 1, start + 2]


def test_double_free_with_defer_names_the_defer(findings: dict[str, list]) -> None:
    # Reported at the second free in execution order: the deferred one, when the function returns.
    start = _line_of("doublefree", "func deferAndExplicit(")
    double = next(f for f in findings["doublefree"] if f.rule == "CG103" and f.line == start + 2)
    assert f"already freed at line {start + 4}" in double.message
    assert start + 4 in [r.line for r in double.related]


def test_delete_after_cgo_call_is_not_reported(findings: dict[str, list]) -> None:
    line = _line_of("dangling", "func (c *Cache) DropAfterCgo")
    assert not [f for f in findings["dangling"] if line <= f.line <= line + 3]


def test_severities(findings: dict[str, list]) -> None:
    severities = {f.rule: f.severity.value for fs in findings.values() for f in fs}
    assert severities == {"CG101": "warning", "CG102": "error", "CG103": "error", "CG104": "warning"}


def test_method_reading_a_freed_field_is_reported_at_the_read(findings: dict[str, list]) -> None:
    start = _line_of("uaf", "func (n *Node) Value()")
    uaf = next(f for f in findings["uaf"] if f.rule == "CG102" and f.line == start + 1)
    call = _line_of("uaf", "return n.Value()")
    assert "Node.Value reads n.c" in uaf.message and f":{call} calls it" in uaf.message
    assert call in [r.line for r in uaf.related]
