"""CPU time across the cgo boundary, charged to the Go call sites of C functions.

Each distinct stack is classified (:mod:`cgoguard.profile.stacks`). C time whose stack reaches
the Go caller is *unwound*: it goes to that call site. C time whose stack stops in C (no
frame pointers, or a Go release whose ``asmcgocall`` perf cannot unwind through) still names
its C function and package through the cgo wrapper ``_cgo_<hash>_Cfunc_f``; its Go call site
is then found in the source (the calls ``C.f(...)`` of that package, :mod:`cgoguard.reports.
sourceindex`): the only one when there is one, else the time is split across them in
proportion to the samples that were unwound at each (or equally when none was), and each
call site says which of these decided its share.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cgoguard.findings import InputError
from cgoguard.profile.model import Stack, StackCounts
from cgoguard.profile.sites import SiteFinder
from cgoguard.profile.stacks import CGOCALL, Outcome, classify_stack
from cgoguard.profile.symbols import Resolved, Symbolizer, resolve_pprof

PHASE_ORDER = (CGOCALL, "runtime.asmcgocall", "entersyscall", "exitsyscall")
UNATTRIBUTED_REASONS = {
    "no-go-frame": "the stack stops in C and no Go call site of the C function was found (give --source)",
    "lost-glue": "C code under runtime.cgocall whose stack lost the cgo call's frames",
    "no-cgo-call": "C code with no cgo call on its stack (a thread started by C, or a stack cut short)",
    "dropped": "samples of stacks beyond the limit of distinct stacks",
}
ESTIMATED_ROOT = "(Go caller not on the stack)"


@dataclass
class CallSite:
    """A Go call ``C.f(...)`` and the C time under it."""

    path: str
    line: int
    function: str  # the Go function holding the call
    c_function: str
    package: str = ""
    column: int = 0
    unwound: float = 0.0  # C samples whose stacks reached this site
    estimated: float = 0.0  # C samples given to it by the source (stacks stopped in C)
    transition: int = 0  # samples in the cgo transition of calls from here
    self_functions: Counter[str] = field(default_factory=Counter)
    total_functions: Counter[str] = field(default_factory=Counter)
    split: str = ""  # how ``estimated`` was decided
    estimate_kind: str = ""  # "static" (the only call site) or "proportional"

    @property
    def samples(self) -> float:
        return self.unwound + self.estimated

    @property
    def method(self) -> str:
        if not self.estimated:
            return "unwound"
        return self.estimate_kind if not self.unwound else f"unwound+{self.estimate_kind}"

    @property
    def key(self) -> tuple[str, int, str, str]:
        return self.path, self.line, self.function, self.c_function


@dataclass
class Unattributed:
    reason: str
    samples: float = 0.0
    c_functions: Counter[str] = field(default_factory=Counter)

    @property
    def description(self) -> str:
        return UNATTRIBUTED_REASONS.get(self.reason, self.reason)


@dataclass
class Attribution:
    source: str
    event: str
    unit: str
    total: int
    c_visible: bool  # False for pprof: C frames are not in the profile
    call_sites: list[CallSite] = field(default_factory=list)
    transitions: Counter[str] = field(default_factory=Counter)  # phase -> samples
    unattributed: dict[str, Unattributed] = field(default_factory=dict)
    go_samples: int = 0
    kernel_samples: int = 0
    unknown_samples: int = 0
    nanoseconds: int = 0
    folded: Counter[tuple[str, ...]] = field(default_factory=Counter)  # root first
    frame_kinds: dict[str, str] = field(default_factory=dict)
    memory: list[dict[str, object]] = field(default_factory=list)
    memory_summary: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)

    @property
    def c_samples(self) -> float:
        return sum(site.samples for site in self.call_sites) + sum(
            u.samples for u in self.unattributed.values() if u.reason != "dropped")

    @property
    def transition_samples(self) -> int:
        return sum(self.transitions.values())


def attribute(counts: StackCounts, *, binary: Path | None = None, source_roots: list[Path] | None = None,
              c_visible: bool | None = None) -> Attribution:
    """Charge the profile's samples to Go call sites, the transition, Go, or nowhere (with why)."""
    pprof = counts.source == "pprof"
    visible = not pprof if c_visible is None else c_visible
    result = Attribution(counts.source, counts.event, counts.unit, counts.samples, visible,
                         nanoseconds=counts.nanoseconds, notes=list(counts.notes), errors=list(counts.errors))
    resolve = _resolver(counts, binary, result.errors, pprof)
    finder = SiteFinder(source_roots or [])
    sites: dict[tuple[str, int, str, str], CallSite] = {}
    pending: dict[tuple[str, str], list[tuple[int, Outcome]]] = defaultdict(list)
    for stack, count in counts.stacks.items():
        frames = resolve(stack)
        outcome = classify_stack(frames, c_visible=visible)
        _record_frames(result, frames, outcome, count)
        if outcome.kind == "c" and outcome.caller is not None:
            site = _site(sites, finder, outcome)
            site.unwound += count
            site.self_functions.update({outcome.self_function: count} if outcome.self_function else {})
            site.total_functions.update(dict.fromkeys(outcome.c_functions, count))
        elif outcome.kind == "c" and outcome.c_function:
            pending[(outcome.package, outcome.c_function)].append((count, outcome))
        elif outcome.kind == "c":
            _unattributed(result, outcome.reason, count, outcome)
        elif outcome.kind == "transition":
            result.transitions[outcome.phase] += count
            if outcome.caller is not None:
                _site(sites, finder, outcome).transition += count
        elif outcome.kind == "go":
            result.go_samples += count
        elif outcome.kind == "kernel":
            result.kernel_samples += count
        else:
            result.unknown_samples += count
    for (package, c_function), items in pending.items():
        _place_estimated(result, sites, finder, package, c_function, items)
    stopped = sum(count for items in pending.values() for count, _ in items)
    if stopped and visible:
        result.notes.append(
            f"{stopped} samples in C have stacks that stop before their Go caller (C code without frame pointers "
            "on a Go release before 1.21, or DWARF unwinding, which cannot follow runtime.asmcgocall's stack "
            "switch); their call sites come from the source. `perf record -g` (frame pointers) of a Go 1.21 or "
            "later build unwinds to the caller")
    if counts.dropped:
        result.unattributed["dropped"] = Unattributed("dropped", counts.dropped)
        result.notes.append(f"{counts.dropped} samples of stacks beyond the limit of distinct stacks were "
                            "not analysed")
    result.call_sites = sorted(sites.values(), key=lambda s: (-s.samples, -s.transition, s.path, s.line))
    result.notes += finder.notes
    if counts.memory.seen:
        from cgoguard.profile.memory import summarize_memory

        result.memory, result.memory_summary = summarize_memory(counts.memory, resolve, finder)
    return result


def _resolver(counts: StackCounts, binary: Path | None, errors: list[InputError],
              pprof: bool) -> Callable[[Stack], list[Resolved]]:
    if pprof:
        return resolve_pprof
    main = counts.binaries.most_common(1)
    symbolizer = Symbolizer(binary, errors, main[0][0] if main else "")
    symbolizer.resolve_all([*counts.stacks, *counts.memory.sites])
    return symbolizer.stack


def _site(sites: dict[tuple[str, int, str, str], CallSite], finder: SiteFinder, outcome: Outcome) -> CallSite:
    assert outcome.caller is not None
    path, line, column, function = finder.call_site(outcome.caller, outcome.c_function, outcome.package)
    key = (path, line, function, outcome.c_function)
    site = sites.get(key)
    if site is None:
        site = sites[key] = CallSite(path, line, function, outcome.c_function, outcome.package, column)
    return site


def _unattributed(result: Attribution, reason: str, count: float, outcome: Outcome) -> None:
    entry = result.unattributed.setdefault(reason, Unattributed(reason))
    entry.samples += count
    name = outcome.self_function or outcome.c_function
    if name:
        entry.c_functions[name] += round(count)


def _place_estimated(result: Attribution, sites: dict[tuple[str, int, str, str], CallSite], finder: SiteFinder,
                     package: str, c_function: str, items: list[tuple[int, Outcome]]) -> None:
    """C samples of ``C.c_function`` whose stacks stop in C: to its call sites in the source."""
    total = sum(count for count, _ in items)
    candidates = finder.static_sites(c_function, package)
    observed = [site for site in sites.values() if site.c_function == c_function
                and (not package or not site.package or finder.same_package(site.package, package))]
    keys = {(path, line, function, c_function): (column, pkg) for path, line, column, function, pkg in candidates}
    for site in observed:
        keys.setdefault(site.key, (site.column, site.package))
    if not keys:
        for count, outcome in items:
            _unattributed(result, "no-go-frame", count, outcome)
        return
    weights = {key: (sites[key].unwound + sites[key].transition if key in sites else 0) for key in keys}
    weighed = sum(weights.values())
    where = finder.describe_package(package)
    if len(keys) == 1:
        kind, split = "static", f"the only call of C.{c_function}{where}: its stacks stop in C"
    elif weighed:
        kind = "proportional"
        split = (f"split across the {len(keys)} calls of C.{c_function}{where} in proportion to the samples "
                 "unwound at each (stacks that stop in C do not name their caller)")
    else:
        kind = "proportional"
        split = (f"split equally across the {len(keys)} calls of C.{c_function}{where}: no stack reached "
                 "any of them")
    for key, (column, pkg) in keys.items():
        share = 1 / len(keys) if not weighed else weights[key] / weighed
        if share <= 0:
            continue
        site = sites.get(key)
        if site is None:
            site = sites[key] = CallSite(key[0], key[1], key[2], c_function, pkg or package, column)
        site.estimated += total * share
        site.estimate_kind, site.split = kind, split
        for count, outcome in items:
            if outcome.self_function:
                site.self_functions[outcome.self_function] += count * share  # type: ignore[assignment]
            for name in outcome.c_functions:
                site.total_functions[name] += count * share  # type: ignore[assignment]


def _record_frames(result: Attribution, frames: list[Resolved], outcome: Outcome, count: int) -> None:
    """The stack for the flame graph (root first), and each frame's kind for its colour."""
    names = [frame.function or _unknown(frame) for frame in reversed(frames)]
    while names and names[0] == "[unknown]":
        names.pop(0)
    if outcome.kind == "c" and outcome.caller is None and outcome.c_function:
        names = [ESTIMATED_ROOT, *names]
        result.frame_kinds[ESTIMATED_ROOT] = "unknown"
    if outcome.kind == "c" and not result.c_visible and names and names[-1] == CGOCALL:
        names[-1] = f"{CGOCALL} (C code and the transition: not visible in a Go profile)"
        result.frame_kinds[names[-1]] = "c"
    result.folded[tuple(names)] += count
    for frame in frames:
        if frame.function and frame.function not in result.frame_kinds:
            result.frame_kinds[frame.function] = frame.kind


def _unknown(frame: Resolved) -> str:
    return "[unknown]" if not frame.module else f"[unknown] ({Path(frame.module).name})"
