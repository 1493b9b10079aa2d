"""Which package of the source tree a stack came from, from its cgo symbols.

A C-side report (a double free straight from ``C.free``, a leak of ``C.CString``) has no Go
frame; with several cgo packages under ``--source`` the same C entry point exists in each.
The cgo glue frame (``_cgo_<hash>_Cfunc_free``) carries the hash of the package's import
path and cgo files (:mod:`cgoguard.gofront.cgoprefix`), which names the package exactly, or
says that no package under the source roots matches (the source changed since the build).
A Go frame ``example.com/m/pkg._Cfunc_f`` names the package by its import path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cgoguard.findings import Frame
from cgoguard.gofront.cgoprefix import CgoPackage, PackageMatch, package_for_symbol, symbol_hash

_GO_GLUE = re.compile(r"^(?P<path>[\w./-]+)\.(?:_Cfunc_|_C2func_|_cgoexp|_cgoCheck)")


@dataclass(frozen=True)
class StackIdentity:
    """The package a stack's cgo symbols name; ``hash`` without ``directory`` means no match."""

    hash: str = ""
    symbol: str = ""
    import_path: str = ""
    directory: Path | None = None
    go_versions: str = ""  # the Go releases whose cgo computes this hash

    @property
    def unmatched(self) -> bool:
        return bool(self.hash) and self.directory is None

    def note(self) -> str:
        """A sentence for the finding when the hash names no package of the source tree."""
        return (f"cgo symbol {self.symbol} (hash {self.hash}) matches no package under --source: the "
                "source changed since the build, or it was built with -cover or other build tags")

    def extra(self) -> dict[str, str]:
        """What the finding's JSON ``extra`` records about the package."""
        if not self.hash and not self.import_path:
            return {}
        data = {"cgo_hash": self.hash} if self.hash else {}
        if self.directory is not None:
            data.update(package=self.import_path, package_dir=str(self.directory))
            if self.go_versions:
                data["built_by"] = self.go_versions
        elif self.hash:
            data["package_note"] = self.note()
        return data


NO_IDENTITY = StackIdentity()


def in_package(path: str, directory: Path | None) -> bool:
    """Whether the source file ``path`` belongs to the package in ``directory`` (any: None)."""
    return directory is None or Path(path).parent.resolve() == directory


def names_a_package(stack: list[Frame]) -> bool:
    """Whether any frame carries a cgo hash or a cgo glue import path (cheap: no package lookup)."""
    return any(symbol_hash(f.function) is not None or _GO_GLUE.match(f.function) for f in stack)


def identify_stack(stack: list[Frame], packages: list[CgoPackage]) -> StackIdentity:
    """The package of the first frame (innermost) that carries a cgo hash or a cgo import path."""
    for frame in stack:
        name = frame.function
        if (found := symbol_hash(name)) is not None:
            return _from_match(name, found, package_for_symbol(found, packages))
        if (glue := _GO_GLUE.match(name)) is not None and "/" in glue["path"]:
            directory = _by_import_path(glue["path"], packages)
            if directory is not None:
                return StackIdentity(symbol=name, import_path=glue["path"], directory=directory)
    return NO_IDENTITY


def _from_match(symbol: str, found: str, match: PackageMatch | None) -> StackIdentity:
    if match is None:
        return StackIdentity(hash=found, symbol=symbol)
    return StackIdentity(hash=found, symbol=symbol, import_path=match.import_path, directory=match.directory.resolve(),
                         go_versions=match.scheme.go_versions)


def _by_import_path(import_path: str, packages: list[CgoPackage]) -> Path | None:
    found = [p.directory.resolve() for p in packages if import_path in p.import_paths]
    return found[0] if len(found) == 1 else None
