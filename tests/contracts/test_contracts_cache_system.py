"""The content-hash cache and the opt-in system-header reading."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cgoguard.contracts import contracts_for_package
from cgoguard.contracts.system import system_include_dirs
from cgoguard.errors import UsageError
from cgoguard.gofront import DiscoveryOptions, discover, load_packages

GO_FILE = 'package p\n\n// #include "lib.h"\nimport "C"\n\nfunc F() { _ = C.lib_make() }\n'
HEADER = "/* The result must be freed with lib_drop(). */\nchar *lib_make(void);\nvoid lib_drop(char *p);\n"


def _package(directory: Path):
    return load_packages(discover([str(directory)], DiscoveryOptions()).packages[0])[0]


def _write(directory: Path, header: str = HEADER) -> None:
    (directory / "p.go").write_text(GO_FILE)
    (directory / "lib.h").write_text(header)


def test_cache_hit_returns_the_same_contracts(tmp_path: Path) -> None:
    _write(tmp_path)
    cache = tmp_path / "cache"
    first = contracts_for_package(_package(tmp_path), cache_dir=cache)
    assert len(list(cache.rglob("*.json"))) == 1
    second = contracts_for_package(_package(tmp_path), cache_dir=cache)
    assert [c.to_dict() for c in second] == [c.to_dict() for c in first]
    assert second.deallocator_of("lib_make") == "lib_drop"


def test_a_changed_header_is_a_miss(tmp_path: Path) -> None:
    _write(tmp_path)
    cache = tmp_path / "cache"
    contracts_for_package(_package(tmp_path), cache_dir=cache)
    _write(tmp_path, HEADER.replace("lib_drop()", "lib_release()"))
    changed = contracts_for_package(_package(tmp_path), cache_dir=cache)
    assert changed.deallocator_of("lib_make") == "lib_release"
    assert len(list(cache.rglob("*.json"))) == 2


def test_a_corrupt_entry_is_a_miss_and_an_unwritable_cache_is_harmless(tmp_path: Path) -> None:
    _write(tmp_path)
    cache = tmp_path / "cache"
    contracts_for_package(_package(tmp_path), cache_dir=cache)
    for entry in cache.rglob("*.json"):
        entry.write_bytes(b"\x00not json")
    assert contracts_for_package(_package(tmp_path), cache_dir=cache).returns_owned("lib_make")
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a directory")
    assert contracts_for_package(_package(tmp_path), cache_dir=blocked).returns_owned("lib_make")


def test_config_options_are_validated(tmp_path: Path) -> None:
    _write(tmp_path)
    with pytest.raises(UsageError, match="unknown option"):
        contracts_for_package(_package(tmp_path), {"system-header": True})
    with pytest.raises(UsageError, match="system-headers must be true or false"):
        contracts_for_package(_package(tmp_path), {"system-headers": "yes"})


needs_cc = pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None,
                              reason="needs a C compiler")


@needs_cc
def test_compiler_include_dirs_are_found() -> None:
    dirs = system_include_dirs()
    assert dirs and all(d.is_dir() for d in dirs)


@needs_cc
def test_system_headers_are_read_only_for_called_functions(tmp_path: Path) -> None:
    """glibc declares tempnam `__attribute_malloc__ __attr_dealloc_free` through macros."""
    if not any((d / "stdio.h").is_file() for d in system_include_dirs()):
        pytest.skip("no stdio.h in the compiler's include dirs")
    (tmp_path / "p.go").write_text('package p\n\n// #include <stdio.h>\nimport "C"\n\n'
                                   "func F() { _ = C.tempnam(nil, nil) }\n")
    package = _package(tmp_path)
    assert contracts_for_package(package).get("tempnam") is None
    contracts = contracts_for_package(package, {"system-headers": True})
    tempnam = contracts.get("tempnam")
    assert (tempnam.returns, tempnam.deallocator) == ("owned", "free")
    assert tempnam.evidence[0].kind == "attribute" and "stdio.h" in tempnam.evidence[0].location
    assert contracts.get("ungetc") is None, "functions the package does not call are not taken"


@pytest.mark.skipif(shutil.which("pkg-config") is None, reason="needs pkg-config")
def test_pkg_config_include_dirs_are_searched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    include = tmp_path / "prefix" / "include" / "mylib"
    include.mkdir(parents=True)
    (include / "mylib.h").write_text("/* The result must be freed with mylib_free(). */\nchar *mylib_get(void);\n"
                                     "void mylib_free(char *p);\n")
    (tmp_path / "mylib.pc").write_text(f"Name: mylib\nDescription: test\nVersion: 1\nCflags: -I{include}\n")
    monkeypatch.setenv("PKG_CONFIG_PATH", str(tmp_path))
    package_dir = tmp_path / "pkg"
    package_dir.mkdir()
    (package_dir / "p.go").write_text('package p\n\n// #cgo pkg-config: mylib\n// #include <mylib.h>\nimport "C"\n\n'
                                      "func F() { _ = C.mylib_get() }\n")
    contracts = contracts_for_package(_package(package_dir), {"system-headers": True})
    assert contracts.deallocator_of("mylib_get") == "mylib_free"
