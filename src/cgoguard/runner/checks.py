"""The runtime checkers ``cgoguard run`` knows, and how each is switched on for a Go version.

A :class:`Check` is a name the user selects; a :class:`Setup` is what actually runs: Go build
flags, environment, and the sanitizer options that get a per-process ``log_path``. The
``asan`` and ``leak`` checks use the same ``-asan`` build, so when both are selected they
share one execution (:func:`plan`) and the findings are split between them afterwards.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from cgoguard.errors import UsageError
from cgoguard.runner.toolchain import ASAN_PLATFORMS, RACE_PLATFORMS, Toolchain

CHECK_NAMES = ("asan", "leak", "cgocheck", "cgocheck2", "checkptr", "race", "gc")
# Checks that `all` does not include: they measure instead of finding bugs.
EXTRA_CHECKS = ("profile",)
CHECK_HELP = {
    "asan": "AddressSanitizer (go -asan): use-after-free, double free, overflows in C and Go",
    "leak": "LeakSanitizer at exit (go -asan, Go >= 1.25): C memory never freed",
    "cgocheck": "default cgo pointer checks (GODEBUG=cgocheck=1) with full tracebacks",
    "cgocheck2": "expensive cgo pointer checks (GOEXPERIMENT=cgocheck2): Go pointers stored in C memory",
    "checkptr": "unsafe.Pointer checks (-gcflags=all=-d=checkptr): arithmetic and conversions out of bounds",
    "race": "the Go race detector (-race)",
    "gc": "GC pause trace (GODEBUG=gctrace=1) and execution trace, for cgoguard gc",
    "profile": "CPU profile of the test binaries under perf, C time by Go call site (not in all)",
}


def parse_checks(text: str) -> list[str]:
    """``asan,race`` / ``all`` -> the checks in their canonical order."""
    names = {part.strip().lower() for part in text.split(",") if part.strip()}
    if not names:
        raise UsageError("--check needs at least one check name")
    if "all" in names:
        names |= set(CHECK_NAMES)
        names.discard("all")
    known = (*CHECK_NAMES, *EXTRA_CHECKS)
    unknown = sorted(names - set(known))
    if unknown:
        raise UsageError(f"unknown check {', '.join(map(repr, unknown))} "
                         f"(choose from {', '.join(known)} or all)")
    return [name for name in known if name in names]


@dataclass
class Setup:
    """One execution of the user's command with a checker switched on."""

    name: str  # "asan", "asan+leak", ...
    checks: tuple[str, ...]
    go_flags: list[str] = field(default_factory=list)
    # Environment of the programs under test (with -exec, cmd/go itself does not get it: a
    # gctrace of the go command, say, would be mixed into the program's).
    env: dict[str, str] = field(default_factory=dict)
    build_env: dict[str, str] = field(default_factory=dict)  # build settings for cmd/go (GOEXPERIMENT)
    # Environment variables holding sanitizer options; the runner adds log_path to each,
    # joined with the given separator (ASAN_OPTIONS uses ':', GORACE spaces).
    log_options: dict[str, str] = field(default_factory=dict)
    needs_debug_info: bool = False  # ASan symbolizes in-process: keep symbols in go run/test binaries
    test_trace: bool = False  # pass -test.trace to each test binary
    perf_record: bool = False  # run each program under perf record (the profile check)
    problem: str = ""  # why this setup cannot run here
    notes: list[str] = field(default_factory=list)


def plan(checks: list[str], toolchain: Toolchain, user_env: dict[str, str]) -> list[Setup]:
    """The executions needed for ``checks`` (asan and leak share one when both are asked for)."""
    setups: list[Setup] = []
    if asan_checks := tuple(name for name in ("asan", "leak") if name in checks):
        setups.append(_asan(toolchain, asan_checks))
    builders = {"cgocheck": _cgocheck, "cgocheck2": _cgocheck2, "checkptr": _checkptr, "race": _race, "gc": _gc,
                "profile": _profile}
    setups += [builders[name](toolchain, user_env) for name in checks if name in builders]
    for setup in setups:
        # Every check builds cgo code: without Go or a C compiler none can run.
        setup.problem = toolchain.problem or setup.problem or toolchain.compiler_problem()
    return setups


def _asan(toolchain: Toolchain, checks: tuple[str, ...]) -> Setup:
    leaks = "leak" in checks
    options = [
        f"detect_leaks={int(leaks)}",
        "halt_on_error=1",
        # ASan cannot unwind past runtime.asmcgocall; aborting makes the Go runtime print the
        # goroutine stack of the cgo call, which names the Go line of a C-side error.
        "abort_on_error=1",
        "symbolize=1",
        "print_legend=0",
        "malloc_context_size=30",
    ]
    env = {"ASAN_OPTIONS": ":".join(options)}
    notes: list[str] = []
    if toolchain.symbolizer:
        env["ASAN_SYMBOLIZER_PATH"] = toolchain.symbolizer
    else:
        env["ASAN_OPTIONS"] += ":allow_addr2line=1"
        notes.append("llvm-symbolizer not found: C frames may be unnamed (Debian/Ubuntu: apt-get install llvm)")
    setup = Setup("+".join(checks), checks, ["-asan"], env=env, log_options={"ASAN_OPTIONS": ":"},
                  needs_debug_info=True, notes=notes)
    setup.problem = _asan_problem(toolchain)
    if leaks and not setup.problem and not toolchain.at_least(1, 25):
        message = (f"{toolchain.version_text} does not run LeakSanitizer when a -asan program exits "
                   "(added in Go 1.25): upgrade Go to check for C leaks")
        if checks == ("leak",):
            setup.problem = message
        else:
            setup.notes.append(message)
    return setup


def _asan_problem(toolchain: Toolchain) -> str:
    if not toolchain.usable:
        return toolchain.problem
    if not toolchain.at_least(1, 18):
        return f"{toolchain.version_text} has no -asan (added in Go 1.18)"
    if toolchain.platform not in ASAN_PLATFORMS:
        return f"go -asan is not supported on {toolchain.platform}"
    compiler = toolchain.compiler
    minimum = {"gcc": (7, 0), "clang": (9, 0)}.get(compiler.family)
    if minimum and compiler.version and compiler.version < minimum:
        return (f"go -asan needs gcc >= 7 or clang >= 9, and CC is {compiler.describe()}: "
                "install a newer compiler or set CC")
    return toolchain.sanitizer_problem("address")


def _cgocheck(toolchain: Toolchain, user_env: dict[str, str]) -> Setup:
    # GOTRACEBACK=crash prints every goroutine with runtime frames, so a cgocheck panic
    # raised while another goroutine is in C is fully attributed.
    env = {"GODEBUG": merge_godebug(user_env.get("GODEBUG", ""), "cgocheck", "1"), "GOTRACEBACK": "crash"}
    return Setup("cgocheck", ("cgocheck",), env=env)


def _cgocheck2(toolchain: Toolchain, user_env: dict[str, str]) -> Setup:
    setup = Setup("cgocheck2", ("cgocheck2",), env={"GOTRACEBACK": "crash"})
    if toolchain.at_least(1, 21):
        experiments = [e for e in user_env.get("GOEXPERIMENT", "").split(",")
                       if e and e not in ("cgocheck2", "nocgocheck2")]
        setup.build_env["GOEXPERIMENT"] = ",".join([*experiments, "cgocheck2"])
    else:
        setup.env["GODEBUG"] = merge_godebug(user_env.get("GODEBUG", ""), "cgocheck", "2")
    return setup


def _checkptr(toolchain: Toolchain, user_env: dict[str, str]) -> Setup:
    # Instrument every package: a bad conversion in a dependency is reported too. -race and
    # -asan turn checkptr on as well; this check needs neither sanitizer's runtime.
    setup = Setup("checkptr", ("checkptr",), ["-gcflags=all=-d=checkptr"], env={"GOTRACEBACK": "crash"})
    if toolchain.usable and not toolchain.at_least(1, 14):
        setup.problem = f"{toolchain.version_text} has no -d=checkptr (added in Go 1.14)"
    return setup


def _race(toolchain: Toolchain, user_env: dict[str, str]) -> Setup:
    setup = Setup("race", ("race",), ["-race"], env={"GORACE": user_env.get("GORACE", "").strip()},
                  log_options={"GORACE": " "})
    if toolchain.usable and toolchain.platform not in RACE_PLATFORMS:
        setup.problem = f"the race detector is not supported on {toolchain.platform}"
    return setup


def _gc(toolchain: Toolchain, user_env: dict[str, str]) -> Setup:
    env = {"GODEBUG": merge_godebug(user_env.get("GODEBUG", ""), "gctrace", "1")}
    return Setup("gc", ("gc",), env=env, test_trace=True)


def _profile(toolchain: Toolchain, user_env: dict[str, str]) -> Setup:
    from cgoguard.profile.capture import perf_problem

    # Symbols and DWARF stay in the test binaries: call sites need their lines.
    return Setup("profile", ("profile",), env={"PERF_CONFIG": os.devnull}, needs_debug_info=True, perf_record=True,
                 problem=perf_problem())


def merge_godebug(current: str, key: str, value: str) -> str:
    """Set ``key=value`` in a GODEBUG list, keeping the user's other settings."""
    kept = [item for item in current.split(",") if item and item.split("=", 1)[0] != key]
    return ",".join([*kept, f"{key}={value}"])
