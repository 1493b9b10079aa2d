"""The package a vet config describes, as the source files cgoguard analyses.

For a cgo package the go command lists cgo's *output* as GoFiles (``x.cgo1.go`` in its work
directory, plus ``_cgo_gotypes.go`` and ``_cgo_import.go``) and leaves the C files out.
cgoguard analyses the sources a developer wrote, so each ``x.cgo1.go`` is mapped back to
``x.go``: through the ``//line`` directive cgo writes at its top, or (when a ``-trimpath``
build rewrote that path) by its name in the package directory. cgo's other outputs are
dropped; the C and header files are those of the package directory the go command did not
ignore. Every path stays absolute, as go vet's own reports are, so the go command can
shorten them relative to where it runs.
"""

from __future__ import annotations

import os
from pathlib import Path

from cgoguard.findings import InputError
from cgoguard.gofront.buildtags import BuildTarget, filename_matches
from cgoguard.gofront.discover import C_SUFFIXES, MAX_GO_FILE_BYTES, PackageSources, SourceFile, is_generated
from cgoguard.vet.protocol import VetConfig

CGO_OUTPUT_SUFFIX = ".cgo1.go"
_LINE_DIRECTIVE = b"//line "
_HEADER_LINES = 8  # cgo writes the directive right after its "Code generated" comment


def package_sources(config: VetConfig, target: BuildTarget, *, include_generated: bool = False
                    ) -> tuple[PackageSources, list[InputError]]:
    errors: list[InputError] = []
    directory = config.dir  # absolute, as the go command names it (not resolved: go vet shortens it)
    sources = PackageSources(dir=directory, display_dir=str(directory))
    seen: set[Path] = set()
    for name in config.go_files:
        original = original_go_file(Path(name), directory)
        if original is None or original in seen:
            continue
        seen.add(original)
        data = _read(original, errors)
        if data is not None and (include_generated or not is_generated(data)):
            sources.go_files.append(SourceFile(original, str(original), data))
    ignored = {Path(p) for p in config.ignored_files}
    for path in _c_files(config, directory, target):
        if path not in ignored:
            data = _read(path, errors)
            if data is not None:
                sources.c_files.append(SourceFile(path, str(path), data))
    return sources, errors


def original_go_file(path: Path, directory: Path) -> Path | None:
    """The source file a GoFiles entry stands for, or None for cgo's own declarations."""
    if path.name.startswith("_cgo_"):
        return None  # _cgo_gotypes.go, _cgo_import.go: cgo's declarations, not user code
    if not path.name.endswith(CGO_OUTPUT_SUFFIX):
        return path
    named = _line_directive_path(path)
    if named is not None and named.is_file():
        return named
    by_name = directory / (path.name[: -len(CGO_OUTPUT_SUFFIX)] + ".go")
    return by_name if by_name.is_file() else None


def _line_directive_path(path: Path) -> Path | None:
    """The file named by the first ``//line FILE:LINE[:COL]`` directive of cgo's output."""
    try:
        with path.open("rb") as handle:
            head = [handle.readline() for _ in range(_HEADER_LINES)]
    except OSError:
        return None
    for line in head:
        if line.startswith(_LINE_DIRECTIVE):
            target = line[len(_LINE_DIRECTIVE):].strip().decode("utf-8", "surrogateescape")
            parts = target.rsplit(":", 2)
            name = parts[0] if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit() else \
                target.rsplit(":", 1)[0]
            return Path(name) if os.path.isabs(name) else None
    return None


def _c_files(config: VetConfig, directory: Path, target: BuildTarget) -> list[Path]:
    listed = [Path(p) for p in config.non_go_files if p.endswith(C_SUFFIXES)]
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return listed
    found = [Path(e.path) for e in entries
             if e.name.endswith(C_SUFFIXES) and not e.name.startswith((".", "_")) and e.is_file()
             and filename_matches(e.name, target)]
    return listed + [p for p in found if p not in listed]


def _read(path: Path, errors: list[InputError]) -> bytes | None:
    try:
        if path.stat().st_size > MAX_GO_FILE_BYTES:
            errors.append(InputError(str(path), "skipped: too large for a source file"))
            return None
        return path.read_bytes()
    except OSError as exc:
        errors.append(InputError(str(path), f"cannot read: {exc.strerror or exc}"))
        return None
