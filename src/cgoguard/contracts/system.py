"""Opt-in: contracts from angle-bracket headers in the C compiler's system include dirs.

The scanner's C model follows only the package's own headers. Here the headers a package
includes with ``<...>`` are found in the package's ``-I`` dirs, the dirs its ``#cgo
pkg-config:`` packages name and the compiler's system dirs (``cc -E -v`` lists them), read
transitively, and parsed; only the functions the
package actually calls are taken from them, so a large libc does not flood the contracts.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Iterable
from dataclasses import replace
from functools import cache
from pathlib import Path

from cgoguard.cfront.build import MAX_C_FILE_BYTES, CSourceInput, build_c_model
from cgoguard.cfront.model import CModel, CUnit

_INCLUDE = re.compile(rb'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]', re.MULTILINE)
MAX_SYSTEM_HEADERS = 600
_SEARCH_START = "#include <...> search starts here:"
_SEARCH_END = "End of search list."


@cache
def system_include_dirs(compiler: str | None = None) -> tuple[Path, ...]:
    """The compiler's ``#include <...>`` search list (empty when no compiler runs)."""
    command = shlex.split(compiler or os.environ.get("CC") or "cc")
    try:
        result = subprocess.run([*command, "-E", "-v", "-x", "c", "-"], input="", capture_output=True,
                                text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return ()
    dirs: list[Path] = []
    inside = False
    for line in result.stderr.splitlines():
        if line.startswith(_SEARCH_START):
            inside = True
        elif line.startswith(_SEARCH_END):
            break
        elif inside and line.startswith(" "):
            path = Path(line.strip().removesuffix(" (framework directory)"))
            if path.is_dir():
                dirs.append(path)
    return tuple(dirs)


@cache
def pkg_config_include_dirs(arguments: tuple[str, ...]) -> tuple[Path, ...]:
    """``-I`` dirs of ``pkg-config --cflags-only-I ARGS`` (empty when pkg-config or the package is missing)."""
    try:
        result = subprocess.run(["pkg-config", "--cflags-only-I", *arguments], capture_output=True, text=True,
                                timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return ()
    if result.returncode != 0:
        return ()
    try:
        words = shlex.split(result.stdout)
    except ValueError:  # unbalanced quotes in a .pc file
        words = result.stdout.split()
    return tuple(Path(word[2:]) for word in words if word.startswith("-I") and len(word) > 2)


def pkg_config_arguments(values: Iterable[str], package_dir: Path) -> tuple[str, ...]:
    """The package names and flags of ``#cgo pkg-config:`` lines, ``${SRCDIR}`` expanded."""
    arguments: list[str] = []
    for value in values:
        arguments += value.replace("${SRCDIR}", str(package_dir)).split()
    return tuple(arguments)


def system_headers(units: Iterable[CUnit], search_dirs: list[Path]) -> list[Path]:
    """Headers reachable through ``<...>`` includes of ``units``, in discovery order."""
    pending = [(name, None) for unit in units for quote, name in _includes(unit.source) if quote == b"<"]
    found: list[Path] = []
    seen: set[Path] = set()
    while pending and len(found) < MAX_SYSTEM_HEADERS:
        name, directory = pending.pop(0)
        path = _locate(name, directory, search_dirs)
        if path is None or path in seen:
            continue
        seen.add(path)
        try:
            if path.stat().st_size > MAX_C_FILE_BYTES:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        found.append(path)
        pending += [(child, path.parent if quote == b'"' else None) for quote, child in _includes(data)]
    return found


def _includes(source: bytes) -> list[tuple[bytes, str]]:
    return [(m.group(1), m.group(2).decode("utf-8", "replace").strip()) for m in _INCLUDE.finditer(source)]


def _locate(name: str, directory: Path | None, search_dirs: list[Path]) -> Path | None:
    if not name or name.startswith("/"):
        return None
    for base in ([directory] if directory is not None else []) + search_dirs:
        candidate = base / name
        if candidate.is_file():
            return candidate.resolve()
    return None


def with_system_functions(model: CModel, headers: list[Path], wanted: set[str]) -> CModel:
    """``model`` plus the ``wanted`` functions (and the types and macros around them) from ``headers``."""
    missing = {name for name in wanted if model.function(name) is None}
    if not headers or not missing:
        return model
    inputs = []
    for path in headers:
        try:
            inputs.append(CSourceInput(str(path), path.read_bytes(), path.parent))
        except OSError:
            continue
    system = build_c_model(inputs, [])
    for unit in system.units:
        unit.is_system = True
    merged = replace(model, functions=dict(model.functions), typedefs={**system.typedefs, **model.typedefs},
                     records={**system.records, **model.records}, units=[*model.units, *system.units],
                     macro_aliases={**system.macro_aliases, **model.macro_aliases})
    for name in missing:
        function = system.function(name)
        if function is not None:
            merged.functions[function.name] = function
    return merged
