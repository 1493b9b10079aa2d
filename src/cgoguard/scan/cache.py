"""Content-hash cache of per-package analysis results.

The key covers everything a package's result depends on: cgoguard's own code (so editing a
rule invalidates it), the analysis options, every file of the package with its display path
(findings carry it) under each build analysed, the C headers its files include with quotes
from outside the package directory, and the digest of the facts of the module packages it
imports (not their files: an edit that leaves those facts unchanged keeps the entry valid).
A hit therefore needs no timestamps and survives ``git checkout``.

Entries are JSON files written atomically (write to a temporary file, then rename), so
parallel scans and interrupted runs never leave a torn entry; an unreadable entry is a miss.
Every write stays inside the cache directory (:mod:`cgoguard.cachedir`), and the headers a
package names are read inside its scope only (:mod:`cgoguard.safeio`).
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path

import cgoguard
from cgoguard.cachedir import CacheDir
from cgoguard.cfront.build import MAX_C_FILE_BYTES
from cgoguard.gofront.discover import PackageSources
from cgoguard.safeio import names_file, real_path
from cgoguard.scan.worker import PackageResult

FORMAT_VERSION = "2"
_QUOTED_INCLUDE = re.compile(rb'^[ \t]*(?://)?[ \t]*#[ \t]*include[ \t]*"([^"\n]+)"', re.MULTILINE)
_INCLUDE_FLAG = re.compile(rb"-I[ \t]*(\S+)")
_MAX_INCLUDE_DEPTH = 8
_MARKERS = {  # keep the cache out of version control and backups, as pytest and ruff do
    ".gitignore": "# created by cgoguard\n*\n",
    "CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55\n# cgoguard's result cache\n",
}


@cache
def tool_fingerprint() -> str:
    """cgoguard's version plus the size and mtime of each of its modules and data files
    (contract packs change results as much as code does)."""
    digest = hashlib.sha256(cgoguard.__version__.encode())
    package_dir = Path(cgoguard.__file__).parent
    for path in sorted(p for pattern in ("*.py", "*.toml", "*.json") for p in package_dir.rglob(pattern)):
        stat = path.stat()
        digest.update(f"{path.relative_to(package_dir)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def package_key(sources: PackageSources, analysis_key: str, imported_facts: str = "", export: bool = False) -> str:
    """The key of a package's result: ``imported_facts`` digests the facts it was given, and
    ``export`` says whether the result carries the package's own facts."""
    digest = hashlib.sha256(f"{FORMAT_VERSION}\0{tool_fingerprint()}\0{analysis_key}\0".encode())
    digest.update(f"{sources.dir.resolve()}\0{sources.display_dir}\0{sources.import_path}\0".encode())
    digest.update(f"{imported_facts}\0{export}\0{sources.only is not None and not sources.only}\0".encode())
    digest.update(f"{sorted(sources.optional_files.items())}\0".encode())
    for build in (sources, *sources.extra_builds):
        label = getattr(build, "label", "")
        digest.update(f"build {label}\0{[s.display_path for s in (*build.go_files, *build.c_files)]}\0".encode())
    for source in sources.all_files():
        digest.update(f"{source.display_path}\0{len(source.data)}\0".encode())
        digest.update(source.data)
    scope = sources.scope
    for header in external_headers(sources):
        digest.update(f"{header}\0".encode())
        try:
            digest.update(scope.read_bytes(header, MAX_C_FILE_BYTES))
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()


def external_headers(sources: PackageSources) -> list[Path]:
    """Quoted includes that resolve to files outside the package's own file list.

    Over-approximates on purpose (a commented-out include still counts): a spurious key
    input costs a cache miss, a missing one would serve a stale result.
    """
    files = sources.all_files()
    own = {real_path(s.path) for s in files if not s.path.name.endswith(".go")}
    scope = sources.scope
    texts = [s.data for s in files]
    search_dirs = [sources.dir, *(d for d in _include_dirs(texts, sources.dir) if scope.contains(d))]
    found: dict[Path, None] = {}
    frontier = [(text, sources.dir) for text in texts]
    for _ in range(_MAX_INCLUDE_DEPTH):
        next_frontier = []
        for text, base in frontier:
            for name in _QUOTED_INCLUDE.findall(text):
                header = _resolve(name.decode("utf-8", "replace"), [base, *search_dirs])
                if header is None or header in own or header in found:
                    continue
                found[header] = None
                try:
                    next_frontier.append((scope.read_bytes(header, MAX_C_FILE_BYTES), header.parent))
                except OSError:
                    continue
        if not next_frontier:
            break
        frontier = next_frontier
    return sorted(found)


def _include_dirs(texts: list[bytes], package_dir: Path) -> list[Path]:
    dirs = []
    for text in texts:
        for line in text.splitlines():
            if b"#cgo" not in line:
                continue
            for flag in _INCLUDE_FLAG.findall(line):
                value = flag.decode("utf-8", "replace").replace("${SRCDIR}", str(package_dir.resolve()))
                dirs.append(package_dir / value)
    return dirs


def _resolve(name: str, search_dirs: list[Path]) -> Path | None:
    for directory in search_dirs:
        candidate = directory / name
        if names_file(candidate):
            return real_path(candidate)
    return None


class ResultCache:
    """Per-package results under ``directory``; with ``confine_to``, the directory's real
    location must stay inside that project (it came from the scanned tree, not the user)."""

    def __init__(self, directory: Path, confine_to: Path | None = None) -> None:
        self.files = CacheDir(directory, confine_to=confine_to, markers=_MARKERS)
        self.hits = 0
        self._writable = True

    @property
    def problem(self) -> str:
        """Why the cache is not used, when it was refused (empty otherwise)."""
        return self.files.problem

    def get(self, key: str) -> PackageResult | None:
        data = self.files.read(self._entry(key))
        if data is None:
            return None
        try:
            result = PackageResult.from_json(json.loads(data.decode("utf-8")))
        except Exception:  # torn, of another version or damaged: a miss, never a wrong result
            return None
        self.hits += 1
        return result

    def put(self, key: str, result: PackageResult) -> None:
        if not self._writable or result.internal_error:
            return
        if not self.files.write(self._entry(key), json.dumps(result.to_json()).encode("utf-8")):
            # A read-only checkout: scanning still works, just without a cache.
            self._writable = False

    @staticmethod
    def _entry(key: str) -> str:
        return f"v{FORMAT_VERSION}/{key[:2]}/{key}.json"
