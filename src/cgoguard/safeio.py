"""Reading files that input names: a scanned tree, its configuration, a runtime log.

cgoguard reads what a tree points it at (``#include`` lines, ``-I`` directories of ``#cgo``
lines, go.mod, a baseline in a configuration) and what a log points it at (source paths).
None of that may make it read outside the code being analysed, hang or run out of memory,
so every such read goes through a :class:`ReadScope`:

* only regular files: a device (``/dev/zero`` never ends), a FIFO (opening one blocks until a
  writer comes) or a socket is refused from its type before it is opened, and the type is
  checked again on the open descriptor;
* nothing under ``/proc``, ``/sys`` or ``/dev``, whose files report a size of 0 and may
  produce anything (``/proc/self/environ`` holds this process's secrets);
* with roots, only files whose real path (every symbolic link resolved) lies under one of
  them: a link out of the tree is not followed;
* at most ``max_bytes``, counted while reading (a file may grow after it was measured).

A refusal is a :class:`RefusedPath`, an ``OSError`` whose ``strerror`` says why, so the
callers' ``except OSError`` handlers turn it into a clear input error.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

PSEUDO_FILESYSTEMS = (Path("/proc"), Path("/sys"), Path("/dev"))
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
_FILE_TYPES = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
_CHUNK = 1 << 20


class RefusedPath(OSError):
    """A path cgoguard will not read; ``strerror`` says why."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(errno.EACCES, reason, os.fspath(path))

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


def real_path(path: str | os.PathLike[str]) -> Path:
    """``path`` with every symbolic link resolved (as far as it exists)."""
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):  # a loop, a NUL byte, a name too long
        return Path(os.path.abspath(path))


def is_under(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def is_pseudo_file(real: Path) -> bool:
    return any(is_under(real, system) for system in PSEUDO_FILESYSTEMS)


def size_text(size: int) -> str:
    return f"{size // (1 << 20)} MiB" if size >= 1 << 20 and size % (1 << 20) == 0 else f"{size} bytes"


class ReadScope:
    """Where reads may go: under ``roots`` (resolved), or anywhere when ``roots`` is None.

    Type, size and pseudo-file-system checks apply in both cases.
    """

    def __init__(self, roots: Iterable[str | os.PathLike[str]] | None) -> None:
        self.roots: tuple[Path, ...] | None = None if roots is None else tuple(
            dict.fromkeys(real_path(root) for root in roots))

    def __repr__(self) -> str:
        return f"ReadScope({list(map(str, self.roots)) if self.roots is not None else None})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ReadScope) and self.roots == other.roots

    def __hash__(self) -> int:
        return hash(self.roots)

    def with_roots(self, extra: Iterable[str | os.PathLike[str]]) -> ReadScope:
        if self.roots is None:
            return self
        return ReadScope([*self.roots, *extra])

    def contains(self, path: str | os.PathLike[str]) -> bool:
        """Whether ``path``'s real location is a place this scope may read."""
        real = real_path(path)
        if is_pseudo_file(real):
            return False
        return self.roots is None or any(is_under(real, root) for root in self.roots)

    def check(self, path: str | os.PathLike[str]) -> Path:
        """The real path of ``path`` if it may be read, else :class:`RefusedPath`."""
        real = real_path(path)
        if is_pseudo_file(real):
            raise RefusedPath(path, f"under /{real.parts[1]}, a pseudo-file system cgoguard never reads")
        if self.roots is not None and not any(is_under(real, root) for root in self.roots):
            raise RefusedPath(path, "outside the analysed tree (a symbolic link or path that leads out of it "
                                    "is not followed)")
        return real

    def read_bytes(self, path: str | os.PathLike[str], max_bytes: int) -> bytes:
        """The content of the regular file ``path``; :class:`RefusedPath` (an ``OSError``) when it
        is out of scope, not a regular file or larger than ``max_bytes``."""
        real = self.check(path)
        _require_regular(path, os.stat(real), max_bytes)  # before opening: no side effects of a device open
        descriptor = os.open(real, _OPEN_FLAGS)
        try:
            _require_regular(path, os.fstat(descriptor), max_bytes)  # swapped since the stat?
            chunks: list[bytes] = []
            total = 0
            while chunk := os.read(descriptor, min(_CHUNK, max_bytes + 1 - total)):
                chunks.append(chunk)
                total += len(chunk)
                if total > max_bytes:
                    raise RefusedPath(path, f"larger than the {size_text(max_bytes)} limit")
        finally:
            os.close(descriptor)
        return b"".join(chunks)

    def read_text(self, path: str | os.PathLike[str], max_bytes: int, errors: str = "replace") -> str:
        return self.read_bytes(path, max_bytes).decode("utf-8", errors)


UNCONFINED = ReadScope(None)


def _require_regular(path: str | os.PathLike[str], info: os.stat_result, max_bytes: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _FILE_TYPES if test(info.st_mode)), "not a regular file")
        raise RefusedPath(path, f"not a regular file ({kind})")
    if info.st_size > max_bytes:
        raise RefusedPath(path, f"larger than the {size_text(max_bytes)} limit ({info.st_size} bytes)")


def names_file(path: str | os.PathLike[str]) -> bool:
    """Whether something a reader would open is at ``path`` (a directory is not; a dangling
    link is not; a name the system cannot even look up is not)."""
    try:
        return not stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def is_dir(path: str | os.PathLike[str]) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def is_regular_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` leads to a regular file outside the pseudo-file systems (never raises)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode) and UNCONFINED.contains(path)
    except (OSError, ValueError):
        return False
