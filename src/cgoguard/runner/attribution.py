"""Fold the Go traceback of a sanitizer abort into the sanitizer's own finding.

ASan cannot unwind past ``runtime.asmcgocall``, so a double free in C reports only C frames.
The runner sets ``abort_on_error=1``: the abort makes the Go runtime print the goroutine
blocked in the cgo call, which the report parser turns into a separate SIGABRT finding at a
Go line. In one process that stops at its first sanitizer report, that SIGABRT *is* the
report: the sanitizer finding takes its Go line when it has none, or records it as related.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from cgoguard.findings import Finding, Related
from cgoguard.safeio import UNCONFINED, is_regular_file

GENERIC_CATEGORIES = frozenset({"crash", "segv"})
_MAX_SOURCE_BYTES = 8 * 1024 * 1024
SANITIZER_DETECTORS = frozenset({"asan", "lsan", "tsan"})
# gofmt starts every top-level function or method declaration at column 0.
_TOP_LEVEL_FUNC = re.compile(r"^func\b")


def source_path(path: str) -> Path:
    """A finding's path on disk (reports show paths relative to the current directory)."""
    return Path(path) if Path(path).is_absolute() else Path.cwd() / path


def in_module(finding: Finding, module_root: Path) -> bool:
    """Whether the finding points at a line of a file of the module."""
    if not finding.path or finding.line <= 0:
        return False
    path = source_path(finding.path).resolve()
    return is_regular_file(path) and path.is_relative_to(module_root)


def fold_induced_abort(findings: list[Finding], module_root: Path) -> list[Finding]:
    """Findings of one process that had sanitizer logs, the induced SIGABRT folded in."""
    reports = [f for f in findings if f.extra.get("detector") in SANITIZER_DETECTORS]
    aborts = [f for f in findings if f.extra.get("detector") == "go-signal" and f.extra.get("signal") == "SIGABRT"]
    if len(reports) != 1 or not aborts:
        return findings  # no report to attach to, or no way to tell which abort belongs to which
    report = reports[0]
    for abort in aborts:
        if not in_module(abort, module_root):
            continue
        if not in_module(report, module_root):
            report.path, report.line, report.column = abort.path, abort.line, abort.column
            report.frames = report.frames or abort.frames
        elif (abort.path, abort.line) != (report.path, report.line):
            report.related.append(Related(abort.path, abort.line, "Go stack at the sanitizer's abort"))
    return [f for f in findings if not any(f is abort for abort in aborts)]


def enclosing_function_line(path: str, line: int) -> int:
    """The line of the top-level func declaration that contains ``path:line`` (0 if unknown)."""
    if not path.endswith(".go"):
        return 0
    lines = _read_lines(str(source_path(path)))
    for index in range(min(line, len(lines)) - 1, -1, -1):
        if _TOP_LEVEL_FUNC.match(lines[index]):
            return index + 1
    return 0


@lru_cache(maxsize=256)
def _read_lines(path: str) -> list[str]:
    try:
        return UNCONFINED.read_text(path, _MAX_SOURCE_BYTES).splitlines()
    except OSError:
        return []
