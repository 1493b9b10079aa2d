"""``cgoguard report``: runtime reports (sanitizers, Go runtime, race detector, valgrind) to findings.

``analyze`` streams every input through :class:`~cgoguard.reports.scanner.Scanner`, buckets
the reports while streaming (memory grows with the number of distinct bugs, not with the
log), symbolizes the representatives, maps them to the Go line to fix, and merges buckets
whose final signatures agree. Rule ids are listed in :mod:`cgoguard.reports.diagnose`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from cgoguard.findings import Finding, InputError
from cgoguard.reports.bucket import Buckets
from cgoguard.reports.diagnose import build_finding, confirm_static
from cgoguard.reports.faultaddr import load_maps
from cgoguard.reports.lines import expand_inputs, iter_file_lines, iter_text_lines, unwrap_test2json
from cgoguard.reports.locate import Locator
from cgoguard.reports.scanner import Scanner
from cgoguard.reports.sourceindex import SourceIndex
from cgoguard.reports.symbolize import symbolize_reports

__all__ = ["ReportResult", "analyze", "analyze_text"]


@dataclass
class ReportResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    reports_parsed: int = 0
    files_read: int = 0  # input files read as text logs
    files_without_reports: list[str] = field(default_factory=list)


def analyze(
    inputs: Iterable[str | Path],
    *,
    stdin: TextIO | None = None,
    source_roots: Iterable[Path | str] = (),
    binary: Path | None = None,
    static_findings: list[Finding] | None = None,
    maps: Path | None = None,
) -> ReportResult:
    """Findings from every runtime report in ``inputs`` (files, directories) and ``stdin``.

    ``source_roots`` map reports to Go lines, ``binary`` symbolizes raw addresses, ``maps`` (a
    ``/proc/PID/maps`` snapshot) classifies fault addresses, ``static_findings`` are marked
    when a report confirms them.
    """
    errors: list[InputError] = []
    buckets = Buckets()
    files_read = 0
    quiet: list[str] = []
    named = {Path(item) for item in inputs}
    skipped: list[str] = []
    for path in expand_inputs(list(inputs), errors):
        before_reports, before_errors, before_skipped = buckets.reports_parsed, len(errors), len(skipped)
        _scan(str(path), iter_file_lines(path, errors, named=path in named, skipped=skipped), buckets)
        if len(errors) == before_errors and len(skipped) == before_skipped:
            files_read += 1
            if buckets.reports_parsed == before_reports:
                quiet.append(str(path))
    if stdin is not None:
        _scan("<stdin>", iter_text_lines(stdin), buckets)
    reports = [bucket.report for bucket in buckets.buckets()]
    symbolize_reports(reports, binary, errors)
    roots = [Path(r) for r in source_roots]
    locator = Locator(SourceIndex(roots) if roots else None)
    snapshot = load_maps(maps, errors) if maps is not None else None
    findings = _merge([f for b in buckets.buckets() if (f := build_finding(b, locator, snapshot)) is not None])
    if static_findings:
        confirm_static(findings, static_findings)
    return ReportResult(findings=findings, errors=errors, reports_parsed=buckets.reports_parsed,
                        files_read=files_read, files_without_reports=quiet)


def analyze_text(text: str, **options: object) -> ReportResult:
    """:func:`analyze` for a log held in memory."""
    return analyze([], stdin=io.StringIO(text), **options)  # type: ignore[arg-type]


def _scan(origin: str, lines: Iterable[str], buckets: Buckets) -> None:
    scanner = Scanner(origin, buckets.add)
    for raw in unwrap_test2json(lines):
        scanner.feed(raw)
    scanner.close()


def _merge(findings: list[Finding]) -> list[Finding]:
    """One finding per final signature and package (raw buckets can differ only in unsymbolized
    offsets; the same signature in two packages is two bugs)."""
    merged: dict[tuple[str, str], Finding] = {}
    for finding in findings:
        key = (finding.signature, str(finding.extra.get("package", "")))
        existing = merged.get(key)
        if existing is None:
            merged[key] = finding
            continue
        existing.count += finding.count
        occurrences = existing.extra.setdefault("occurrences", [])
        occurrences.extend(finding.extra.get("occurrences", [])[: max(0, 5 - len(occurrences))])
    return list(merged.values())
