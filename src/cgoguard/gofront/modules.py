"""Go modules: the ``module`` path and local ``replace`` directives of go.mod files, and the
mapping from import paths to directories of the scanned tree that they imply.

Only what resolving module-internal imports needs is read: the module path, and
replacements by a local directory (``replace example.com/x => ./x``), which point an import
path prefix at another module checked out in the same tree. Versioned requirements are
third-party code that is not scanned. go.mod files are read through a
:class:`~cgoguard.safeio.ReadScope`: one that is a link out of the tree, a FIFO or a device
counts as absent.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from cgoguard.safeio import UNCONFINED, ReadScope

_MODULE = re.compile(r"^\s*module\s+(\"[^\"]+\"|`[^`]+`|\S+)", re.MULTILINE)
_REPLACE_BLOCK = re.compile(r"^\s*replace\s*\((.*?)^\s*\)", re.MULTILINE | re.DOTALL)
_REPLACE_LINE = re.compile(r"^\s*replace\s+([^(\s].*)$", re.MULTILINE)
_MAX_GO_MOD_BYTES = 1024 * 1024


@dataclass(frozen=True)
class GoMod:
    dir: Path  # the module root (where go.mod is), resolved
    path: str  # the module path ("" when go.mod has none)
    replaces: tuple[tuple[str, Path], ...] = ()  # (import path prefix, local directory)


def read_go_mod(go_mod: Path, scope: ReadScope = UNCONFINED) -> GoMod | None:
    """The module declared by ``go_mod``; None when it cannot be read (within ``scope``)."""
    try:
        text = scope.read_text(go_mod, _MAX_GO_MOD_BYTES)
    except OSError:
        return None
    text = re.sub(r"//[^\n]*", "", text)
    match = _MODULE.search(text)
    module_path = match.group(1).strip("\"`") if match else ""
    root = go_mod.parent.resolve()
    lines = [line for block in _REPLACE_BLOCK.findall(text) for line in block.splitlines()]
    lines += _REPLACE_LINE.findall(text)
    replaces = [r for r in (_local_replacement(line, root) for line in lines) if r is not None]
    return GoMod(root, module_path, tuple(replaces))


def _local_replacement(line: str, root: Path) -> tuple[str, Path] | None:
    """``old [version] => ./dir``: (old, the directory), when the target is a local path."""
    if "=>" not in line:
        return None
    old, new = (part.split() for part in line.split("=>", 1))
    if not old or not new:
        return None
    target = new[0].strip("\"`")
    if not (target.startswith(("./", "../", "/")) or target in (".", "..")):
        return None  # a module version from a proxy: not in the tree
    return old[0].strip("\"`"), Path(os.path.normpath(root / target))


@dataclass
class ModuleMap:
    """Import path prefixes of the modules in (and replaced into) the scanned tree, from the
    go.mod files ``scope`` allows reading."""

    scope: ReadScope = UNCONFINED
    modules: dict[Path, GoMod] = field(default_factory=dict)  # by module root
    prefixes: dict[str, Path] = field(default_factory=dict)  # import path prefix -> directory
    _enclosing: dict[Path, GoMod | None] = field(default_factory=dict)

    def module_of(self, directory: Path) -> GoMod | None:
        """The module whose go.mod is nearest at or above ``directory``."""
        directory = directory.resolve()
        chain: list[Path] = []
        found: GoMod | None = None
        current: Path | None = directory
        while current is not None:
            if current in self._enclosing:
                found = self._enclosing[current]
                break
            chain.append(current)
            if os.path.lexists(current / "go.mod"):
                found = self._add(current / "go.mod")
                break
            current = current.parent if current.parent != current else None
        for visited in chain:
            self._enclosing[visited] = found
        return found

    def _add(self, go_mod: Path) -> GoMod | None:
        module = read_go_mod(go_mod, self.scope)
        if module is None:
            return None
        self.modules[module.dir] = module
        if module.path:
            self.prefixes.setdefault(module.path, module.dir)
        for prefix, target in module.replaces:
            self.prefixes.setdefault(prefix, target)
        return module

    def import_path(self, directory: Path) -> str:
        """The import path of the package in ``directory`` ("" outside any module)."""
        module = self.module_of(directory)
        if module is None or not module.path:
            return ""
        relative = Path(os.path.relpath(directory.resolve(), module.dir)).as_posix()
        return module.path if relative == "." else f"{module.path}/{relative}"

    def directory(self, import_path: str) -> Path | None:
        """Where the package ``import_path`` is, when a module of the tree provides it."""
        best = ""
        for prefix in self.prefixes:
            if (import_path == prefix or import_path.startswith(prefix + "/")) and len(prefix) > len(best):
                best = prefix
        if not best:
            return None
        rest = import_path[len(best):].lstrip("/")
        return self.prefixes[best] / rest if rest else self.prefixes[best]
