"""``cgoguard scan [PATH ...]``: find cgo memory-safety bugs in Go source.

Exit status: 0 when nothing at or above ``--fail-on`` was found, 1 when something was (or a
file could not be analysed), 2 on a usage error or an internal error. A tree without Go
packages exits 0 with a warning, as ``go vet ./...`` and ruff do.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from cgoguard.fix.cli import add_arguments as add_fix_arguments
from cgoguard.options import CommaList, add_output_options, add_rule_options
from cgoguard.output import FORMATS

if TYPE_CHECKING:
    from cgoguard.scan.config import ScanConfig
    from cgoguard.scan.engine import ScanResult
    from cgoguard.scan.newcode import ChangedLines

C_SOURCE_SUFFIXES = (".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".hxx")

EPILOG = """\
exit status:
  0  nothing at or above --fail-on was found (also when there are no Go packages at all:
     a warning is printed, as go vet ./... and ruff do)
  1  findings at or above --fail-on, or files that could not be analysed (listed as errors)
  2  usage or configuration error, or an internal error

suppressions (a reason is required, except after //nolint):
  //cgoguard:ignore CG101[,c-leak,...] -- reason   at the end of the line, or on the line above
  //cgoguard:file-ignore CG101 -- reason           the whole file (put it near the package clause)
  //nolint:cgoguard // reason                       golangci-lint's form: its line, or the
                                                    statement or declaration below it

only new findings:
  --baseline FILE      findings not recorded in FILE (written by --write-baseline)
  --new-from-rev REV   findings on lines changed since the git revision REV
  --new                findings on lines changed since HEAD left the upstream branch

build targets:
  each package is analysed for linux/amd64 with cgo; files that target leaves out (optional
  build tags, other Unixes, !cgo) are analysed under a few extra targets derived from their
  constraints, and their findings name that target ("build" in JSON). Naming --tags, --goos
  or --goarch (or tags/goos/goarch in the configuration) analyses that one target only.

configuration:
  [tool.cgoguard] in pyproject.toml, or cgoguard.toml; the closest one at or above the
  scanned path is used (--config FILE names one, --isolated ignores them all,
  --show-config prints it and the values in force). Keys: select, ignore,
  per-file-ignores, severity, tags, goos, goarch, tests, generated, exclude, fail-on,
  baseline, jobs, cache, cache-dir, contracts.

scanning untrusted code:
  cgoguard never runs anything a scanned tree names, and reads and writes only inside it
  (and the cache). The one setting that runs external tools is --system-headers
  ([tool.cgoguard.contracts] system-headers): it runs the C compiler (cc -E -v, or $CC)
  and pkg-config (package names of #cgo pkg-config: lines only). A configuration found in
  the scanned tree cannot turn it on, nor put the cache or the baseline outside the tree;
  --isolated ignores such a configuration altogether.
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "scan", help="find C-memory bugs in cgo packages",
        description="Statically analyse Go packages that call C through cgo. PATHs are directories "
                    "(scanned recursively, like ./...) or files (their package is analysed, findings "
                    "are reported for the named files; a C file stands for its package).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", metavar="PATH", help="directories or files (default: .)")
    out = add_output_options(parser, FORMATS, fail_on_default=None)
    out.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary on stderr")
    out.add_argument("-v", "--verbose", action="store_true",
                     help="also list on stderr the packages analysed (those the result cache did not answer)")
    out.add_argument("--show-config", action="store_true",
                     help="print the configuration file and the values in force, then exit")
    rules = add_rule_options(parser, "rule ids, id prefixes, names or categories")
    rules.add_argument("--config", metavar="FILE", help="read configuration from FILE instead of the "
                                                        "closest cgoguard.toml / pyproject.toml")
    rules.add_argument("--isolated", action="store_true",
                       help="ignore every configuration file (for code you do not trust)")
    rules.add_argument("--system-headers", action="store_true", default=None,
                       help="also read <...> headers of the C compiler's and pkg-config's include dirs for "
                            "contracts (runs cc and pkg-config)")
    build = parser.add_argument_group("build target")
    build.add_argument("--tags", action=CommaList, metavar="TAGS",
                       help="build tags (comma-separated, repeatable; analyse this target only)")
    build.add_argument("--goos", help="target GOOS (default: linux; naming it analyses this target only)")
    build.add_argument("--goarch", help="target GOARCH (default: amd64; naming it analyses this target only)")
    build.add_argument("--tests", action="store_true", default=None, help="also analyse _test.go files")
    build.add_argument("--include-generated", action="store_true", default=None,
                       help="also analyse generated files (// Code generated ... DO NOT EDIT.)")
    build.add_argument("--exclude", action="append", metavar="GLOB",
                       help="skip paths matching GLOB (repeatable; added to the configured list)")
    _add_new_code_options(parser)
    perf = parser.add_argument_group("performance")
    perf.add_argument("-j", "--jobs", type=_positive_int, metavar="N",
                      help="worker processes (default: all available cores)")
    perf.add_argument("--cache-dir", metavar="DIR", help="result cache (default: .cgoguard_cache in the "
                                                         "project root)")
    perf.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
    add_fix_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def _add_new_code_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("only new findings (a baseline and a git revision combine)")
    group.add_argument("--baseline", metavar="FILE", help="report only findings not recorded in FILE")
    group.add_argument("--write-baseline", metavar="FILE",
                       help="record the current findings in FILE and exit 0")
    since = group.add_mutually_exclusive_group()
    since.add_argument("--new-from-rev", metavar="REV",
                       help="report only findings on lines changed since the git revision REV "
                            "(committed or not; untracked files count as changed)")
    since.add_argument("--new-from-merge-base", metavar="BRANCH",
                       help="report only findings on lines changed since HEAD branched from BRANCH")
    since.add_argument("--new", action="store_true",
                       help="like --new-from-merge-base with the upstream branch (the one HEAD tracks, "
                            "else origin's default branch, main or master)")


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return number


def run(args: argparse.Namespace) -> int:
    from cgoguard.fix.cli import fix_hint, run_fixes, wants_fixes
    from cgoguard.options import exit_status, wants_colour
    from cgoguard.output import render, write_output
    from cgoguard.output.text import TextStyle
    from cgoguard.scan.baseline import write_baseline
    from cgoguard.scan.config import common_start, load_config
    from cgoguard.scan.engine import scan

    paths = [_package_path(p) for p in args.paths] or ["."]
    start = common_start(paths)
    file_config = load_config(start, {}, args.config, isolated=args.isolated)
    config = load_config(start, _overrides(args, file_config), args.config, isolated=args.isolated)
    if args.write_baseline:  # it records everything, so an existing baseline must not hide findings
        config = replace(config, baseline=None)
    if args.show_config:
        from cgoguard.scan.showconfig import render_config

        write_output(render_config(config), args.output)
        return 0
    changed = None if args.write_baseline else _changed_lines(args, start)
    if wants_fixes(args):
        return run_fixes(args, paths, config)
    progress = _ProgressBar(sys.stderr) if sys.stderr.isatty() and not args.quiet else None
    try:
        result = scan(paths, config, progress=progress, changed=changed)
    finally:
        if progress:
            progress.clear()
    for warning in result.warnings:
        print(f"cgoguard: warning: {warning}", file=sys.stderr)
    style = TextStyle(colour=wants_colour(args.color, output=args.output), width=_width())
    roots = _source_roots(paths)
    write_output(render(result.findings, result.errors, args.format, source_roots=roots, style=style,
                        statistics=args.statistics), args.output)
    if args.sarif_output:
        write_output(render(result.findings, result.errors, "sarif", source_roots=roots), args.sarif_output)
    if not args.quiet:
        _print_summary(result, args.format)
        hint = fix_hint(result.findings)
        if hint and args.format == "text":
            print(hint, file=sys.stderr)
    if args.verbose:
        _print_analysed(result)
    if result.internal_errors:
        return 2
    if args.write_baseline:
        count = write_baseline(Path(args.write_baseline), result.findings)
        print(f"cgoguard: wrote {count} finding(s) to baseline {args.write_baseline}", file=sys.stderr)
        return 0
    return exit_status(result.findings, config.fail_on, result.errors)


def _changed_lines(args: argparse.Namespace, start: Path) -> ChangedLines | None:
    """The lines --new, --new-from-rev or --new-from-merge-base limit the findings to."""
    from cgoguard.scan.newcode import changed_lines, merge_base

    if args.new_from_rev:
        return changed_lines(args.new_from_rev, start)
    if args.new or args.new_from_merge_base:
        return changed_lines(merge_base(start, args.new_from_merge_base), start)
    return None


def _width() -> int:
    """Where the detail under a finding wraps: the terminal's width, at most 120 columns."""
    return min(120, shutil.get_terminal_size((100, 24)).columns)


def _package_path(path: str) -> str:
    """A C file named on the command line (pre-commit passes them) stands for its package."""
    if path.endswith(C_SOURCE_SUFFIXES) and Path(path).is_file():
        return str(Path(path).parent)
    return path


def _overrides(args: argparse.Namespace, config: ScanConfig) -> dict[str, object]:
    return {
        "select": tuple(args.select) if args.select else None,
        "ignore": (*config.ignore, *args.ignore) if args.ignore else None,
        "tags": tuple(args.tags) if args.tags is not None else None,
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
        "system_headers": args.system_headers,
    }


def _source_roots(paths: list[str]) -> list[Path]:
    """Where the HTML report may read source lines: the scanned trees."""
    from cgoguard.gofront.discover import tree_roots

    roots: list[Path] = []
    for raw in paths:
        path = Path(raw[: -len("/...")] if raw.endswith("/...") else ("." if raw == "..." else raw))
        roots += tree_roots(path) if path.exists() else []
    return roots


def _print_summary(result: ScanResult, fmt: str) -> None:
    if result.packages == 0 and not result.errors:
        skipped = (f"; {result.skipped_files} Go file(s) excluded by build constraints or as generated code "
                   "(see --goos, --goarch, --tags, --tests, --include-generated)") if result.skipped_files else ""
        print(f"cgoguard: warning: no Go packages found, nothing to scan{skipped}", file=sys.stderr)
        return
    if fmt not in ("text", "concise"):
        return
    by_severity = {level: sum(1 for f in result.findings if f.severity.value == level)
                   for level in ("error", "warning", "info")}
    counts = ", ".join(f"{n} {level}{'s' if n != 1 and level != 'info' else ''}"
                       for level, n in by_severity.items() if n) or "no findings"
    notes = [f"{result.suppressed} suppressed"] if result.suppressed else []
    if result.ignored_by_path:
        notes.append(f"{result.ignored_by_path} by per-file-ignores")
    if result.baselined:
        notes.append(f"{result.baselined} in baseline")
    if result.not_new:
        notes.append(f"{result.not_new} on unchanged lines")
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
