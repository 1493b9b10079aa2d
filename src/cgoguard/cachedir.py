"""A cache directory cgoguard writes into, and nothing outside it.

Entries are addressed by relative names (``v1/ab/abcdef.json``). Each directory below the
cache root is opened relative to its parent's descriptor without following symbolic links,
and entries are read and replaced through those descriptors, so a link planted anywhere
inside the cache (``v1 -> /home/me``, an entry linked to ``/dev/zero``) is refused, never
followed. An entry that is not a regular file, or is larger than the limit, is a miss.

The root itself may be reached through links the user chose (``~/.cache`` on another disk).
When the root comes from the scanned tree (the default ``.cgoguard_cache`` of a project, or
a ``cache-dir`` in the tree's configuration), ``confine_to`` requires its real location to
stay inside the project: a ``.cgoguard_cache`` linked elsewhere disables the cache.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path

from cgoguard.safeio import is_under, real_path

MAX_ENTRY_BYTES = 64 * 1024 * 1024
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_READ_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
# Without descriptor-relative calls (not on Linux), the cache is not used rather than unsafe.
_SUPPORTED = {os.open, os.mkdir, os.stat, os.rename, os.unlink} <= os.supports_dir_fd and bool(_NOFOLLOW)


class CacheDir:
    """Reads and writes entries below ``root``; ``problem`` says why the cache is off, if it is."""

    def __init__(self, root: Path, *, confine_to: Path | None = None,
                 markers: Mapping[str, str] | None = None, max_entry_bytes: int = MAX_ENTRY_BYTES) -> None:
        self.root = root
        self.confine_to = confine_to
        self.markers = dict(markers or {})  # files written once when the root is created
        self.max_entry_bytes = max_entry_bytes
        self.problem = "" if _SUPPORTED else "this platform cannot open files without following symbolic links"

    def read(self, name: str) -> bytes | None:
        """The entry's bytes, or None (missing, unreadable, a link, not a regular file, too large)."""
        *directories, leaf = name.split("/")
        try:
            with self._directory(directories, create=False) as directory:
                if directory is None:
                    return None
                info = os.stat(leaf, dir_fd=directory, follow_symlinks=False)
                if not stat.S_ISREG(info.st_mode) or info.st_size > self.max_entry_bytes:
                    return None
                descriptor = os.open(leaf, _READ_FLAGS, dir_fd=directory)
        except OSError:
            return None
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                return None
            chunks, total = [], 0
            while total <= self.max_entry_bytes and (chunk := os.read(descriptor, self.max_entry_bytes + 1 - total)):
                chunks.append(chunk)
                total += len(chunk)
            return b"".join(chunks) if total <= self.max_entry_bytes else None
        except OSError:
            return None
        finally:
            os.close(descriptor)

    def write(self, name: str, data: bytes) -> bool:
        """Store ``data`` atomically (a temporary file renamed over the entry); False when the
        cache cannot be written (read-only, full, or refused: see ``problem``)."""
        *directories, leaf = name.split("/")
        try:
            with self._directory(directories, create=True) as directory:
                if directory is None:
                    return False
                temporary = f".{leaf}.{secrets.token_hex(6)}.tmp"
                descriptor = os.open(temporary, _WRITE_FLAGS, 0o666, dir_fd=directory)
                try:
                    with os.fdopen(descriptor, "wb") as handle:
                        handle.write(data)
                    # rename replaces a link at ``leaf`` itself; it never writes through it.
                    os.replace(temporary, leaf, src_dir_fd=directory, dst_dir_fd=directory)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(temporary, dir_fd=directory)
                    raise
        except OSError:
            return False
        return True

    @contextlib.contextmanager
    def _directory(self, names: list[str], *, create: bool) -> Iterator[int | None]:
        """A descriptor of ``root/names...``, each step refusing symbolic links (None: absent)."""
        descriptor = self._open_root(create)
        if descriptor is None:
            yield None
            return
        try:
            for name in names:
                child = _open_child(descriptor, name, create)
                os.close(descriptor)
                descriptor = child
            yield descriptor
        finally:
            os.close(descriptor)

    def _open_root(self, create: bool) -> int | None:
        if self.problem:
            return None
        if self.confine_to is not None and not is_under(real_path(self.root), real_path(self.confine_to)):
            self.problem = (f"cache directory {self.root} leads outside the project {self.confine_to} "
                            "(a symbolic link?); the cache is not used")
            return None
        try:
            return os.open(self.root, _DIRECTORY_FLAGS)
        except FileNotFoundError:
            if not create:
                return None
        self.root.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.root, _DIRECTORY_FLAGS)
        for marker, text in self.markers.items():
            with contextlib.suppress(OSError), os.fdopen(
                    os.open(marker, _WRITE_FLAGS, 0o666, dir_fd=descriptor), "w") as handle:
                handle.write(text)
        return descriptor


def _open_child(parent: int, name: str, create: bool) -> int:
    if name in ("", ".", "..") or "/" in name:
        raise OSError(f"invalid cache entry name component {name!r}")
    try:
        return os.open(name, _DIRECTORY_FLAGS | _NOFOLLOW, dir_fd=parent)
    except FileNotFoundError:
        if not create:
            raise
    with contextlib.suppress(FileExistsError):
        os.mkdir(name, 0o777, dir_fd=parent)
    return os.open(name, _DIRECTORY_FLAGS | _NOFOLLOW, dir_fd=parent)
