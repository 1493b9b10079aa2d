"""``cgoguard scan --fix / --diff / --unsafe-fixes``: the options and their run.

``scan`` registers these options through :func:`add_arguments` and hands over to
:func:`run_fixes` when one is given. Exit status follows ruff: with ``--fix``, 1 when
findings at or above ``--fail-on`` remain; with ``--diff``, 1 when there is a diff to show.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cgoguard.errors import UsageError

if TYPE_CHECKING:
    from cgoguard.findings import Finding
    from cgoguard.fix.session import FixOutcome
    from cgoguard.scan.config import ScanConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    fixes = parser.add_argument_group("fixes")
    fixes.add_argument("--fix", action="store_true",
                       help="apply the safe fixes in place, then report what is left")
    fixes.add_argument("--diff", action="store_true",
                       help="print the fixes as a unified diff instead of applying them (exit 1 when not empty)")
    fixes.add_argument("--unsafe-fixes", action="store_true",
                       help="with --fix or --diff, also apply fixes that may change behaviour beyond the bug")


def wants_fixes(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "fix", False) or getattr(args, "diff", False))


def run_fixes(args: argparse.Namespace, paths: Sequence[str], config: ScanConfig) -> int:
    from cgoguard.fix.session import fix
    from cgoguard.options import exit_status
    from cgoguard.output import render, write_output

    if args.write_baseline:
        raise UsageError("--fix and --diff cannot be combined with --write-baseline")
    outcome = fix(paths, config, unsafe=args.unsafe_fixes, write=not args.diff)
    result = outcome.result
    if args.diff:
        write_output("".join(f.diff() for _, f in sorted(outcome.files.items())), args.output)
    else:
        write_output(render(result.findings, result.errors, args.format), args.output)
    if not args.quiet:
        _print_summary(outcome, diff=args.diff)
    if result.internal_errors or outcome.failures:
        return 2
    if args.diff:
        return 1 if outcome.files else 0
    return exit_status(result.findings, config.fail_on, result.errors)


def _print_summary(outcome: FixOutcome, *, diff: bool) -> None:
    for path, reason in outcome.skipped:
        print(f"cgoguard: warning: {path}: {reason}", file=sys.stderr)
    for failure in outcome.failures:
        print(f"cgoguard: error: {failure}", file=sys.stderr)
    files = len(outcome.files)
    verb = "would fix" if diff else "fixed"
    notes = []
    if not diff:
        notes.append(f"{len(outcome.result.findings)} remaining")
    if outcome.unsafe_available:
        notes.append(f"{outcome.unsafe_available} more fixable with --unsafe-fixes")
    if outcome.deferred and (diff or outcome.passes > 1):
        notes.append(f"{outcome.deferred} overlapping fix(es) left for another run")
    tail = f" ({', '.join(notes)})" if notes else ""
    print(f"cgoguard: {verb} {outcome.fixed} finding(s) in {files} file(s){tail}", file=sys.stderr)


def fix_hint(findings: Sequence[Finding]) -> str:
    """``N fixable with --fix`` for the summary of a scan without --fix ("" when none)."""
    from cgoguard.findings import Applicability

    safe = sum(1 for f in findings if f.fix is not None and f.fix.applicability is Applicability.SAFE)
    unsafe = sum(1 for f in findings if f.fix is not None and f.fix.applicability is Applicability.UNSAFE)
    if not safe and not unsafe:
        return ""
    parts = [f"{safe} fixable with --fix"] if safe else []
    if unsafe:
        parts.append(f"{unsafe} more with --fix --unsafe-fixes")
    return f"cgoguard: {', '.join(parts)} (preview with --diff)"
