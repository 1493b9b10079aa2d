"""Rules across the packages of a module (facts of imported packages) and under extra builds,
over the analysistest fixture tests/fixtures/modulefacts."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysistest import FIXTURES, run

from cgoguard.findings import Finding
from cgoguard.scan import load_config, scan

MODULEFACTS = FIXTURES / "modulefacts"


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    return run(MODULEFACTS)


def _finding(findings: list[Finding], file: str, rule: str, needle: str) -> Finding:
    return next(f for f in findings if f.path.endswith(file) and f.rule == rule and needle in f.message)


def test_fixture_matches_wants_with_negatives(findings: list[Finding]) -> None:
    source = (MODULEFACTS / "app" / "app.go").read_text()
    negatives = source.split("// ---- negatives ----", 1)[1]
    assert negatives.count("\nfunc ") >= 6
    assert {f.rule for f in findings} == {"CG101", "CG102", "CG103", "CG104", "CG202"}


def test_store_by_a_helper_names_the_chain_down_to_the_store(findings: list[Finding]) -> None:
    adopt = _finding(findings, "app.go", "CG202", "cutil.Adopt")
    cutil = (MODULEFACTS / "internal" / "cutil" / "cutil.go").read_text().splitlines()
    hops = [(Path(r.path).name, cutil[r.line - 1].strip(), r.message) for r in adopt.related]
    assert hops[0] == ("cutil.go", "func Adopt(p unsafe.Pointer) *Box { return Wrap(p) }", "passed on to Wrap here")
    assert hops[1] == ("cutil.go", "b.data = p", "cutil.Wrap stores it into C memory here")


def test_optional_build_tag_file_is_analysed_and_its_build_named(findings: list[Finding]) -> None:
    leak = _finding(findings, "optional.go", "CG101", "cs is never freed")
    assert leak.extra == {"build": "tags=cgoguard_optional"}
    # Findings the default build sees carry no build.
    assert all("build" not in f.extra for f in findings if not f.path.endswith("optional.go"))


def _scan(overrides: dict, monkeypatch: pytest.MonkeyPatch) -> list[Finding]:
    monkeypatch.chdir(MODULEFACTS)
    return scan(["."], load_config(MODULEFACTS, {"use_cache": False, "jobs": 1, **overrides})).findings


def test_a_named_target_is_the_only_build(monkeypatch: pytest.MonkeyPatch) -> None:
    default_only = _scan({"goos": "linux"}, monkeypatch)
    assert not [f for f in default_only if f.path.endswith("optional.go")]
    tagged = [f for f in _scan({"tags": ("cgoguard_optional",)}, monkeypatch) if f.path.endswith("optional.go")]
    assert [(f.rule, f.extra) for f in tagged] == [("CG101", {})]


def test_scanning_one_package_reads_its_module_imports_for_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(MODULEFACTS)
    result = scan(["app"], load_config(MODULEFACTS, {"use_cache": False, "jobs": 1}))
    assert result.packages == 1 and result.dependencies == 1
    assert {f.rule for f in result.findings} == {"CG101", "CG102", "CG103", "CG202"}
    assert all(f.path.startswith("app") for f in result.findings)
