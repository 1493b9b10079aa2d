"""Hand the ``gc`` check's gctrace output and execution traces to :mod:`cgoguard.gc`."""

from __future__ import annotations

from typing import Any

from cgoguard.findings import Finding, InputError
from cgoguard.runner.logs import ProcessLog


def analyze_gc(processes: list[ProcessLog]) -> tuple[list[Finding], list[dict[str, Any]], list[InputError]]:
    """GC findings, one summary per process, and problems; degrades when cgoguard.gc is absent."""
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
        for finding in analysis.findings:
            finding.extra.setdefault("process", log.label)
        findings += analysis.findings
        summary: dict[str, Any] = {"process": log.label, "gctrace": str(log.output), **analysis.summary()}
        if log.trace is not None:
            summary["trace"] = str(log.trace)
            if correlate is not None:
                summary["correlation"] = _correlation(correlate, log, analysis)
        summaries.append(summary)
    return findings, summaries, errors


def _correlation(correlate: Any, log: ProcessLog, analysis: Any) -> Any:
    try:
        result = correlate(str(log.trace), analysis)
    except Exception as exc:  # a damaged or unsupported trace must not lose the other results
        return {"error": f"{type(exc).__name__}: {exc}"}
    return result.to_dict() if hasattr(result, "to_dict") else str(result)
