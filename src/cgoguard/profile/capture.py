"""Recording a profile with perf, and saying clearly why it cannot be done here.

perf needs the ``perf_event_open`` system call, which the kernel restricts by
``/proc/sys/kernel/perf_event_paranoid`` (above 2: unprivileged users may not use it at all on
Debian and Ubuntu kernels), which container runtimes block with their default seccomp profile,
and which some virtual machines do not offer for hardware counters. :func:`perf_problem` tries
a one-sample recording of ``true`` and turns a failure into what to change. ``cpu-clock`` is a
software event: it works where the hardware counters (``cycles``) are not available.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from cgoguard.profile.inputs import PERF_HINT

SAMPLE_FREQUENCY = 999  # Hz: not a multiple of common timer rates, to avoid lock-step sampling
PARANOID = Path("/proc/sys/kernel/perf_event_paranoid")
_TIMEOUT_S = 60


def perf_env() -> dict[str, str]:
    """perf's environment: the user's ~/.perfconfig ignored, so output and events are ours."""
    return {**os.environ, "PERF_CONFIG": os.devnull, "PAGER": "cat", "LC_ALL": "C"}


def record_prefix(*, frequency: int = SAMPLE_FREQUENCY, perf: str | None = None) -> list[str]:
    """``perf record`` of CPU time with frame-pointer call stacks; append ``-o FILE -- COMMAND``.
    Frame pointers (``-g``) reach the Go caller of C code on Go 1.21 and later."""
    return [perf or shutil.which("perf") or "perf", "record", "-q", "-e", "cpu-clock", "-F", str(frequency), "-g"]


def record_command(output: Path, *, frequency: int = SAMPLE_FREQUENCY, perf: str | None = None) -> list[str]:
    """:func:`record_prefix` writing to ``output``; append ``--`` and the command."""
    return [*record_prefix(frequency=frequency, perf=perf), "-o", str(output)]


@lru_cache(maxsize=1)
def perf_problem() -> str:
    """Why perf cannot record here ("" when it can)."""
    perf = shutil.which("perf")
    if perf is None:
        return f"perf is not installed: {PERF_HINT}"
    with tempfile.TemporaryDirectory(prefix="cgoguard-perf-") as directory:
        output = Path(directory) / "probe.data"
        try:
            result = subprocess.run([*record_command(output, perf=perf), "--", "true"], capture_output=True,
                                    text=True, timeout=_TIMEOUT_S, stdin=subprocess.DEVNULL, env=perf_env(),
                                    check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            return f"perf could not be run: {exc}"
        if result.returncode == 0 and output.is_file():
            return ""
        return explain_failure(result.stderr or result.stdout)


def explain_failure(message: str) -> str:
    """What to change, from perf's error message and the system's settings."""
    text = " ".join(message.split())
    lowered = text.lower()
    if "not found for kernel" in lowered:  # Ubuntu's /usr/bin/perf wrapper without linux-tools
        return f"perf is not installed for this kernel ({text[:160]}): {PERF_HINT}"
    paranoid = _paranoid()
    if paranoid is not None and paranoid > 2 and os.geteuid() != 0:
        return (f"kernel.perf_event_paranoid is {paranoid}: unprivileged users may not use perf; set it to 2 "
                "(sysctl -w kernel.perf_event_paranoid=2) or give perf CAP_PERFMON")
    if "paranoid" in lowered or "permission" in lowered or "not permitted" in lowered or "eacces" in lowered:
        where = " in a container (its seccomp profile blocks perf_event_open: run it with --cap-add PERFMON or " \
                "--security-opt seccomp=unconfined)" if in_container() else ""
        level = f" (kernel.perf_event_paranoid is {paranoid})" if paranoid is not None else ""
        return f"perf may not open events{where}{level}: {text[-200:]}"
    if "function not implemented" in lowered or "enosys" in lowered or "not supported" in lowered:
        where = " in this container or virtual machine" if in_container() else ""
        return f"perf events are not available{where}: {text[-200:]}"
    return f"perf record failed: {text[-240:] or 'no message'}"


def in_container() -> bool:
    if Path("/.dockerenv").exists() or Path("/run/.containerenv").exists():
        return True
    try:
        cgroup = Path("/proc/1/cgroup").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(marker in cgroup for marker in ("docker", "kubepods", "containerd", "lxc", "podman"))


def _paranoid() -> int | None:
    try:
        return int(PARANOID.read_text().strip())
    except (OSError, ValueError):
        return None
