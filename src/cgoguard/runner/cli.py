"""``cgoguard run [--check ...] [-- CMD ...]``: run a module's tests under every runtime checker.

Exit status: 0 when nothing at or above ``--fail-on`` was found, 1 when something was, 2 on a
usage error, when no check ran at all (every check failed to run, timed out or started no
program: a CI job must not go green on nothing), and with ``--strict`` when any check did not
run. Without ``--strict`` a partial run is judged by the checks that ran; the table (and the
JSON ``checks``) says which did not.
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cgoguard.options import add_output_options, add_rule_options
from cgoguard.output import FORMATS

if TYPE_CHECKING:
    from cgoguard.findings import Finding, InputError
    from cgoguard.output.text import TextStyle
    from cgoguard.runner.results import CheckResult

DEFAULT_CHECKS = "asan,leak,cgocheck,cgocheck2,race"
DEFAULT_TIMEOUT_S = 900.0


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from cgoguard.runner.checks import CHECK_HELP

    checks_help = "; ".join(f"{name}: {text}" for name, text in CHECK_HELP.items())
    parser = subparsers.add_parser(
        "run", help="run tests or a program under ASan, leak, cgocheck, cgocheck2, checkptr, race",
        description="Run a command (default: go test ./...) once per runtime checker, with each "
                    "checker's flags and environment for the installed Go, and report every bug "
                    "found, once, at the Go line to fix. Put the command after --, e.g. "
                    "cgoguard run --check race -- go test -run TestCache ./cache",
        epilog=f"checks: {checks_help}")
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD ...",
                        help="the command to run (default: go test ./...)")
    parser.add_argument("--check", default=DEFAULT_CHECKS, metavar="LIST",
                        help=f"comma-separated checks, or all (default: {DEFAULT_CHECKS})")
    parser.add_argument("-C", "--dir", default=".", metavar="DIR", help="run in DIR (default: .)")
    parser.add_argument("--timeout", type=_positive_float, default=DEFAULT_TIMEOUT_S, metavar="S",
                        help=f"time budget per check in seconds (default: {DEFAULT_TIMEOUT_S:g})")
    parser.add_argument("-j", "--jobs", type=_positive_int, default=1, metavar="N",
                        help="checks to run at the same time (default: 1)")
    parser.add_argument("--keep-logs", metavar="DIR",
                        help="keep every log, sanitizer report and trace in a new directory under DIR")
    parser.add_argument("--no-static", action="store_true",
                        help="skip the static scan that ties C-only stacks (leaks) to Go lines")
    parser.add_argument("--isolated", action="store_true",
                        help="ignore every configuration file in the static scan")
    out = add_output_options(parser, FORMATS)
    add_rule_options(parser, "rule ids or prefixes (RT-ASAN, RT-RACE, CG101) or categories (data-race)")
    out.add_argument("--strict", action="store_true",
                     help="exit 2 when any check could not run, timed out or started no program (without "
                          "it, exit 2 only when no check ran at all)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from cgoguard.errors import UsageError
    from cgoguard.options import exit_status, filter_findings, wants_colour
    from cgoguard.output import write_output
    from cgoguard.output.text import TextStyle
    from cgoguard.runner.checks import parse_checks
    from cgoguard.runner.command import DEFAULT_COMMAND
    from cgoguard.runner.results import NOT_RUN
    from cgoguard.runner.session import RunOptions, run_checks

    directory = Path(args.dir)
    if not directory.is_dir():
        raise UsageError(f"-C {args.dir}: not a directory")
    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    options = RunOptions(command=command or list(DEFAULT_COMMAND), directory=directory.resolve(),
                         checks=parse_checks(args.check), timeout=args.timeout, jobs=args.jobs,
                         use_static=not args.no_static, isolated=args.isolated)
    progress = _progress_printer() if sys.stderr.isatty() else (lambda _: None)
    started = time.monotonic()
    with _logs_directory(args.keep_logs) as logs_dir:
        options.logs_dir = logs_dir
        options.keep_logs = args.keep_logs is not None
        report = run_checks(options, progress)
    wall = time.monotonic() - started
    extra = {"command": options.command, "directory": str(options.directory), "wall_seconds": round(wall, 2),
             "checks": [r.summary() for r in report.results], **report.extra}
    if args.keep_logs:
        extra["logs"] = str(logs_dir)
    from cgoguard.runner.session import find_module_root

    roots = [options.directory, find_module_root(options.directory)]
    findings = filter_findings(report.findings, args.select, args.ignore)
    style = TextStyle(colour=wants_colour(args.color, output=args.output))
    write_output(render_run(report.results, findings, report.errors, extra, args.format, roots, style=style,
                            statistics=args.statistics), args.output)
    if args.sarif_output:
        write_output(render_run(report.results, findings, report.errors, extra, "sarif", roots), args.sarif_output)
    not_run = [r for r in report.results if r.status in NOT_RUN]
    if len(not_run) == len(report.results):
        print(f"cgoguard: error: no check ran, so nothing was tested: {_reasons(not_run)}", file=sys.stderr)
        return 2
    if args.strict and not_run:
        print(f"cgoguard: error: --strict: {', '.join(r.check for r in not_run)} did not run", file=sys.stderr)
        return 2
    return exit_status(findings, args.fail_on)


def _reasons(results: list[CheckResult]) -> str:
    """``asan, race: failed to run (Go is not on PATH)``: checks with the same reason together."""
    by_reason: dict[str, list[str]] = {}
    for result in results:
        lines = [line.strip() for line in result.message.splitlines() if line.strip()]
        # go test's output begins with "# pkg" and ends with "FAIL" lines: the cause is between.
        said = next((line for line in lines if not line.startswith(("#", "FAIL", "ok "))), lines[0] if lines else "")
        by_reason.setdefault(f"{result.status}{f' ({said})' if said else ''}", []).append(result.check)
    return "; ".join(f"{', '.join(checks)}: {reason}" for reason, checks in by_reason.items())


def render_run(results: list[CheckResult], findings: list[Finding], errors: list[InputError],
               extra: dict[str, Any], fmt: str, source_roots: list[Path] | None = None, *,
               style: TextStyle | None = None, statistics: bool = False) -> str:
    from cgoguard.findings import InputError
    from cgoguard.output import render
    from cgoguard.runner.results import NOT_RUN

    if fmt in ("text", "concise"):  # the summary table says which checks could not run
        listing = render(findings, errors, fmt, style=style, statistics=statistics)
        return summary_table(results, extra) + listing + _footer(results, findings, extra)
    if statistics:
        return render(findings, errors, fmt, statistics=True)
    # Formats without the table (SARIF, GitHub annotations) still learn about them.
    problems = [InputError(f"check {r.check}", f"{r.status}: {r.message}") for r in results
                if r.status in NOT_RUN]
    return render(findings, [*errors, *problems], fmt, extra=extra, source_roots=source_roots)


def summary_table(results: list[CheckResult], extra: dict[str, Any]) -> str:
    toolchain = extra.get("toolchain", {})
    lines = [f"cgoguard run: {shlex.join(extra['command'])} in {extra['directory']} "
             f"({toolchain.get('go', '?')}, {toolchain.get('platform', '?')})", ""]
    header = ("check", "status", "findings", "time", "processes")
    rows = [(r.check, r.status, str(len(r.findings)), f"{r.seconds:.1f} s" if r.seconds else "-",
             str(r.processes) + (f" (shared with {r.shared_with})" if r.shared_with else "")) for r in results]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        lines.append("  " + "  ".join(cell.ljust(w) if i in (0, 1, 4) else cell.rjust(w)
                                      for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip())
    for result in results:
        if result.message:
            lines.append(f"  {result.check}: {result.message}")
    lines += [f"  note: {note}" for note in extra.get("notes", [])]
    if extra.get("profile"):
        from cgoguard.profile.render import run_report_lines

        lines += ["", *(f"  {line}" for line in run_report_lines(extra["profile"]))]
    return "\n".join(lines) + "\n\n"


def _footer(results: list[CheckResult], findings: list[Finding], extra: dict[str, Any]) -> str:
    """``cgoguard: 1 error, 2 warnings from 4 of 5 checks in 12.3 s (race: timed out)``."""
    from cgoguard.output import severity_counts
    from cgoguard.runner.results import NOT_RUN

    not_run = [r for r in results if r.status in NOT_RUN]
    ran = len(results) - len(not_run)
    text = (f"cgoguard: {severity_counts(findings)} from {ran} of {len(results)} check"
            f"{'s' if len(results) != 1 else ''} in {extra['wall_seconds']:.1f} s")
    if not_run:
        text += f" ({', '.join(f'{r.check}: {r.status}' for r in not_run)})"
    if "logs" in extra:
        text += f"; logs in {extra['logs']}"
    return ("\n" if findings else "") + text + "\n"


@contextlib.contextmanager
def _logs_directory(keep: str | None) -> Iterator[Path]:
    """--keep-logs DIR: a new directory under DIR, kept; otherwise a temporary one, removed."""
    from cgoguard.errors import UsageError

    if keep is None:
        with tempfile.TemporaryDirectory(prefix="cgoguard-run-") as temporary:
            yield Path(temporary)
        return
    try:
        Path(keep).mkdir(parents=True, exist_ok=True)
        directory = Path(tempfile.mkdtemp(prefix=time.strftime("run-%Y%m%d-%H%M%S-"), dir=keep))
    except OSError as exc:
        raise UsageError(f"--keep-logs {keep}: {exc.strerror or exc}") from exc
    yield directory


def _progress_printer() -> Callable[[str], None]:
    started = time.monotonic()

    def show(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    return show


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value
