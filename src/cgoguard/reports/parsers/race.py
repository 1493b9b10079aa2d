"""The Go race detector (``WARNING: DATA RACE``) and C ThreadSanitizer reports.

Go's format (tsan_report.cpp, SANITIZER_GO branch) prints each frame as ``pkg.f()`` then
``file.go:12 +0x7e``; C TSan prints ``#0 f file.c:22 (module+0x...)`` frames under
``Write of size 4 at 0x... by thread T2:`` headers and ends with ``SUMMARY: ThreadSanitizer``.
"""

from __future__ import annotations

import re

from cgoguard.reports.frames import GO_FILE_LINE, GO_FUNC_LINE, go_frame, parse_sanitizer_frame
from cgoguard.reports.model import REPORT_START, Report, Take

START = re.compile(r"^WARNING: (?:(?P<go>DATA RACE)|ThreadSanitizer: (?P<kind>.*?)(?: \(pid=\d+\).*)?)$")
_ACCESS = re.compile(
    r"^(?P<previous>Previous )?(?P<op>(?:[Aa]tomic )?(?:[Rr]ead|[Ww]rite))(?: of size (?P<size>\d+))? at "
    r"(?P<addr>0x[0-9a-f]+) by (?P<who>main goroutine|goroutine \d+|main thread|thread T\d+)"
    r"(?: \(mutexes: [^)]*\))?:$")
_CREATED = re.compile(r"^(?:Goroutine \d+ \((?:running|finished)\)|Thread T\d+ .*) created (?:by .* )?at:$")
_LOCATION = re.compile(r"^(?:Location is .*|Mutex M\d+ .*created at):?$")
_SEPARATOR = re.compile(r"^=+$")
_FOUND = re.compile(r"^Found \d+ data race\(s\)$")
_AUX = re.compile(r"^(?:Global var .*|\[failed to restore the stack\]|"
                  r"Heap block of size .*|Thread T\d+ .*|SUMMARY: ThreadSanitizer: .*|"
                  r"testing\.go:\d+: race detected.*|)$")
_MAX_NOISE = 3


class RaceCollector:
    def __init__(self, match: re.Match[str], origin: str, line_no: int) -> None:
        is_go = bool(match.group("go"))
        kind = "data race" if is_go else match.group("kind")
        category = "data-race" if kind == "data race" else (
            "use-after-free" if "use-after-free" in kind else "crash")
        self.report = Report(detector="go-race" if is_go else "tsan", kind=kind, category=category,
                             message=f"{'DATA RACE' if is_go else 'ThreadSanitizer: ' + kind}",
                             origin=origin, origin_line=line_no)
        self.section = "crash"
        self.pending: str | None = None
        self.noise = 0

    def feed(self, line: str) -> Take:
        if self.pending is not None and (file_match := GO_FILE_LINE.match(line)):
            self.report.add_frame(self.section, go_frame(self.pending, file_match.group("path"),
                                                         int(file_match.group("line"))))
            self.pending = None
            return Take.MORE
        self.pending = None
        if line.startswith("#") and (parsed := parse_sanitizer_frame(line)):
            self.report.add_frame(self.section, parsed[1])
        elif func_match := GO_FUNC_LINE.match(line):
            self.pending = func_match.group("func")
        elif access := _ACCESS.match(line):
            self._access(access)
        elif _CREATED.match(line):
            self.section = "creator" if "creator" not in self.report.stacks else "skip"
        elif _LOCATION.match(line):
            self.section = "alloc" if " allocated by " in line else "skip"
            self.report.details.setdefault("location", line)
        elif _SEPARATOR.match(line) or _FOUND.match(line) or line.startswith("SUMMARY: ThreadSanitizer"):
            return Take.DONE if self.report.stacks else Take.MORE
        elif not _AUX.match(line):
            if REPORT_START.match(line) or self.noise >= _MAX_NOISE:
                return Take.REJECT
            self.noise += 1
        return Take.MORE

    def _access(self, access: re.Match[str]) -> None:
        previous = bool(access.group("previous"))
        self.section = "previous" if previous else "crash"
        key = "previous_access" if previous else "access"
        self.report.details[key] = f"{access.group('op')} by {access.group('who')}"
        self.report.details.setdefault("address", access.group("addr"))

    def finish(self) -> list[Report]:
        self.report.stacks.pop("skip", None)
        if "crash" not in self.report.stacks:
            self.report.truncated = True
        return [self.report]
