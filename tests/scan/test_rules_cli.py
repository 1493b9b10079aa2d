"""``cgoguard rules`` and ``cgoguard explain``."""

from __future__ import annotations

import json

import pytest
from scanhelpers import RunCli

from cgoguard.rules import all_rules
from cgoguard.rules.base import REQUIRED_DOC_SECTIONS


def test_rules_lists_every_registered_rule(cli: RunCli) -> None:
    status, out, _ = cli("rules")
    assert status == 0
    listed = [line.split()[0] for line in out.splitlines()]
    assert listed == list(all_rules())
    assert any(line.startswith("CG901  unused-suppression") and line.endswith("suppresses nothing")
               for line in out.splitlines())


def test_rules_json(cli: RunCli) -> None:
    status, out, _ = cli("rules", "--format", "json")
    assert status == 0
    rules = {rule["id"]: rule for rule in json.loads(out)}
    assert rules.keys() == all_rules().keys()
    assert rules["CG902"]["category"] == "suppression" and rules["CG902"]["severity"] == "warning"


@pytest.mark.parametrize("key", ["CG901", "cg901", "unused-suppression"])
def test_explain_prints_the_rule_docs(cli: RunCli, key: str) -> None:
    status, out, _ = cli("explain", key)
    assert status == 0
    assert out.startswith("# CG901 unused-suppression: cgoguard:ignore comment that suppresses nothing\n")
    assert all(section in out for section in REQUIRED_DOC_SECTIONS)


def test_explain_unknown_rule_exits_2(cli: RunCli) -> None:
    status, out, err = cli("explain", "CG000")
    assert status == 2 and out == ""
    assert "no rule 'CG000'; known rules: " in err


def test_explain_documents_the_severity_policy(cli: RunCli) -> None:
    status, out, _ = cli("explain", "severity")
    assert status == 0 and out.startswith("# Severity policy\n")
    assert all(word in out for word in ("**error**", "**warning**", "**info**", 'severity = { CG301 = "error" }'))
    for rule in all_rules():
        status, out, _ = cli("explain", rule)
        assert status == 0 and out.count("\n## Severity\n") == 1, rule
    assert "`info` for `(*[N]T)(p)[:n:n]`" in cli("explain", "CG306")[1]
    assert "Every finding is reported at `error`, the rule's default" in cli("explain", "CG201")[1]
