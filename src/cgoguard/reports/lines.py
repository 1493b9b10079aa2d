"""Streaming input: turn files, directories and stdin into clean text lines.

Logs arrive with ANSI colours, CRLF line ends, container or timestamp prefixes and
arbitrary bytes. Every input is read line by line with a cap on the line length, so memory
stays bounded whatever the size of the log; a line longer than :data:`MAX_LINE_BYTES` is cut
and the rest of it skipped.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from cgoguard.findings import InputError

MAX_LINE_BYTES = 8192
_CHUNK_BYTES = 256 * 1024
_BINARY_PROBE_BYTES = 8192

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]")
# Prefixes that loggers, container runtimes and CI systems put before each line. Each
# alternative is anchored and followed by whitespace, so report text itself never matches.
_PREFIX = re.compile(
    r"""^(?:
        \d{4}-\d\d-\d\d[T\ ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\s+    # ISO-8601 / docker --timestamps
      | \d{4}/\d\d/\d\d\ \d\d:\d\d:\d\d(?:\.\d+)?\s+                              # Go's log package
      | [A-Z][a-z]{2}\ [\ \d]\d\ \d\d:\d\d:\d\d(?:\.\d+)?\s+(?:[\w.-]+\ [\w./-]+(?:\[\d+\])?:\s+)?  # syslog/journald
      | \[\d{4}-\d\d-\d\d[T\ ][\d:.,]+Z?\]\s*                                      # [2024-01-01 10:00:00.123]
      | \[(?:pid\ )?\d+\]\s+                                                       # [1234] / [pid 1234]
      | [\w.-]+\s+\|\ ?                                                            # docker compose "svc-1  | "
    )""",
    re.VERBOSE,
)


def clean_line(raw: str) -> str:
    """Remove colours, line ends and log prefixes, and surrounding whitespace."""
    if "\x1b" in raw:
        raw = _ANSI.sub("", raw)
    line = raw.rstrip("\r\n").strip()
    # Prefixes can stack (a docker prefix before a timestamp); three rounds cover real logs.
    for _ in range(3):
        if not line or not (line[0].isalnum() or line[0] == "["):
            break
        match = _PREFIX.match(line)
        if match is None or match.end() == 0:
            break
        line = line[match.end():].lstrip()
    return line


def iter_binary_lines(stream: BinaryIO) -> Iterator[str]:
    """Decoded lines of a byte stream (without line ends), each cut to :data:`MAX_LINE_BYTES`.

    Reads fixed-size chunks and decodes each run of complete lines at once: per-line
    ``readline`` and ``decode`` calls would cost more than the parsing itself.
    """
    pending = b""
    skipping = False  # inside the tail of a line already cut
    while chunk := stream.read(_CHUNK_BYTES):
        if skipping:
            newline = chunk.find(b"\n")
            if newline < 0:
                continue
            chunk, skipping = chunk[newline + 1:], False
        data = pending + chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data
        else:
            pending = data[cut + 1:]
            for line in data[:cut].decode("utf-8", "replace").split("\n"):
                yield line if len(line) <= MAX_LINE_BYTES else line[:MAX_LINE_BYTES]
        if len(pending) > MAX_LINE_BYTES:
            yield pending[:MAX_LINE_BYTES].decode("utf-8", "replace")
            pending, skipping = b"", True
    if pending:
        yield pending.decode("utf-8", "replace")


def iter_text_lines(stream: TextIO) -> Iterator[str]:
    """Lines of a text stream (stdin), with the same length cap."""
    buffer = getattr(stream, "buffer", None)
    if isinstance(buffer, io.BufferedIOBase | io.RawIOBase):
        yield from iter_binary_lines(buffer)  # type: ignore[arg-type]
    else:
        yield from _iter_readline(stream)


def _iter_readline(stream: TextIO) -> Iterator[str]:
    while True:
        chunk = stream.readline(MAX_LINE_BYTES)
        if not chunk:
            return
        if not chunk.endswith("\n") and len(chunk) == MAX_LINE_BYTES:
            while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith("\n"):
                pass
        yield chunk


def looks_binary(probe: bytes) -> bool:
    """NUL bytes do not occur in text logs; they do in executables, core files and archives."""
    return b"\x00" in probe


def expand_inputs(inputs: list[str | Path], errors: list[InputError]) -> Iterator[Path]:
    """Files named directly, and every regular file below named directories (sorted)."""
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            yield path
        elif path.exists():
            errors.append(InputError(str(path), "not a regular file"))
        else:
            errors.append(InputError(str(path), "no such file or directory"))


def iter_file_lines(path: Path, errors: list[InputError]) -> Iterator[str]:
    """Raw lines of one file; records an :class:`InputError` for unreadable or binary files."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        errors.append(InputError(str(path), f"cannot read: {exc.strerror or exc}"))
        return
    with stream:
        try:
            probe = stream.peek(_BINARY_PROBE_BYTES)[:_BINARY_PROBE_BYTES]
        except OSError as exc:
            errors.append(InputError(str(path), f"cannot read: {exc.strerror or exc}"))
            return
        if probe.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            # PowerShell's `>` writes UTF-16: text, although every other byte is NUL.
            yield from _iter_utf16_lines(stream, path, errors)
            return
        if looks_binary(probe):
            errors.append(InputError(str(path), "binary file (not a text log); skipped"))
            return
        try:
            yield from iter_binary_lines(stream)
        except OSError as exc:
            errors.append(InputError(str(path), f"read error: {exc.strerror or exc}"))


def _iter_utf16_lines(stream: BinaryIO, path: Path, errors: list[InputError]) -> Iterator[str]:
    text = io.TextIOWrapper(stream, encoding="utf-16", errors="replace", newline="")  # type: ignore[type-var]
    try:
        yield from _iter_readline(text)
    except OSError as exc:
        errors.append(InputError(str(path), f"read error: {exc.strerror or exc}"))
    finally:
        text.detach()
