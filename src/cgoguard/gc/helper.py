"""Build (once) and run the Go helper that decodes execution traces.

The trace format is Go's own (varint batches, per-generation tables, changed in 1.22), so the
decoding is left to ``golang.org/x/exp/trace`` in a small program shipped in
``tracehelper/``. It is built on first use into a cache directory keyed by its source and
the Go version, and prints JSON lines that :mod:`cgoguard.gc.correlate` reads.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cgoguard.errors import CgoguardError

HELPER_SOURCE = Path(__file__).with_name("tracehelper")
HELPER_FILES = ("go.mod", "go.sum", "main.go")
BUILD_TIMEOUT_S = 600


def cache_dir() -> Path:
    explicit = os.environ.get("CGOGUARD_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cgoguard"


def _go() -> str:
    go = shutil.which("go")
    if go is None:
        raise CgoguardError("decoding an execution trace needs the Go toolchain: `go` is not in PATH")
    return go


def _go_version(go: str) -> str:
    result = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, timeout=60)
    return result.stdout.strip() or "unknown"


def helper_binary() -> Path:
    """The built helper, building it when the cache has none for this source and Go."""
    go = _go()
    digest = hashlib.sha256(_go_version(go).encode())
    for name in HELPER_FILES:
        digest.update(name.encode() + (HELPER_SOURCE / name).read_bytes())
    binary = cache_dir() / f"tracehelper-{digest.hexdigest()[:16]}" / "tracehelper"
    if not binary.exists():
        _build(go, binary)
    return binary


def _build(go: str, binary: Path) -> None:
    binary.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cgoguard-tracehelper-") as work:
        for name in HELPER_FILES:
            shutil.copyfile(HELPER_SOURCE / name, Path(work) / name)
        # Build next to the final path and rename, so a concurrent run never sees half a file.
        partial = binary.with_name(f".tracehelper-{os.getpid()}")
        env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=readonly"}
        try:
            result = subprocess.run([go, "build", "-trimpath", "-o", str(partial), "."], cwd=work, env=env,
                                    capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            raise CgoguardError("building the trace helper timed out (is the Go module proxy reachable?)") \
                from exc
        if result.returncode != 0:
            detail = result.stderr.strip().splitlines()[-5:]
            raise CgoguardError(
                "could not build the trace helper (it needs Go 1.26+ or GOTOOLCHAIN=auto, and "
                "golang.org/x/exp from the module proxy or the module cache):\n  " + "\n  ".join(detail))
        os.replace(partial, binary)


def decode_trace(trace_path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Run the helper on a trace file and yield its records as they are printed."""
    path = Path(trace_path)
    if not path.is_file():
        raise CgoguardError(f"{path}: no such trace file")
    with subprocess.Popen([str(helper_binary()), str(path)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None and process.stderr is not None
        for line in process.stdout:
            yield json.loads(line)
        stderr = process.stderr.read()
        if process.wait() != 0:
            message = stderr.strip().removeprefix("tracehelper: ") or f"exit status {process.returncode}"
            raise CgoguardError(f"{path}: cannot decode the execution trace: {message}")
