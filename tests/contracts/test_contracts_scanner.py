"""The scanner's verdicts that depend on a contract: a leak of an owned result, the right
release recognised, a borrowed result freed by Go, a pointer kept by C."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysistest import FIXTURES, run

from cgoguard.contracts import contracts_for_package
from cgoguard.gofront import DiscoveryOptions, discover, load_packages
from cgoguard.rules import check_package


@pytest.mark.parametrize("fixture", ["packs", "evidence", "retains", "ownership"])
def test_contract_dependent_verdicts(fixture: str) -> None:
    run(FIXTURES / "contracts" / fixture)


def _findings(directory: Path, config: dict | None) -> list[str]:
    package = load_packages(discover([str(directory)], DiscoveryOptions()).packages[0])[0]
    findings = check_package(package, rule_ids={"CG101", "CG103"}, contracts=contracts_for_package(package, config))
    return [f"{f.line}: {f.rule}" for f in findings]


def test_a_user_contract_changes_the_verdict(tmp_path: Path) -> None:
    """Undocumented `lib_get`: no finding until the team writes down that its result is owned."""
    (tmp_path / "p.go").write_text(
        'package p\n\n/*\nchar *lib_get(void);\nvoid lib_put(char *s);\n*/\nimport "C"\n\n'
        "func Leak() bool {\n\ts := C.lib_get()\n\treturn s != nil\n}\n"
        "func Freed() {\n\ts := C.lib_get()\n\tC.lib_put(s)\n}\n")
    assert _findings(tmp_path, None) == []
    config = {"lib_get": {"returns": "owned", "free": "lib_put"}, "lib_put": {"frees": [0]}}
    assert _findings(tmp_path, config) == ["10: CG101"]


def test_scan_reads_user_contracts_from_the_configuration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """End to end: `[tool.cgoguard.contracts]` in pyproject.toml reaches the scanner's rules."""
    from cgoguard.cli import main

    (tmp_path / "go.mod").write_text("module example.com/p\n\ngo 1.22\n")
    (tmp_path / "p.go").write_text(
        'package p\n\n// char *lib_get(void);\nimport "C"\n\n'
        "func Leak() bool {\n\ts := C.lib_get()\n\treturn s != nil\n}\n")
    arguments = ["scan", str(tmp_path), "--no-cache", "-q", "--select", "CG101", "--format", "json"]
    assert main(arguments) == 0
    capsys.readouterr()
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cgoguard.contracts]\nlib_get = { returns = "owned", free = "free" }\n')
    assert main(arguments) == 1
    assert '"rule": "CG101"' in capsys.readouterr().out
