"""The per-process logs one execution leaves behind, and what they say about crashes.

With ``-exec`` (go test / go run) every Go process has a directory written by
:mod:`cgoguard.runner.execwrap`: ``meta.json``, ``output.log`` (stdout and stderr),
sanitizer logs (``asan.<pid>``, ``gorace.<pid>``) and, for ``gc``, ``trace.out``. Other
commands leave one output file and the sanitizer logs in the execution's directory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

SANITIZER_LOG_PREFIXES = ("asan.", "gorace.")
# The SIGABRT that ASAN_OPTIONS=abort_on_error=1 causes (see write_analysis_input).
_SIGABRT = b"SIGABRT: abort"
# GOTRACEBACK=crash: after the crash report the runtime stops every other thread with SIGQUIT
# and prints each one's stack after a "-----" line; those are context, not new crashes.
_THREAD_DUMP_SEPARATOR = b"-----"
_THREAD_DUMP_HEADER = b"SIGQUIT: quit"


@dataclass
class ProcessLog:
    """Everything one process (a test binary, a ``go run`` program) left behind."""

    directory: Path
    output: Path
    meta: dict[str, object] = field(default_factory=dict)
    sanitizer_logs: list[Path] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The package directory (test binaries run there), relative when under the current one."""
        cwd = self.meta.get("cwd")
        if not cwd:
            return str(self.meta.get("binary") or self.directory.name)
        path = Path(str(cwd))
        return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)

    @property
    def trace(self) -> Path | None:
        path = self.directory / "trace.out"
        return path if path.is_file() and path.stat().st_size else None

    @property
    def maps(self) -> Path | None:
        """``/proc/PID/maps`` of a process that failed, as the exec wrapper captured it."""
        path = self.directory / "maps.txt"
        return path if path.is_file() else None

    @property
    def returncode(self) -> int | None:
        code = self.meta.get("returncode")
        return code if isinstance(code, int) else None


def wrapped_processes(root: Path) -> list[ProcessLog]:
    """The process directories the exec wrapper made under ``root``, oldest first."""
    logs = []
    for meta_path in root.glob("*/meta.json"):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        directory = meta_path.parent
        logs.append(ProcessLog(directory, directory / "output.log", meta, _sanitizer_logs(directory)))
    return sorted(logs, key=lambda log: float(log.meta.get("start", 0)))  # type: ignore[arg-type]


def unwrapped_process(directory: Path, output: Path) -> ProcessLog:
    """The logs of a command run without the wrapper: its output and every sanitizer log."""
    return ProcessLog(directory, output, {}, _sanitizer_logs(directory))


def _sanitizer_logs(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file() and p.name.startswith(SANITIZER_LOG_PREFIXES))


def write_analysis_input(log: ProcessLog, destination: Path) -> Path:
    """One file with the process's sanitizer reports, the runtime's dump at the sanitizer's
    abort right after them, and the rest of its output.

    With ``abort_on_error=1`` the sanitizer's abort makes the Go runtime print a dump: the
    goroutine blocked in the cgo call, or, when the fault was in Go code, the Go callers marked
    in a stack hexdump. Placed right after the report, the report parser folds that dump into
    the report (it is the report's missing Go side, not a crash of its own).
    """
    with open(destination, "wb") as sink:
        for path in log.sanitizer_logs:
            _copy_lines(path, sink)
        if log.output.is_file():
            abort_at = _induced_abort_offset(log.output) if log.sanitizer_logs else None
            if abort_at is None:
                _write_all(drop_thread_dumps(_lines(log.output)), sink)
            else:
                _write_all(drop_thread_dumps(_lines(log.output, start=abort_at)), sink)
                sink.write(b"\n")
                _write_all(_lines(log.output, end=abort_at), sink)
    return destination


def _induced_abort_offset(path: Path) -> int | None:
    """Where the runtime's ``SIGABRT: abort`` dump begins in a process's output, if it has one."""
    offset = 0
    for line in _lines(path):
        if line.startswith(_SIGABRT):
            return offset
        offset += len(line)
    return None


def drop_thread_dumps(lines: Iterator[bytes]) -> Iterator[bytes]:
    """Stop at the per-thread SIGQUIT dumps GOTRACEBACK=crash appends to a crash report."""
    held: list[bytes] = []
    for line in lines:
        if held:
            held.append(line)
            if line.startswith(_THREAD_DUMP_HEADER):
                return
            if line.strip():
                yield from held
                held = []
        elif line.rstrip() == _THREAD_DUMP_SEPARATOR:
            held.append(line)
        else:
            yield line
    yield from held


def _lines(path: Path, start: int = 0, end: int | None = None) -> Iterator[bytes]:
    """The lines of ``path`` between byte offsets ``start`` and ``end`` (line boundaries)."""
    with open(path, "rb") as stream:
        stream.seek(start)
        position = start
        for line in stream:
            if end is not None and position >= end:
                return
            position += len(line)
            yield line


def _copy_lines(path: Path, sink: BinaryIO) -> None:
    _write_all(_lines(path), sink)
    sink.write(b"\n")


def _write_all(lines: Iterator[bytes], sink: BinaryIO) -> None:
    for line in lines:
        sink.write(line)
