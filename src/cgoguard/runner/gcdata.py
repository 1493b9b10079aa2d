"""Hand the ``gc`` check's gctrace output and execution traces to :mod:`cgoguard.gc`."""

from __future__ import annotations

from typing import Any

from cgoguard.findings import Finding, InputError
from cgoguard.runner.logs import ProcessLog


def analyze_gc(processes: list[ProcessLog], *, keep_paths: bool) -> tuple[list[Finding], list[dict[str, Any]],
                                                                        list[InputError]]:
    """GC findings, one summary per process, and problems; degrades when cgoguard.gc is absent.

    ``keep_paths``: the logs outlive the run, so summaries may name the gctrace and trace files.
    """
    try:
        from cgoguard import gc as gc_analysis
    except ImportError:
        return [], [], [InputError("check gc", "cgoguard.gc is not available: GC traces were collected "
                                                "but not analysed")]
    findings: list[Finding] = []
    summaries: list[dict[str, Any]] = []
    errors: list[InputError] = []
    correlate = getattr(gc_analysis, "correlate", None)
    for log in processes:
        if not log.output.is_file():
            continue
        analysis = gc_analysis.analyze_gctrace(log.output)
        if not analysis.cycles:
            continue  # a short test may finish before the first GC cycle: nothing to analyse
        errors += analysis.errors
        process_findings = list(analysis.findings)
        summary: dict[str, Any] = {"process": log.label, **analysis.summary()}
        if keep_paths:
            summary["gctrace"] = str(log.output)
        if log.trace is not None:
            if keep_paths:
                summary["trace"] = str(log.trace)
            if correlate is not None:
                correlation = correlate(log.trace, analysis)
                summary["correlation"] = correlation.summary()
                process_findings += correlation.findings
                errors += correlation.errors
        for finding in process_findings:
            finding.extra.setdefault("process", log.label)
        findings += process_findings
        summaries.append(summary)
    return findings, summaries, errors
