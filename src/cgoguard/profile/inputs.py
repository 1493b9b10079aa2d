"""Reading a profile named on the command line: ``perf script`` text, ``perf.data``, or pprof.

The kind is told from the content, not the name: ``perf.data`` starts with ``PERFILE2``, a Go
profile is gzip data holding a ``Profile`` message, ``perf script`` text has sample headers.
Text is streamed; a ``perf.data`` file is turned into text by running ``perf script`` on it
(only on that file, with fixed arguments, the user's perf configuration ignored, standard
input closed and a time limit), its output streamed into the same parser.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import threading
from pathlib import Path
from typing import BinaryIO

from cgoguard.errors import UsageError
from cgoguard.findings import InputError
from cgoguard.profile.model import StackCounts
from cgoguard.profile.perfscript import looks_like_perf_script, parse_perf_script_stream
from cgoguard.profile.pprof import ProfileFormatError, decode, looks_like_pprof, parse_pprof
from cgoguard.safeio import UNCONFINED

PERF_DATA_MAGIC = (b"PERFILE2", b"2ELIFREP")
MAX_PPROF_BYTES = 256 * 1024 * 1024
PERF_SCRIPT_TIMEOUT_S = 900.0
PERF_HINT = ("install perf (Debian: apt-get install linux-perf; Ubuntu: apt-get install linux-tools-generic), "
             "or run `perf script -i FILE > FILE.txt` where perf is and give the text")


class UnreadableProfile(Exception):
    """An input that is none of the known kinds, or damaged; the message says which."""


def kind_of(head: bytes) -> str:
    """``perf.data``, ``pprof``, ``perf script`` or ``""`` from a file's first bytes."""
    if head.startswith(PERF_DATA_MAGIC):
        return "perf.data"
    if looks_like_pprof(head):
        return "pprof"
    if looks_like_perf_script(head):
        return "perf script"
    return ""


def load(name: str, stdin: BinaryIO | None = None) -> StackCounts:
    """The counted stacks of one input (``-`` reads ``perf script`` text from ``stdin``)."""
    if name == "-":
        if stdin is None:
            raise UsageError("- names standard input, which is not available")
        return parse_perf_script_stream(stdin, "perf script")
    path = Path(name)
    try:
        UNCONFINED.check(path)
        if not stat.S_ISREG(os.stat(path).st_mode):  # before opening: a FIFO would block
            raise UnreadableProfile("not a regular file")
        with open(path, "rb") as stream:
            head = stream.read(64 * 1024)
            kind = kind_of(head)
            if kind == "perf script":
                stream.seek(0)
                return parse_perf_script_stream(stream, "perf script")
    except OSError as exc:
        raise UnreadableProfile(exc.strerror or str(exc)) from exc
    if kind == "perf.data":
        return run_perf_script(path)
    if kind == "pprof" or _is_raw_pprof(path, head):
        return _load_pprof(path)
    raise UnreadableProfile("neither perf script text, a perf.data file nor a Go CPU profile (pprof)")


def _is_raw_pprof(path: Path, head: bytes) -> bool:
    """An uncompressed ``Profile`` message (``pprof -proto`` can write one)."""
    if not head or head[0] != 0x0A or path.stat().st_size > MAX_PPROF_BYTES:  # field 1, length-delimited
        return False
    try:
        return bool(decode(path.read_bytes()).sample_types)
    except (ProfileFormatError, OSError):
        return False


def _load_pprof(path: Path) -> StackCounts:
    try:
        raw = UNCONFINED.read_bytes(path, MAX_PPROF_BYTES)
        return parse_pprof(raw, "pprof")
    except ProfileFormatError as exc:
        raise UnreadableProfile(f"damaged Go profile: {exc}") from exc
    except OSError as exc:
        raise UnreadableProfile(exc.strerror or str(exc)) from exc


def run_perf_script(path: Path, timeout: float = PERF_SCRIPT_TIMEOUT_S) -> StackCounts:
    """``perf script -i PATH``, its output parsed as it comes."""
    perf = shutil.which("perf")
    if perf is None:
        raise UnreadableProfile(f"a perf.data file, and perf is not installed to read it: {PERF_HINT}")
    env = {**os.environ, "PERF_CONFIG": os.devnull, "PAGER": "cat", "LC_ALL": "C"}
    command = [perf, "script", "-i", str(path.resolve())]
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env)
    except OSError as exc:
        raise UnreadableProfile(f"could not run perf script: {exc.strerror or exc}") from exc
    assert process.stdout is not None and process.stderr is not None
    stderr: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr.append(process.stderr.read(1 << 20)), daemon=True)  # type: ignore[union-attr]
    reader.start()
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        process.kill()

    timer = threading.Timer(timeout, stop)
    timer.start()
    try:
        counts = parse_perf_script_stream(process.stdout, "perf.data")
    finally:
        timer.cancel()
        process.stdout.close()
        returncode = process.wait()
        reader.join(timeout=5)
    message = b"".join(stderr).decode("utf-8", "replace").strip()
    if returncode != 0 and not counts.samples:
        why = f"timed out after {timeout:g} s" if timed_out.is_set() else f"exited with status {returncode}"
        raise UnreadableProfile(f"perf script {why}: {_last_lines(message) or 'no message'}")
    if returncode != 0:
        counts.errors.append(InputError(str(path), f"perf script exited with status {returncode} (the samples "
                                                   f"read before are analysed): {_last_lines(message)}"))
    return counts


def _last_lines(text: str, count: int = 3) -> str:
    return " ".join(line.strip() for line in text.splitlines()[-count:] if line.strip())
