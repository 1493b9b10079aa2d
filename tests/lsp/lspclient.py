"""A minimal Language Server Protocol client over a subprocess's stdio, for tests."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from typing import Any


class LspClient:
    def __init__(self, command: list[str], cwd: str) -> None:
        self.process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        self.seen: list[dict[str, Any]] = []  # every message read, in order
        self.stderr = bytearray()  # drained as it comes, so a chatty server never blocks on a full pipe
        for target in (self._read, self._drain_stderr):
            threading.Thread(target=target, daemon=True).start()

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for chunk in iter(lambda: self.process.stderr.read1(65536), b""):  # type: ignore[union-attr]
            self.stderr += chunk

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            self.messages.put(json.loads(stream.read(length)))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self.send({"method": method, "params": params or {}})

    def request(self, method: str, params: dict[str, Any] | None = None, timeout: float = 60) -> Any:
        self.next_id += 1
        request_id = self.next_id
        self.send({"id": request_id, "method": method, "params": params or {}})
        reply = self.wait_for(lambda m: m.get("id") == request_id and "method" not in m, timeout)
        assert "error" not in reply, reply
        return reply.get("result")

    def wait_for(self, accept: Any, timeout: float = 60) -> dict[str, Any]:
        """The next message ``accept`` takes (every message read is kept in ``seen``)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no matching message from the language server")
            message = self.messages.get(timeout=remaining)
            self.seen.append(message)
            if accept(message):
                return message

    def close(self) -> int:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        return self.process.returncode
