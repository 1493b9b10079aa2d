"""``cgoguard gc``: GC pause analysis of gctrace logs, correlated with cgo from an execution trace."""

from __future__ import annotations

import argparse
from typing import Any

from cgoguard.options import add_output_options


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "gc", help="analyse GC pauses (GODEBUG=gctrace=1) and their relation to cgo calls",
        description="Analyse GODEBUG=gctrace=1 output (any Go version since 1.4) and, with --trace, "
                    "measure how stop-the-world pauses and cgo calls interact in a Go execution trace.")
    parser.add_argument("gctrace", nargs="*", metavar="GCTRACE_FILE",
                        help="gctrace logs, read in order as one log ('-' for stdin)")
    parser.add_argument("--trace", metavar="TRACE.out", help="Go execution trace (go test -trace, runtime/trace)")
    add_output_options(parser, ("text", "json"), statistics=False, color=False)
    parser.add_argument("--plot", metavar="FILE", help="also draw FILE.png (needs matplotlib) or FILE.html")
    parser.add_argument("--window", type=float, metavar="S",
                        help="window length in seconds for per-window GC CPU and cgo rates (default: auto)")
    parser.add_argument("--stw-threshold", type=float, default=None, metavar="MS",
                        help="report a finding when the per-cycle STW p99 exceeds MS (default 10)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from cgoguard.errors import UsageError
    from cgoguard.gc.analysis import DEFAULT_STW_THRESHOLD_MS, analyze_files
    from cgoguard.gc.render import render_text
    from cgoguard.output import render, write_output

    if not args.gctrace and not args.trace:
        raise UsageError("give at least one GCTRACE_FILE ('-' for stdin) or --trace TRACE.out")
    if args.window is not None and args.window <= 0:
        raise UsageError("--window must be a positive number of seconds")
    if args.plot and not args.plot.lower().endswith((".png", ".html", ".htm")):
        raise UsageError("--plot FILE must end in .png or .html")
    threshold = DEFAULT_STW_THRESHOLD_MS if args.stw_threshold is None else args.stw_threshold
    analysis = (analyze_files(args.gctrace, window_s=args.window, stw_threshold_ms=threshold)
                if args.gctrace else None)
    correlation = None
    if args.trace:
        from cgoguard.gc.correlate import correlate

        correlation = correlate(args.trace, analysis, window_s=args.window, stw_threshold_ms=threshold)
    if args.plot:
        from cgoguard.gc.plot import write_plot

        write_plot(args.plot, analysis, correlation, stw_threshold_ms=threshold)
    findings = (analysis.findings if analysis else []) + (correlation.findings if correlation else [])
    errors = (analysis.errors if analysis else []) + (correlation.errors if correlation else [])
    if args.format == "json":
        # The summary comes from gctrace when there is one, else from the trace's pauses.
        summary = analysis.summary() if analysis else correlation.summary() if correlation else None
        extra: dict[str, Any] = {"summary": summary}
        if analysis:
            extra["gc"] = analysis.to_dict()
        if correlation:
            extra["correlation"] = correlation.to_dict()
        text = render(findings, errors, "json", extra=extra)
    else:
        text = render_text(analysis, correlation)
    write_output(text, args.output)
    if (analysis is None or not analysis.cycles) and (correlation is None or not correlation.ok):
        return 2
    from cgoguard.options import exit_status

    return exit_status(findings, args.fail_on)
