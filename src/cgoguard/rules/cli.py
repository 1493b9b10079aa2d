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
    rules.add_argument("--runtime", action="store_true",
                       help="list the ids the runtime commands print instead (report, run, gc, mem)")
    rules.set_defaults(func=run_rules)
    explain = subparsers.add_parser("explain", help="show a rule's documentation, or the severity policy",
                                    description="Print what a rule finds, why it matters, an example, "
                                                "the fix and how its findings are graded, as Markdown; "
                                                "`cgoguard explain severity` prints the severity policy.")
    explain.add_argument("rule", metavar="RULE",
                         help="rule id (CG101) or name, a runtime id (RT-ASAN, RT-CHECKPTR, MEM001, gc-stw-p99), "
                              "or 'severity'")
    explain.set_defaults(func=run_explain)
    return rules


def run_rules(args: argparse.Namespace) -> int:
    from cgoguard.rules import all_rules

    if args.runtime:
        return _list_runtime_rules(args.format)
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


def _list_runtime_rules(fmt: str) -> int:
    from cgoguard.rules.runtime import runtime_rules

    rules = list(runtime_rules().values())
    if fmt == "json":
        sys.stdout.write(json.dumps([{"id": r.id, "title": r.title, "severity": r.severity.value,
                                      "commands": list(r.commands), "docs": r.docs} for r in rules], indent=2) + "\n")
        return 0
    width = max((len(r.id) for r in rules), default=0)
    for rule in rules:
        sys.stdout.write(f"{rule.id:<{width}}  {rule.severity.value:<7}  {rule.title} ({', '.join(rule.commands)})\n")
    return 0


def run_explain(args: argparse.Namespace) -> int:
    from cgoguard.errors import UsageError
    from cgoguard.rules import all_rules, find_rule, severity
    from cgoguard.rules.runtime import find_runtime_rule, runtime_rules

    if args.rule.lower() == "severity":
        sys.stdout.write(f"# Severity policy\n\n{severity.__doc__.strip()}\n")
        return 0
    rule = find_rule(args.rule)
    if rule is None and (runtime := find_runtime_rule(args.rule)) is not None:
        commands = ", ".join(f"`cgoguard {c}`" for c in runtime.commands)
        sys.stdout.write(f"# {runtime.id}: {runtime.title}\n\nPrinted by {commands} · default severity: "
                         f"`{runtime.severity.value}`\n\n{runtime.docs}\n")
        return 0
    if rule is None:
        known = ", ".join(f"{r.meta.id} ({r.meta.name})" for r in all_rules().values())
        raise UsageError(f"no rule {args.rule!r}; known rules: {known or 'none'}; runtime ids: "
                         f"{', '.join(runtime_rules())} (or 'severity')")
    meta = rule.meta
    fixable = " · autofix: `cgoguard scan --fix`" if meta.fixable else ""
    header = (f"# {meta.id} {meta.name}: {meta.title}\n\n"
              f"Category: `{meta.category}` · default severity: `{meta.severity.value}`{fixable}\n\n")
    docs = _without_title(rule.docs)
    if severity.SECTION not in docs:
        docs += (f"\n\n{severity.SECTION}\n\nEvery finding is reported at `{meta.severity.value}`, the rule's "
                 "default: nothing about one case makes it less certain. See `cgoguard explain severity`.")
    sys.stdout.write(header + docs + "\n")
    return 0


def _without_title(docs: str) -> str:
    """The docs from the first ``##`` section on (their first line repeats the title)."""
    start = docs.find("## ")
    return docs[start:] if start >= 0 else docs


def _rule_dict(rule: Rule) -> dict[str, str | bool]:
    meta = rule.meta
    return {"id": meta.id, "name": meta.name, "category": meta.category, "severity": meta.severity.value,
            "title": meta.title, "fixable": meta.fixable, "docs": rule.docs}
