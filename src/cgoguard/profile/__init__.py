"""``cgoguard profile``: where CPU time goes across the cgo boundary, by Go call site.

Library API: :func:`analyze_profiles` reads ``perf script`` text, ``perf.data`` or Go CPU
profiles (:mod:`cgoguard.profile.inputs`), symbolizes them against the binary
(:mod:`cgoguard.profile.symbols`) and charges every sample to the Go call site of the C
function it ran in, to the cgo transition, to Go, or to nothing with the reason
(:mod:`cgoguard.profile.attribute`). :mod:`cgoguard.profile.render` and
:mod:`cgoguard.profile.flamegraph` turn the result into text, JSON and HTML;
:mod:`cgoguard.profile.capture` records a profile with perf (for ``cgoguard run``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from cgoguard.errors import UsageError
from cgoguard.findings import InputError
from cgoguard.profile.attribute import Attribution, CallSite, attribute
from cgoguard.profile.model import StackCounts

__all__ = ["Attribution", "CallSite", "ProfileResult", "analyze_profiles", "attribute", "load_profiles"]


@dataclass
class ProfileResult:
    attribution: Attribution
    inputs: list[str]
    unreadable: list[InputError] = field(default_factory=list)


def load_profiles(inputs: list[str], stdin: BinaryIO | None = None) -> tuple[StackCounts | None, list[InputError]]:
    """The inputs' stacks merged into one profile (one program's), and the inputs not read."""
    from cgoguard.profile.inputs import UnreadableProfile, load

    merged: StackCounts | None = None
    errors: list[InputError] = []
    for name in inputs:
        try:
            counts = load(name, stdin)
        except UnreadableProfile as exc:
            errors.append(InputError(name, str(exc)))
            continue
        if merged is None:
            merged = counts
        elif (merged.source == "pprof") != (counts.source == "pprof"):
            raise UsageError(f"{name}: a {counts.source} profile cannot be merged with a {merged.source} one "
                             "(give inputs of one kind)")
        else:
            merged.merge(counts)
    return merged, errors


def analyze_profiles(inputs: list[str], *, binary: Path | None = None, source_roots: list[Path] | None = None,
                     stdin: BinaryIO | None = None) -> ProfileResult:
    """Attribution of the inputs' samples (:class:`UsageError` when no input could be read)."""
    counts, errors = load_profiles(inputs, stdin)
    if counts is None:
        raise UsageError("no input could be read: " + "; ".join(f"{e.path}: {e.message}" for e in errors))
    result = attribute(counts, binary=binary, source_roots=source_roots)
    result.errors = errors + result.errors
    return ProfileResult(result, inputs, errors)
