"""``go test -exec`` / ``go run -exec`` wrapper: gives every Go process its own log directory.

``go test ./...`` runs one test binary per package, all with the same environment, so
sanitizer logs, traces and output would be mixed up. cmd/go runs ``<this script> <config>
<binary> <args>`` instead of the binary; the script makes a fresh directory under the
session's log root, points each sanitizer's ``log_path`` and the execution trace into it,
and copies the binary's output both to its own stdout/stderr (so ``go test`` still reports
as usual) and into ``output.log``.

Runs as a plain script (no cgoguard imports): only the standard library is available.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import BinaryIO

CHUNK = 64 * 1024


def main(argv: list[str]) -> int:
    config = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    binary, args = argv[2], argv[3:]
    cwd = os.getcwd()
    is_test = Path(binary).name.endswith(".test")
    only = config.get("only_dirs")
    if is_test and only is not None and cwd not in only:
        # A re-run after a crash concerns other packages: this one already ran to the end.
        print("PASS")
        return 0
    proc_dir = Path(tempfile.mkdtemp(prefix=Path(binary).name + "-", dir=config["logs"]))
    env = dict(os.environ)
    for name, separator in config.get("log_options", {}).items():
        current = env.get(name, "").strip(separator + " ")
        env[name] = separator.join(filter(None, [current, f"log_path={proc_dir / name.split('_')[0].lower()}"]))
    extra: list[str] = []
    if is_test:
        extra.append("-test.v=true")  # "=== RUN" lines tell which test was running at a crash
        if config.get("test_trace"):
            extra.append(f"-test.trace={proc_dir / 'trace.out'}")
    meta = {"binary": binary, "args": args, "cwd": cwd, "test": is_test, "start": time.time()}
    _write_meta(proc_dir, meta)
    returncode = _run([binary, *extra, *args], env, proc_dir / "output.log")
    meta.update(returncode=returncode, end=time.time())
    _write_meta(proc_dir, meta)
    if returncode < 0:
        return 128 - returncode
    return returncode


def _run(command: list[str], env: dict[str, str], log_path: Path) -> int:
    lock = threading.Lock()
    with open(log_path, "wb") as log:
        child = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        # The runner ends the whole process group; pass a terminal's interrupt on, too.
        signal.signal(signal.SIGINT, lambda *_: child.send_signal(signal.SIGINT))
        copiers = [threading.Thread(target=_copy, args=(stream, target, log, lock), daemon=True)
                   for stream, target in ((child.stdout, sys.stdout.buffer), (child.stderr, sys.stderr.buffer))]
        for copier in copiers:
            copier.start()
        returncode = child.wait()
        for copier in copiers:
            copier.join()
    return returncode


def _copy(stream: BinaryIO, target: BinaryIO, log: BinaryIO, lock: threading.Lock) -> None:
    while chunk := stream.read1(CHUNK):  # type: ignore[attr-defined]
        with lock:
            log.write(chunk)
            log.flush()
        try:
            target.write(chunk)
            target.flush()
        except OSError:
            pass  # go test stopped reading; the log keeps everything


def _write_meta(proc_dir: Path, meta: dict[str, object]) -> None:
    temporary = proc_dir / "meta.json.tmp"
    temporary.write_text(json.dumps(meta), encoding="utf-8")
    shutil.move(temporary, proc_dir / "meta.json")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
