"""Run one command in its own process group, output to a file, killed on timeout or Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# After SIGTERM, how long the group gets to exit (cmd/go removes its temporary build
# directory) before SIGKILL.
GRACE_S = 3.0


# Process groups still running, so that Ctrl-C in the main thread can end the groups that
# worker threads (--jobs) started; once stopping, no new command starts.
_running: set[int] = set()
_running_lock = threading.Lock()
_stopping = threading.Event()


@dataclass(frozen=True, slots=True)
class Outcome:
    returncode: int | None  # None when the command could not be started or was killed
    timed_out: bool
    seconds: float
    start_error: str = ""


def run_command(argv: list[str], *, cwd: Path, env: dict[str, str], output: Path,
                timeout: float | None) -> Outcome:
    """Run ``argv``; stdout and stderr go, unbuffered by us, straight into ``output``."""
    started = time.monotonic()
    with open(output, "ab") as sink, _running_lock:
        if _stopping.is_set():
            return Outcome(None, False, 0.0, "interrupted")
        try:
            child = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=sink,
                                     stderr=subprocess.STDOUT, process_group=0)
        except OSError as exc:
            return Outcome(None, False, 0.0, f"cannot start {argv[0]}: {exc.strerror or exc}")
        _running.add(child.pid)
    try:
        returncode = child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _end_group(child)
        return Outcome(None, True, time.monotonic() - started)
    except BaseException:  # Ctrl-C (KeyboardInterrupt) or anything else: never leave the group behind
        _end_group(child)
        raise
    finally:
        with _running_lock:
            _running.discard(child.pid)
    _kill_group(child.pid, signal.SIGKILL)  # stray grandchildren (a test's daemon, ...)
    return Outcome(returncode, False, time.monotonic() - started)


def stop_all() -> None:
    """Ctrl-C: end every running group and start no new command."""
    with _running_lock:
        _stopping.set()
        groups = list(_running)
    for pgid in groups:
        _kill_group(pgid, signal.SIGTERM)
        _kill_group(pgid, signal.SIGKILL)


def _end_group(child: subprocess.Popen[bytes]) -> None:
    _kill_group(child.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=GRACE_S)
    _kill_group(child.pid, signal.SIGKILL)
    child.wait()


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@contextlib.contextmanager
def no_core_dumps() -> Iterator[None]:
    """GOTRACEBACK=crash and aborting sanitizers would drop core files into the user's tree."""
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))
