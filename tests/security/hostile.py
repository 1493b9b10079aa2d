"""Helpers for the hostile-tree tests: trees on disk, fake tools that record their calls,
and cgoguard run as a real subprocess with a time limit (a hang fails the test)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GO_MOD = "module example.com/hostile\n\ngo 1.22\n"
TIME_LIMIT_S = 120


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def fake_tools(directory: Path, calls: Path, names: tuple[str, ...] = ("pkg-config", "cc")) -> Path:
    """Executables that append their name and arguments to ``calls`` and print nothing."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        tool = directory / name
        tool.write_text(f'#!/bin/sh\necho "{name} $*" >> "{calls}"\n')
        tool.chmod(0o755)
    return directory


def recorded(calls: Path) -> list[str]:
    return calls.read_text().splitlines() if calls.exists() else []


def cgoguard(*args: str, cwd: Path, path_prefix: list[Path | str] | None = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    for name in ("CC", "PKG_CONFIG", "CGOGUARD_DEBUG"):
        environment.pop(name, None)
    if path_prefix is not None:
        environment["PATH"] = os.pathsep.join([*map(str, path_prefix), environment.get("PATH", "")])
    environment["XDG_CACHE_HOME"] = str(cwd / ".xdg-cache")  # the contracts cache stays in the test's tree
    return subprocess.run([sys.executable, "-m", "cgoguard", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=TIME_LIMIT_S, check=False)
