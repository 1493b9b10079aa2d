"""Turn de-duplicated reports into :class:`~cgoguard.findings.Finding` objects.

Rule ids name the detector that produced the report (stable; used in baselines):

=================  ==========================================================
``RT-ASAN``        AddressSanitizer (``go build -asan`` or ``-fsanitize=address``)
``RT-LSAN``        LeakSanitizer
``RT-MSAN``        MemorySanitizer / ``RT-HWASAN`` HWAddressSanitizer
``RT-TSAN``        C ThreadSanitizer
``RT-RACE``        the Go race detector
``RT-CGOCHECK``    cgocheck=1 argument/result panics
``RT-CGOCHECK2``   GOEXPERIMENT=cgocheck2 (GODEBUG=cgocheck=2) store errors
``RT-GO-PINNER``   runtime.Pinner leak panic
``RT-GO-MAP``      concurrent map writes
``RT-GO-HANDLE``   cgo.Handle used or deleted after Delete (``misuse of an invalid Handle``)
``RT-CHECKPTR``    ``-d=checkptr`` unsafe.Pointer checks (arithmetic, conversions)
``RT-GO-PANIC``    other panics; ``RT-GO-FATAL`` other fatal errors;
``RT-GO-SIGNAL``   fatal signals (``SIGSEGV: ...``, ``signal arrived during cgo execution``)
``RT-VALGRIND``    valgrind memcheck
=================  ==========================================================
"""

from __future__ import annotations

import re

from cgoguard.findings import Confidence, Finding, Frame, Related, Severity, stable_fingerprint
from cgoguard.reports.bucket import Bucket, signature
from cgoguard.reports.faultaddr import FaultAddress, MapsSnapshot, fault_of
from cgoguard.reports.frames import dedupe_inlined
from cgoguard.reports.locate import Location, Locator
from cgoguard.reports.model import Report

RULES = {
    "asan": "RT-ASAN", "lsan": "RT-LSAN", "memory": "RT-MSAN", "hwaddress": "RT-HWASAN", "tsan": "RT-TSAN",
    "go-race": "RT-RACE", "cgocheck": "RT-CGOCHECK", "cgocheck2": "RT-CGOCHECK2", "go-pinner": "RT-GO-PINNER",
    "go-map": "RT-GO-MAP", "go-handle": "RT-GO-HANDLE", "go-panic": "RT-GO-PANIC", "go-fatal": "RT-GO-FATAL", "go-signal": "RT-GO-SIGNAL",
    "go": "RT-GO-FATAL", "valgrind": "RT-VALGRIND", "checkptr": "RT-CHECKPTR",
}
_SANITIZER_DETECTORS = {"asan", "lsan", "memory", "hwaddress", "tsan", "valgrind"}
_TOOL_NAMES = {"asan": "AddressSanitizer", "lsan": "LeakSanitizer", "memory": "MemorySanitizer",
               "hwaddress": "HWAddressSanitizer", "tsan": "ThreadSanitizer", "valgrind": "memcheck"}
# "on address 0x...", "(pc 0x... bp ... sp ... T0)", "write of ... 0xc000012ab0 ...": run-specific.
_ADDRESSES = re.compile(r"\s*\((?:pc|addr) 0x[^)]*\)|\s+0x[0-9a-fA-F]+")
_WARNING_CATEGORIES = {"c-leak", "pinner-leak", "handle-leak"}
_TITLES = {
    "use-after-free": "use after free",
    "double-free": "double free",
    "c-leak": "C memory leak",
    "invalid-free": "free of memory that malloc did not return",
    "buffer-overflow": "out-of-bounds access",
    "segv": "invalid memory access (segmentation fault)",
    "go-pointer-to-go-pointer": "Go memory holding an unpinned Go pointer was passed to C",
    "go-pointer-returned-to-c": "exported Go function returned a Go pointer to C",
    "go-pointer-stored-in-c-memory": "unpinned Go pointer stored into C memory",
    "pinner-leak": "runtime.Pinner garbage-collected while still pinning memory",
    "unsafe-pointer-misuse": "invalid unsafe.Pointer",
    "data-race": "data race",
    "concurrent-map-write": "concurrent map writes",
    "crash": "crash",
}


def build_finding(bucket: Bucket, locator: Locator, maps: MapsSnapshot | None = None) -> Finding:
    report = bucket.report
    fault = fault_of(report, maps)
    location = locator.locate(report) or Location(
        path=report.origin, line=report.origin_line, confidence=Confidence.LOW,
        explanation=f"{_why_unlocated(report, locator)}; pointing at the log")
    sig = signature(report, location.go_function, location.c_entry)
    finding = Finding(
        rule=RULES.get(report.detector, "RT-GO-FATAL"),
        category=report.category,
        message=_message(report, location, location.identity.note() if (
            location.identity.unmatched and locator.has_cgo_packages) else "", fault),
        path=location.path,
        line=location.line,
        column=location.column,
        severity=Severity.WARNING if report.category in _WARNING_CATEGORIES else Severity.ERROR,
        related=location.related,
        source="runtime",
        confidence=location.confidence,
        signature=sig,
        count=bucket.count,
        frames=_frames(report, location, locator),
        extra={
            "detector": report.detector,
            "kind": report.kind,
            "report": report.message,
            "mapping": location.explanation,
            **({"go_function": location.go_function} if location.go_function else {}),
            **({"c_function": location.c_entry} if location.c_entry else {}),
            **location.identity.extra(),
            **_export_name(report, location),
            **({"fault_address": fault.to_dict()} if fault else {}),
            "occurrences": bucket.examples,
            **({"truncated": True} if report.truncated else {}),
            **{k: v for k, v in report.details.items() if isinstance(v, str | int | bool)},
        },
    )
    # The same stack shape in two packages of one tree is two bugs (baselines must tell them apart).
    package = location.identity.import_path
    finding.fingerprint = stable_fingerprint(finding.rule, sig, package) if package else stable_fingerprint(
        finding.rule, sig)
    return finding


def _export_name(report: Report, location: Location) -> dict[str, str]:
    """The exported function of a result panic, when the sources (not the runtime) named it."""
    if report.category != "go-pointer-returned-to-c" or report.details.get("export_function") \
            or not location.go_function:
        return {}
    return {"export_function": location.go_function.rsplit(".", 1)[-1]}


def _why_unlocated(report: Report, locator: Locator) -> str:
    """Why a report has no Go line: what the user can change to get one."""
    stacks = [frame for stack in report.stacks.values() for frame in stack]
    if not stacks:
        return "the report has no stack" + (" (the log was cut short)" if report.truncated else "")
    if not any(frame.path for frame in stacks):
        return "no frame of the report has a source position (pass --binary to symbolize it)"
    if locator.index is None:
        return "no --source to map the report's frames to"
    return "no frame of the report is in the source tree (only Go runtime, sanitizer or library frames)"


def _frames(report: Report, location: Location, locator: Locator) -> list[Frame]:
    frames = [locator.display_frame(f) for f in dedupe_inlined(report.crash_stack or report.stacks.get("alloc", []))]
    # The Go side: printed by the runtime at the sanitizer's abort, or recovered from the sources.
    abort_stack = [f for f in report.stacks.get("go", []) if f.kind in ("go", "cgo-glue")]
    if abort_stack:
        return frames + [locator.display_frame(f) for f in abort_stack]
    if location.recovered_frame is not None:
        frames.append(location.recovered_frame)
    return frames


def _message(report: Report, location: Location, note: str = "", fault: FaultAddress | None = None) -> str:
    """``<title>: <what the detector said>``, without addresses and registers that vary per run.

    The number of occurrences is not part of it: it is the finding's ``count``."""
    title = _TITLES.get(report.category, report.category)
    details = report.details
    access = details.get("access")
    if report.category == "data-race" and access and details.get("previous_access"):
        what, access = f"{access} races with the previous {details['previous_access']}", None
    elif report.detector in _SANITIZER_DETECTORS:
        what = f"{_TOOL_NAMES.get(report.detector, report.detector)} {report.kind}"
    else:
        what = _ADDRESSES.sub("", report.message).strip()
    parts = [f"{title}: {what}"]
    if access:
        size = details.get("size")
        parts.append(f"{access}{f' of size {size}' if size else ''}")
    if location.c_entry:
        parts.append(f"in C.{location.c_entry}")
    if details.get("in_cgo"):
        parts.append("signal arrived during cgo execution")
    if fault is not None:
        parts.append(fault.short)
    if note:
        parts.append(note)
    return "; ".join(parts)


def confirm_static(runtime: list[Finding], static: list[Finding]) -> None:
    """Mark static findings that a runtime finding confirms, and link both ways."""
    for found in runtime:
        places = {(found.path, found.line)} | {(r.path, r.line) for r in found.related}
        for candidate in static:
            if not _same_bug(found, candidate, places):
                continue
            candidate.extra["confirmed_at_runtime"] = True
            candidate.extra.setdefault("runtime_signatures", []).append(found.signature)
            found.extra.setdefault("confirms", []).append(candidate.fingerprint or candidate.rule)
            found.related.append(Related(candidate.path, candidate.line,
                                         f"static finding {candidate.rule} confirmed by this report"))


_EQUIVALENT = {"use-after-free": {"use-after-free", "dangling-reference"},
               # ASan's overrun of Go or C memory made by unsafe arithmetic (CG307, CG305).
               "buffer-overflow": {"buffer-overflow", "unsafe-pointer-misuse"},
               # checkptr and ASan's poisoned Go heap: unsafe arithmetic, or C reading past Go bytes (CG205).
               "unsafe-pointer-misuse": {"unsafe-pointer-misuse", "buffer-overflow"},
               "go-pointer-stored-in-c-memory": {"go-pointer-stored-in-c-memory", "c-retains-go-pointer"}}


def _same_bug(found: Finding, candidate: Finding, places: set[tuple[str, int]]) -> bool:
    if candidate.category not in _EQUIVALENT.get(found.category, {found.category}):
        return False
    locations = {(candidate.path, candidate.line)} | {(r.path, r.line) for r in candidate.related}
    return any(_same_path(a, b) and la == lb for a, la in places for b, lb in locations)


def _same_path(a: str, b: str) -> bool:
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)
