"""Package identity from cgo symbol names: the ``<hash>`` of ``_cgo_<hash>_Cfunc_f``.

cmd/cgo names every C symbol it generates with a per-package prefix (``cPrefix`` in
cmd/cgo/main.go): the first 6 bytes, in hex, of a hash of the package's import path followed
by the bytes of its cgo Go files, in the order cmd/go passes them (go/build's ``CgoFiles``:
the package's files that import "C" and survive build constraints, sorted by name). The
symbols ``_cgo_<hash>_Cfunc_f``, ``_cgo_<hash>_C2func_f``, ``_cgoexp_<hash>_F`` and (Go <
1.11) ``_cgoexpwrap_<hash>_F`` therefore say which package produced a frame even when the
report has no Go frame at all, as in an AddressSanitizer stack that stops at
``runtime.asmcgocall``.

The hash changed three times (verified against builds of Go 1.8 to 1.26, see
:data:`SCHEMES`); a build's hash is recognised under any of them, which also tells the Go
version range of the build. A package whose files changed since the build, or that was
built with ``-cover`` (cgo then hashes the instrumented files) or with other build tags,
matches no candidate: :func:`package_for_symbol` returns ``None`` and callers say so.

Library API (also used by the profile command): :func:`cgo_prefix`, :func:`cgo_hash`,
:func:`symbol_hash`, :func:`find_cgo_packages`, :func:`cgo_packages_in` and
:func:`package_for_symbol`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cgoguard.gofront.buildtags import BuildTarget, ConstraintSyntaxError, file_included
from cgoguard.gofront.syntax import parse_go, text

HASH_BYTES = 6  # cmd/cgo: fmt.Sprintf("_%x", h.Sum(nil)[0:6])
_SYMBOL_HASH = re.compile(r"_cgo(?:exp|expwrap)?_(?P<hash>[0-9a-f]{12})_")
_MODULE_LINE = re.compile(rb'^\s*module\s+"?(?P<path>[^\s"/][^\s"]*)"?\s*(?://.*)?$', re.MULTILINE)
_MAX_GO_FILE_BYTES = 8 * 1024 * 1024
_SKIPPED_DIRS = frozenset({"node_modules", "__pycache__"})
# Build targets whose file sets are tried: a build for another GOOS/GOARCH includes other
# files (``x_linux.go``, ``//go:build arm64``) and so has another hash.
TARGETS = tuple(BuildTarget(goos=goos, goarch=goarch) for goos, goarch in (
    ("linux", "amd64"), ("linux", "arm64"), ("darwin", "arm64"), ("darwin", "amd64"),
    ("windows", "amd64"), ("freebsd", "amd64"), ("linux", "ppc64le"), ("linux", "riscv64")))
COMMAND_LINE_ARGUMENTS = "command-line-arguments"  # the import path of `go run main.go` / `go build x.go`


@dataclass(frozen=True)
class HashScheme:
    """One of the hash functions cmd/cgo has used for the symbol prefix."""

    name: str
    first: tuple[int, int]  # first Go release (major, minor) that used it
    last: tuple[int, int] | None  # last one, None while current
    digest: Callable[[Iterable[bytes]], bytes]
    hashes_import_path: bool = True  # Go 1.10 and earlier hashed the files alone

    @property
    def go_versions(self) -> str:
        first = f"Go 1.{self.first[1]}"
        return f"{first} or later" if self.last is None else f"{first} to 1.{self.last[1]}"

    def covers(self, version: tuple[int, int]) -> bool:
        return self.first <= version and (self.last is None or version <= self.last)


def _md5(chunks: Iterable[bytes]) -> bytes:
    digest = hashlib.md5(usedforsecurity=False)
    for chunk in chunks:
        digest.update(chunk)
    return digest.digest()


def _not_sha256(chunks: Iterable[bytes]) -> bytes:
    """cmd/internal/notsha256: the bitwise NOT of SHA-256."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return bytes(b ^ 0xFF for b in digest.digest())


def _sha256_one(chunks: Iterable[bytes]) -> bytes:
    """cmd/internal/hash.New32 (and New16, a prefix of it): SHA-256 of a 0x01 byte then the data."""
    digest = hashlib.sha256(b"\x01")
    for chunk in chunks:
        digest.update(chunk)
    return digest.digest()


# Newest first: the scheme of a recent build is found first.
SCHEMES: tuple[HashScheme, ...] = (
    HashScheme("sha256", (1, 24), None, _sha256_one),
    HashScheme("notsha256", (1, 19), (1, 23), _not_sha256),
    HashScheme("md5", (1, 11), (1, 18), _md5),
    HashScheme("md5-files", (1, 5), (1, 10), _md5, hashes_import_path=False),
)


def scheme_for(go_version: tuple[int, int]) -> HashScheme:
    """The scheme cmd/cgo of Go ``(1, minor)`` uses."""
    return next((s for s in SCHEMES if s.covers(go_version)), SCHEMES[0])


def cgo_hash(import_path: str, files: Sequence[bytes | os.PathLike[str]], scheme: HashScheme = SCHEMES[0]) -> str:
    """The 12 hex digits cmd/cgo puts in the symbols of a package.

    ``files`` are the package's cgo Go files in CgoFiles order (sorted by name), as contents or
    as paths to read.
    """
    prefix = [import_path.encode()] if scheme.hashes_import_path else []
    contents = [f if isinstance(f, bytes) else Path(f).read_bytes() for f in files]
    return scheme.digest([*prefix, *contents])[:HASH_BYTES].hex()


def cgo_prefix(import_path: str, files: Sequence[bytes | os.PathLike[str]],
               go_version: tuple[int, int] | None = None) -> str:
    """``_cgo_<hash>_``, the prefix of the package's C symbols, for Go ``go_version`` (newest by default)."""
    scheme = scheme_for(go_version) if go_version else SCHEMES[0]
    return f"_cgo_{cgo_hash(import_path, files, scheme)}_"


def symbol_hash(symbol: str) -> str | None:
    """The cgo hash in a symbol (``_cgo_<h>_Cfunc_f``, ``pkg._cgoexpwrap_<h>_F``, ...), if any."""
    match = _SYMBOL_HASH.search(symbol)
    return match["hash"] if match else None


@dataclass
class CgoPackage:
    """A directory holding cgo files, with the import paths a build may have given it."""

    directory: Path
    import_paths: tuple[str, ...]
    file_sets: tuple[tuple[Path, ...], ...]  # CgoFiles for each distinct build target

    @cached_property
    def hashes(self) -> dict[str, tuple[str, HashScheme, tuple[Path, ...]]]:
        """Every hash a build of this package may carry -> (import path, scheme, files)."""
        result: dict[str, tuple[str, HashScheme, tuple[Path, ...]]] = {}
        for files in self.file_sets:
            contents = [_read(path) for path in files]
            if any(content is None for content in contents):
                continue
            data = [c for c in contents if c is not None]
            for import_path in self.import_paths:
                for scheme in SCHEMES:
                    result.setdefault(cgo_hash(import_path, data, scheme), (import_path, scheme, files))
        return result


@dataclass(frozen=True)
class PackageMatch:
    """The package a cgo symbol came from, and what the match says about the build."""

    package: CgoPackage
    hash: str
    import_path: str
    scheme: HashScheme
    files: tuple[Path, ...] = field(default=())

    @property
    def directory(self) -> Path:
        return self.package.directory

    def describe(self) -> str:
        return (f"package {self.import_path} ({self.directory}): cgo symbol hash {self.hash} "
                f"(built by {self.scheme.go_versions})")


def package_for_symbol(symbol: str, candidates: Iterable[CgoPackage]) -> PackageMatch | None:
    """The candidate package whose cgo hash is the one in ``symbol`` (None: no hash, or no match)."""
    wanted = symbol_hash(symbol) if not re.fullmatch(r"[0-9a-f]{12}", symbol) else symbol
    if wanted is None:
        return None
    for package in candidates:
        found = package.hashes.get(wanted)
        if found is not None:
            import_path, scheme, files = found
            return PackageMatch(package, wanted, import_path, scheme, files)
    return None


# -- finding candidate packages ------------------------------------------------------------------
def find_cgo_packages(roots: Iterable[Path | str]) -> list[CgoPackage]:
    """Every directory below ``roots`` with Go files that import "C" (vendor and testdata included:
    they are built too; hidden and ``_`` directories are not, as with the go command)."""
    return cgo_packages_in(path for root in roots for path in _go_files(Path(root)))


def cgo_packages_in(go_files: Iterable[Path]) -> list[CgoPackage]:
    """The cgo packages among a list of Go files, grouped by directory."""
    by_dir: dict[Path, list[Path]] = {}
    for path in go_files:
        if _is_cgo_candidate(path):
            by_dir.setdefault(path.parent, []).append(path)
    packages = []
    for directory, files in sorted(by_dir.items()):
        file_sets = _file_sets(sorted(files, key=lambda p: p.name))
        if file_sets:
            packages.append(CgoPackage(directory, import_paths_for(directory), file_sets))
    return packages


def _go_files(root: Path) -> Iterable[Path]:
    if root.is_file():
        if root.suffix == ".go":
            yield root
        return
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")) and d not in _SKIPPED_DIRS)
        yield from (Path(directory) / name for name in sorted(files) if name.endswith(".go"))


def _is_cgo_candidate(path: Path) -> bool:
    name = path.name
    return name.endswith(".go") and not name.endswith("_test.go") and not name.startswith((".", "_"))


def _file_sets(files: list[Path]) -> tuple[tuple[Path, ...], ...]:
    """The distinct CgoFiles lists of the directory across :data:`TARGETS`."""
    headers = {path: _cgo_header(path) for path in files}
    cgo = [path for path in files if headers[path] is not None]
    sets: list[tuple[Path, ...]] = []
    for target in TARGETS:
        chosen = tuple(p for p in cgo if _included(p, headers[p] or "", target))
        if chosen and chosen not in sets:
            sets.append(chosen)
    return tuple(sets)


def _cgo_header(path: Path) -> str | None:
    """The file's header text when the file imports "C" (None otherwise)."""
    data = _read(path)
    if data is None or b'"C"' not in data:
        return None
    if not imports_c(data):
        return None
    return data[:16384].decode("utf-8", "replace")


def imports_c(source: bytes) -> bool:
    """Whether a Go file imports "C" (in any import declaration, grouped or not)."""
    for node in parse_go(source).root_node.named_children:
        if node.type == "import_declaration":
            specs = [n for n in node.named_children if n.type == "import_spec"]
            for group in (n for n in node.named_children if n.type == "import_spec_list"):
                specs += [n for n in group.named_children if n.type == "import_spec"]
            if any(text(spec.child_by_field_name("path")) in ('"C"', "`C`") for spec in specs):
                return True
        elif node.type not in ("package_clause", "comment"):
            return False  # imports come first
    return False


def _included(path: Path, header: str, target: BuildTarget) -> bool:
    try:
        return file_included(path.name, header, target)
    except ConstraintSyntaxError:
        return False


def _read(path: Path) -> bytes | None:
    try:
        if path.stat().st_size > _MAX_GO_FILE_BYTES:
            return None
        return path.read_bytes()
    except OSError:
        return None


# -- import paths --------------------------------------------------------------------------------
def import_paths_for(directory: Path) -> tuple[str, ...]:
    """The import paths a build may have given the package in ``directory``, most likely first.

    The module's path joined with the directory (module mode); for a vendored copy also the
    path after ``vendor/`` (modules) besides the full one (GOPATH mode); the path below a
    GOPATH ``src`` directory; a module-cache directory's path without ``@version``; and
    ``command-line-arguments`` (``go run main.go``).
    """
    directory = directory.resolve()
    paths: list[str] = []
    module_root, module_path = _module_of(directory)
    if module_root is not None and module_path:
        relative = directory.relative_to(module_root).as_posix()
        full = module_path if relative == "." else f"{module_path}/{relative}"
        vendored = full.rsplit("/vendor/", 1)[1] if "/vendor/" in full else ""
        paths += [vendored, full] if vendored else [full]
    paths += [p for p in (_gopath_import_path(directory), _module_cache_import_path(directory)) if p]
    paths.append(COMMAND_LINE_ARGUMENTS)
    return tuple(dict.fromkeys(paths))


def _module_of(directory: Path) -> tuple[Path | None, str]:
    for candidate in (directory, *directory.parents):
        go_mod = candidate / "go.mod"
        if go_mod.is_file():
            try:
                match = _MODULE_LINE.search(go_mod.read_bytes()[:65536])
            except OSError:
                return candidate, ""
            return candidate, match["path"].decode("utf-8", "replace") if match else ""
    return None, ""


def _gopath_import_path(directory: Path) -> str:
    parts = directory.parts
    if "src" not in parts:
        return ""
    index = len(parts) - 1 - parts[::-1].index("src")
    return "/".join(parts[index + 1:])


def _module_cache_import_path(directory: Path) -> str:
    """``.../pkg/mod/github.com/!azure/x@v1.2.0/sub`` -> ``github.com/Azure/x/sub``."""
    parts = directory.parts
    if "mod" not in parts:
        return ""
    start = len(parts) - 1 - parts[::-1].index("mod")
    tail = list(parts[start + 1:])
    versioned = next((i for i, part in enumerate(tail) if "@" in part), None)
    if versioned is None:
        return ""
    tail[versioned] = tail[versioned].split("@", 1)[0]
    return re.sub(r"!([a-z])", lambda m: m.group(1).upper(), "/".join(tail))
