"""Opt-in: contracts from angle-bracket headers in the C compiler's system include dirs.

The scanner's C model follows only the package's own headers. Here the headers a package
includes with ``<...>`` are found in the package's ``-I`` dirs, the dirs its ``#cgo
pkg-config:`` packages name and the compiler's system dirs (``cc -E -v`` lists them), read
transitively, and parsed; only the functions the
package actually calls are taken from them, so a large libc does not flood the contracts.

This is the only place cgoguard runs external tools for a scan, and only when the user asks
(``--system-headers``, or a configuration named with ``--config``): the C compiler (``$CC`` or
``cc``, ``-E -v`` on empty input) and ``pkg-config --cflags-only-I -- NAMES`` (``$PKG_CONFIG``
or ``pkg-config``). The scanned tree chooses nothing but package names: every word of a
``#cgo pkg-config:`` line must look like one (as cmd/go's ``SafeArg`` and flag allow-list,
``cmd/go/internal/work/security.go``, demand, but stricter: no options at all, no paths to
``.pc`` files). Anything else (``--log-file=...``, ``--define-variable=...``, ``./x.pc``) is
refused with an input error and never reaches the tool, and the names follow ``--``. Tools
are looked up in PATH's absolute entries, never inside the analysed tree, and run in ``/``;
their environment (``PKG_CONFIG_PATH``, ``CC``) is the user's, which a tree cannot set.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from cgoguard.cfront.build import MAX_C_FILE_BYTES, CSourceInput, build_c_model
from cgoguard.cfront.model import CModel, CUnit
from cgoguard.safeio import UNCONFINED, ReadScope, names_file

_INCLUDE = re.compile(rb'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]', re.MULTILINE)
MAX_SYSTEM_HEADERS = 600
_SEARCH_START = "#include <...> search starts here:"
_SEARCH_END = "End of search list."
# A pkg-config package name: glib-2.0, gtk+-3.0, python-3.11-embed, libavcodec. Never an
# option (a leading "-"), a path (no "/") or anything a shell or pkg-config treats specially.
_PACKAGE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,199}\Z")
_TOOL_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Header:
    path: Path
    data: bytes


def find_tool(command: str, scope: ReadScope = UNCONFINED) -> str | None:
    """The executable ``command`` names: an absolute path, or a name searched in PATH's absolute
    entries. Never one inside ``scope``'s roots (the analysed tree), whatever PATH says."""
    if os.sep in command:
        candidates = [os.path.abspath(command)]
    else:
        entries = os.environ.get("PATH", os.defpath).split(os.pathsep)
        candidates = [os.path.join(entry, command) for entry in entries if os.path.isabs(entry)]
    for candidate in candidates:
        if scope.roots is not None and scope.contains(candidate):
            continue  # a tool shipped by the tree being scanned
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _run_tool(argv: list[str], stdin: str = "") -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(argv, input=stdin, capture_output=True, text=True, errors="replace",
                              timeout=_TOOL_TIMEOUT_SECONDS, check=False, cwd="/")
    except (OSError, subprocess.SubprocessError):
        return None


def system_include_dirs(compiler: str | None = None, scope: ReadScope = UNCONFINED) -> tuple[Path, ...]:
    """The compiler's ``#include <...>`` search list (empty when no compiler runs)."""
    try:
        command = shlex.split(compiler or os.environ.get("CC") or "cc")
    except ValueError:
        return ()
    tool = find_tool(command[0], scope) if command else None
    return _compiler_search_list((tool, *command[1:])) if tool else ()


@cache
def _compiler_search_list(command: tuple[str, ...]) -> tuple[Path, ...]:
    result = _run_tool([*command, "-E", "-v", "-x", "c", "-"])
    if result is None:
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


def pkg_config_include_dirs(packages: tuple[str, ...], scope: ReadScope = UNCONFINED) -> tuple[Path, ...]:
    """``-I`` dirs of ``pkg-config --cflags-only-I -- PACKAGES`` (empty when pkg-config or a
    package is missing). ``packages`` must have passed :func:`pkg_config_packages`."""
    if not packages or not all(_PACKAGE_NAME.match(name) for name in packages):
        raise ValueError(f"not pkg-config package names: {packages!r}")
    tool = find_tool(os.environ.get("PKG_CONFIG") or "pkg-config", scope)
    return _pkg_config_cflags(tool, packages) if tool else ()


@cache
def _pkg_config_cflags(tool: str, packages: tuple[str, ...]) -> tuple[Path, ...]:
    result = _run_tool([tool, "--cflags-only-I", "--", *packages])
    if result is None or result.returncode != 0:
        return ()
    try:
        words = shlex.split(result.stdout)
    except ValueError:  # unbalanced quotes in a .pc file
        words = result.stdout.split()
    return tuple(Path(word[2:]) for word in words if word.startswith("-I") and len(word) > 2)


def pkg_config_packages(values: Iterable[str]) -> tuple[tuple[str, ...], list[str]]:
    """(package names, refused words) of ``#cgo pkg-config:`` line values."""
    names: list[str] = []
    refused: list[str] = []
    for value in values:
        for word in value.split():
            (names if _PACKAGE_NAME.match(word) else refused).append(word)
    return tuple(dict.fromkeys(names)), refused


def system_headers(units: Iterable[CUnit], search_dirs: list[Path], tree: ReadScope = UNCONFINED,
                   errors: list[tuple[str, str]] | None = None) -> list[Header]:
    """Headers reachable through ``<...>`` includes of ``units``, in discovery order.

    A header found in a directory of the analysed ``tree`` is read only inside it (a link out
    is refused); one found in a system or pkg-config directory, which the user's compiler and
    pkg-config named, may resolve anywhere but /proc, /sys and /dev. Refused headers are
    appended to ``errors`` as (path, message).
    """
    pending = [(name, None) for unit in units for quote, name in _includes(unit.source) if quote == b"<"]
    found: list[Header] = []
    seen: set[Path] = set()
    while pending and len(found) < MAX_SYSTEM_HEADERS:
        name, directory = pending.pop(0)
        path = _locate(name, directory, search_dirs)
        if path is None or path in seen:
            continue
        seen.add(path)
        scope = tree if tree.roots is not None and tree.contains(path.parent) else UNCONFINED
        try:
            data = scope.read_bytes(path, MAX_C_FILE_BYTES)
        except OSError as exc:
            if errors is not None:
                errors.append((str(path), f"cannot read: {exc.strerror or exc}"))
            continue
        found.append(Header(path, data))
        pending += [(child, path.parent if quote == b'"' else None) for quote, child in _includes(data)]
    return found


def _includes(source: bytes) -> list[tuple[bytes, str]]:
    return [(m.group(1), m.group(2).decode("utf-8", "replace").strip()) for m in _INCLUDE.finditer(source)]


def _locate(name: str, directory: Path | None, search_dirs: list[Path]) -> Path | None:
    if not name or name.startswith("/"):
        return None
    for base in ([directory] if directory is not None else []) + search_dirs:
        candidate = base / name
        if names_file(candidate):
            return Path(os.path.abspath(candidate))
    return None


def with_system_functions(model: CModel, headers: list[Header], wanted: set[str]) -> CModel:
    """``model`` plus the ``wanted`` functions (and the types and macros around them) from ``headers``."""
    missing = {name for name in wanted if model.function(name) is None}
    if not headers or not missing:
        return model
    inputs = [CSourceInput(str(header.path), header.data, header.path.parent) for header in headers]
    system = build_c_model(inputs, [], follow_includes=False)  # system_headers followed them
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
