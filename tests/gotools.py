"""Test helpers for the real Go toolchain: detection, skip markers and cached cgo builds.

Programs are built once per content hash into a cache shared across test sessions (and CI
runs on the same machine), so the suite stays fast while always testing real binaries.
Import from here (``from gotools import build_go``), not from conftest: several test
folders have a conftest.py and the name is ambiguous.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CGOGUARD_SHARED", REPO_ROOT.parent / "shared"))
BUILD_CACHE = Path(os.environ.get("CGOGUARD_TEST_BUILD_CACHE",
                                  Path.home() / ".cache" / "cgoguard-test-builds"))


def have_go() -> bool:
    return shutil.which("go") is not None and (shutil.which("gcc") or shutil.which("cc")) is not None


requires_go = pytest.mark.skipif(not have_go(), reason="needs the Go toolchain and a C compiler")


def _tree_hash(directory: Path, extra: str) -> str:
    digest = hashlib.sha256(extra.encode())
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(directory)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def build_go(source_dir: Path, *, flags: tuple[str, ...] = (), env: dict[str, str] | None = None,
             name: str = "prog", test: bool = False) -> Path:
    """Build (``go build`` or ``go test -c``) a Go package once per content+flags hash.

    The package needs a go.mod (one is written into a copy when missing).
    """
    if not have_go():
        pytest.skip("needs the Go toolchain and a C compiler")
    env_items = sorted((env or {}).items())
    key = _tree_hash(source_dir, f"{flags}{env_items}{test}")
    out_dir = BUILD_CACHE / key
    binary = out_dir / name
    if binary.exists():
        return binary
    work = out_dir.with_suffix(".src")
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(source_dir, work)
    if not (work / "go.mod").exists():
        (work / "go.mod").write_text("module example.com/prog\n\ngo 1.21\n")
    cmd = ["go", "test", "-c", "-o", str(binary)] if test else ["go", "build", "-o", str(binary)]
    out_dir.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, "CGO_ENABLED": "1", "GOFLAGS": "-mod=mod", **(env or {})}
    result = subprocess.run([*cmd, *flags, "."], cwd=work, env=full_env, capture_output=True, text=True,
                            timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"go build failed in {source_dir}:\n{result.stderr}")
    return binary


def build_go_tree(source_dir: Path, *, flags: tuple[str, ...] = (), env: dict[str, str] | None = None) -> Path:
    """``go build -o DIR/ ./...`` of a whole module (its go.mod included), once per content hash.

    Returns the directory holding one binary per main package, named after its directory.
    """
    if not have_go():
        pytest.skip("needs the Go toolchain and a C compiler")
    env_items = sorted((env or {}).items())
    key = _tree_hash(source_dir, f"tree{flags}{env_items}")
    out_dir = BUILD_CACHE / key / "bin"
    if (out_dir.parent / "done").exists():
        return out_dir
    work = out_dir.parent / "src"
    shutil.rmtree(out_dir.parent, ignore_errors=True)
    shutil.copytree(source_dir, work)
    out_dir.mkdir(parents=True)
    full_env = {**os.environ, "CGO_ENABLED": "1", "GOFLAGS": "-mod=mod", **(env or {})}
    result = subprocess.run(["go", "build", "-o", str(out_dir) + os.sep, *flags, "./..."], cwd=work, env=full_env,
                            capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"go build failed in {source_dir}:\n{result.stderr}")
    (out_dir.parent / "done").write_text("")
    return out_dir
