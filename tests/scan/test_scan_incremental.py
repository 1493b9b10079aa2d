"""Incremental scans: a package is re-analysed when its files change, and a package importing
it only when the facts it exports changed (early cut-off); damaged cache entries are misses."""

from __future__ import annotations

from pathlib import Path

import pytest
from scanhelpers import write_tree

from cgoguard.scan import ScanResult, load_config, scan

CUTIL = '''package cutil

// #include <stdlib.h>
import "C"

import "unsafe"

func CString(s string) *C.char { return C.CString(s) }

func Free(p *C.char) { C.free(unsafe.Pointer(p)) }
'''
APP = '''package app

// #include <stdio.h>
import "C"

import "example.com/inc/cutil"

func Twice() {
	p := cutil.CString("x")
	cutil.Free(p)
	cutil.Free(p)
}
'''
OTHER = '''package other

// #include <stdlib.h>
import "C"

func Leak() { _ = C.CString("x") }
'''


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_tree(tmp_path, {"go.mod": "module example.com/inc\n", "cutil/cutil.go": CUTIL, "app/app.go": APP,
                          "other/other.go": OTHER})
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _scan(root: Path, jobs: int = 1) -> ScanResult:
    return scan(["."], load_config(root, {"jobs": jobs}))


def test_an_edit_that_keeps_the_facts_re_analyses_only_the_edited_package(module: Path) -> None:
    first = _scan(module)
    assert sorted(first.analysed) == ["app", "cutil", "other"]
    assert [f.rule for f in first.findings] == ["CG103", "CG101"]
    assert _scan(module).analysed == []
    with (module / "cutil" / "cutil.go").open("a") as handle:
        handle.write("\n// a comment changes the file, not the facts\n")
    again = _scan(module)
    assert again.analysed == ["cutil"]
    assert [f.rule for f in again.findings] == ["CG103", "CG101"]


def test_an_edit_that_changes_the_facts_re_analyses_the_importers_too(module: Path) -> None:
    _scan(module)
    (module / "cutil" / "cutil.go").write_text(CUTIL.replace("C.free(unsafe.Pointer(p))", "_ = unsafe.Pointer(p)"))
    after = _scan(module)
    assert after.analysed == ["cutil", "app"]
    assert [f.rule for f in after.findings] == ["CG101"]  # Free no longer frees: no double free


def test_an_edit_of_an_importer_re_analyses_only_it(module: Path) -> None:
    _scan(module)
    (module / "app" / "app.go").write_text(APP.replace("\tcutil.Free(p)\n\tcutil.Free(p)", "\tcutil.Free(p)"))
    after = _scan(module, jobs=2)
    assert after.analysed == ["app"]
    assert [f.rule for f in after.findings] == ["CG101"]


def test_damaged_cache_entries_are_misses(module: Path) -> None:
    first = _scan(module)
    entries = list((module / ".cgoguard_cache").rglob("*.json"))
    for entry in entries:  # facts of an unknown shape: cutil's entry (the only one with facts) misses
        entry.write_text(entry.read_text().replace('"frees"', '"freez"'))
    again = _scan(module)
    assert again.analysed == ["cutil"]  # and its facts come out the same: app stays cached
    assert [f.rule for f in again.findings] == [f.rule for f in first.findings]
    for entry in (module / ".cgoguard_cache").rglob("*.json"):
        entry.write_text(entry.read_text()[:40])
    assert sorted(_scan(module).analysed) == ["app", "cutil", "other"]


def test_a_dependency_with_syntax_errors_degrades_its_callers_to_unknown(module: Path) -> None:
    (module / "cutil" / "cutil.go").write_text(CUTIL.replace("func Free(p *C.char) {", "func Free(p *C.char {"))
    result = _scan(module)
    assert any("syntax error" in e.message for e in result.errors)
    assert result.internal_errors == 0
    assert "CG103" not in [f.rule for f in result.findings]  # Free is unknown: no double free claimed
