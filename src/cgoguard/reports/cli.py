"""``cgoguard report``: diagnose runtime reports and point at the Go line to fix."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cgoguard.errors import UsageError

SEVERITIES = ("info", "warning", "error", "none")


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "report",
        help="turn ASan/LSan/TSan/race/cgocheck/panic/valgrind output into de-duplicated findings",
        description="Read runtime reports (files, directories, or - for stdin), de-duplicate them and "
                    "map each bug to the Go line to fix.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="log files or directories; - reads stdin")
    parser.add_argument("--format", default="text", choices=("text", "json", "sarif", "html", "github"))
    parser.add_argument("--output", "-o", metavar="FILE", help="write the result here instead of stdout")
    parser.add_argument("--source", action="append", default=[], metavar="DIR",
                        help="Go source root used to map reports to Go lines (repeatable; default: .)")
    parser.add_argument("--binary", metavar="FILE", help="the binary that produced the reports (symbolization)")
    parser.add_argument("--fail-on", default="error", choices=SEVERITIES,
                        help="exit 1 when a finding has at least this severity (default: error)")
    parser.add_argument("--with-scan", action="store_true",
                        help="also run the static scan on the source roots and mark confirmed findings")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from cgoguard.findings import Severity
    from cgoguard.output import render, write_output
    from cgoguard.reports import analyze

    use_stdin = not args.paths or "-" in args.paths
    if not args.paths and sys.stdin.isatty():
        raise UsageError("no input: give log files or directories, or pipe a log into `cgoguard report -`")
    inputs = [p for p in args.paths if p != "-"]
    roots = [Path(s) for s in args.source] or [Path(".")]
    for root in roots:
        if not root.exists():
            raise UsageError(f"--source {root}: no such file or directory")
    binary = Path(args.binary) if args.binary else None
    if binary is not None and not binary.is_file():
        raise UsageError(f"--binary {binary}: no such file")
    static = _static_findings(roots) if args.with_scan else None
    result = analyze(inputs, stdin=sys.stdin if use_stdin else None, source_roots=roots, binary=binary,
                     static_findings=static)
    findings = result.findings + [f for f in static or [] if f.extra.get("confirmed_at_runtime")]
    extra = {"reports_parsed": result.reports_parsed}
    write_output(render(findings, result.errors, args.format, extra=extra), args.output)
    if args.fail_on == "none":
        return 0
    threshold = Severity(args.fail_on)
    return 1 if any(f.severity.at_least(threshold) for f in result.findings) else 0


def _static_findings(roots: list[Path]) -> list:  # type: ignore[type-arg]
    try:
        from cgoguard.scan.engine import scan
    except ImportError as exc:
        raise UsageError("--with-scan needs the static scanner (cgoguard.scan), which is not available") from exc
    return list(scan([str(r) for r in roots]).findings)
