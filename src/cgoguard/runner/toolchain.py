"""What the installed Go toolchain and C compiler can do: the preflight of ``cgoguard run``.

Every check needs something different (``-asan`` a C compiler that links AddressSanitizer
programs and Go >= 1.18, leak detection Go >= 1.25, ``-race`` a supported platform, ...).
:func:`inspect_toolchain` asks ``go env`` once and probes the C compiler with tiny programs;
the checks then read the answers and explain, in words a user can act on, what is missing.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

# `go env` and the compiler probes are quick; a hung toolchain must not hang the run.
PROBE_TIMEOUT_S = 60

# internal/platform.ASanSupported and RaceDetectorSupported (current Go releases).
ASAN_PLATFORMS = frozenset({"linux/amd64", "linux/arm64", "linux/loong64", "linux/riscv64", "linux/ppc64le"})
RACE_PLATFORMS = frozenset({
    "linux/amd64", "linux/arm64", "linux/ppc64le", "linux/s390x", "linux/loong64", "linux/riscv64",
    "darwin/amd64", "darwin/arm64", "freebsd/amd64", "netbsd/amd64", "windows/amd64", "windows/arm64",
})

# gcc major version -> Debian/Ubuntu package holding its AddressSanitizer runtime.
_LIBASAN_PACKAGES = {7: "libasan4", 8: "libasan5", 9: "libasan5", 10: "libasan6", 11: "libasan6"}
_LATEST_LIBASAN = "libasan8"

_GO_VERSION = re.compile(r"go(\d+)\.(\d+)(?:\.(\d+))?")
_CC_VERSION = re.compile(r"^(?:.* )?(gcc|clang) version (\d+)\.(\d+)", re.MULTILINE)

_PROBE_PROGRAM = """\
#include <stdlib.h>
int main(void) { char *p = malloc(8); p[0] = 1; int r = p[0] - 1; free(p); return r; }
"""


def parse_go_version(text: str) -> tuple[int, int, int] | None:
    """``go1.26.8`` / ``go version go1.22rc1 linux/amd64`` / ``devel go1.27-abc`` -> (1, 26, 8)."""
    match = _GO_VERSION.search(text)
    if not match:
        return None
    return int(match[1]), int(match[2]), int(match[3] or 0)


@dataclass(frozen=True, slots=True)
class CompilerInfo:
    """The C compiler cgo uses (``go env CC``)."""

    command: tuple[str, ...]
    path: str | None  # None: not found on PATH
    family: str = ""  # "gcc", "clang" or "" when unknown
    version: tuple[int, int] | None = None

    @property
    def name(self) -> str:
        return " ".join(self.command)

    def describe(self) -> str:
        version = ".".join(map(str, self.version)) if self.version else "unknown version"
        return f"{self.family or self.name} {version}"

    def libasan_package(self) -> str:
        if self.family == "gcc" and self.version:
            return _LIBASAN_PACKAGES.get(self.version[0], _LATEST_LIBASAN)
        return _LATEST_LIBASAN


@dataclass
class Toolchain:
    """The Go toolchain as seen from the module directory, plus C-side capabilities."""

    go: str | None
    env: dict[str, str] = field(default_factory=dict)
    problem: str = ""  # why Go could not be used at all
    symbolizer: str | None = None
    _probes: dict[str, str | None] = field(default_factory=dict, repr=False)

    @property
    def usable(self) -> bool:
        return self.go is not None and not self.problem

    @property
    def version(self) -> tuple[int, int, int] | None:
        return parse_go_version(self.env.get("GOVERSION", ""))

    @property
    def version_text(self) -> str:
        return self.env.get("GOVERSION", "unknown Go version")

    @property
    def platform(self) -> str:
        return f"{self.env.get('GOOS', '?')}/{self.env.get('GOARCH', '?')}"

    def at_least(self, major: int, minor: int) -> bool:
        version = self.version
        return version is not None and version[:2] >= (major, minor)

    @cached_property
    def compiler(self) -> CompilerInfo:
        command = tuple(shlex.split(self.env.get("CC", "") or "gcc"))
        path = shutil.which(command[0]) if command else None
        if path is None:
            return CompilerInfo(command, None)
        family, version = _compiler_identity([path, *command[1:]])
        return CompilerInfo(command, path, family, version)

    def compiler_problem(self) -> str:
        """Why cgo cannot compile C here, or "" when it can."""
        compiler = self.compiler
        if compiler.path is None:
            return (f"the C compiler {compiler.name!r} (go env CC) is not on PATH; cgo needs one: "
                    "install gcc (apt-get install gcc) or clang, or set CC")
        return ""

    def sanitizer_problem(self, sanitizer: str) -> str:
        """Why the C compiler cannot link a ``-fsanitize=<sanitizer>`` program, or ""."""
        if problem := self.compiler_problem():
            return problem
        if sanitizer not in self._probes:
            self._probes[sanitizer] = _probe_sanitizer(self.compiler, sanitizer)
        failure = self._probes[sanitizer]
        if failure is None:
            return ""
        package = self.compiler.libasan_package() if sanitizer == "address" else "libtsan2"
        return (f"{self.compiler.describe()} cannot link a -fsanitize={sanitizer} program ({failure}); "
                f"install its sanitizer runtime (Debian/Ubuntu: apt-get install {package}; "
                f"Fedora: dnf install lib{'asan' if sanitizer == 'address' else 'tsan'})")


def inspect_toolchain(directory: Path, env: dict[str, str]) -> Toolchain:
    """Ask ``go env`` in ``directory`` (so go.mod's toolchain line applies) what Go will run."""
    go = shutil.which("go", path=env.get("PATH"))
    symbolizer = shutil.which("llvm-symbolizer", path=env.get("PATH"))
    if go is None:
        return Toolchain(None, problem="the Go toolchain ('go') is not on PATH: install Go from "
                                       "https://go.dev/dl/ or add its bin directory to PATH",
                         symbolizer=symbolizer)
    try:
        result = subprocess.run([go, "env", "-json"], cwd=directory, env=env, capture_output=True,
                                text=True, timeout=PROBE_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Toolchain(go, problem=f"'go env' failed: {exc}", symbolizer=symbolizer)
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()[-1:] or ["no output"]
        return Toolchain(go, problem=f"'go env' failed: {detail[0]}", symbolizer=symbolizer)
    try:
        go_env = {k: str(v) for k, v in json.loads(result.stdout).items()}
    except (ValueError, AttributeError):
        return Toolchain(go, problem="'go env -json' printed something that is not JSON", symbolizer=symbolizer)
    return Toolchain(go, go_env, symbolizer=symbolizer)


def _compiler_identity(command: list[str]) -> tuple[str, tuple[int, int] | None]:
    """("gcc" | "clang" | "", (major, minor)) from ``CC -v``, which names the compiler even
    when it is installed as ``cc``."""
    try:
        result = subprocess.run([*command, "-v"], capture_output=True, text=True,
                                timeout=PROBE_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "", None
    match = _CC_VERSION.search(result.stderr + result.stdout)
    if not match:
        return "", None
    return match[1], (int(match[2]), int(match[3]))


def _probe_sanitizer(compiler: CompilerInfo, sanitizer: str) -> str | None:
    """Compile and link a tiny program with ``-fsanitize``; None when it works, else the reason."""
    assert compiler.path is not None
    with tempfile.TemporaryDirectory(prefix="cgoguard-probe-") as tmp:
        source = Path(tmp, "probe.c")
        source.write_text(_PROBE_PROGRAM)
        command = [compiler.path, *compiler.command[1:], f"-fsanitize={sanitizer}", "-o",
                   os.path.join(tmp, "probe"), str(source)]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S,
                                    check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return str(exc)
    if result.returncode == 0:
        return None
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    interesting = [line for line in lines if "cannot find" in line or "error" in line.lower()]
    return (interesting or lines or [f"exit status {result.returncode}"])[0]
