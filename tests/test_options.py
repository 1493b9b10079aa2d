"""One set of option names and values across every command."""

from __future__ import annotations

import argparse

import pytest

from cgoguard.cli import COMMANDS, build_parser
from cgoguard.errors import UsageError
from cgoguard.findings import Finding, Severity
from cgoguard.options import FAIL_ON, exit_status, filter_findings

FINDING_COMMANDS = ("scan", "report", "run", "gc", "mem")


def _options(command: str) -> dict[str, argparse.Action]:
    parser = build_parser(command)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    return {flag: action for action in sub._actions for flag in action.option_strings}


@pytest.mark.parametrize("command", FINDING_COMMANDS)
def test_every_finding_command_has_the_same_output_options(command: str) -> None:
    options = _options(command)
    assert tuple(options["--fail-on"].choices) == FAIL_ON
    assert options["-o"] is options["--output"]
    assert "--format" in options and "text" in options["--format"].choices


@pytest.mark.parametrize("command", ("scan", "report", "run"))
def test_select_and_ignore_accumulate(command: str) -> None:
    parser = build_parser(command)
    args = parser.parse_args([command, "--select", "CG1,CG2", "--select", "CG3", "--ignore", "x", "--ignore", "y"])
    assert args.select == ["CG1", "CG2", "CG3"] and args.ignore == ["x", "y"]
    assert {"--color", "--statistics"} <= set(_options(command))


def test_every_command_with_a_format_writes_to_o() -> None:
    for command in COMMANDS:
        options = _options(command)
        if "--format" in options and command not in ("rules",):
            assert "-o" in options and "--output" in options, command


def test_fail_on_accepts_the_old_spelling_never() -> None:
    args = build_parser("mem").parse_args(["mem", "--fail-on", "never", "x"])
    assert args.fail_on == "none"


def _finding(rule: str, category: str, severity: Severity = Severity.WARNING) -> Finding:
    return Finding(rule=rule, category=category, message="m", path="a.go", line=1, severity=severity,
                   source="runtime")


def test_runtime_findings_are_filtered_by_rule_prefix_and_category() -> None:
    race, uaf = _finding("RT-RACE", "data-race"), _finding("RT-ASAN", "use-after-free")
    assert filter_findings([race, uaf], ["RT-ASAN"], None) == [uaf]
    assert filter_findings([race, uaf], None, ["data-race"]) == [uaf]
    assert filter_findings([race, uaf], ["rt"], ["rt-race"]) == [uaf]
    with pytest.raises(UsageError, match="neither a rule id"):
        filter_findings([race], ["dataa-race"], None)


def test_exit_status_thresholds() -> None:
    info = [_finding("RT-X", "crash", Severity.INFO)]
    assert exit_status(info, "warning") == 0
    assert exit_status(info, "info") == 1
    assert exit_status(info, "none") == 0
    assert exit_status([], "warning", errors=[object()]) == 1  # type: ignore[list-item]
