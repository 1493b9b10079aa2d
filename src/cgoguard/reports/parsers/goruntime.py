"""Go runtime crash output: panics, fatal errors, fatal signals, cgocheck and goroutine dumps.

Covers every cgocheck and checkptr wording from Go 1.6 to 1.26 (see ``classify_message``), the cgocheck2
``write of (unpinned) Go pointer ... to non-Go memory`` prelude, ``SIGSEGV``/``SIGABRT``
headers with ``signal arrived during cgo execution``, the ``gp= m= mp=`` goroutine headers of
GOTRACEBACK=system/crash, old ``??:0`` frames and register dumps. Only the first goroutine
(the one that crashed) keeps its frames; the others are counted.
"""

from __future__ import annotations

import re

from cgoguard.reports.frames import GO_FILE_LINE, GO_FUNC_LINE, go_frame
from cgoguard.reports.model import REPORT_START, Report, Take

START = re.compile(
    r"^(?:(?P<panic>panic): (?P<pmsg>.*)|(?P<fatal>fatal error): (?P<fmsg>.*)"
    r"|(?P<signal>SIG[A-Z]+): (?P<sdesc>.*)"
    r"|(?P<write>write of (?:unpinned )?Go pointer (?P<src>0x[0-9a-f]+) to non-Go memory(?: (?P<dst>0x[0-9a-f]*))?)"
    r"|(?P<overflow>runtime: goroutine stack exceeds .*)"
    r"|(?P<dump>goroutine \d+(?: gp=\S+ m=\S+(?: mp=\S+)?)? \[[^\]]+\]:))$")
_GOROUTINE = re.compile(r"^goroutine (?P<id>\d+)(?: gp=\S+ m=\S+(?: mp=\S+)?)? \[(?P<state>[^\]]+)\]:$")
_SIGNAL_LINE = re.compile(r"^\[signal (?P<sig>SIG\w+): [^\]]*?(?:code=(?P<code>\S+) )?"
                          r"(?:addr=(?P<addr>0x[0-9a-f]+|\?))?(?: pc=(?P<pc>0x[0-9a-f]+))?\]$")
_PC_LINE = re.compile(r"^PC=(?P<pc>0x[0-9a-f]+) m=\S+(?: sigcode=(?P<code>\S+))?(?: addr=(?P<addr>0x[0-9a-f]+))?$")
_CREATED_BY = re.compile(r"^created by (?P<func>\S+)(?: in goroutine \d+)?$")
_C_NAME = re.compile(r"^[A-Za-z_]\w*$")
_NON_GO = re.compile(r"^non-Go function at pc=(?P<pc>0x[0-9a-f]+)$")
_REGISTER = re.compile(r"^(?:[a-z][a-z0-9]{1,6}|r\d+|x\d+)\s+0x[0-9a-f]+$")
_BENIGN = re.compile(
    r"^(?:|\[recovered(?:, repanicked)?\]|\.\.\.additional frames elided\.\.\.|runtime stack:|"
    r"goroutine running on other thread; stack unavailable|signal arrived during cgo execution|"
    r"\[originating from goroutine \d+\]:|exit status \d+|runtime: .*|panic during panic|"
    r"FAIL\s.*|---\s.*|\[(?:signal|.*goroutines?).*\]|-+|errno \d+|created by .*)$")
_RESULT_WITH_POS = re.compile(
    r"(?:runtime error: )?(?P<path>\S+?):(?P<line>\d+): result of Go func(?:tion (?P<func>\S+))?")
_SIGNAL_TAIL = re.compile(r"\b(SIG[A-Z]+): ([a-z][\w ]*)$")
# When the runtime cannot unwind a goroutine (an abort that hit Go code) it hexdumps the stack
# and marks words that are return addresses: "^ <main.main+0x1cc>". Those name the Go callers.
_HEXDUMP = re.compile(r"^(?:[0-9a-f]{16}: .*|(?:[0-9a-f] ){4} (?:[0-9a-f] ){3}[0-9a-f] .*|stack: frame=\{.*)$")
_HEXDUMP_MARK = re.compile(r"\^ <(?P<func>[^<>+\s]+)\+0x[0-9a-f]+>")
_MAX_HEXDUMP_FRAMES = 32
_EXIT = re.compile(r"^exit status \d+$")
_MAX_HEADER_NOISE = 20
_MAX_TRAILING_NOISE = 2

_MESSAGE_CATEGORIES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"cgo argument has Go pointer to (?:unpinned )?Go pointer|"
                r"argument of cgo function has Go pointer to unpinned Go"), "go-pointer-to-go-pointer", "cgocheck"),
    (re.compile(r"cgo result has Go pointer|cgo result is unpinned Go pointer|"
                r"result of Go function \S+ called from cgo is unpinned Go|"
                r"\.go:\d+: result of Go func"), "go-pointer-returned-to-c", "cgocheck"),
    (re.compile(r"Go pointer stored into non-Go memory"), "go-pointer-stored-in-c-memory", "cgocheck2"),
    (re.compile(r"found leaking pinned pointer"), "pinner-leak", "go-pinner"),
    # cgo.Handle.Value/Delete on a deleted or zero handle: a use after Delete or a double Delete.
    (re.compile(r"misuse of an invalid Handle"), "crash", "go-handle"),
    (re.compile(r"concurrent map (?:writes|read and map write|iteration and map write)"),
     "concurrent-map-write", "go-map"),
    (re.compile(r"invalid memory address or nil pointer dereference|unexpected signal"), "segv", ""),
    # -d=checkptr (also on under -race and -asan), every wording since Go 1.14: "pointer arithmetic
    # result points to invalid allocation", "... computed bad pointer value", "converted pointer
    # straddles multiple allocations", "misaligned pointer conversion", "unsafe pointer conversion".
    (re.compile(r"\bcheckptr: "), "unsafe-pointer-misuse", "checkptr"),
    # The GC or the stack copier met a pointer-typed word that is no pointer (an integer as pointer).
    (re.compile(r"invalid pointer found on stack|found bad pointer in Go heap"), "unsafe-pointer-misuse", ""),
)
# glibc's last words before abort(): they tell which heap bug raised the SIGABRT.
_GLIBC_ABORT = (
    (re.compile(r"double free|free\(\): double free"), "double-free"),
    (re.compile(r"free\(\): invalid (?:pointer|size)|munmap_chunk\(\): invalid pointer|"
                r"realloc\(\): invalid"), "invalid-free"),
)


def classify_message(message: str) -> tuple[str, str]:
    """(category, detector) of a panic or fatal error message."""
    for pattern, category, detector in _MESSAGE_CATEGORIES:
        if pattern.search(message):
            return category, detector
    return "crash", ""


def classify_abort(context: list[str]) -> str:
    """Category of a SIGABRT from the lines printed just before it (glibc's diagnostics)."""
    for line in reversed(context):
        for pattern, category in _GLIBC_ABORT:
            if pattern.search(line):
                return category
    return "crash"


def signal_category(signal: str, context: list[str]) -> str:
    """The category of a fatal signal; "" for SIGQUIT, a dump someone asked for, not a bug."""
    if signal == "SIGQUIT":
        return ""
    if signal in ("SIGSEGV", "SIGBUS"):
        return "segv"
    return classify_abort(context) if signal == "SIGABRT" else "crash"


class GoCollector:
    """A Go panic/fatal error/fatal signal with its goroutine dump."""

    def __init__(self, match: re.Match[str], origin: str, line_no: int, context: list[str]) -> None:
        self.report = Report(detector="go", kind="", category="crash", message="", origin=origin,
                             origin_line=line_no)
        self.context = context
        self.goroutines = 0
        self.current_goroutine: int | None = None
        self.section = ""  # "runtime", "crash", "creator", "skip"
        self.pending: str | None = None
        self.pending_is_c = False
        self.noise = 0
        self.saw_frames = False
        self._header(match)

    # -- header lines -------------------------------------------------------------------
    def _header(self, match: re.Match[str]) -> None:
        report = self.report
        if match.group("panic") or match.group("fatal"):
            is_panic = bool(match.group("panic"))
            message = (match.group("pmsg") if is_panic else match.group("fmsg")).removesuffix(" [recovered]")
            # The first specific message wins; a generic one gives way to a later, more specific
            # line (a nested panic, or the fatal error after cgocheck2's "write of Go pointer").
            if report.kind in ("", "write-barrier", "stack-overflow") or report.category == "crash":
                self._set_message("panic" if is_panic else "fatal error", message)
        elif match.group("signal"):
            signal = match.group("signal")
            report.details["signal"] = signal
            if not report.kind:
                report.kind = "signal"
                report.message = f"{signal}: {match.group('sdesc')}"
                report.category = signal_category(signal, self.context)
                report.detector = "go-signal"
        elif match.group("write"):
            report.kind = "write-barrier"
            report.category, report.detector = "go-pointer-stored-in-c-memory", "cgocheck2"
            report.message = match.group("write")
            report.details.update(go_pointer=match.group("src"), c_address=match.group("dst") or "")
        elif match.group("overflow"):
            report.kind, report.message = "stack-overflow", "fatal error: stack overflow"
        elif match.group("dump"):
            report.kind, report.category, report.detector = "goroutine-dump", "", "go"
            self._signal_from_context()
            self._goroutine(_GOROUTINE.match(match.group(0)))

    def _signal_from_context(self) -> None:
        """A ``SIGABRT: abort`` header glued to the end of program output (no newline before it)."""
        for index, line in enumerate(self.context):
            if signal := _SIGNAL_TAIL.search(line):
                self.report.kind, self.report.detector = "signal", "go-signal"
                self.report.message = f"{signal.group(1)}: {signal.group(2)}"
                self.report.details["signal"] = signal.group(1)
                self.report.category = signal_category(signal.group(1), self.context[:index])
            elif line == "signal arrived during cgo execution":
                self.report.details["in_cgo"] = True

    def _set_message(self, prefix: str, message: str) -> None:
        report = self.report
        category, detector = classify_message(message)
        if report.kind == "write-barrier" and category == "go-pointer-stored-in-c-memory":
            report.message = f"{prefix}: {message} ({report.message})"
            return
        report.kind = prefix
        report.message = f"{prefix}: {message}"
        report.category = category
        report.detector = detector or ("go-panic" if prefix == "panic" else "go-fatal")
        if result := _RESULT_WITH_POS.search(message):
            report.details.update(export_function=result.group("func") or "", export_path=result.group("path"),
                                  export_line=int(result.group("line")))
        if report.category == "crash" and "stack overflow" in message:
            report.kind = "stack-overflow"

    # -- body -----------------------------------------------------------------------------
    def feed(self, line: str) -> Take:
        if self.pending is not None and (file_match := GO_FILE_LINE.match(line)):
            self._add(self.pending, file_match.group("path"), int(file_match.group("line")),
                      file_match.group("pc") or "")
            self.pending, self.pending_is_c = None, False
            return Take.MORE
        self._flush_pending()
        if (func_match := GO_FUNC_LINE.match(line)) and self.section:
            self.pending = func_match.group("func")
            return Take.MORE
        if self.section in ("crash", "runtime") and _C_NAME.match(line):
            self.pending, self.pending_is_c = line, True  # a frame only if a file line follows
            return Take.MORE
        if goroutine := _GOROUTINE.match(line):
            self._goroutine(goroutine)
            return Take.MORE
        if start := START.match(line):
            return self._restart(start)
        return self._other(line)

    def _restart(self, start: re.Match[str]) -> Take:
        # A nested "panic: ..." or the "fatal error:" after a cgocheck2 "write of" line
        # belongs to this report; a new report starts only once this one has a stack.
        if self.saw_frames:
            return Take.REJECT
        self._header(start)
        return Take.MORE

    def _other(self, line: str) -> Take:
        report = self.report
        if signal := _SIGNAL_LINE.match(line):
            report.details.setdefault("signal", signal.group("sig"))
            report.details.update({k: v for k, v in (("address", signal.group("addr")), ("pc", signal.group("pc")),
                                                      ("sigcode", signal.group("code"))) if v})
        elif pc_line := _PC_LINE.match(line):
            report.details["pc"] = pc_line.group("pc")
            report.details.update({k: v for k, v in (("address", pc_line.group("addr")),
                                                      ("sigcode", pc_line.group("code"))) if v})
        elif line == "signal arrived during cgo execution":
            report.details["in_cgo"] = True
        elif line == "runtime stack:":
            self.section = "runtime"
        elif created := _CREATED_BY.match(line):
            if self.section == "crash":
                self.section, self.pending = "creator", created.group("func")
        elif non_go := _NON_GO.match(line):
            if self.section in ("crash", "runtime"):
                self.report.add_frame(self.section, go_frame("", "", 0, non_go.group("pc")))
        elif line.startswith("^ <") or _HEXDUMP.match(line):
            self._hexdump(line)
        elif _EXIT.match(line):
            return Take.DONE
        elif not (_REGISTER.match(line) or _BENIGN.match(line)):
            return self._noise(line)
        self.noise = 0
        return Take.MORE

    def _noise(self, line: str) -> Take:
        if REPORT_START.match(line):
            return Take.REJECT  # another family's report (Go starts were handled by _restart)
        self.noise += 1
        limit = _MAX_TRAILING_NOISE if self.saw_frames else _MAX_HEADER_NOISE
        if self.noise > limit:
            return Take.REJECT
        if not self.saw_frames and not self.section and self.report.kind in ("panic", "fatal error"):
            # Multi-line panic values continue the message until the blank line.
            self.report.details.setdefault("message_lines", []).append(line[:200])
        return Take.MORE

    def _hexdump(self, line: str) -> None:
        """Return addresses the runtime marked in the crashing goroutine's stack dump."""
        if self.current_goroutine != self.report.details.get("goroutine"):
            return
        for mark in _HEXDUMP_MARK.finditer(line):
            frames = self.report.stacks.setdefault("hexdump", [])
            if len(frames) < _MAX_HEXDUMP_FRAMES:
                frames.append(go_frame(mark.group("func"), "", 0))

    def _goroutine(self, match: re.Match[str] | None) -> None:
        self.goroutines += 1
        self.current_goroutine = int(match.group("id")) if match is not None else None
        self.section = "crash" if self.goroutines == 1 else "skip"
        if match is not None and self.goroutines == 1:
            self.report.details.update(goroutine=int(match.group("id")), state=match.group("state"))

    def _add(self, function: str, path: str, line: int, pc: str) -> None:
        if self.section in ("crash", "runtime", "creator"):
            self.report.add_frame(self.section, go_frame(function, path, line, pc))
            self.saw_frames = True
        elif self.section == "skip":
            self.saw_frames = True
        if self.section == "creator":
            self.section = "skip"

    def _flush_pending(self) -> None:
        if self.pending is not None and not self.pending_is_c:
            self._add(self.pending, "", 0, "")
        self.pending, self.pending_is_c = None, False

    def finish(self) -> list[Report]:
        self._flush_pending()
        self.report.details["goroutines"] = self.goroutines
        if not self.saw_frames:
            self.report.truncated = True
            if self.goroutines == 0 and self.report.category in ("crash", "segv"):
                # "panic: ..." with no goroutine dump is an application's log line, not a crash
                # (the runtime always prints the stack unless GOTRACEBACK=none).
                self.report.category = ""
        return [self.report]
