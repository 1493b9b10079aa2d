"""One finding per bug across checks.

The same bug often shows up under several checkers: a double free is an ASan
``double-free`` under ``-asan`` and a glibc abort under the race detector, and a cgocheck
panic happens under every check. Two passes merge them:

1. findings at the same line merge when their categories agree or one of them is generic
   (a ``crash`` next to a ``double-free`` is the same event seen less precisely);
2. an exported function's Go-pointer result is one bug whether cgocheck reports the result
   check (at the function) or cgocheck2 the write barrier in its ``_cgoexp_`` wrapper (at
   the C caller's call site);
3. findings of the same category in the same Go function merge when *different checks*
   reported them (ASan names the explicit ``C.free`` of a double free, a glibc abort the
   deferred one); a single checker's distinct lines stay distinct.

The merged finding keeps the most precise report's location, category and stack, the
highest severity, the other locations as related ones, and the list of checks.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from cgoguard.findings import Finding, Related, stable_fingerprint
from cgoguard.runner.attribution import GENERIC_CATEGORIES, enclosing_function_line
from cgoguard.runner.checks import CHECK_NAMES
from cgoguard.runner.results import CheckResult

_CGO_EXPORT_WRAPPER = re.compile(r"_cgoexp_[0-9a-f]+_(\w+)$")


@dataclass
class _Bug:
    """Reports believed to be one bug, with the checks that saw it."""

    reports: list[Finding]
    checks: set[str] = field(default_factory=set)
    primary: Finding | None = None  # the report that locates the bug best, when known

    @property
    def best(self) -> Finding:
        return self.primary or max(self.reports, key=_precision)

    def absorb(self, other: _Bug) -> None:
        self.reports += other.reports
        self.checks |= other.checks

    @property
    def category(self) -> str:
        return self.best.category


def merge_findings(results: list[CheckResult]) -> list[Finding]:
    """All findings of all checks, one per bug, each knowing which checks reported it."""
    by_line: dict[tuple[str, int], list[_Bug]] = defaultdict(list)
    unlocated: list[_Bug] = []
    for result in results:
        for finding in result.findings:
            bug = _Bug([finding], {result.check})
            if finding.path and finding.line > 0:
                by_line[(finding.path, finding.line)].append(bug)
            else:
                unlocated.append(bug)
    same_line = _fold_export_results([bug for bugs in by_line.values() for bug in _merge_line(bugs)])
    by_function: dict[tuple[str, int, str], list[_Bug]] = defaultdict(list)
    for bug in same_line:
        best = bug.best
        function_line = enclosing_function_line(best.path, best.line)
        by_function[(best.path, function_line or -best.line, bug.category)].append(bug)
    bugs = [bug for group in by_function.values() for bug in _merge_across_checks(group)]
    bugs += _merge_by(unlocated, key=lambda f: f.signature or f.fingerprint or f.message)
    return [_combine(bug) for bug in bugs]


def _merge_line(bugs: list[_Bug]) -> list[_Bug]:
    specific = {b.category for b in bugs if b.category not in GENERIC_CATEGORIES}
    if len(specific) == 1:
        category = next(iter(specific))
        return _merge_by(bugs, key=lambda f: category if f.category in GENERIC_CATEGORIES else f.category)
    return _merge_by(bugs, key=lambda f: f.category)


def _merge_by(bugs: list[_Bug], key: Callable[[Finding], str]) -> list[_Bug]:
    buckets: dict[str, _Bug] = {}
    for bug in bugs:
        buckets.setdefault(key(bug.best), _Bug([])).absorb(bug)
    return list(buckets.values())


def _fold_export_results(bugs: list[_Bug]) -> list[_Bug]:
    """cgocheck2's write of an export's result into C memory joins cgocheck's result check."""
    results = {}
    for bug in bugs:
        if bug.category == "go-pointer-returned-to-c" and (name := bug.best.extra.get("export_function")):
            results[name] = bug
    kept = []
    for bug in bugs:
        target = results.get(_result_store_of(bug.best) or "")
        if target is None or target is bug or target.checks & bug.checks:
            kept.append(bug)
            continue
        target.primary = target.best
        target.absorb(bug)
    return kept


def _result_store_of(finding: Finding) -> str | None:
    """The exported function whose cgo wrapper made this unpinned-pointer store, if it did."""
    if finding.category != "go-pointer-stored-in-c-memory":
        return None
    for frame in finding.frames:
        if not frame.function.startswith("runtime."):
            match = _CGO_EXPORT_WRAPPER.search(frame.function)
            return match[1] if match else None  # the store was in user code, not in the wrapper
    return None


def _merge_across_checks(group: list[_Bug]) -> list[_Bug]:
    merged: list[_Bug] = []
    for bug in sorted(group, key=lambda b: _precision(b.best), reverse=True):
        partner = next((m for m in merged if not (m.checks & bug.checks)), None)
        if partner is None:
            merged.append(bug)
        else:
            partner.absorb(bug)
    return merged


def _combine(bug: _Bug) -> Finding:
    best = bug.best
    finding = Finding.from_dict(best.to_dict())  # a copy: per-check results keep their own objects
    finding.severity = max((f.severity for f in bug.reports), key=lambda s: s.rank)
    finding.count = max(f.count for f in bug.reports)
    known = {(r.path, r.line) for r in finding.related} | {(finding.path, finding.line)}
    for other in bug.reports:
        if other.line > 0 and (other.path, other.line) not in known:
            known.add((other.path, other.line))
            finding.related.append(Related(other.path, other.line, f"also reported here: {other.message}"))
    checks = sorted(bug.checks, key=lambda c: CHECK_NAMES.index(c) if c in CHECK_NAMES else len(CHECK_NAMES))
    finding.extra["checks"] = checks
    finding.message = f"{best.message} (found by {', '.join(checks)})"
    if not finding.fingerprint:
        finding.fingerprint = stable_fingerprint("run", finding.category, finding.path, finding.signature)
    return finding


def _precision(finding: Finding) -> tuple[int, int, int, int]:
    """Prefer specific categories, sanitizer and checker reports over bare signals, stacks, repeats."""
    return (finding.category not in GENERIC_CATEGORIES, finding.extra.get("detector") != "go-signal",
            len(finding.frames) > 0, finding.count)
