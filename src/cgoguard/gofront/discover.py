"""Find Go packages under the paths a user names, the way ``go list ./...`` would.

Skips ``vendor/``, ``testdata/``, hidden and ``_``-prefixed directories, generated files
(unless asked) and files excluded by build constraints. Never follows directory symlinks,
so symlink loops cannot hang the walk; unreadable entries become input errors. Files are read
through :mod:`cgoguard.safeio`: a file link that leads out of the tree, a FIFO or a device
is refused with an input error, never followed or opened.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cgoguard.cfront.build import MAX_C_FILE_BYTES
from cgoguard.errors import UsageError
from cgoguard.findings import InputError
from cgoguard.gofront.buildtags import BuildTarget, ConstraintSyntaxError, file_included, filename_matches
from cgoguard.gofront.imports import read_header
from cgoguard.gofront.variants import BuildPlan, Candidate, declared_names, plan_builds
from cgoguard.safeio import ReadScope, real_path

C_SUFFIXES = (".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".hxx")
SKIPPED_DIRS = ("vendor", "testdata", "node_modules")
_GENERATED = re.compile(rb"^// Code generated .* DO NOT EDIT\.\r?$", re.MULTILINE)
# A Go file larger than this is almost certainly data, not code someone wrote by hand.
MAX_GO_FILE_BYTES = 8 * 1024 * 1024
# Markers of a project root: what a tree names (includes, -I directories) is read only below
# the scanned path or the module (go.mod) and repository (.git) that hold it.
ROOT_MARKERS = ("go.mod", ".git")


@dataclass
class SourceFile:
    path: Path
    display_path: str
    data: bytes


@dataclass
class BuildSources:
    """The files of a directory under another target than the scan's (see gofront.variants)."""

    target: BuildTarget
    label: str  # how the target differs from the scan's ("tags=sqlite_trace")
    go_files: list[SourceFile]
    c_files: list[SourceFile]


@dataclass
class PackageSources:
    """The files of one directory that belong to the build."""

    dir: Path
    display_dir: str
    go_files: list[SourceFile] = field(default_factory=list)
    c_files: list[SourceFile] = field(default_factory=list)
    # When the user named files rather than directories: report only on these (an empty
    # set: a dependency outside the scanned paths, analysed for its facts only).
    only: set[str] | None = None
    # Directories below which what the files name may be read (see tree_roots).
    roots: tuple[Path, ...] = ()
    # Other targets under which files left out of ``go_files`` are analysed.
    extra_builds: list[BuildSources] = field(default_factory=list)
    # Files of an extra build that could join ``go_files`` (no conflict), and that build's label.
    optional_files: dict[str, str] = field(default_factory=dict)
    import_path: str = ""  # set from the enclosing module (see gofront.graph)

    def all_files(self) -> list[SourceFile]:
        """Every Go and C file some build of the package reads, each once."""
        seen: dict[Path, SourceFile] = {}
        for build in (self, *self.extra_builds):
            for source in (*build.go_files, *build.c_files):
                seen.setdefault(source.path, source)
        return list(seen.values())

    @cached_property
    def scope(self) -> ReadScope:
        return ReadScope(self.roots or (self.dir,))


@dataclass
class Discovery:
    packages: list[PackageSources]
    errors: list[InputError]
    skipped_files: int = 0


@dataclass(frozen=True)
class DiscoveryOptions:
    target: BuildTarget = field(default_factory=BuildTarget)
    include_generated: bool = False
    exclude: tuple[str, ...] = ()
    # Extra targets per package for files the target leaves out (0: the target only).
    extra_builds: int = 0


def is_generated(data: bytes) -> bool:
    """Whether a Go file says it is generated (``// Code generated ... DO NOT EDIT.`` before
    its package clause)."""
    return _GENERATED.search(data[: data.find(b"\npackage ") + 1 or 4096]) is not None


def display_path(path: Path) -> str:
    """Relative to the current directory when below it, else as given (normalised).

    Symbolic links are not followed: a link is shown under its own name.
    """
    try:
        relative = os.path.relpath(os.path.abspath(path), os.getcwd())
    except (ValueError, OSError):
        return os.path.normpath(path)
    outside = relative == ".." or relative.startswith(".." + os.sep)
    return os.path.normpath(path) if outside else relative


def tree_roots(path: Path) -> tuple[Path, ...]:
    """Where a scan of ``path`` may read: the path itself (a file's directory, also where a
    named file link points) and the nearest enclosing module (go.mod) and repository (.git)."""
    start = Path(os.path.abspath(path))
    roots = [start, real_path(start)] if start.is_dir() else [start.parent, real_path(start).parent]
    for marker in ROOT_MARKERS:
        holder = next((d for d in (roots[0], *roots[0].parents) if os.path.exists(d / marker)), None)
        if holder is not None:
            roots.append(holder)
    return tuple(dict.fromkeys(roots))


def discover(paths: list[str], options: DiscoveryOptions | None = None) -> Discovery:
    options = options or DiscoveryOptions()
    result = Discovery(packages=[], errors=[])
    by_dir: dict[Path, PackageSources] = {}
    for raw in paths or ["."]:
        root = Path(raw[: -len("/...")] if raw.endswith("/...") else ("." if raw == "..." else raw))
        if not root.exists() and not root.is_symlink():
            raise UsageError(f"{raw}: no such file or directory")
        if root.is_symlink() and not root.exists():
            result.errors.append(InputError(str(root), "dangling symbolic link"))
            continue
        roots = tree_roots(root)
        if root.is_file():
            _add_named_file(root, options, by_dir, result, roots)
            continue
        for directory in _walk_dirs(root, options, result):
            sources = _read_dir(directory, options, result, roots)
            if sources.go_files:
                by_dir.setdefault(directory.resolve(), sources)
    result.packages = sorted(by_dir.values(), key=lambda p: p.display_dir)
    return result


def read_package(directory: Path, options: DiscoveryOptions, result: Discovery,
                 roots: tuple[Path, ...]) -> PackageSources:
    """The files of one directory, read only below ``roots`` (errors and skipped files counted
    in ``result``)."""
    return _read_dir(directory, options, result, roots)


def _excluded(display: str, options: DiscoveryOptions) -> bool:
    return any(fnmatch.fnmatch(display, pattern) or fnmatch.fnmatch(display, pattern.rstrip("/") + "/*")
               for pattern in options.exclude)


def _walk_dirs(root: Path, options: DiscoveryOptions, result: Discovery) -> Iterator[Path]:
    """Every directory below ``root`` (``dir/...`` and ``dir`` both mean the whole tree)."""
    def on_error(exc: OSError) -> None:
        result.errors.append(InputError(str(exc.filename or root), f"cannot read: {exc.strerror or exc}"))

    for current, dirnames, _ in os.walk(root, onerror=on_error, followlinks=False):
        dirnames[:] = sorted(
            d for d in dirnames
            if not d.startswith((".", "_")) and d not in SKIPPED_DIRS
            and not _excluded(display_path(Path(current) / d), options)
        )
        yield Path(current)


def _read_dir(directory: Path, options: DiscoveryOptions, result: Discovery,
              roots: tuple[Path, ...]) -> PackageSources:
    sources = PackageSources(dir=directory, display_dir=display_path(directory), roots=roots)
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        result.errors.append(InputError(str(directory), f"cannot list directory: {exc.strerror or exc}"))
        return sources
    go_files: list[tuple[SourceFile, Candidate]] = []
    c_files: list[SourceFile] = []
    for entry in entries:
        if entry.name.startswith((".", "_")):
            continue
        path = Path(entry.path)
        if entry.name.endswith(".go") or entry.name.endswith(C_SUFFIXES):
            if _excluded(display_path(path), options):
                continue
            _add_file(path, options, sources.scope, go_files, c_files, result)
    _select_builds(sources, go_files, c_files, options, result)
    return sources


def _select_builds(sources: PackageSources, go_files: list[tuple[SourceFile, Candidate]],
                   c_files: list[SourceFile], options: DiscoveryOptions, result: Discovery) -> None:
    """The files of the scan's target, and the extra builds for the files it leaves out."""
    target = options.target
    candidates = [candidate for _, candidate in go_files]
    plan = plan_builds(candidates, target, options.extra_builds) if options.extra_builds else BuildPlan()
    built: set[int] = set(plan.joined)  # files some build reads (or that were reported as broken)
    default: set[int] = set()
    for index, (source, candidate) in enumerate(go_files):
        try:
            included = file_included(candidate.name, candidate.header, target)
        except ConstraintSyntaxError as exc:
            result.errors.append(InputError(source.display_path, str(exc)))
            built.add(index)  # reported already: not counted as skipped too
            continue
        if included or index in plan.joined:
            sources.go_files.append(source)
            default.add(index)
        if index in plan.joined:
            sources.optional_files[source.display_path] = plan.joined[index]
    sources.c_files = [c for c in c_files if filename_matches(c.path.name, target)]
    for build in plan.builds:
        built.update(build.files)
        files = [go_files[i][0] for i in build.files]
        cgo_files = [c for c in c_files if filename_matches(c.path.name, build.target)] if build.target.cgo else []
        sources.extra_builds.append(BuildSources(build.target, build.label, files, cgo_files))
    result.skipped_files += len(go_files) - len(built | default)


def _add_named_file(path: Path, options: DiscoveryOptions, by_dir: dict[Path, PackageSources],
                    result: Discovery, roots: tuple[Path, ...]) -> None:
    """A file named on the command line: load its whole package, report on the file only."""
    if not path.name.endswith(".go"):
        result.errors.append(InputError(str(path), "not a Go source file"))
        return
    directory = path.parent
    key = directory.resolve()
    if key not in by_dir:
        sources = _read_dir(directory, options, result, roots)
        sources.only = set()
        by_dir[key] = sources
    if by_dir[key].only is not None:
        by_dir[key].only.add(display_path(path))


def _add_file(path: Path, options: DiscoveryOptions, scope: ReadScope,
              go_files: list[tuple[SourceFile, Candidate]], c_files: list[SourceFile], result: Discovery) -> None:
    display = display_path(path)
    if path.is_symlink() and not path.exists():
        result.errors.append(InputError(display, "dangling symbolic link"))
        return
    if path.is_dir():
        return
    is_go = path.name.endswith(".go")
    if is_go and not options.target.include_tests and path.name.endswith("_test.go"):
        result.skipped_files += 1
        return
    try:
        size = path.stat().st_size
        if is_go and size > MAX_GO_FILE_BYTES:
            result.errors.append(InputError(display, f"skipped: {size} bytes is too large for a Go source file"))
            return
        data = scope.read_bytes(path, MAX_GO_FILE_BYTES if is_go else MAX_C_FILE_BYTES)
    except OSError as exc:
        result.errors.append(InputError(display, f"cannot read: {exc.strerror or exc}"))
        return
    if b"\0" in data[:8192]:
        result.errors.append(InputError(display, "skipped: binary file (contains NUL bytes)"))
        return
    if path.name.endswith(C_SUFFIXES):
        c_files.append(SourceFile(path, display, data))
        return
    if not options.include_generated and is_generated(data):
        result.skipped_files += 1
        return
    header = data[:16384].decode("utf-8", "replace")
    file_header = read_header(data)
    go_files.append((SourceFile(path, display, data),
                     Candidate(path.name, header, "C" in file_header.imports, file_header.has_declarations,
                               declared_names(data))))
