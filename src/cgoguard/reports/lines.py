"""Streaming input: turn files, directories and stdin into clean text lines.

Logs arrive with ANSI colours, CRLF line ends, container or timestamp prefixes and
arbitrary bytes. Every input is read line by line with a cap on the line length, so memory
stays bounded whatever the size of the log; a line longer than :data:`MAX_LINE_BYTES` is cut
and the rest of it skipped.
"""

from __future__ import annotations

import codecs
import io
import json
import re
from collections.abc import Iterable, Iterator
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


# What a file that is not a log usually is, by its first significant line.
_NOT_A_LOG = (
    (re.compile(r"^package [A-Za-z_]\w*\s*(?://.*)?$"), "Go source"),
    (re.compile(r'^#\s*(?:include\s*[<"]|define\s|ifndef\s|pragma\s)'), "C source"),
    (re.compile(r"^module\s+\S+\s*$"), "a go.mod file"),
    (re.compile(r'^\{\s*"\$schema"\s*:\s*"[^"]*sarif'), "a SARIF document"),
    (re.compile(r'^\{\s*"tool"\s*:\s*\{\s*"name"\s*:\s*"cgoguard"'), "cgoguard's own JSON output"),
)


def not_a_log(probe: bytes) -> str:
    """What the file is, when its start shows it is not a log (Go or C source, a report of ours)."""
    text = probe.decode("utf-8", "replace")
    for raw in text.splitlines()[:40]:
        line = raw.strip()
        if not line or line.startswith(("//", "/*", "*")):
            continue
        return next((what for pattern, what in _NOT_A_LOG if pattern.search(line)), "")
    return ""


_TEST2JSON = re.compile(r'^\{"(?:Time|Action)":')


def unwrap_test2json(lines: Iterable[str]) -> Iterator[str]:
    """``go test -json`` output turned back into the text the tests printed.

    Each ``{"Time":...,"Action":"output",...,"Output":"line\n"}`` event yields its output;
    other events (run, pass, fail) are dropped; lines that are not events pass unchanged.
    """
    for line in lines:
        if not _TEST2JSON.match(line):
            yield line
            continue
        try:
            event = json.loads(line)
        except ValueError:
            yield line
            continue
        output = event.get("Output") if isinstance(event, dict) else None
        if isinstance(output, str):
            yield from output.rstrip("\n").split("\n")


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


def iter_file_lines(path: Path, errors: list[InputError], *, named: bool = True,
                    skipped: list[str] | None = None) -> Iterator[str]:
    """Raw lines of one file; records an :class:`InputError` for unreadable or binary files, and
    for a file named on the command line that is not a log (source code found while walking a
    directory is skipped quietly)."""
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
        if (what := not_a_log(probe)) and named:
            errors.append(InputError(str(path), f"not a log: this is {what}; give the output the program "
                                                "printed (e.g. go test ./... 2>&1 | cgoguard report -)"))
            return
        if what:
            if skipped is not None:
                skipped.append(str(path))
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
