"""Fixtures for the report tests: real cgo programs built and run once per session."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).parent / "programs"

# name -> (go build flags, build/run environment)
PROGRAM_SPECS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "uaf": (("-asan",), {}),
    "doublefree": (("-asan",), {}),
    "leak": (("-asan",), {}),
    "ptrptr": ((), {}),
    "result": ((), {}),
    "store": ((), {"GOEXPERIMENT": "cgocheck2"}),
    "race": (("-race",), {}),
    "gooverflow": (("-asan",), {}),
    "gouaf": (("-asan",), {}),
    "viewuaf": (("-asan",), {}),
    "pinleak": ((), {}),
    "handle": ((), {}),
    # C ThreadSanitizer on the C side only (Go's -race does not instrument C).
    "ctsan": ((), {"CGO_CFLAGS": "-g -O1 -fsanitize=thread", "CGO_LDFLAGS": "-fsanitize=thread"}),
}


@dataclass
class ProgramRun:
    name: str
    source_dir: Path
    binary: Path
    output: str  # stderr of the crashing run

    def line_of(self, needle: str) -> int:
        """1-based line of the first source line containing ``needle`` (main.go)."""
        for number, line in enumerate((self.source_dir / "main.go").read_text().splitlines(), 1):
            if needle in line:
                return number
        raise AssertionError(f"{needle!r} not in {self.name}/main.go")


@pytest.fixture(scope="session")
def run_program(go_builder):
    """``run_program(name)`` builds (cached by content) and runs a program once per session."""
    runs: dict[str, ProgramRun] = {}

    def run(name: str) -> ProgramRun:
        if name not in runs:
            flags, env = PROGRAM_SPECS[name]
            try:
                binary = go_builder(PROGRAMS / name, flags=flags, env=env)
            except RuntimeError as exc:  # e.g. no libasan/libtsan for -asan/-race
                pytest.skip(f"cannot build {name} with {flags}: {str(exc).splitlines()[-1]}")
            result = subprocess.run([str(binary)], capture_output=True, text=True, timeout=120,
                                    env={**os.environ, **env})
            runs[name] = ProgramRun(name, PROGRAMS / name, binary, result.stderr)
        return runs[name]

    return run


@pytest.fixture(scope="session")
def c_only_asan_run(go_builder) -> ProgramRun:
    """The use-after-free program with only its C code instrumented, reported unsymbolized.

    ``CGO_CFLAGS=-fsanitize=address`` is the set-up that works with any Go version; with
    ``ASAN_OPTIONS=symbolize=0`` every frame is a bare ``(module+0xoff)``.
    """
    env = {"CGO_CFLAGS": "-g -O1 -fsanitize=address -fno-omit-frame-pointer", "CGO_LDFLAGS": "-fsanitize=address"}
    try:
        binary = go_builder(PROGRAMS / "uaf", env=env)
    except RuntimeError as exc:
        pytest.skip(f"cannot build with -fsanitize=address: {str(exc).splitlines()[-1]}")
    result = subprocess.run([str(binary)], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "ASAN_OPTIONS": "symbolize=0"})
    return ProgramRun("uaf", PROGRAMS / "uaf", binary, result.stderr)
