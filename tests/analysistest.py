"""analysistest-style fixture checking, after golang.org/x/tools/go/analysis/analysistest.

A fixture is a compilable Go package under ``tests/fixtures`` (one Go module). Every line that
must be reported carries a comment ``// want "REGEXP"`` (several quoted patterns for several
findings). Each pattern is matched against ``"RULE [category] message"`` of one finding on
that line. Findings without a matching ``want`` and ``want``s without a finding both fail,
and the failure lists them all, so a regression names its exact lines.

Packages are analysed as ``cgoguard scan`` analyses them: in dependency order with the facts
of the module packages they import, and files behind optional build tags under an extra build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cgoguard.findings import Finding
from cgoguard.scan import load_config, scan

FIXTURES = Path(__file__).resolve().parent / "fixtures"
_WANT = re.compile(r"//\s*want\s+((?:\"(?:[^\"\\]|\\.)*\"\s*)+)")
_PATTERN = re.compile(r"\"((?:[^\"\\]|\\.)*)\"")


@dataclass
class Expectation:
    path: str
    line: int
    pattern: str
    matched: bool = False


def expectations(paths: list[Path]) -> list[Expectation]:
    wants: list[Expectation] = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = _WANT.search(line)
            if match:
                wants += [Expectation(str(path), number, p.encode().decode("unicode_escape"))
                          for p in _PATTERN.findall(match.group(1))]
    return wants


def analyze(directory: Path, rule_ids: set[str] | None = None) -> list[Finding]:
    """Findings of the selected rules over every package below ``directory``."""
    select = tuple(sorted(rule_ids)) if rule_ids else None
    config = load_config(directory, {"select": select, "use_cache": False, "jobs": 1})
    return scan([str(directory)], config).findings


def run(directory: Path, rule_ids: set[str] | None = None) -> list[Finding]:
    """Check the fixture package(s) in ``directory``; fail with a full diff on mismatch."""
    directory = directory if directory.is_absolute() else FIXTURES / directory
    findings = [f for f in analyze(directory, rule_ids)]
    go_files = sorted(directory.rglob("*.go"))
    wants = expectations(go_files)
    unexpected: list[Finding] = []
    for finding in findings:
        rendered = f"{finding.rule} [{finding.category}] {finding.message}"
        candidates = [w for w in wants if not w.matched and w.line == finding.line
                      and Path(w.path).resolve() == Path(finding.path).resolve()
                      and re.search(w.pattern, rendered)]
        if candidates:
            candidates[0].matched = True
        else:
            unexpected.append(finding)
    missing = [w for w in wants if not w.matched]
    problems = [f"unexpected: {f.path}:{f.line}:{f.column}: {f.rule} [{f.category}] {f.message}"
                for f in unexpected]
    problems += [f"missing:    {w.path}:{w.line}: want {w.pattern!r}" for w in missing]
    assert not problems, "fixture mismatch in " + str(directory) + ":\n  " + "\n  ".join(problems)
    return findings


def run_with_fixes(directory: Path, rule_ids: set[str] | None = None, *, unsafe: bool = False) -> list[Finding]:
    """Like :func:`run`, then apply the findings' fixes (as ``--fix`` would, without writing)
    and compare every fixed file with ``FILE.golden`` beside it (go/analysis's
    ``RunWithSuggestedFixes``). A file the fixes leave alone must have no golden file.
    ``CGOGUARD_UPDATE_GOLDEN=1`` rewrites the golden files instead of comparing."""
    import os

    from cgoguard.fix import plan_fixes

    directory = directory if directory.is_absolute() else FIXTURES / directory
    findings = run(directory, rule_ids)
    plan = plan_fixes(findings, unsafe=unsafe)
    assert not plan.skipped, plan.skipped
    fixed = {Path(f.path).resolve(): f.fixed for f in plan.files}
    problems = []
    for go_file in sorted(directory.rglob("*.go")):
        golden = go_file.with_name(go_file.name + ".golden")
        want = fixed.get(go_file.resolve())
        if os.environ.get("CGOGUARD_UPDATE_GOLDEN"):
            if want is None:
                golden.unlink(missing_ok=True)
            else:
                golden.write_bytes(want)
            continue
        if want is None and golden.exists():
            problems.append(f"{go_file}: no fix applied, but {golden.name} exists")
        elif want is not None and (not golden.exists() or golden.read_bytes() != want):
            problems.append(f"{go_file}: fixed text differs from {golden.name}:\n" + _diff(golden, want))
    assert not problems, "\n".join(problems)
    return findings


def _diff(golden: Path, fixed: bytes) -> str:
    import difflib

    before = golden.read_text(encoding="utf-8").splitlines(keepends=True) if golden.exists() else []
    return "".join(difflib.unified_diff(before, fixed.decode("utf-8").splitlines(keepends=True),
                                        str(golden), "fixed"))
