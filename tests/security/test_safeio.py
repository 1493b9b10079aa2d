"""cgoguard.safeio: what input names is read only if it is a regular file inside the roots."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from cgoguard.safeio import UNCONFINED, ReadScope, RefusedPath, is_regular_file, names_file


def finishes(action: Callable[[], object], seconds: float = 10.0) -> object:
    """``action()``'s result or exception; fails the test if it is still running after ``seconds``
    (opening a FIFO for reading blocks until a writer comes)."""
    outcome: list[object] = []

    def target() -> None:
        try:
            outcome.append(action())
        except BaseException as exc:  # handed back to the test
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"still running after {seconds} s (a blocking open?)"
    return outcome[0]


def test_regular_files_inside_the_roots_are_read(tmp_path: Path) -> None:
    (tmp_path / "a.h").write_text("int a;\n")
    (tmp_path / "sub").mkdir()
    os.symlink(tmp_path / "a.h", tmp_path / "sub" / "link.h")  # a link that stays inside
    scope = ReadScope([tmp_path])
    assert scope.read_bytes(tmp_path / "a.h", 100) == b"int a;\n"
    assert scope.read_bytes(tmp_path / "sub" / "link.h", 100) == b"int a;\n"
    assert scope.contains(tmp_path / "sub" / "link.h")


def test_a_link_out_of_the_roots_is_refused(tmp_path: Path) -> None:
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    tree.mkdir()
    outside.mkdir()
    (outside / "secret.h").write_text("secret\n")
    os.symlink(outside / "secret.h", tree / "leak.h")
    os.symlink(outside, tree / "dir")
    scope = ReadScope([tree])
    for path in (tree / "leak.h", tree / "dir" / "secret.h", tree / ".." / "outside" / "secret.h"):
        with pytest.raises(RefusedPath, match="outside the analysed tree"):
            scope.read_bytes(path, 100)
        assert not scope.contains(path)
    assert UNCONFINED.read_bytes(tree / "leak.h", 100) == b"secret\n"  # no roots: anywhere but pseudo files


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/proc/self/environ", "/proc/self/cmdline",
                                    "/sys/kernel/mm/transparent_hugepage/enabled"])
def test_pseudo_files_are_refused_even_unconfined_and_through_links(tmp_path: Path, device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"{device} does not exist here")
    link = tmp_path / "header.h"
    os.symlink(device, link)
    for scope in (UNCONFINED, ReadScope([tmp_path]), ReadScope(["/"])):
        with pytest.raises(RefusedPath, match="pseudo-file system"):
            scope.read_bytes(link, 1 << 20)
    assert not is_regular_file(link)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.h"
    os.mkfifo(fifo)
    outcome = finishes(lambda: ReadScope([tmp_path]).read_bytes(fifo, 100))
    assert isinstance(outcome, RefusedPath) and "not a regular file (a FIFO)" in str(outcome)
    assert names_file(fifo) and not is_regular_file(fifo)


def test_size_limit_and_directories(tmp_path: Path) -> None:
    (tmp_path / "big.h").write_bytes(b"x" * 2000)
    with pytest.raises(RefusedPath, match="larger than the 1000 bytes limit"):
        UNCONFINED.read_bytes(tmp_path / "big.h", 1000)
    with pytest.raises(RefusedPath, match="a directory"):
        UNCONFINED.read_bytes(tmp_path, 1000)
    assert not names_file(tmp_path) and not names_file(tmp_path / "missing.h")
    assert not names_file(tmp_path / ("x" * 300))  # ENAMETOOLONG is "nothing there", not a crash
    with pytest.raises(FileNotFoundError):
        UNCONFINED.read_bytes(tmp_path / "missing.h", 1000)


def test_a_refusal_is_an_oserror_with_a_reason(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "f")
    try:
        UNCONFINED.read_bytes(tmp_path / "f", 10)
    except OSError as exc:  # what callers catch
        assert exc.strerror == "not a regular file (a FIFO)" and exc.filename == str(tmp_path / "f")
