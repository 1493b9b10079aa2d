"""docs/ptr_test_cases.md lists every case of Go's runtime pointer tests with the runtime's
verdict and cgoguard's; these tests keep that table true.

The runtime column is checked against the reference tabulation (and, in test_pointers.py,
against real runs of the fixtures); the cgoguard column against what the rules report on
cgoguard's own equivalent of each case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from analysistest import FIXTURES, analyze
from gotools import REPO_ROOT

from cgoguard.findings import Finding

DOC = REPO_ROOT / "docs" / "ptr_test_cases.md"
FIXTURE = FIXTURES / "pointers"
OFFICIAL_FILES = ("official.go", "official_export.go")
POINTER_RULES = {"CG201", "CG202", "CG203", "CG204"}
_ROW = re.compile(r"^\| (\d+) \| (\w+) \| ([^|]+?) \| ([^|]+?) \| ([^|]+?) \|$")
_MARKER = re.compile(r"^// ptr_test: (\w+)")


@dataclass(frozen=True)
class Case:
    number: int
    name: str
    runtime: str  # "rejects", "rejects (cgocheck2)" or "accepts"
    cgoguard: str  # "silent" or rule ids joined by "+"
    why: str


def documented_cases() -> list[Case]:
    rows = (_ROW.match(line) for line in DOC.read_text(encoding="utf-8").splitlines())
    return [Case(int(m[1]), m[2], m[3], m[4], m[5]) for m in rows if m]


def verdicts(findings: list[Finding]) -> dict[str, str]:
    """cgoguard's verdict per official case: the rules reporting between its marker and the next."""
    markers: dict[str, list[tuple[int, str]]] = {}
    for name in OFFICIAL_FILES:
        lines = (FIXTURE / name).read_text(encoding="utf-8").splitlines()
        markers[name] = [(n, m[1]) for n, line in enumerate(lines, 1) if (m := _MARKER.match(line))]
    rules: dict[str, set[str]] = {}
    for finding in findings:
        file_markers = markers.get(Path(finding.path).name, [])
        owner = [case for line, case in file_markers if line <= finding.line]
        if owner:
            rules.setdefault(owner[-1], set()).add(finding.rule)
    return {case: "+".join(sorted(found)) for case, found in rules.items()}


@pytest.fixture(scope="module")
def scanned() -> dict[str, str]:
    return verdicts(analyze(FIXTURE, POINTER_RULES))


def test_table_lists_all_48_cases_once() -> None:
    cases = documented_cases()
    assert [c.number for c in cases] == list(range(1, 49))
    assert len({c.name for c in cases}) == 48


def test_every_case_has_a_fixture() -> None:
    sources = "".join((FIXTURE / name).read_text(encoding="utf-8") for name in OFFICIAL_FILES)
    for case in documented_cases():
        assert f"// ptr_test: {case.name}\n" in sources, case.name
        assert f'"official/{case.name}"' in sources, case.name


def test_cgoguard_column_is_what_the_rules_report(scanned: dict[str, str]) -> None:
    mismatches = [f"{c.name}: table says {c.cgoguard}, scan gives {scanned.get(c.name, 'silent')}"
                  for c in documented_cases() if scanned.get(c.name, "silent") != c.cgoguard]
    assert not mismatches, "\n".join(mismatches)


def test_scorecard_every_rejection_found_every_acceptance_silent() -> None:
    for case in documented_cases():
        assert (case.cgoguard != "silent") == case.runtime.startswith("rejects"), case


def test_runtime_column_matches_the_reference(shared_reference: Path) -> None:
    reference: dict[str, str] = {}
    for line in (shared_reference / "ptr_test_cases.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].isdigit():
            fail, expensive = cells[3] == "T", cells[4] == "T"
            reference[cells[1]] = "accepts" if not fail else "rejects (cgocheck2)" if expensive else "rejects"
    assert len(reference) == 48
    assert {c.name: c.runtime for c in documented_cases()} == reference
