"""``cgoguard scan [PATH ...]``: find cgo memory-safety bugs in Go source.

Exit status: 0 when nothing at or above ``--fail-on`` was found, 1 when something was (or a
file could not be analysed), 2 on a usage error or an internal error. A tree without Go
packages exits 0 with a warning, as ``go vet ./...`` and ruff do.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from cgoguard.output import FORMATS

if TYPE_CHECKING:
    from cgoguard.findings import Finding, InputError, Severity
    from cgoguard.scan.config import ScanConfig
    from cgoguard.scan.engine import ScanResult

C_SOURCE_SUFFIXES = (".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".hxx")

EPILOG = """\
exit status:
  0  nothing at or above --fail-on was found (also when there are no Go packages at all:
     a warning is printed, as go vet ./... and ruff do)
  1  findings at or above --fail-on, or files that could not be analysed (listed as errors)
  2  usage or configuration error, or an internal error

suppressions:
  //cgoguard:ignore CG101[,c-leak,...] -- reason
  at the end of the reported line or on the line above it; the reason is required.

build targets:
  each package is analysed for linux/amd64 with cgo; files that target leaves out (optional
  build tags, other Unixes, !cgo) are analysed under a few extra targets derived from their
  constraints, and their findings name that target ("build" in JSON). Naming --tags, --goos
  or --goarch (or tags/goos/goarch in the configuration) analyses that one target only.

configuration:
  [tool.cgoguard] in pyproject.toml, or cgoguard.toml; the closest one at or above the
  scanned path is used. Keys: select, ignore, severity, tags, goos, goarch, tests,
  generated, exclude, fail-on, baseline, jobs, cache, cache-dir, contracts.
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "scan", help="find C-memory bugs in cgo packages",
        description="Statically analyse Go packages that call C through cgo. PATHs are directories "
                    "(scanned recursively, like ./...) or files (their package is analysed, findings "
                    "are reported for the named files; a C file stands for its package).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", metavar="PATH", help="directories or files (default: .)")
    out = parser.add_argument_group("output")
    out.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    out.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    out.add_argument("--fail-on", choices=("error", "warning", "info", "none"),
                     help="lowest severity that makes the exit status 1 (default: warning)")
    out.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary on stderr")
    out.add_argument("-v", "--verbose", action="store_true",
                     help="also list on stderr the packages analysed (those the result cache did not answer)")
    rules = parser.add_argument_group("rules")
    rules.add_argument("--select", metavar="RULES", help="comma-separated rule ids, names, categories or "
                                                         "id prefixes to run (replaces the configured list)")
    rules.add_argument("--ignore", metavar="RULES", help="comma-separated rules to skip (added to the "
                                                         "configured list)")
    rules.add_argument("--config", metavar="FILE", help="read configuration from FILE instead of the "
                                                        "closest cgoguard.toml / pyproject.toml")
    build = parser.add_argument_group("build target")
    build.add_argument("--tags", metavar="TAGS", help="comma-separated build tags (analyse this target only)")
    build.add_argument("--goos", help="target GOOS (default: linux; naming it analyses this target only)")
    build.add_argument("--goarch", help="target GOARCH (default: amd64; naming it analyses this target only)")
    build.add_argument("--tests", action="store_true", default=None, help="also analyse _test.go files")
    build.add_argument("--include-generated", action="store_true", default=None,
                       help="also analyse generated files (// Code generated ... DO NOT EDIT.)")
    build.add_argument("--exclude", action="append", metavar="GLOB",
                       help="skip paths matching GLOB (repeatable; added to the configured list)")
    base = parser.add_argument_group("baseline")
    base.add_argument("--baseline", metavar="FILE", help="report only findings not recorded in FILE")
    base.add_argument("--write-baseline", metavar="FILE",
                      help="record the current findings in FILE and exit 0")
    perf = parser.add_argument_group("performance")
    perf.add_argument("-j", "--jobs", type=_positive_int, metavar="N",
                      help="worker processes (default: all available cores)")
    perf.add_argument("--cache-dir", metavar="DIR", help="result cache (default: .cgoguard_cache in the "
                                                         "project root)")
    perf.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
    parser.set_defaults(func=run)
    return parser


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return number


def _split(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(item.strip() for item in value.split(",") if item.strip())


def run(args: argparse.Namespace) -> int:
    from cgoguard.output import render, write_output
    from cgoguard.scan.baseline import write_baseline
    from cgoguard.scan.config import common_start, load_config
    from cgoguard.scan.engine import scan

    paths = [_package_path(p) for p in args.paths] or ["."]
    file_config = load_config(common_start(paths), {}, args.config)
    config = load_config(common_start(paths), _overrides(args, file_config), args.config)
    if args.write_baseline:  # it records everything, so an existing baseline must not hide findings
        config = replace(config, baseline=None)
    progress = _ProgressBar(sys.stderr) if sys.stderr.isatty() and not args.quiet else None
    try:
        result = scan(paths, config, progress=progress)
    finally:
        if progress:
            progress.clear()
    write_output(render(result.findings, result.errors, args.format), args.output)
    if not args.quiet:
        _print_summary(result, args.format)
    if args.verbose:
        _print_analysed(result)
    if result.internal_errors:
        return 2
    if args.write_baseline:
        count = write_baseline(Path(args.write_baseline), result.findings)
        print(f"cgoguard: wrote {count} finding(s) to baseline {args.write_baseline}", file=sys.stderr)
        return 0
    return exit_status(result.findings, result.errors, config.fail_threshold)


def exit_status(findings: Sequence[Finding], errors: Sequence[InputError], threshold: Severity | None) -> int:
    """1 when a finding reaches ``threshold`` or an input could not be analysed, else 0."""
    if threshold is None:
        return 0
    if errors or any(f.severity.at_least(threshold) for f in findings):
        return 1
    return 0


def _package_path(path: str) -> str:
    """A C file named on the command line (pre-commit passes them) stands for its package."""
    if path.endswith(C_SOURCE_SUFFIXES) and Path(path).is_file():
        return str(Path(path).parent)
    return path


def _overrides(args: argparse.Namespace, config: ScanConfig) -> dict[str, object]:
    ignore = _split(args.ignore)
    return {
        "select": _split(args.select),
        "ignore": (*config.ignore, *ignore) if ignore else None,
        "tags": _split(args.tags),
        "goos": args.goos,
        "goarch": args.goarch,
        "tests": args.tests,
        "generated": args.include_generated,
        "exclude": (*config.exclude, *args.exclude) if args.exclude else None,
        "fail_on": args.fail_on,
        "baseline": Path(args.baseline) if args.baseline else None,
        "jobs": args.jobs,
        "cache_dir": Path(args.cache_dir) if args.cache_dir else None,
        "use_cache": False if args.no_cache else None,
    }


def _print_summary(result: ScanResult, fmt: str) -> None:
    if result.packages == 0 and not result.errors:
        skipped = (f"; {result.skipped_files} Go file(s) excluded by build constraints or as generated code "
                   "(see --goos, --goarch, --tags, --tests, --include-generated)") if result.skipped_files else ""
        print(f"cgoguard: warning: no Go packages found, nothing to scan{skipped}", file=sys.stderr)
        return
    if fmt != "text":
        return
    by_severity = {level: sum(1 for f in result.findings if f.severity.value == level)
                   for level in ("error", "warning", "info")}
    counts = ", ".join(f"{n} {level}{'s' if n != 1 and level != 'info' else ''}"
                       for level, n in by_severity.items() if n) or "no findings"
    notes = [f"{result.suppressed} suppressed"] if result.suppressed else []
    if result.baselined:
        notes.append(f"{result.baselined} in baseline")
    if result.errors:
        notes.append(f"{len(result.errors)} file error(s)")
    tail = f"; {', '.join(notes)}" if notes else ""
    print(f"cgoguard: {counts} in {result.packages} package(s), {result.files} file(s){tail}",
          file=sys.stderr)


def _print_analysed(result: ScanResult) -> None:
    dependencies = f", {result.dependencies} dependency package(s) read for facts" if result.dependencies else ""
    listed = "".join(f"\n  {directory}" for directory in result.analysed)
    print(f"cgoguard: analysed {len(result.analysed)} package(s), {result.cached} from the result cache"
          f"{dependencies}{listed}", file=sys.stderr)


class _ProgressBar:
    """A one-line progress bar on a terminal's stderr, erased when the scan ends."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if total < 2:
            return
        filled = self.WIDTH * done // total
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(f"\rcgoguard: scanning [{bar}] {done}/{total} packages")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
