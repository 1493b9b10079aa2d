"""``go test -exec`` / ``go run -exec`` wrapper: every Go process gets its own log directory.

``go test ./...`` runs one test binary per package, all with the same environment, so
sanitizer logs, traces and output would be mixed up. cmd/go runs ``<this script> <config>
<binary> <args>`` instead of the binary; the script makes a fresh directory under the
session's log root, points each sanitizer's ``log_path`` and the execution trace into it,
and copies the binary's output both to its own stdout/stderr (so ``go test`` still reports
as usual) and into ``output.log``.

While a process runs, the wrapper keeps a recent copy of its ``/proc/PID/maps`` and takes
one more the moment the process starts printing a crash (or a sanitizer log appears); when
the process dies with an error, ``maps.txt`` holds that map and the mappings (or parts of
mappings) that existed earlier but were gone at the crash, so a fault address can be
classified (unmapped, guard page, PROT_NONE reservation, ...).

A crash ends a test binary inside the test that caused it, hiding every test after it. So
when a test binary dies mid-run, the wrapper runs it again, in a new directory, with
``-test.skip`` for the tests that crashed so far, until every test has run (at most
``MAX_RUNS`` times). Re-running the binary directly costs a fraction of another ``go test``.

Runs as a plain script (no cgoguard imports): only the standard library is available.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

CHUNK = 64 * 1024
MAX_RUNS = 12
_RUN = re.compile(rb"^=== RUN\s+(\S+)")
_SUMMARY = re.compile(rb"^(PASS|FAIL)\s*$")
# go test -json runs test binaries with -test.v=test2json, which frames these lines with ^V.
_TEST2JSON_MARK = b"\x16"
MAPS_INTERVAL_S = 0.25  # how old the last periodic snapshot can be when a crash is missed
MAX_EARLIER_MAPPINGS = 4096  # gone mappings kept for maps.txt (the newest)
# Output that starts a crash report: the process is still alive while it prints the rest.
_CRASH_MARKS = (b"SIGSEGV", b"SIGBUS", b"unexpected signal", b"Sanitizer:", b"SIGABRT", b"SIGILL", b"SIGFPE")
# The same text as cgoguard.reports.faultaddr.EARLIER_MARKER (this script imports nothing of cgoguard).
EARLIER_MARKER = "# cgoguard: mapped earlier in the run, unmapped by the time of the snapshot above"


def main(argv: list[str]) -> int:
    config = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    binary, args = argv[2], argv[3:]
    if not Path(binary).name.endswith(".test"):
        return _exit_status(_run_once(config, binary, args, test=False)[0])
    skipped: list[str] = []
    first_failure = 0
    for _ in range(MAX_RUNS):
        returncode, output = _run_once(config, binary, _with_skip(args, skipped), test=True)
        first_failure = first_failure or returncode
        crashed = crashed_test(output) if returncode != 0 else None
        if crashed is None or crashed in skipped or _user_skip(args) is None:
            break
        skipped.append(crashed)
        print(f"cgoguard: {crashed} crashed the test binary; running the tests after it", file=sys.stderr)
    return _exit_status(first_failure)


def crashed_test(output: Path) -> str | None:
    """The top-level test a test binary was running when it died, if it died mid-run.

    A binary that ran every test prints a final ``PASS``/``FAIL`` line (a leak report may
    follow it); one that crashed or panicked stops inside the last test it started.
    """
    last_started: str | None = None
    with open(output, "rb") as stream:
        for raw in stream:
            line = raw.lstrip(_TEST2JSON_MARK)
            if match := _RUN.match(line):
                name = match[1].decode("utf-8", "replace")
                if "/" not in name:
                    last_started = name
            elif _SUMMARY.match(line):
                return None
    return last_started


def _with_skip(args: list[str], skipped: list[str]) -> list[str]:
    if not skipped:
        return args
    ours = "^(" + "|".join(re.escape(name) for name in skipped) + ")$"
    user = _user_skip(args)
    kept = [a for a in args if not a.startswith(("-test.skip=", "--test.skip="))]
    return [f"-test.skip={user}|{ours}" if user else f"-test.skip={ours}", *kept]


def _user_skip(args: list[str]) -> str | None:
    """The user's -skip pattern ("" when none); None when it has subtest levels we cannot extend."""
    for arg in args:
        if arg.startswith(("-test.skip=", "--test.skip=")):
            pattern = arg.split("=", 1)[1]
            return None if "/" in pattern else pattern
    return ""


def _run_once(config: dict[str, Any], binary: str, args: list[str], *, test: bool) -> tuple[int, Path]:
    proc_dir = Path(tempfile.mkdtemp(prefix=Path(binary).name + "-", dir=config["logs"]))
    env = {**os.environ, **config.get("env", {})}
    for name, separator in config.get("log_options", {}).items():
        current = env.get(name, "").strip(separator + " ")
        log_path = f"log_path={proc_dir / name.split('_')[0].lower()}"
        env[name] = separator.join(filter(None, [current, log_path]))
    extra: list[str] = []
    if test:
        extra.append("-test.v=true")  # "=== RUN" lines tell which test was running at a crash
        if config.get("test_trace"):
            extra.append(f"-test.trace={proc_dir / 'trace.out'}")
    meta: dict[str, Any] = {"binary": binary, "args": args, "cwd": os.getcwd(), "test": test,
                            "start": time.time()}
    _write_meta(proc_dir, meta)
    output = proc_dir / "output.log"
    # Our flags first: the user's own -test.v (e.g. test2json for go test -json) wins.
    command = [binary, *extra, *args]
    if config.get("perf_record"):  # the profile check: keep the binary, go test removes its copy
        _keep_binary(binary, proc_dir / "binary")
        command = [*config["perf_record"], "-o", str(proc_dir / "perf.data"), "--", *command]
    returncode = _run(command, env, output)
    meta.update(returncode=returncode, end=time.time())
    _write_meta(proc_dir, meta)
    return returncode, output


def _keep_binary(binary: str, copy: Path) -> None:
    try:
        os.link(binary, copy)
    except OSError:
        with contextlib.suppress(OSError):  # without it, the profile has no source lines
            shutil.copy2(binary, copy)


def _run(command: list[str], env: dict[str, str], log_path: Path) -> int:
    lock = threading.Lock()
    with open(log_path, "wb") as log:
        child = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        watcher = MapsWatcher(child.pid, log_path.parent)
        # The runner ends the whole process group; pass a terminal's interrupt on, too.
        signal.signal(signal.SIGINT, lambda *_: child.send_signal(signal.SIGINT))
        copiers = [threading.Thread(target=_copy, args=(stream, target, log, lock, watcher), daemon=True)
                   for stream, target in ((child.stdout, sys.stdout.buffer), (child.stderr, sys.stderr.buffer))]
        for copier in copiers:
            copier.start()
        returncode = child.wait()
        for copier in copiers:
            copier.join()
        watcher.finish(returncode, command[0])
    return returncode


def _copy(stream: BinaryIO, target: BinaryIO, log: BinaryIO, lock: threading.Lock, watcher: MapsWatcher) -> None:
    while chunk := stream.read1(CHUNK):  # type: ignore[attr-defined]
        watcher.saw(chunk)
        with lock:
            log.write(chunk)
            log.flush()
        try:
            target.write(chunk)
            target.flush()
        except OSError:
            pass  # go test stopped reading; the log keeps everything


class MapsWatcher:
    """Snapshots of a child's ``/proc/PID/maps``: periodic, and one at the start of a crash.

    What matters at a crash is what was mapped and is gone, so each snapshot is compared with
    the one before: every part of an earlier mapping the newer snapshot no longer covers is
    kept as *gone*, with its own range. Whole lines would not do: the kernel merges adjacent
    anonymous mappings of the same permissions into one line, so a buffer is often seen only
    inside a bigger line whose other part outlives it.
    """

    def __init__(self, pid: int, proc_dir: Path) -> None:
        self.maps = Path(f"/proc/{pid}/maps")
        self.pid = pid
        self.proc_dir = proc_dir
        self.lock = threading.Lock()  # the watcher thread and the output copiers both take snapshots
        self.stopped = threading.Event()
        self.latest: list[str] = []
        self.latest_time = 0.0
        self.at_crash = False
        self.gone: dict[str, None] = {}  # pieces of mappings that disappeared, newest last (bounded)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def saw(self, chunk: bytes) -> None:
        """Output from the process: the start of a crash report is snapshotted at once.

        In the copier's own thread: the process exits milliseconds after its report, and
        waking another thread first loses that race on a loaded machine.
        """
        if not self.at_crash and any(mark in chunk for mark in _CRASH_MARKS):
            self.snapshot(crash=True)

    def _loop(self) -> None:
        while not self.stopped.wait(MAPS_INTERVAL_S) and not self.at_crash:
            self.snapshot(crash=self._sanitizer_log_appeared())

    def snapshot(self, *, crash: bool = False) -> None:
        with self.lock:
            if self.at_crash or self.stopped.is_set():
                return
            lines = self._read()
            if not lines:
                return  # the process is gone (or not ours to read)
            current = Coverage(lines)
            for line in self.latest:
                for piece in current.uncovered(line):
                    self._remember_gone(piece)
            self.latest, self.latest_time, self.at_crash = lines, time.time(), crash

    def _remember_gone(self, piece: str) -> None:
        self.gone.pop(piece, None)
        self.gone[piece] = None
        if len(self.gone) > MAX_EARLIER_MAPPINGS:  # the oldest matter least at a crash
            del self.gone[next(iter(self.gone))]

    def _sanitizer_log_appeared(self) -> bool:
        try:
            return any(name.startswith(("asan.", "gorace.")) for name in os.listdir(self.proc_dir))
        except OSError:
            return False

    def _read(self) -> list[str]:
        try:
            return self.maps.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []

    def finish(self, returncode: int, binary: str) -> None:
        """Stop; when the process failed, write ``maps.txt`` for the report analysis."""
        self.stopped.set()
        self.thread.join(timeout=5)
        with self.lock:
            if returncode == 0 or not self.latest:
                return
            when = ("at the crash" if self.at_crash
                    else f"{max(0.0, time.time() - self.latest_time):.2f} s before it exited")
            text = [f"# /proc/{self.pid}/maps of {Path(binary).name}, captured {when}", *self.latest]
            # Newest first: the classifier takes the first gone mapping that holds the address.
            # A piece mapped again by the last snapshot is not gone.
            current = Coverage(self.latest)
            earlier = [part for piece in reversed(self.gone) for part in current.uncovered(piece)]
        if earlier:
            text += [EARLIER_MARKER, *earlier]
        (self.proc_dir / "maps.txt").write_text("\n".join(text) + "\n", encoding="utf-8")


class Coverage:
    """The address ranges of one maps snapshot, to find what part of another mapping they miss."""

    def __init__(self, lines: list[str]) -> None:
        self.ranges = sorted(r for r in map(_range, lines) if r[0] < r[1])
        self.starts = [start for start, _ in self.ranges]

    def uncovered(self, line: str) -> list[str]:
        """The parts of ``line``'s mapping that no range covers, as maps lines."""
        start, end = _range(line)
        pieces: list[tuple[int, int]] = []
        cursor = start
        index = max(0, bisect.bisect_right(self.starts, start) - 1)
        while cursor < end and index < len(self.ranges) and self.ranges[index][0] < end:
            covered_start, covered_end = self.ranges[index]
            if covered_start > cursor:
                pieces.append((cursor, covered_start))
            cursor = max(cursor, covered_end)
            index += 1
        if cursor < end:
            pieces.append((cursor, end))
        if pieces == [(start, end)]:
            return [line]
        return [_with_range(line, piece_start, piece_end) for piece_start, piece_end in pieces]


def _range(line: str) -> tuple[int, int]:
    try:
        start, _, end = line.split(" ", 1)[0].partition("-")
        return int(start, 16), int(end, 16)
    except ValueError:
        return 0, 0


def _with_range(line: str, start: int, end: int) -> str:
    """A maps line for part of the mapping ``line`` describes (a file offset moves with the start)."""
    fields = line.split(None, 5)
    if len(fields) < 5:
        return f"{start:08x}-{end:08x}"
    address_range, perms, offset, device, inode = fields[:5]
    name = f" {fields[5]}" if len(fields) > 5 else ""
    try:
        if inode != "0":
            offset = f"{int(offset, 16) + start - _range(address_range)[0]:08x}"
    except ValueError:
        pass
    return f"{start:08x}-{end:08x} {perms} {offset} {device} {inode}{name}"


def _exit_status(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def _write_meta(proc_dir: Path, meta: dict[str, Any]) -> None:
    temporary = proc_dir / "meta.json.tmp"
    temporary.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(temporary, proc_dir / "meta.json")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
