"""The one result type shared by every cgoguard capability.

Static rules (``scan``), runtime report parsers (``report``, ``run``) and the GC and memory
analyses all produce :class:`Finding` objects, so that one set of output formats, one
baseline mechanism and one de-duplication key serve them all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


class Confidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


# The fixed list of categories: the JSON ``category`` field takes one of these.
# Static and runtime findings share the memory-safety categories so a runtime report can
# confirm a static finding; the runtime-only ones come last.
CATEGORIES: dict[str, str] = {
    "c-leak": "C memory allocated and never freed",
    "use-after-free": "C memory used after it was freed",
    "double-free": "C memory freed twice",
    "dangling-reference": "freed C memory left reachable from a map, global or longer-lived field",
    "go-pointer-to-go-pointer": "Go memory holding unpinned Go pointers passed to C",
    "go-pointer-stored-in-c-memory": "unpinned Go pointer written into C or mmap memory",
    "c-retains-go-pointer": "C keeps a Go pointer after the call returns",
    "go-pointer-returned-to-c": "exported Go function returns a Go pointer to C",
    "missing-keepalive": "finalizer may free C memory while a C call still uses it",
    "unsafe-pointer-misuse": "uintptr, slice-header or unsafe cast misuse",
    "pinner-leak": "runtime.Pinner pinned and not unpinned on every path",
    "handle-leak": "cgo.Handle created and never deleted",
    "buffer-overflow": "out-of-bounds access (heap, stack or global)",
    # Runtime-only categories (from sanitizer and runtime reports).
    "invalid-free": "free of memory that was not allocated by malloc",
    "segv": "segmentation fault or bad memory access",
    "data-race": "data race between goroutines or threads",
    "concurrent-map-write": "Go map written concurrently",
    "crash": "other fatal error or panic",
    "gc-pause": "garbage-collector pause finding",
    "memory-growth": "process memory growth finding",
    # cgoguard's own meta-findings (unused or malformed suppression comments).
    "suppression": "a cgoguard:ignore comment that is unused or malformed",
}


@dataclass(slots=True)
class Related:
    """A secondary location that explains a finding (allocation site, free site, ...)."""

    path: str
    line: int
    message: str
    column: int = 0

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "line": self.line, "message": self.message}
        if self.column:
            data["column"] = self.column
        return data


@dataclass(slots=True)
class Frame:
    """One stack frame of a runtime report, after symbolization and Go source mapping."""

    function: str
    path: str = ""
    line: int = 0
    column: int = 0
    module: str = ""
    offset: str = ""
    # "go", "c", "cgo-glue", "runtime", "sanitizer" or "" when unknown.
    kind: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (
            ("function", self.function), ("path", self.path), ("line", self.line),
            ("column", self.column), ("module", self.module), ("offset", self.offset),
            ("kind", self.kind)) if v not in ("", 0) or k == "function"}


class Applicability(StrEnum):
    """Whether a fix may be applied without a human looking (ruff's safe/unsafe split)."""

    SAFE = "safe"  # keeps the program's meaning apart from the bug it removes: applied by --fix
    UNSAFE = "unsafe"  # may change behaviour beyond the bug: applied only with --unsafe-fixes


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace bytes ``[start, end)`` of the file at ``path`` with ``content`` (an insertion
    when ``start == end``). Lines are 1-based and columns 1-based byte columns, like the
    finding's own position; offsets are what the fix is applied by."""

    path: str
    start: int
    end: int
    content: str
    line: int
    column: int
    end_line: int
    end_column: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "start": self.start, "end": self.end, "content": self.content,
                "line": self.line, "column": self.column, "end_line": self.end_line,
                "end_column": self.end_column}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Edit:
        return cls(str(data["path"]), int(data["start"]), int(data["end"]), str(data["content"]),
                   int(data["line"]), int(data["column"]), int(data["end_line"]), int(data["end_column"]))


@dataclass(slots=True)
class Fix:
    """A change that removes a finding: edits applied together or not at all.

    ``digests`` holds the SHA-256 of each edited file as the edits were computed against it,
    so a file that changed since cannot receive stale edits.
    """

    message: str
    edits: list[Edit]
    applicability: Applicability = Applicability.SAFE
    digests: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.applicability = Applicability(self.applicability)

    @property
    def paths(self) -> list[str]:
        return sorted({e.path for e in self.edits})

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message, "applicability": self.applicability.value,
                "edits": [e.to_dict() for e in self.edits], "digests": dict(self.digests)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fix:
        return cls(str(data["message"]), [Edit.from_dict(e) for e in data.get("edits", [])],
                   Applicability(data.get("applicability", "safe")), dict(data.get("digests", {})))


@dataclass(slots=True)
class Finding:
    rule: str
    category: str
    message: str
    path: str
    line: int
    column: int = 1
    severity: Severity = Severity.WARNING
    related: list[Related] = field(default_factory=list)
    fingerprint: str = ""
    # "static" for scan results, "runtime" for parsed reports.
    source: str = "static"
    confidence: Confidence = Confidence.HIGH
    end_line: int = 0
    end_column: int = 0
    # Runtime findings: bucket signature, number of merged reports, and the stack.
    signature: str = ""
    count: int = 1
    frames: list[Frame] = field(default_factory=list)
    # Free-form, JSON-serialisable details a capability wants to expose.
    extra: dict[str, Any] = field(default_factory=dict)
    # The rule's fix for this finding, when it has a mechanical one.
    fix: Fix | None = None

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown finding category {self.category!r}")
        self.severity = Severity(self.severity)
        self.confidence = Confidence(self.confidence)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.rule)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "category": self.category,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "related": [r.to_dict() for r in self.related],
            "fingerprint": self.fingerprint,
            "source": self.source,
            "confidence": self.confidence.value,
        }
        if self.end_line:
            data["end_line"] = self.end_line
            data["end_column"] = self.end_column
        if self.source == "runtime" or self.signature:
            data["signature"] = self.signature
            data["count"] = self.count
            data["frames"] = [f.to_dict() for f in self.frames]
        if self.extra:
            data["extra"] = self.extra
        if self.fix is not None:
            data["fix"] = self.fix.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            rule=data["rule"],
            category=data["category"],
            message=data["message"],
            path=data["path"],
            line=int(data["line"]),
            column=int(data.get("column", 1)),
            severity=Severity(data.get("severity", "warning")),
            related=[Related(r["path"], int(r["line"]), r.get("message", ""), int(r.get("column", 0)))
                     for r in data.get("related", [])],
            fingerprint=data.get("fingerprint", ""),
            source=data.get("source", "static"),
            confidence=Confidence(data.get("confidence", "high")),
            end_line=int(data.get("end_line", 0)),
            end_column=int(data.get("end_column", 0)),
            signature=data.get("signature", ""),
            count=int(data.get("count", 1)),
            frames=[Frame(**f) for f in data.get("frames", [])],
            extra=dict(data.get("extra", {})),
            fix=Fix.from_dict(data["fix"]) if data.get("fix") else None,
        )


@dataclass(slots=True)
class InputError:
    """A file or input that could not be analysed; reported beside the findings."""

    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


def stable_fingerprint(*parts: object) -> str:
    """A short hash of the parts that identify a finding independently of line numbers.

    Callers pass things that survive code motion (rule, path, enclosing function, the
    normalised text of the offending line, its occurrence index), never a line number.
    """
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:20]
