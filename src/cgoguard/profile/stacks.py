"""What one sampled stack says: time in C under a Go call site, in the cgo transition, in Go.

A stack is read from the leaf towards the root. The cgo call is found by its glue frames:
``pkg._Cfunc_f`` (Go side: the frame above it is the Go function that wrote ``C.f(...)``) or
``_cgo_<hash>_Cfunc_f`` (C side: the wrapper cmd/cgo generates). What lies leafward of the Go
glue decides the sample's kind:

* a C frame (or an unknown user frame, which perf leaves where C code has no frame
  pointer or symbol): time in C, under the Go call site;
* only runtime code (``runtime.cgocall``, ``asmcgocall``, ``entersyscall``, ``exitsyscall`` and
  what they call): time in the cgo transition itself;
* a callback frame (``crosscall2``, ``_cgoexp_``): Go code that C called back, so Go time.

Without frame pointers in C, and before Go 1.21 made ``asmcgocall`` unwindable, a perf stack
stops right after the C-side wrapper (``_cgo_<hash>_Cfunc_f`` then ``[unknown]``); DWARF
unwinding (``--call-graph dwarf``) stops at ``runtime.asmcgocall``, whose stack switch it
cannot follow. Either way the sample is time in C whose Go caller must be found another way
(:mod:`cgoguard.profile.attribute`). C code the runtime itself calls (the vDSO clock, libc's
mmap in cgo builds, ``x_cgo_*``) has Go runtime frames but no cgo glue: that is Go time.

A Go CPU profile (pprof) has no C frames at all: a sample taken in C is charged to
``runtime.cgocall`` under the Go caller, indistinguishable from the transition's own cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cgoguard.profile.symbols import Resolved

# Phases of the transition, as reported: the runtime function whose name a frame starts with.
PHASES = (("runtime.entersyscall", "entersyscall"), ("runtime.reentersyscall", "entersyscall"),
          ("runtime.exitsyscall", "exitsyscall"), ("runtime.asmcgocall", "runtime.asmcgocall"))
CGOCALL = "runtime.cgocall"
ASMCGOCALL = "runtime.asmcgocall"
UNKNOWN_C = "[unknown]"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a stack is: ``kind`` is one of

    ``c`` (C time; ``caller`` is the Go call site frame, or None when the stack does not reach it),
    ``transition`` (``phase`` names which part), ``go``, ``kernel`` (no user frame) or ``unknown``.
    """

    kind: str
    c_function: str = ""  # f of the C.f call
    package: str = ""  # import path (from pkg._Cfunc_f) or cgo hash (from _cgo_<h>_Cfunc_f)
    caller: Resolved | None = None
    self_function: str = ""  # the leaf-most C function
    c_functions: tuple[str, ...] = field(default=())  # every C function on the stack, leaf first
    phase: str = ""
    reason: str = ""  # why C time has no call site (kind "c" without caller)


def _user_frames(frames: list[Resolved]) -> tuple[list[Resolved], bool]:
    """The frames without the kernel's leaf part and without unknown root-end padding."""
    start = 0
    while start < len(frames) and frames[start].kind == "kernel":
        start += 1
    end = len(frames)
    while end > start and not frames[end - 1].function and not frames[end - 1].module:
        end -= 1
    return frames[start:end], start > 0


def classify_stack(frames: list[Resolved], *, c_visible: bool = True) -> Outcome:
    """The outcome of a stack (leaf first). ``c_visible`` is False for pprof, whose stacks hold
    no C frames: what is under ``runtime.cgocall`` there is C time and transition together."""
    user, _ = _user_frames(frames)
    if not user:
        return Outcome("kernel")
    for index, frame in enumerate(user):
        if frame.kind == "callback":
            return Outcome("go")  # Go code that C called: the C call above it waits
        if frame.kind == "go-glue":
            return _under_go_glue(user, index, c_visible)
    c_glue = next((i for i, f in enumerate(user) if f.kind == "c-glue"), None)
    c_frames = _c_names(user[:c_glue + 1] if c_glue is not None else user)
    if c_glue is not None:
        glue = user[c_glue]
        name = glue.glue_name
        return Outcome("c", c_function=name, package=glue.glue_package, self_function=c_frames[0] if c_frames else name,
                       c_functions=_with(c_frames, name), reason="no-go-frame")
    switch = next((i for i, f in enumerate(user) if f.function.startswith(ASMCGOCALL)), None)
    if c_frames and switch is not None and switch > 0 and user[switch - 1].kind == "c":
        # DWARF unwinding stops at the stack switch: the frame below asmcgocall is the C function
        # called (unless it is the runtime's own, x_cgo_mmap and the like).
        below = _c_names(user[:switch])
        return Outcome("c", c_function=user[switch - 1].function, self_function=below[0], c_functions=below,
                       reason="no-go-frame")
    if c_frames:
        go = [f for f in user if f.kind in ("go", "runtime") and f.function]
        if not go:
            return Outcome("c", self_function=c_frames[0], c_functions=c_frames, reason="no-cgo-call")
        if go[0].function.startswith((CGOCALL, ASMCGOCALL)) and any(f.kind == "go" for f in go[1:2]):
            return Outcome("c", self_function=c_frames[0], c_functions=c_frames, reason="lost-glue")
        return Outcome("go")  # the runtime's own C calls (vdso clock, libc mmap in cgo builds)
    if all(f.kind in ("go", "runtime") for f in user if f.function):
        return Outcome("go") if any(f.function for f in user) else Outcome("unknown")
    return Outcome("unknown")


def _under_go_glue(user: list[Resolved], glue_index: int, c_visible: bool) -> Outcome:
    glue = user[glue_index]
    above = user[glue_index + 1:glue_index + 2]
    # The runtime never calls C through pkg._Cfunc_: a runtime frame here (runtime.goexit) means
    # the caller's frame was lost (a sample in the glue's prologue, before its frame pointer).
    caller = above[0] if above and above[0].kind == "go" else None
    below = user[:glue_index]
    name, package = glue.glue_name, glue.glue_package
    c_frames = _c_names(below)
    if c_frames:
        return Outcome("c", c_function=name, package=package, caller=caller, self_function=c_frames[0],
                       c_functions=_with(c_frames, name))
    if not c_visible and below and all(f.function.startswith(CGOCALL) for f in below):
        # pprof: time in C, charged to runtime.cgocall; the C functions cannot be seen.
        return Outcome("c", c_function=name, package=package, caller=caller, c_functions=(name,))
    return Outcome("transition", c_function=name, package=package, caller=caller, phase=transition_phase(below))


def transition_phase(frames: list[Resolved]) -> str:
    """Which part of the cgo call a transition sample is in (``runtime.cgocall`` by default:
    cgocall itself, the Go glue, ``_cgo_topofstack``, pointer checks)."""
    for frame in frames:
        for prefix, phase in PHASES:
            if frame.function.startswith(prefix):
                return phase
    return CGOCALL


def _c_names(frames: list[Resolved]) -> tuple[str, ...]:
    """C functions, leaf first, without repeats; a C-side glue frame stands for its C function
    (gcc inlines a preamble's static function into the wrapper); unknown user frames are C."""
    names: list[str] = []
    for frame in frames:
        if frame.kind == "c":
            name = frame.function
        elif frame.kind == "c-glue":
            name = frame.glue_name if not names else ""
        elif not frame.kind and frame.module and not frame.module.startswith("["):
            name = UNKNOWN_C
        else:
            continue
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _with(names: tuple[str, ...], called: str) -> tuple[str, ...]:
    return names if not called or called in names else (*names, called)
