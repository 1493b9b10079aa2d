"""Signatures and de-duplication: many logs in, one bucket per bug out.

A signature is ``<category>:<f1> > <f2> > <f3>``: the top three *meaningful* frames of the
crash stack (the allocation stack for leaks) after dropping runtime, sanitizer and cgo-glue
frames, collapsing inlined repeats and normalising per-build names (``_cgo_<hash>_``,
``.abi0``, C++ parameter lists). This follows ClusterFuzz's crash state (top 3 frames after an
ignore list) and panicparse's goroutine buckets. When a stack has no meaningful frame at all
(ASan stops at ``runtime.asmcgocall``, e.g. a double free straight from ``C.free``), the cgo
entry point (``C.free``) and the Go function the finding maps to stand in for frames.

Bucketing runs while streaming, on a *raw* key that also uses module offsets; buckets are
merged again on the final signature after symbolization and Go mapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath

from cgoguard.findings import Frame
from cgoguard.reports.frames import (
    c_function_of_glue,
    dedupe_inlined,
    exported_function_of_glue,
    meaningful,
    normalize_function,
)
from cgoguard.reports.model import Report

SIGNATURE_FRAMES = 3
RACE_FRAMES = 2
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_REGISTERS = re.compile(r"\s+(?:at pc|\(pc) 0x[0-9a-fA-F]+.*$")
_NUMBER = re.compile(r"\b\d+\b")
_MAX_EXAMPLES = 5
_CGO_SYMBOL_HASH = re.compile(r"_cgo(?:exp|expwrap)?_([0-9a-f]{12})_")


def primary_stack(report: Report) -> list[Frame]:
    if report.category == "c-leak":
        return report.stacks.get("alloc", [])
    return report.crash_stack


def frame_token(frame: Frame) -> str:
    if frame.function:
        return normalize_function(frame.function)
    if frame.module:
        return f"{PurePath(frame.module).name}+{frame.offset}"
    return frame.offset or "?"


def top_frames(report: Report) -> list[str]:
    frames = meaningful(dedupe_inlined(primary_stack(report)))
    return [frame_token(f) for f in frames[:SIGNATURE_FRAMES]]


def race_pair(report: Report) -> str:
    """``a > b | c > d``: the top frames of both accesses of a race, in a fixed order,
    because either access may be the one reported first."""
    stacks = [meaningful(dedupe_inlined(report.stacks.get(name, []))) for name in ("crash", "previous")]
    if report.category != "data-race" or not all(stacks):
        return ""
    return " | ".join(sorted(" > ".join(frame_token(f) for f in stack[:RACE_FRAMES]) for stack in stacks))


def cgo_entry(report: Report) -> str:
    """``C.name`` of the first cgo call (or ``export name`` of a cgo callback) in the stack."""
    for frame in primary_stack(report):
        if name := c_function_of_glue(frame.function):
            return f"C.{name}"
        if name := exported_function_of_glue(frame.function):
            return f"export {name}"
    return ""


def first_named_frame(report: Report) -> str:
    """Last resort: the top frame with a name that is not the sanitizer's own."""
    for frame in primary_stack(report):
        if frame.function and frame.kind not in ("sanitizer", "cgo-glue"):
            return frame_token(frame)
    return ""


def normalized_message(message: str) -> str:
    return _NUMBER.sub("N", _ADDRESS.sub("ADDR", _REGISTERS.sub("", message)))[:120]


def signature(report: Report, go_function: str = "", c_entry: str = "") -> str:
    pair = race_pair(report)
    parts = [pair] if pair else top_frames(report)
    if not parts:
        entry = cgo_entry(report) or (f"C.{c_entry}" if c_entry else "")
        parts = [p for p in (entry, f"go:{go_function}" if go_function else "") if p]
    if not parts:
        parts = [first_named_frame(report) or normalized_message(report.message)]
    return f"{report.category}:{' > '.join(parts)}"


def raw_key(report: Report) -> str:
    """A streaming-time key: signature frames plus unsymbolized offsets, the kind, and the cgo
    hash of the package (the same C bug shape in two packages is two bugs)."""
    stack = dedupe_inlined(primary_stack(report))
    tokens = [frame_token(f) for f in stack if f.kind in ("go", "c", "")][:SIGNATURE_FRAMES]
    return "|".join([report.detector, report.kind, report.category, *tokens,
                     cgo_entry(report) or normalized_message(report.message), package_hash(report)])


def package_hash(report: Report) -> str:
    """The first cgo symbol hash in the report's stacks (the package identity of the build)."""
    for stack in (primary_stack(report), *report.stacks.values()):
        for frame in stack:
            if found := _CGO_SYMBOL_HASH.search(frame.function):
                return found.group(1)
    return ""


@dataclass
class Bucket:
    report: Report  # the first report seen: the representative
    count: int = 1
    examples: list[str] = field(default_factory=list)  # "file:line" of the first few occurrences


class Buckets:
    """Streaming de-duplication by :func:`raw_key` (memory grows with distinct bugs only)."""

    def __init__(self) -> None:
        self.by_key: dict[str, Bucket] = {}
        self.reports_parsed = 0

    def add(self, report: Report) -> None:
        self.reports_parsed += 1
        if not report.category:
            return  # parsed (a plain goroutine dump, a summary) but not a bug
        key = raw_key(report)
        bucket = self.by_key.get(key)
        if bucket is None:
            bucket = self.by_key[key] = Bucket(report, count=0)
        bucket.count += 1
        if len(bucket.examples) < _MAX_EXAMPLES:
            bucket.examples.append(f"{report.origin}:{report.origin_line}")

    def buckets(self) -> list[Bucket]:
        return list(self.by_key.values())
