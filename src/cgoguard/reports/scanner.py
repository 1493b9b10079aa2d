"""The line-level state machine that finds reports in a stream of log lines.

At most one collector is active per input. A line either belongs to it, completes it, or
is rejected (the report ended before it) and then offered to the report starters. A line
outside any report costs one regular-expression search for the words that can start one.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable

from cgoguard.reports.lines import clean_line
from cgoguard.reports.model import Collector, Report, Take
from cgoguard.reports.parsers import asan, goruntime, race, valgrind

# First characters of every report's first line (after cleaning), and words one of them
# contains: together a cheap pre-filter that lets ordinary log lines skip all other work.
_START_CHARS = frozenset("=EWpfSgwr<")
_MAYBE_START = re.compile(r"ERROR|WARNING|panic: |fatal error|SIG[A-Z]|goroutine |write of|==\d|<error>")
_CONTEXT_LINES = 4  # lines kept before a report: glibc's "double free detected" before SIGABRT
_SANITIZERS = frozenset({"asan", "lsan", "tsan", "memory", "hwaddress"})
# Reports that only echo a Go crash: GOTRACEBACK=crash re-raises SIGABRT, and sanitizers
# then report that signal again from runtime.raise. They follow within a few lines.
_ECHO_DISTANCE = 5
_ECHO_FUNCTIONS = ("runtime.raise", "runtime.raise.abi0", "runtime.raiseproc", "runtime.crash")


class Scanner:
    """Feed raw lines of one input; completed reports go to ``sink``."""

    def __init__(self, origin: str, sink: Callable[[Report], None]) -> None:
        self.origin = origin
        self.sink = sink
        self.active: Collector | None = None
        self.line_no = 0
        self.context: deque[str] = deque(maxlen=_CONTEXT_LINES)
        self.last_go_report_line = -1
        self.last_report: Report | None = None
        self.last_report_end = -1

    def feed(self, raw: str) -> None:
        self.line_no += 1
        if self.active is None and not _MAYBE_START.search(raw):
            self.context.append(raw)  # kept raw; cleaned only if a report needs it
            return
        line = clean_line(raw)
        if self.active is not None:
            take = self.active.feed(line)
            if take is Take.MORE:
                return
            self._close()
            if take is Take.DONE:
                return
        if line and line[0] in _START_CHARS:
            self.active = self._start(line)
        if self.active is None and line:
            self.context.append(line)

    def close(self) -> None:
        if self.active is not None:
            self._close()

    def _start(self, line: str) -> Collector | None:
        if match := asan.START.match(line):
            return asan.AsanCollector(match, self.origin, self.line_no)
        if match := goruntime.START.match(line):
            context = [clean_line(c) for c in self.context]
            return goruntime.GoCollector(match, self.origin, self.line_no, context)
        if match := race.START.match(line):
            return race.RaceCollector(match, self.origin, self.line_no)
        if match := valgrind.START.match(line):
            if match.group("xml"):
                return valgrind.ValgrindXmlCollector(self.origin, self.line_no)
            return valgrind.ValgrindTextCollector(match, self.origin, self.line_no)
        return None

    def _close(self) -> None:
        collector, self.active = self.active, None
        assert collector is not None
        for report in collector.finish():
            if self._is_echo(report) or self._folded_into_sanitizer_report(report):
                continue
            if report.detector.startswith(("go", "cgocheck")):
                self.last_go_report_line = self.line_no
            self.last_report, self.last_report_end = report, self.line_no
            self.sink(report)
        self.context.clear()

    def _folded_into_sanitizer_report(self, report: Report) -> bool:
        """With ``abort_on_error=1`` the sanitizer's abort makes Go print the goroutine that was
        in the faulting cgo call: that stack is the sanitizer report's missing Go side. When the
        fault was in Go code (a runtime copy routine reading freed C memory) the runtime cannot
        unwind and prints its confusion, with the Go callers only marked in a stack hexdump."""
        last = self.last_report
        if (last is None or last.detector not in _SANITIZERS or not report.detector.startswith("go")
                or report.details.get("signal") != "SIGABRT"
                or report.origin_line - self.last_report_end > _ECHO_DISTANCE):
            return False
        if report.details.get("in_cgo"):
            last.stacks["go"] = report.crash_stack
        elif report.stacks.get("hexdump"):
            last.stacks["go"] = report.stacks["hexdump"]
        return True

    def _is_echo(self, report: Report) -> bool:
        if report.detector == "valgrind" and report.kind.startswith("Process terminating"):
            # memcheck repeats the faulting stack of the error it just reported.
            last = self.last_report
            return (last is not None and last.detector == "valgrind" and bool(report.crash_stack)
                    and last.crash_stack[:1] == report.crash_stack[:1])
        if self.last_go_report_line < 0 or report.origin_line - self.last_go_report_line > _ECHO_DISTANCE:
            return False
        if report.detector == "go-signal" and report.details.get("signal") == "SIGABRT":
            return True
        stack = report.crash_stack
        return (report.detector in ("asan", "memory", "hwaddress") and report.category in ("crash", "segv")
                and bool(stack) and stack[0].function in _ECHO_FUNCTIONS)
