"""Child processes: own process group, killed as a whole on timeout, output kept in full."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gotools import REPO_ROOT, requires_go

from cgoguard.cli import main
from cgoguard.runner.process import run_command

SRC = REPO_ROOT / "src"


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def wait_dead(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    script = f"sleep 300 & echo $! > {pid_file}; echo started; wait"
    outcome = run_command(["sh", "-c", script], cwd=tmp_path, env=dict(os.environ),
                          output=tmp_path / "out.log", timeout=1.0)
    assert outcome.timed_out and outcome.returncode is None
    assert 1.0 <= outcome.seconds < 10
    assert wait_dead(int(pid_file.read_text())), "the background grandchild survived the timeout"
    assert (tmp_path / "out.log").read_text() == "started\n"


def test_output_is_captured_in_full(tmp_path: Path) -> None:
    outcome = run_command(["sh", "-c", "seq 1 200000; seq 1 5 >&2; exit 3"], cwd=tmp_path,
                          env=dict(os.environ), output=tmp_path / "out.log", timeout=60)
    assert outcome.returncode == 3 and not outcome.timed_out
    lines = (tmp_path / "out.log").read_text().splitlines()
    assert len(lines) == 200005 and lines[199999] == "200000"


def test_a_command_that_cannot_start_is_reported(tmp_path: Path) -> None:
    outcome = run_command(["/nonexistent/tool"], cwd=tmp_path, env=dict(os.environ),
                          output=tmp_path / "out.log", timeout=5)
    assert outcome.returncode is None and "cannot start /nonexistent/tool" in outcome.start_error


@requires_go
def test_cli_timeout_is_a_timed_out_check_and_strict_exits_2(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    report = tmp_path / "report.json"
    code = main(["run", "--check", "cgocheck", "--timeout", "1", "--strict", "--no-static", "-C", str(tmp_path),
                 "--format", "json", "-o", str(report), "--",
                 "sh", "-c", f"sleep 300 & echo $! > {pid_file}; wait"])
    assert code == 2
    (check,) = json.loads(report.read_text())["checks"]
    assert check["check"] == "cgocheck" and check["status"] == "timed out"
    assert "--timeout" in check["message"]
    assert wait_dead(int(pid_file.read_text()))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pid", "report.json"]  # nothing else written


@requires_go
def test_any_command_gets_the_check_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOFLAGS", raising=False)  # the user's own GOFLAGS would be kept in front
    report = tmp_path / "report.json"
    dump = tmp_path / "env.txt"
    code = main(["run", "--check", "race,cgocheck2", "--no-static", "-C", str(tmp_path), "--format", "json",
                 "-o", str(report), "--strict", "--",
                 "sh", "-c", f'echo "$GOFLAGS|$GOEXPERIMENT|$GORACE" >> {dump}'])
    assert code == 0
    cgocheck2, race = dump.read_text().splitlines()  # checks run in their canonical order
    assert race.startswith("-race||log_path=")
    assert cgocheck2.endswith("|cgocheck2|")
    statuses = {c["check"]: c["status"] for c in json.loads(report.read_text())["checks"]}
    assert statuses == {"cgocheck2": "passed", "race": "passed"}


def _default_sigint() -> None:
    """A job started in the background by a non-interactive shell inherits SIGINT ignored;
    the child must see Ctrl-C as a user's terminal would deliver it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@requires_go
def test_ctrl_c_ends_the_running_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    cgoguard = subprocess.Popen(
        [sys.executable, "-m", "cgoguard", "run", "--check", "cgocheck,race", "--no-static", "-C", str(tmp_path),
         "--", "sh", "-c", f"sleep 300 & echo $! >> {pid_file}; wait"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    cgoguard.send_signal(signal.SIGINT)
    _, stderr = cgoguard.communicate(timeout=30)
    assert cgoguard.returncode == 130 and "interrupted" in stderr
    assert wait_dead(int(pid_file.read_text()))
    assert pid_file.read_text().count("\n") == 1, "the next check must not start after Ctrl-C"
