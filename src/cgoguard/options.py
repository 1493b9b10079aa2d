"""Option names and values shared by every command.

Every command that reports findings takes the same output options with the same values:
``--format``, ``-o/--output``, ``--fail-on error|warning|info|none``, ``--color
auto|always|never`` and ``--statistics``; commands that filter rules take repeatable
``--select`` and ``--ignore`` whose values accumulate (``--select CG1 --select CG3`` and
``--select CG1,CG3`` mean the same). Each ``cli`` module adds the groups it needs from here,
so that a name or a value never differs between two commands.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from cgoguard.errors import UsageError

if TYPE_CHECKING:
    from cgoguard.findings import Finding, InputError, Severity

FAIL_ON = ("error", "warning", "info", "none")
# Older spellings still accepted on the command line (mem used `never`).
_FAIL_ON_ALIASES = {"never": "none", "off": "none"}
COLOR_CHOICES = ("auto", "always", "never")
# How the ids of findings start: static rules (CG101), runtime reports (RT-ASAN), gc and mem.
RULE_ID_PREFIXES = ("CG", "RT", "GC", "MEM")


def fail_on_value(text: str) -> str:
    value = text.strip().lower()
    return _FAIL_ON_ALIASES.get(value, value)


class CommaList(argparse.Action):
    """A repeatable option whose comma-separated values accumulate across repetitions."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: str | Sequence[Any] | None, option_string: str | None = None) -> None:
        current = list(getattr(namespace, self.dest, None) or [])
        text = values if isinstance(values, str) else ",".join(str(v) for v in values or ())
        current += [item.strip() for item in text.split(",") if item.strip()]
        setattr(namespace, self.dest, current)


def add_output_options(parser: argparse.ArgumentParser, formats: Sequence[str], *,
                       default_format: str | None = None, fail_on_default: str | None = "warning",
                       statistics: bool = True, color: bool = True, fail_on: bool = True) -> argparse._ArgumentGroup:
    """``--format``, ``-o/--output``, ``--fail-on`` (unless the command reports no findings:
    ``fail_on=False``) and (where findings are listed) ``--color`` and ``--statistics``.
    ``fail_on_default`` None leaves the default to a configuration file."""
    group = parser.add_argument_group("output")
    default_format = default_format or formats[0]
    group.add_argument("--format", choices=formats, default=default_format,
                       help=f"output format: {', '.join(formats)} (default: {default_format})")
    group.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    default = fail_on_default or "warning"
    if fail_on:
        group.add_argument("--fail-on", type=fail_on_value, choices=FAIL_ON, default=fail_on_default,
                           help=f"lowest severity that makes the exit status 1: {', '.join(FAIL_ON)} "
                                f"(default: {default})")
    if color:
        group.add_argument("--color", choices=COLOR_CHOICES, default="auto",
                           help="colour the text output: auto (on a terminal, unless NO_COLOR is set "
                                "or FORCE_COLOR asks for it), always, never (default: auto)")
    if statistics:
        group.add_argument("--statistics", action="store_true",
                           help="print the number of findings per rule instead of the findings")
        group.add_argument("--sarif-output", metavar="FILE",
                           help="also write the findings as SARIF to FILE (for code scanning), whatever --format is")
    return group


def add_rule_options(parser: argparse.ArgumentParser, what: str) -> argparse._ArgumentGroup:
    """Repeatable ``--select`` and ``--ignore``; ``what`` says what a RULES key may name."""
    group = parser.add_argument_group("rules")
    group.add_argument("--select", action=CommaList, metavar="RULES",
                       help=f"only these {what} (comma-separated, repeatable; values accumulate)")
    group.add_argument("--ignore", action=CommaList, metavar="RULES",
                       help=f"skip these {what} (comma-separated, repeatable; values accumulate)")
    return group


def threshold(fail_on: str | None) -> Severity | None:
    from cgoguard.findings import Severity

    value = fail_on_value(fail_on or "warning")
    if value not in FAIL_ON:
        raise UsageError(f"--fail-on must be one of {', '.join(FAIL_ON)}, got {fail_on!r}")
    return None if value == "none" else Severity(value)


def exit_status(findings: Iterable[Finding], fail_on: str | None, errors: Sequence[InputError] = ()) -> int:
    """1 when a finding reaches ``--fail-on`` (or an input could not be analysed), else 0."""
    level = threshold(fail_on)
    if level is None:
        return 0
    if errors or any(f.severity.at_least(level) for f in findings):
        return 1
    return 0


def wants_colour(choice: str = "auto", stream: TextIO | None = None, output: str | None = None) -> bool:
    """Colour for text written to ``stream`` (stdout by default) unless it goes to a file.

    ``--color always|never`` decides; otherwise NO_COLOR (any non-empty value) turns colour
    off, FORCE_COLOR (any non-empty value but 0) turns it on, and else a terminal that is not
    ``TERM=dumb`` gets colour (https://no-color.org, https://force-color.org).
    """
    if choice == "always":
        return True
    if choice == "never" or output not in (None, "-"):
        return False
    if os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR")
    if force and force != "0":
        return True
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


def matches_key(finding: Finding, key: str) -> bool:
    """A ``--select``/``--ignore`` key for runtime findings: a rule id or id prefix
    (``RT-ASAN``, ``RT``), or a category (``data-race``)."""
    lowered = key.lower()
    return finding.category == lowered or finding.rule.lower().startswith(lowered)


def filter_findings(findings: Iterable[Finding], select: Sequence[str] | None,
                    ignore: Sequence[str] | None) -> list[Finding]:
    """Keep findings matching a ``select`` key (all when none is given) and no ``ignore`` key."""
    from cgoguard.findings import CATEGORIES

    for key in [*(select or ()), *(ignore or ())]:
        if key.lower() not in CATEGORIES and not key.upper().startswith(RULE_ID_PREFIXES):
            raise UsageError(f"{key!r} is neither a rule id (prefix) nor a category; runtime rule ids start "
                             f"with {', '.join(RULE_ID_PREFIXES)}; categories: {', '.join(CATEGORIES)}")
    kept = []
    for finding in findings:
        if select and not any(matches_key(finding, key) for key in select):
            continue
        if ignore and any(matches_key(finding, key) for key in ignore):
            continue
        kept.append(finding)
    return kept
