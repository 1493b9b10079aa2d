"""The cgo symbol hash: the same algorithm as cmd/cgo, for every Go release.

``programs/cgohash`` is a module with two cgo packages (one with two cgo files, a plain file,
a ``_windows`` file and an ``ignore``-tagged file). The expected hashes below were read from
real binaries built with Go 1.8, 1.10, 1.11, 1.13, 1.15 to 1.25 and 1.26 (``nm | grep _cgo_``); the
live tests rebuild the module with the installed Go, and with any other Go toolchain already
in the module cache (never downloaded here), and compare.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from gotools import requires_go

from cgoguard.gofront.cgoprefix import (
    COMMAND_LINE_ARGUMENTS,
    SCHEMES,
    cgo_hash,
    cgo_prefix,
    find_cgo_packages,
    import_paths_for,
    imports_c,
    package_for_symbol,
    scheme_for,
    symbol_hash,
)

PROGRAM = Path(__file__).parent / "programs" / "cgohash"
MODULE = "example.com/hashcheck"
# scheme -> import path -> hash, as the builds printed them.
BUILT = {
    "md5-files": {MODULE: "09c89bb40548", f"{MODULE}/sub/a": "b62ca2e142cd"},  # Go 1.5 .. 1.10 (GOPATH)
    "md5": {MODULE: "f4aa7c99697f", f"{MODULE}/sub/a": "e4fa8a671464"},  # Go 1.11 .. 1.18
    "notsha256": {MODULE: "8178ab0dd12a", f"{MODULE}/sub/a": "cd7eb29a74f6"},  # Go 1.19 .. 1.23
    "sha256": {MODULE: "54994f3c61bf", f"{MODULE}/sub/a": "77d5a1682512"},  # Go 1.24 .. 1.26
}
FILES = {MODULE: ["main.go"], f"{MODULE}/sub/a": ["sub/a/a.go", "sub/a/b.go"]}


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
def test_hash_of_each_scheme_matches_real_builds(scheme) -> None:
    for import_path, names in FILES.items():
        contents = [(PROGRAM / name).read_bytes() for name in names]
        assert cgo_hash(import_path, contents, scheme) == BUILT[scheme.name][import_path]


@pytest.mark.parametrize(("minor", "scheme"), [(8, "md5-files"), (10, "md5-files"), (11, "md5"), (18, "md5"), (19, "notsha256"), (23, "notsha256"),
                                               (24, "sha256"), (26, "sha256")])
def test_scheme_by_go_version(minor: int, scheme: str) -> None:
    assert scheme_for((1, minor)).name == scheme
    contents = [(PROGRAM / "main.go").read_bytes()]
    assert cgo_prefix(MODULE, contents, (1, minor)) == f"_cgo_{BUILT[scheme][MODULE]}_"
    assert cgo_prefix(MODULE, [PROGRAM / "main.go"], (1, minor)) == f"_cgo_{BUILT[scheme][MODULE]}_"  # paths too


def test_packages_and_files_follow_go_build() -> None:
    packages = {p.directory.resolve(): p for p in find_cgo_packages([PROGRAM])}
    sub = packages[(PROGRAM / "sub" / "a").resolve()]
    assert sub.import_paths == (f"{MODULE}/sub/a", COMMAND_LINE_ARGUMENTS)
    linux = [path.name for path in sub.file_sets[0]]
    assert linux == ["a.go", "b.go"]  # not plain.go (no import "C"), z_windows.go, y_ignored.go
    assert ["a.go", "b.go", "z_windows.go"] in [[p.name for p in files] for files in sub.file_sets]


@pytest.mark.parametrize("scheme", ["md5-files", "md5", "notsha256", "sha256"])
def test_symbol_names_its_package(scheme: str) -> None:
    packages = find_cgo_packages([PROGRAM])
    for import_path, digest in BUILT[scheme].items():
        for symbol in (f"_cgo_{digest}_Cfunc_free", f"_cgoexp_{digest}_Exported",
                       f"{import_path}._cgo_{digest}_Cfunc__Cmalloc", f"main._cgoexpwrap_{digest}_Exported"):
            match = package_for_symbol(symbol, packages)
            assert match is not None and match.import_path == import_path and match.scheme.name == scheme
    assert package_for_symbol("_cgo_000000000000_Cfunc_free", packages) is None
    assert package_for_symbol("main.main", packages) is None


def test_symbol_hash_forms() -> None:
    assert symbol_hash("_cgo_28697af5d7c7_Cfunc__Cmalloc") == "28697af5d7c7"
    assert symbol_hash("_cgo_28697af5d7c7_C2func_getenv") == "28697af5d7c7"
    assert symbol_hash("main._cgoexpwrap_0123456789ab_LLVMFuzzerTestOneInput") == "0123456789ab"
    assert symbol_hash("x_cgo_init") is None
    assert symbol_hash("_cgo_topofstack") is None


def test_import_paths_of_vendored_gopath_and_module_cache_copies(tmp_path: Path) -> None:
    module = tmp_path / "app"
    vendored = module / "vendor" / "example.org" / "dep"
    vendored.mkdir(parents=True)
    (module / "go.mod").write_text('module "example.com/app" // the app\n\ngo 1.21\n')
    assert import_paths_for(vendored) == ("example.org/dep", "example.com/app/vendor/example.org/dep",
                                          COMMAND_LINE_ARGUMENTS)
    gopath = tmp_path / "gopath" / "src" / "github.com" / "x" / "y"
    gopath.mkdir(parents=True)
    assert import_paths_for(gopath)[0] == "github.com/x/y"
    cached = tmp_path / "pkg" / "mod" / "github.com" / "!azure" / "go-x@v1.2.0" / "sub"
    cached.mkdir(parents=True)
    assert "github.com/Azure/go-x/sub" in import_paths_for(cached)


def test_imports_c_in_every_import_form() -> None:
    assert imports_c(b'package a\n\n// #include <x.h>\nimport "C"\n')
    assert imports_c(b'package a\n\nimport (\n\t"fmt"\n\t"C"\n)\n')
    assert not imports_c(b'package a\n\nimport "fmt"\n\nvar s = "C"\n')
    assert not imports_c(b'package a\n\nfunc f() string { return `import "C"` }\n')


# -- live builds ---------------------------------------------------------------------------------
def _cgo_symbol_hashes(binary: Path) -> set[str]:
    """The hashes of the ``_cgo_<hash>_Cfunc_*`` functions in a binary's symbol table (pyelftools)."""
    from elftools.elf.elffile import ELFFile

    with binary.open("rb") as stream:
        symtab = ELFFile(stream).get_section_by_name(".symtab")
        names = [symbol.name for symbol in symtab.iter_symbols()] if symtab is not None else []
    return {m[1] for name in names if (m := re.match(r"_cgo_([0-9a-f]{12})_Cfunc_", name))}


# Old releases reject newer flags (-buildvcs) a user's GOFLAGS may hold.
_GO_ENV = {"CGO_ENABLED": "1", "GOTOOLCHAIN": "local", "GO111MODULE": "on", "GOFLAGS": "-mod=readonly"}


def _build(go: str, tmp_path: Path, minor: int) -> Path:
    """Build the module (in a GOPATH for Go releases before modules)."""
    env = {**os.environ, **_GO_ENV, "GOROOT": str(Path(go).parent.parent)}
    if minor < 11:
        work = tmp_path / "gopath" / "src" / MODULE
        env.update(GOPATH=str(tmp_path / "gopath"), GO111MODULE="off", GOFLAGS="")
    else:
        work = tmp_path / "src"
    shutil.copytree(PROGRAM, work)
    binary = tmp_path / "prog"
    result = subprocess.run([go, "build", "-o", str(binary), "."], cwd=work, env=env,
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        pytest.skip(f"{go} cannot build here: {result.stderr.strip().splitlines()[-1:]}")
    return binary


def _go_minor(go: str) -> int:
    """From a cached toolchain's directory name, else from ``go version``."""
    named = re.search(r"toolchain@v0\.0\.1-go1\.(\d+)", go)
    version = named[0] if named else subprocess.run([go, "version"], capture_output=True, text=True,
                                                    timeout=60).stdout
    match = re.search(r"go1\.(\d+)", version)
    assert match, version
    return int(match[1])


@requires_go
def test_installed_go_builds_have_the_computed_hashes(tmp_path: Path) -> None:
    go = shutil.which("go")
    assert go
    minor = _go_minor(go)
    hashes = _cgo_symbol_hashes(_build(go, tmp_path, minor))
    assert hashes == set(BUILT[scheme_for((1, minor)).name].values())


def _cached_toolchains() -> list[Path]:
    """Go toolchains already downloaded into the module cache (``GOTOOLCHAIN=go1.N.M``)."""
    if shutil.which("go") is None:
        return []
    cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, timeout=60).stdout.strip()
    found = sorted(Path(cache, "golang.org").glob("toolchain@v0.0.1-go1.*.linux-amd64/bin/go")) if cache else []
    return found


@requires_go
@pytest.mark.parametrize("go", _cached_toolchains() or [None], ids=lambda p: p.parent.parent.name if p else "none")
def test_other_cached_go_releases_have_the_computed_hashes(go: Path | None, tmp_path: Path) -> None:
    if go is None:
        pytest.skip("no other Go toolchain in the module cache (GOTOOLCHAIN=go1.22.12 go version fetches one)")
    if shutil.which("gcc") is None:
        pytest.skip("needs gcc")
    minor = _go_minor(str(go))
    hashes = _cgo_symbol_hashes(_build(str(go), tmp_path, minor))
    assert hashes == set(BUILT[scheme_for((1, minor)).name].values())
