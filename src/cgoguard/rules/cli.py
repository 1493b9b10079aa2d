"""``cgoguard rules`` lists the rules; ``cgoguard explain RULE`` prints one rule's documentation."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cgoguard.rules.base import Rule


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    rules = subparsers.add_parser("rules", help="list the static-analysis rules",
                                  description="List every rule: id, name, category, default severity, title.")
    rules.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    rules.set_defaults(func=run_rules)
    explain = subparsers.add_parser("explain", help="show a rule's documentation",
                                    description="Print what a rule finds, why it matters, an example "
                                                "and the fix, as Markdown.")
    explain.add_argument("rule", metavar="RULE", help="rule id (CG101, RT-CHECKPTR) or name")
    explain.set_defaults(func=run_explain)
    return rules


def run_rules(args: argparse.Namespace) -> int:
    from cgoguard.rules import all_rules

    rules = list(all_rules().values())
    if args.format == "json":
        sys.stdout.write(json.dumps([_rule_dict(rule) for rule in rules], indent=2) + "\n")
        return 0
    name_width = max((len(r.meta.name) for r in rules), default=0)
    category_width = max((len(r.meta.category) for r in rules), default=0)
    for rule in rules:
        meta = rule.meta
        sys.stdout.write(f"{meta.id}  {meta.name:<{name_width}}  {meta.category:<{category_width}}  "
                         f"{meta.severity.value:<7}  {meta.title}\n")
    return 0


def run_explain(args: argparse.Namespace) -> int:
    from cgoguard.errors import UsageError
    from cgoguard.rules import all_rules, find_rule

    rule = find_rule(args.rule)
    if rule is None:
        from cgoguard.reports.runtime_rules import RUNTIME_RULES, find_runtime_rule

        runtime = find_runtime_rule(args.rule)
        if runtime is not None:
            sys.stdout.write(f"# {runtime.id}: {runtime.title}\n\nCategory: `{runtime.category}` · found at run "
                             f"time by `cgoguard run` and `cgoguard report`\n\n{runtime.docs}")
            return 0
        known = ", ".join([f"{r.meta.id} ({r.meta.name})" for r in all_rules().values()] + list(RUNTIME_RULES))
        raise UsageError(f"no rule {args.rule!r}; known rules: {known or 'none'}")
    meta = rule.meta
    header = (f"# {meta.id} {meta.name}: {meta.title}\n\n"
              f"Category: `{meta.category}` · default severity: `{meta.severity.value}`\n\n")
    sys.stdout.write(header + _without_title(rule.docs) + "\n")
    return 0


def _without_title(docs: str) -> str:
    """The docs from the first ``##`` section on (their first line repeats the title)."""
    start = docs.find("## ")
    return docs[start:] if start >= 0 else docs


def _rule_dict(rule: Rule) -> dict[str, str]:
    meta = rule.meta
    return {"id": meta.id, "name": meta.name, "category": meta.category, "severity": meta.severity.value,
            "title": meta.title, "docs": rule.docs}
