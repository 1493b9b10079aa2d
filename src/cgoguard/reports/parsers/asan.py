"""AddressSanitizer, LeakSanitizer (and MemorySanitizer/HWASan headers) reports.

Layout (compiler-rt, same for gcc's libasan): ``==PID==ERROR: AddressSanitizer: <type> ...``,
the access line, the crash stack, the "located" line, ``freed by thread T0 here:`` and
``previously allocated by thread T0 here:`` stacks, ``SUMMARY:``, shadow bytes,
``==PID==ABORTING``. LeakSanitizer prints one ``Direct leak``/``Indirect leak`` block per
allocation stack; each becomes its own report.
"""

from __future__ import annotations

import re

from cgoguard.reports.frames import parse_sanitizer_frame
from cgoguard.reports.model import REPORT_START, Report, Take

START = re.compile(r"^(?:==(?P<pid>\d+)==\s*)?(?:ERROR: (?P<tool>\w*Sanitizer)|WARNING: (?P<msan>MemorySanitizer))"
                   r": (?P<rest>.*)$")
_ACCESS = re.compile(r"^(?P<access>READ|WRITE) of size (?P<size>\d+) at (?P<addr>0x[0-9a-fA-F]+)")
_SECTION = re.compile(r"^(?P<which>freed|previously allocated|allocated) by (?:thread T\d+|main thread)"
                      r"(?: \([^)]*\))? here:$")
_THREAD_CREATED = re.compile(r"^Thread T\d+ .*created by .* here:$")
_LOCATED = re.compile(r"^(?:Address )?0x[0-9a-fA-F]+ is (?:located|a wild pointer)")
_SIGNAL_ACCESS = re.compile(r"^(?:==\d+==)?The signal is caused by a (?P<access>READ|WRITE|UNKNOWN) memory access")
# A general-protection fault: the address ASan prints (0) is not the one the code used.
_HIGH_VALUE_HINT = re.compile(r"^(?:==\d+==)?Hint: this fault was caused by a dereference of a high value address")
_LEAK = re.compile(r"^(?P<which>Direct|Indirect) leak of (?P<bytes>\d+) byte\(s\) in (?P<objects>\d+) "
                   r"object\(s\) allocated from:$")
_SUMMARY = re.compile(r"^SUMMARY: \w*Sanitizer: ")
_END = re.compile(r"^==\d+==\s*ABORTING$")
_SHADOW = re.compile(r"^(?:=>)?0x[0-9a-f]+:\s|^Shadow byte|^[A-Z][\w ]*(?:redzone|region|return|scope|"
                     r"order|user|overflow|cookie|internal|addressable|gap)[\w ]*:\s|^Addressable:")
_IGNORED = re.compile(r"^(?:=+|-+|SCARINESS: .*|HINT: .*|==\d+==.*|AddressSanitizer can not provide .*|"
                      r"\w*Sanitizer:DEADLYSIGNAL|This frame has .*|\[\d+, \d+\) '.*|Suppressions used:|"
                      r"count\s+bytes\s+template|\s*\d+\s+\d+\s+\S+|DEDUP_TOKEN: .*|)$")
_NOISE_BUDGET = 200

_CATEGORY = {
    "heap-use-after-free": "use-after-free",
    "stack-use-after-return": "use-after-free",
    "stack-use-after-scope": "use-after-free",
    # Go's -asan runtime poisons Go heap memory outside live objects: reaching it means
    # unsafe pointer arithmetic or a stale unsafe.Pointer.
    "use-after-poison": "unsafe-pointer-misuse",
    "double-free": "double-free",
    "bad-free": "invalid-free",
    "alloc-dealloc-mismatch": "invalid-free",
    "new-delete-type-mismatch": "invalid-free",
    "SEGV": "segv",
    "BUS": "segv",
    "stack-overflow": "crash",
}


def bug_type(rest: str) -> str:
    """The report's type word: ``heap-use-after-free``, ``double-free``, ``bad-free``, ``SEGV`` ..."""
    if rest.startswith("attempting double-free"):
        return "double-free"
    if rest.startswith("attempting free on address which was not malloc()-ed"):
        return "bad-free"
    match = re.match(r"[\w-]+", rest)
    return match.group(0) if match else "unknown"


def category_of(kind: str) -> str:
    if kind in _CATEGORY:
        return _CATEGORY[kind]
    if kind.endswith(("-buffer-overflow", "-buffer-underflow")) or kind == "container-overflow":
        return "buffer-overflow"
    return "crash"


class AsanCollector:
    """One ``ERROR: AddressSanitizer`` report (or a LeakSanitizer block list)."""

    def __init__(self, match: re.Match[str], origin: str, line_no: int) -> None:
        rest = match.group("rest")
        self.tool = match.group("tool") or match.group("msan")
        self.is_leak = self.tool == "LeakSanitizer" or rest.startswith("detected memory leaks")
        self.origin, self.line_no = origin, line_no
        self.reports: list[Report] = []
        self.section = "crash"
        self.summary_seen = False
        self.noise = 0
        if not self.is_leak:
            kind = bug_type(rest)
            detector = "asan" if self.tool == "AddressSanitizer" else self.tool.lower().removesuffix("sanitizer")
            report = Report(detector=detector, kind=kind, category=category_of(kind),
                            message=f"{self.tool}: {rest}", origin=origin, origin_line=line_no)
            address = re.search(r"(?:address|on) (0x[0-9a-fA-F]+)", rest)
            if address:
                report.details["address"] = address.group(1)
            self.reports.append(report)

    def feed(self, line: str) -> Take:
        if _END.match(line):
            return Take.DONE
        parsed = parse_sanitizer_frame(line) if line.startswith("#") else None
        if parsed is not None:
            if self.reports and not self.summary_seen:
                self.reports[-1].add_frame(self.section, parsed[1])
            return Take.MORE
        if _SUMMARY.match(line):
            self.summary_seen = True
            return Take.DONE if self.is_leak else Take.MORE
        if self.summary_seen:
            return Take.MORE if _SHADOW.match(line) or _IGNORED.match(line) else Take.REJECT
        if REPORT_START.match(line):
            return Take.REJECT
        return Take.MORE if self._section_line(line) else self._noise()

    def _section_line(self, line: str) -> bool:
        if self.is_leak:
            leak = _LEAK.match(line)
            if leak:
                self._start_leak(leak)
                return True
            return bool(_IGNORED.match(line))
        report = self.reports[0]
        if access := _ACCESS.match(line):
            report.details.update(access=access.group("access"), size=int(access.group("size")))
        elif section := _SECTION.match(line):
            self.section = "free" if section.group("which") == "freed" else "alloc"
        elif _THREAD_CREATED.match(line):
            self.section = "creator"
        elif _LOCATED.match(line):
            report.details.setdefault("location", line)
            self.section = "location"  # a stack variable's frame follows, not more of the crash
        elif signal := _SIGNAL_ACCESS.match(line):
            report.details["access"] = signal.group("access")
        elif _HIGH_VALUE_HINT.match(line):
            report.details["high_value_address"] = True
        elif not _IGNORED.match(line) and not _SHADOW.match(line):
            return False
        return True

    def _start_leak(self, leak: re.Match[str]) -> None:
        direct = leak.group("which") == "Direct"
        size, objects = int(leak.group("bytes")), int(leak.group("objects"))
        self.reports.append(Report(
            detector="lsan", kind="direct-leak" if direct else "indirect-leak", category="c-leak",
            message=f"{leak.group('which')} leak of {size} byte(s) in {objects} object(s)",
            origin=self.origin, origin_line=self.line_no,
            details={"bytes": size, "objects": objects, "indirect": not direct}))
        self.section = "alloc"

    def _noise(self) -> Take:
        # Program output interleaved with the report; give up on a report that never ends.
        self.noise += 1
        return Take.MORE if self.noise <= _NOISE_BUDGET else Take.REJECT

    def finish(self) -> list[Report]:
        if not self.summary_seen:
            for report in self.reports:
                report.truncated = True
        return self.reports
