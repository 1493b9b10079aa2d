"""Each fixing rule's fixes over its autofix fixtures, compared with golden files, and the
applicability each fix is given."""

from __future__ import annotations

import pytest
from analysistest import FIXTURES, run_with_fixes

from cgoguard.findings import Applicability

AUTOFIX = FIXTURES / "autofix"
RULES = {"CG101", "CG104", "CG301", "CG306"}


@pytest.mark.parametrize("case", ["leak", "dangling", "keepalive", "hugearray"])
def test_safe_fixes_match_golden_files(case: str) -> None:
    run_with_fixes(AUTOFIX / case, RULES)


def _applicability(case: str) -> dict[int, str | None]:
    findings = run_with_fixes(AUTOFIX / case, RULES)
    return {f.line: (f.fix.applicability.value if f.fix else None) for f in findings if f.path.endswith(f"{case}.go")}


def test_leak_fix_applicability() -> None:
    assert _applicability("leak") == {27: "safe", 33: "safe", 38: "safe", 44: "safe", 49: "safe", 50: "safe",
                                      55: "unsafe", 61: "unsafe", 68: None, 79: "unsafe", 89: "unsafe",
                                      90: "safe"}


def test_dangling_fix_applicability() -> None:
    assert _applicability("dangling") == {19: "safe", 24: "safe", 35: None}


def test_hugearray_fix_applicability() -> None:
    assert _applicability("hugearray") == {15: "safe", 21: "unsafe", 26: None}


def test_fix_positions_and_digests_describe_the_file() -> None:
    findings = run_with_fixes(AUTOFIX / "dangling", RULES)
    fix = next(f.fix for f in findings if f.line == 19)
    assert fix is not None and fix.applicability is Applicability.SAFE
    (edit,) = fix.edits
    source = (AUTOFIX / "dangling" / "dangling.go").read_bytes()
    assert source[:edit.start].endswith(b"C.free(unsafe.Pointer(b.p)) // want \"CG104 .*b.p = nil\"")
    assert (edit.line, edit.end_line, edit.content) == (19, 19, "\n\tb.p = nil")
    assert list(fix.digests) == [findings[0].path]
