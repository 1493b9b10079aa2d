"""Valgrind memcheck reports, in text form (``==PID== Invalid read ...``) and XML (``--xml=yes``).

Text errors are blocks of ``==PID==`` lines: the error line, ``at``/``by`` frames, then
auxiliary lines (``Address ... free'd``, ``Block was alloc'd at``) each followed by a stack.
XML errors are ``<error>...</error>`` elements; each is collected (bounded) and parsed with
ElementTree, falling back to nothing for malformed fragments.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from cgoguard.findings import Frame
from cgoguard.reports.frames import classify, meaningful
from cgoguard.reports.model import REPORT_START, Report, Take

_PREFIX = re.compile(r"^==(?P<pid>\d+)==\s?(?P<body>.*)$")
START = re.compile(
    r"^==(?P<pid>\d+)==\s*(?P<what>Invalid (?:read|write) of size \d+|Invalid free\(\) / delete / delete\[\] / realloc\(\)"
    r"|Invalid free\(\).*|Mismatched free\(\) / delete / delete \[\]|Conditional jump or move depends on .*"
    r"|Use of uninitialised value.*|Syscall param .*|Process terminating with default action of signal \d+.*"
    r"|[\d,]+ (?:\([\d,]+ direct, [\d,]+ indirect\) )?bytes in [\d,]+ blocks are (?:definitely|indirectly)"
    r" lost in loss record .*)$|^(?P<xml><error>)$")
_FRAME = re.compile(r"^(?:at|by) (?P<pc>0x[0-9A-Fa-f]+): (?P<func>.*?)(?: \((?:in )?(?P<where>[^()]*)\))?$")
_WHERE_FILE = re.compile(r"^(?P<path>.+?):(?P<line>\d+)$")
_FREED = re.compile(r"^Address 0x[0-9A-Fa-f]+ is \d+ bytes inside a block of size \d+ free'd$")
_ALLOCD = re.compile(r"^(?:Block was alloc'd at|Address 0x[0-9A-Fa-f]+ is .* alloc'd)$")
_WILD = re.compile(r"^Address 0x[0-9A-Fa-f]+ is not stack'd, malloc'd or \(recently\) free'd$")
_MAX_XML_LINES = 4000
_XML_FIELD = re.compile(r"<(?P<tag>kind|what|text|fn|file|line|obj|ip|auxwhat)>(?P<value>[^<]*)</(?P=tag)>")


def category_of(what: str) -> str:
    if what.startswith("Invalid free") or what.startswith("Mismatched free"):
        return "invalid-free"
    if " lost in loss record" in what:
        return "c-leak"
    if what.startswith("Process terminating"):
        return "segv" if "(SIGSEGV)" in what or "(SIGBUS)" in what else "crash"
    if what.startswith("Invalid "):
        return "buffer-overflow"  # refined to use-after-free when the address is in a freed block
    return "crash"


def frame_from(function: str, where: str, pc: str) -> Frame:
    frame = Frame(function="" if function == "???" else function)
    if file_match := _WHERE_FILE.match(where or ""):
        frame.path, frame.line = file_match.group("path"), int(file_match.group("line"))
    elif where:
        frame.module, frame.offset = where, pc
    frame.kind = classify(frame)
    return frame


class ValgrindTextCollector:
    def __init__(self, match: re.Match[str], origin: str, line_no: int) -> None:
        what = match.group("what")
        self.pid = match.group("pid")
        self.report = Report(detector="valgrind", kind=what, category=category_of(what), message=what,
                             origin=origin, origin_line=line_no)
        self.section = "alloc" if self.report.category == "c-leak" else "crash"

    def feed(self, line: str) -> Take:
        prefix = _PREFIX.match(line)
        if prefix is None or prefix.group("pid") != self.pid:
            return Take.REJECT
        body = prefix.group("body").strip()
        if not body:
            return Take.DONE
        if frame := _FRAME.match(body):
            self.report.add_frame(self.section, frame_from(frame.group("func"), frame.group("where") or "",
                                                           frame.group("pc")))
        elif _FREED.match(body):
            self.section = "free"
            if self.report.category == "buffer-overflow":
                self.report.category = "use-after-free"
            elif self.report.category == "invalid-free":
                self.report.category = "double-free"  # the block was already freed
            self.report.details["location"] = body
        elif _WILD.match(body):
            if self.report.category == "buffer-overflow":
                self.report.category = "segv"
            self.report.details["location"] = body
        elif _ALLOCD.match(body):
            self.section = "alloc"
            self.report.details.setdefault("location", body)
        elif START.match(line):
            return Take.REJECT
        else:
            self.report.details.setdefault("location", body)
        return Take.MORE

    def finish(self) -> list[Report]:
        if self.report.category == "crash" and not meaningful(self.report.crash_stack):
            # Uninitialised-value reports inside the Go runtime alone are memcheck's known false
            # positives on Go (stack switching, assembly); they are parsed but not reported.
            self.report.category = ""
        return [self.report]


class ValgrindXmlCollector:
    """One ``<error>`` element of memcheck's XML protocol (4 or 5)."""

    def __init__(self, origin: str, line_no: int) -> None:
        self.lines = ["<error>"]
        self.origin, self.line_no = origin, line_no
        self.complete = False

    def feed(self, line: str) -> Take:
        if len(self.lines) >= _MAX_XML_LINES or REPORT_START.match(line):
            return Take.REJECT  # cut short, or another report (or <error>) began
        self.lines.append(line)
        if line == "</error>":
            self.complete = True
            return Take.DONE
        return Take.MORE

    def finish(self) -> list[Report]:
        try:
            element = ET.fromstring("\n".join(self.lines))
        except ET.ParseError:
            element = _salvage(self.lines)
            if element is None:
                return []
        kind = element.findtext("kind", "")
        what = element.findtext("what") or element.findtext("xwhat/text") or kind
        category = _xml_category(kind, element)
        report = Report(detector="valgrind", kind=kind, category=category, message=what,
                        origin=self.origin, origin_line=self.line_no, truncated=not self.complete)
        sections = ["alloc" if category == "c-leak" else "crash"]
        for aux in element.findall("auxwhat"):
            text = aux.text or ""
            sections.append("free" if "free'd" in text else "alloc")
            report.details.setdefault("location", text)
        for section, stack in zip(sections, element.findall("stack"), strict=False):
            for frame in stack.findall("frame"):
                report.add_frame(section, _xml_frame(frame))
        return [report]


def _xml_category(kind: str, element: ET.Element) -> str:
    if kind.startswith("Leak_DefinitelyLost") or kind.startswith("Leak_IndirectlyLost"):
        return "c-leak"
    if kind.startswith("Leak_"):
        return ""  # possibly lost / still reachable: the Go runtime's own threads look like this
    freed = any("free'd" in (aux.text or "") for aux in element.findall("auxwhat"))
    if kind in ("InvalidFree", "MismatchedFree"):
        return "double-free" if freed and kind == "InvalidFree" else "invalid-free"
    if kind in ("InvalidRead", "InvalidWrite"):
        return "use-after-free" if freed else "buffer-overflow"
    return "crash"


def _xml_frame(frame: ET.Element) -> Frame:
    line_text = frame.findtext("line", "")
    result = Frame(function=frame.findtext("fn", ""),
                   path="/".join(p for p in (frame.findtext("dir", ""), frame.findtext("file", "")) if p),
                   line=int(line_text) if line_text.isdigit() else 0,
                   module=frame.findtext("obj", ""), offset=frame.findtext("ip", ""))
    if not result.line:
        result.path = ""
    result.kind = classify(result)
    return result


def _salvage(lines: list[str]) -> ET.Element | None:
    """Rebuild a truncated ``<error>`` from its complete one-line fields (the log was cut)."""
    error = ET.Element("error")
    stack: ET.Element | None = None
    frame: ET.Element | None = None
    for line in lines:
        if line == "<stack>":
            stack, frame = ET.SubElement(error, "stack"), None
        elif line == "<frame>" and stack is not None:
            frame = ET.SubElement(stack, "frame")
        elif field_match := _XML_FIELD.match(line):
            parent = frame if field_match.group("tag") in ("fn", "file", "line", "obj", "ip") else error
            if parent is None:
                continue
            ET.SubElement(parent, field_match.group("tag")).text = field_match.group("value")
    return error if error.find("kind") is not None else None
