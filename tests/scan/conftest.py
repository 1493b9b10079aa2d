"""Fixtures for the scan driver's tests: Go trees on disk and two tiny test-only rules.

The test rules keep these tests independent of the real rules' precision (which their own
fixture tests cover): CG990 reports every ``C.CString`` call (warning), CG991 every
``C.malloc`` call (error). They are registered by replacing the registry function, which
forked worker processes inherit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scanhelpers import LEAKY, RunCli, write_tree

import cgoguard.rules
from cgoguard.cli import main
from cgoguard.findings import Severity
from cgoguard.gofront.syntax import c_name, walk
from cgoguard.rules.base import Rule, RuleContext, RuleMeta

DOCS = "## What it finds\n\nA test pattern.\n\n## Why it matters\n\nTests.\n\n## Example\n\nx\n\n## Fix\n\ny\n"


def _call_rule(meta: RuleMeta, c_function: str) -> Rule:
    def check(ctx: RuleContext) -> None:
        for file in ctx.package.files:
            for node in walk(file.root):
                if node.type == "call_expression" and c_name(node.child_by_field_name("function")) == c_function:
                    ctx.report(meta, file, node, f"C.{c_function} call")

    return Rule(meta=meta, docs=f"{meta.title}\n\n{DOCS}", check=check)


CSTRING = RuleMeta("CG990", "test-cstring", "c-leak", Severity.WARNING, "every C.CString call (test rule)")
MALLOC = RuleMeta("CG991", "test-malloc", "c-leak", Severity.ERROR, "every C.malloc call (test rule)")


@pytest.fixture
def test_rules(monkeypatch: pytest.MonkeyPatch) -> dict[str, Rule]:
    """The real meta-rules plus CG990/CG991 (and no other rule, so results are exact)."""
    real = cgoguard.rules.all_rules()
    rules = {rule_id: rule for rule_id, rule in real.items() if rule_id.startswith("CG9")}
    rules["CG990"] = _call_rule(CSTRING, "CString")
    rules["CG991"] = _call_rule(MALLOC, "malloc")
    rules = dict(sorted(rules.items()))
    monkeypatch.setattr(cgoguard.rules, "all_rules", lambda: rules)
    return rules


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A module with one package holding one CG990 and one CG991 finding; cwd is its root."""
    write_tree(tmp_path, {"go.mod": "module example.com/p\n\ngo 1.21\n", "leaky/leaky.go": LEAKY})
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> RunCli:
    """Run ``cgoguard ARGS...`` in-process (so the test rules apply); (status, stdout, stderr)."""
    def run(*args: str) -> tuple[int, str, str]:
        status = main(list(args))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run
