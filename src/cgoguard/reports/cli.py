"""``cgoguard report``: diagnose runtime reports and point at the Go line to fix.

Exit status: 0 when nothing at or above ``--fail-on`` was found, 1 when something was, 2 on a
usage error (bad option, missing --binary/--source).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cgoguard.errors import UsageError

if TYPE_CHECKING:
    from cgoguard.reports import ReportResult

EPILOG = """reads: AddressSanitizer, LeakSanitizer, ThreadSanitizer, the Go race detector, Go panics and
fatal errors (cgocheck, cgocheck2, signals during cgo calls, concurrent map writes), goroutine
dumps, valgrind memcheck (text and --xml=yes), also inside go test -json output. Logs may carry
timestamps, container prefixes, colours and unrelated output; identical bugs from many logs
become one finding with a count. C-only stacks are tied to their package under --source by
the hash in their cgo symbols (_cgo_<hash>_Cfunc_f); fault addresses are classified (with
--maps from /proc/PID/maps when given).

examples:
  cgoguard report crash.log --source .
  go test ./... 2>&1 | cgoguard report - --format json
  cgoguard report logs/ --binary ./app --format sarif -o report.sarif
  cgoguard report crash.log --maps maps.txt        (maps.txt: cat /proc/PID/maps before the crash)
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    from cgoguard.options import add_output_options, add_rule_options
    from cgoguard.output import FORMATS

    parser = subparsers.add_parser(
        "report",
        help="turn ASan/LSan/TSan/race/cgocheck/panic/valgrind output into de-duplicated findings",
        description="Read runtime reports (files, directories, or - for stdin), de-duplicate them and "
                    "map each bug to the Go line to fix.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="log files or directories; - reads stdin")
    parser.add_argument("--source", action="append", default=[], metavar="DIR",
                        help="Go source root used to map reports to Go lines (repeatable; default: .)")
    parser.add_argument("--binary", metavar="FILE",
                        help="the binary that produced the reports, to symbolize raw addresses")
    parser.add_argument("--maps", metavar="FILE",
                        help="a copy of the crashed process's /proc/PID/maps, to say what each fault address "
                             "was (unmapped, a guard page, a PROT_NONE reservation, the Go or C heap)")
    parser.add_argument("--with-scan", action="store_true",
                        help="also run the static scan on the source roots and mark the static findings "
                             "a report confirms")
    parser.add_argument("--isolated", action="store_true",
                        help="with --with-scan: ignore every configuration file (for code you do not trust)")
    add_output_options(parser, FORMATS)
    add_rule_options(parser, "runtime rule ids or prefixes (RT-ASAN, RT-RACE) or categories (data-race)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from cgoguard.options import exit_status, filter_findings, wants_colour
    from cgoguard.output import render, write_output
    from cgoguard.output.text import TextStyle
    from cgoguard.reports import analyze

    use_stdin = not args.paths or "-" in args.paths
    if not args.paths and sys.stdin.isatty():
        raise UsageError("no input: give log files or directories, or pipe a log into `cgoguard report -`")
    inputs = [p for p in args.paths if p != "-"]
    for name in inputs:
        if not Path(name).exists():
            raise UsageError(f"{name}: no such file or directory")
    roots = [Path(s) for s in args.source] or [Path(".")]
    for root in roots:
        if not root.exists():
            raise UsageError(f"--source {root}: no such file or directory")
    binary = Path(args.binary) if args.binary else None
    if binary is not None and not binary.is_file():
        raise UsageError(f"--binary {binary}: no such file")
    maps = Path(args.maps) if args.maps else None
    if maps is not None and not maps.is_file():
        raise UsageError(f"--maps {maps}: no such file")
    static = _static_findings(roots, args.isolated) if args.with_scan else None
    result = analyze(inputs, stdin=sys.stdin if use_stdin else None, source_roots=roots, binary=binary,
                     static_findings=static, maps=maps)
    runtime = filter_findings(result.findings, args.select, args.ignore)
    confirmed = [f for f in static or [] if f.extra.get("confirmed_at_runtime")]
    findings = runtime + filter_findings(confirmed, args.select, args.ignore)
    extra = {"reports_parsed": result.reports_parsed}
    style = TextStyle(colour=wants_colour(args.color, output=args.output))
    write_output(render(findings, result.errors, args.format, extra=extra, source_roots=roots, style=style,
                        statistics=args.statistics), args.output)
    if args.sarif_output:
        write_output(render(findings, result.errors, "sarif", source_roots=roots), args.sarif_output)
    if _nothing_readable(inputs, use_stdin, result):
        print("cgoguard: error: none of the inputs could be read as a text log", file=sys.stderr)
        return 2
    if args.format == "text":
        print(summary_line(result, use_stdin), file=sys.stderr)
    return exit_status(runtime, args.fail_on)


def summary_line(result: ReportResult, use_stdin: bool) -> str:
    """``cgoguard: 2 errors, 1 warning from 5 reports in 3 files (1 file without a runtime report)``."""
    from cgoguard.output import severity_counts

    files = result.files_read
    places = [f"{files} file{'s' if files != 1 else ''}"] if files or not use_stdin else []
    places += ["stdin"] if use_stdin else []
    reports = result.reports_parsed
    notes = []
    if reports == 0 and (files or use_stdin):
        notes.append("no runtime report found")
    elif quiet := len(result.files_without_reports):
        notes.append(f"{quiet} file{'s' if quiet != 1 else ''} without a runtime report")
    if result.errors:
        notes.append(f"{len(result.errors)} input{'s' if len(result.errors) != 1 else ''} not read")
    tail = f" ({'; '.join(notes)})" if notes else ""
    return (f"cgoguard: {severity_counts(result.findings)} from {reports} report{'s' if reports != 1 else ''} "
            f"in {' and '.join(places)}{tail}")


def _nothing_readable(inputs: list[str], use_stdin: bool, result: object) -> bool:
    """Every named input was a file that failed (binary, unreadable): a usage problem, not a
    clean log. A directory or stdin with nothing in it is just an empty log."""
    if use_stdin or not inputs or not all(Path(name).is_file() for name in inputs):
        return False
    return getattr(result, "reports_parsed", 0) == 0 and len(getattr(result, "errors", [])) >= len(inputs)


def _static_findings(roots: list[Path], isolated: bool) -> list:  # type: ignore[type-arg]
    try:
        from cgoguard.scan.config import common_start, load_config
        from cgoguard.scan.engine import scan
    except ImportError as exc:
        raise UsageError("--with-scan needs the static scanner (cgoguard.scan), which is not available") from exc
    paths = [str(r) for r in roots]
    config = load_config(common_start(paths), isolated=isolated)
    for warning in config.warnings:
        print(f"cgoguard: warning: {warning}", file=sys.stderr)
    return list(scan(paths, config).findings)
