"""Cache writes stay inside the cache directory; a tree cannot point them elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cgoguard.cachedir import CacheDir

TREE = {
    "go.mod": "module example.com/t\n\ngo 1.22\n",
    "p/p.go": 'package p\n\n// #include <stdlib.h>\nimport "C"\n\nfunc F() { _ = C.malloc(4) }\n',
}


def make_tree(root: Path, extra: dict[str, str] | None = None) -> Path:
    for name, text in {**TREE, **(extra or {})}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def cgoguard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cgoguard", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


def files_under(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def test_entries_round_trip_and_markers_are_written_once(tmp_path: Path) -> None:
    cache = CacheDir(tmp_path / "cache", markers={"CACHEDIR.TAG": "tag\n"})
    assert cache.read("v1/ab/abc.json") is None
    assert cache.write("v1/ab/abc.json", b"{}")
    assert cache.read("v1/ab/abc.json") == b"{}"
    assert files_under(tmp_path / "cache") == ["CACHEDIR.TAG", "v1", "v1/ab", "v1/ab/abc.json"]


def test_links_inside_the_cache_are_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("keep me\n")
    root = tmp_path / "cache"
    root.mkdir()
    os.symlink(outside, root / "v1")  # a directory link
    cache = CacheDir(root)
    assert not cache.write("v1/ab/abc.json", b"{}")
    assert cache.read("v1/victim") is None
    os.unlink(root / "v1")
    (root / "v1" / "ab").mkdir(parents=True)
    os.symlink(outside / "victim", root / "v1" / "ab" / "abc.json")  # an entry link
    assert cache.read("v1/ab/abc.json") is None
    assert cache.write("v1/ab/abc.json", b"{}")  # replaces the link, never writes through it
    assert (outside / "victim").read_text() == "keep me\n" and files_under(outside) == ["victim"]
    assert not (root / "v1" / "ab" / "abc.json").is_symlink()


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_an_entry_that_is_a_device_or_fifo_is_a_miss(tmp_path: Path, target: str) -> None:
    (tmp_path / "cache" / "ab").mkdir(parents=True)
    entry = tmp_path / "cache" / "ab" / "abc.json"
    if target == "fifo":
        os.mkfifo(entry)
    else:
        os.symlink(target, entry)
    assert CacheDir(tmp_path / "cache").read("ab/abc.json") is None


def test_a_root_linked_out_of_the_project_is_refused_when_confined(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    os.symlink(outside, project / ".cgoguard_cache")
    confined = CacheDir(project / ".cgoguard_cache", confine_to=project)
    assert not confined.write("ab/abc.json", b"{}") and "leads outside the project" in confined.problem
    assert files_under(outside) == []
    assert CacheDir(project / ".cgoguard_cache").write("ab/abc.json", b"{}")  # the user's own choice
    assert files_under(outside) == ["ab", "ab/abc.json"]


def test_scan_does_not_write_through_a_cache_dir_linked_out_of_the_tree(tmp_path: Path) -> None:
    tree, outside = make_tree(tmp_path / "tree"), tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, tree / ".cgoguard_cache")
    result = cgoguard("scan", "--jobs", "1", ".", cwd=tree)
    assert result.returncode in (0, 1), result.stderr
    assert "leads outside the project" in result.stderr and "the cache is not used" in result.stderr
    assert files_under(outside) == []


@pytest.mark.parametrize("cache_dir", ["{tmp}/outside", "../outside"])
def test_a_tree_configuration_cannot_put_the_cache_outside_the_tree(tmp_path: Path, cache_dir: str) -> None:
    cache_dir = cache_dir.format(tmp=tmp_path)
    tree = make_tree(tmp_path / "tree", {"cgoguard.toml": f'cache-dir = "{cache_dir}"\n'})
    result = cgoguard("scan", ".", cwd=tree)
    assert result.returncode == 2
    assert "cache-dir" in result.stderr and "outside the project" in result.stderr
    assert not (tmp_path / "outside").exists()
    # The command line is the user's: it may put the cache anywhere.
    chosen = tmp_path / "chosen-cache"
    result = cgoguard("scan", "--isolated", "--cache-dir", str(chosen), ".", cwd=tree)
    assert result.returncode in (0, 1), result.stderr
    assert any(chosen.rglob("*.json"))


def test_a_cache_dir_inside_the_tree_from_its_configuration_is_fine(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree", {"cgoguard.toml": 'cache-dir = "build/cache"\n'})
    result = cgoguard("scan", ".", cwd=tree)
    assert result.returncode in (0, 1), result.stderr
    assert any((tree / "build" / "cache").rglob("*.json"))
