"""The Go call sites of C functions, from the profile's frames and from the source.

A frame above a ``pkg._Cfunc_f`` glue frame is the Go function that called ``C.f``; its line
(from DWARF or from the Go profile) is the line of the call. With ``--source`` the build's
path is mapped to the local file and the line to the ``C.f(...)`` call the source index
found there (:class:`cgoguard.reports.sourceindex.SourceIndex`). When a stack does not reach
the Go caller, the cgo symbol ``_cgo_<hash>_Cfunc_f`` still names the package exactly
(:func:`cgoguard.gofront.cgoprefix.package_for_symbol`), and that package's calls of ``C.f``
are the candidates.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

from cgoguard.gofront.cgoprefix import package_for_symbol
from cgoguard.profile.symbols import Resolved
from cgoguard.reports.sourceindex import CCall, SourceIndex

_HASH = re.compile(r"[0-9a-f]{12}")
_CLOSURE = re.compile(r"(?:\.(?:func|gowrap|deferwrap)\d+)+$|\.abi0$")
CALL_LINES_BEFORE = 8  # a call spread over lines: DWARF may give a line inside it


class SiteFinder:
    def __init__(self, roots: list[Path]) -> None:
        self.roots = [Path(root) for root in roots]
        self.notes: list[str] = []
        self._directories: dict[str, Path | None] = {}
        self._import_paths: dict[str, str] = {}  # cgo hash -> the import path it was computed from

    @cached_property
    def index(self) -> SourceIndex | None:
        return SourceIndex(self.roots) if self.roots else None

    # -- a call site from a frame ---------------------------------------------------------------
    def call_site(self, caller: Resolved, c_function: str, package: str) -> tuple[str, int, int, str]:
        """(path, line, column, function) of the call ``C.c_function`` that ``caller`` makes."""
        index = self.index
        if index is None:
            return caller.path, caller.line, 0, caller.function
        if caller.path and caller.line:
            local = index.resolve(caller.path, caller.function, caller.line)
            if local is None:
                return caller.path, caller.line, 0, caller.function
            call = _nearest_call(self._calls(c_function, package), str(local), caller.line)
            if call is not None:
                return call.path, call.line, call.column, caller.function
            return str(local), caller.line, 0, caller.function
        # No line (perf text without the binary): the caller's only call of C.f, or the package's.
        calls = self._calls(c_function, package)
        short = _CLOSURE.sub("", caller.function.rsplit("/", 1)[-1].split(".", 1)[-1])
        in_caller = [c for c in calls if c.function is not None and c.function.name == short]
        chosen = in_caller if len(in_caller) == 1 else calls if len(calls) == 1 else []
        if chosen:
            return chosen[0].path, chosen[0].line, chosen[0].column, caller.function
        return caller.path, caller.line, 0, caller.function

    # -- candidates from the source ---------------------------------------------------------------
    def static_sites(self, c_function: str, package: str) -> list[tuple[str, int, int, str, str]]:
        """(path, line, column, Go function, package) of every ``C.c_function`` call of the package."""
        sites = []
        for call in self._calls(c_function, package):
            function = call.function
            name = f"{function.package}.{function.name}" if function is not None else ""
            sites.append((call.path, call.line, call.column, name, package))
        return sites

    def same_package(self, first: str, second: str) -> bool:
        if first == second:
            return True
        a, b = self._directory(first), self._directory(second)
        return a is None or b is None or a == b

    def describe_package(self, package: str) -> str:
        if not package:
            return ""
        self._directory(package)
        if _HASH.fullmatch(package):
            found = self._import_paths.get(package)
            return f" in package {found} (cgo hash {package})" if found else f" in the package of cgo hash {package}"
        return f" in package {package}"

    # -- internals -------------------------------------------------------------------------------
    def _calls(self, c_function: str, package: str) -> list[CCall]:
        index = self.index
        if index is None:
            return []
        calls = index.calls_by_c_name.get(c_function, [])
        directory = self._directory(package)
        if directory is not None:
            return [c for c in calls if Path(c.path).parent.resolve() == directory]
        if package and not _HASH.fullmatch(package):
            name = package.rsplit("/", 1)[-1]
            named = [c for c in calls if c.function is not None and c.function.package == name]
            if len({Path(c.path).parent for c in named}) <= 1:
                return named
            suffix = [c for c in named if Path(c.path).parent.resolve().as_posix().endswith("/" + package)]
            return suffix or named
        if package:  # a cgo hash that matches no package of the source tree
            return []
        return calls

    def _directory(self, package: str) -> Path | None:
        if package in self._directories:
            return self._directories[package]
        directory = None
        index = self.index
        if index is not None and package:
            if _HASH.fullmatch(package):
                match = package_for_symbol(package, index.cgo_packages)
                if match is not None:
                    directory = match.directory.resolve()
                    self._import_paths[package] = match.import_path
                else:
                    self.notes.append(f"cgo hash {package} matches no package under --source: the source "
                                      "changed since the build, or it was built with -cover or other build tags")
            elif "/" in package:
                found = [p.directory.resolve() for p in index.cgo_packages if package in p.import_paths]
                directory = found[0] if len(found) == 1 else None
        self._directories[package] = directory
        return directory


def _nearest_call(calls: list[CCall], path: str, line: int) -> CCall | None:
    """The call in ``path`` at ``line``, or the closest one starting a few lines before it."""
    real = Path(path).resolve()
    here = [c for c in calls if line - CALL_LINES_BEFORE <= c.line <= line and Path(c.path).resolve() == real]
    return max(here, key=lambda c: c.line) if here else None
