"""Documentation of the ids the runtime commands print: ``RT-*`` (report, run), ``MEM*`` (mem)
and ``gc-*`` (gc, run).

These are not static rules: the detectors are the sanitizers and the Go runtime, and the
analyses live in :mod:`cgoguard.reports`, :mod:`cgoguard.gc` and :mod:`cgoguard.mem`. Each id
has a Markdown file here with a small header (title, default severity, the commands that print
it) and the sections every rule has (What it finds, Why it matters, Example, Fix), for
``cgoguard explain`` and for the SARIF rule descriptors (GitHub code scanning requires ``help``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from cgoguard.findings import Severity


@dataclass(frozen=True, slots=True)
class RuntimeRule:
    id: str
    title: str
    severity: Severity
    commands: tuple[str, ...]
    docs: str  # Markdown from "## What it finds" on


@cache
def runtime_rules() -> dict[str, RuntimeRule]:
    """Every documented runtime id, by id."""
    rules = {}
    for entry in sorted(resources.files(__name__).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".md"):
            rule = _parse(entry.name.removesuffix(".md"), entry.read_text(encoding="utf-8"))
            rules[rule.id] = rule
    return rules


def find_runtime_rule(key: str) -> RuntimeRule | None:
    """A runtime id, case-insensitively (``rt-asan``, ``GC-STW-P99``)."""
    wanted = key.strip().lower()
    return next((rule for rule in runtime_rules().values() if rule.id.lower() == wanted), None)


def _parse(rule_id: str, text: str) -> RuntimeRule:
    _, header, docs = text.split("---\n", 2)
    fields = dict(line.split(": ", 1) for line in header.strip().splitlines())
    return RuntimeRule(id=rule_id, title=fields["title"].strip(), severity=Severity(fields["severity"].strip()),
                       commands=tuple(c.strip() for c in fields["commands"].split(",")), docs=docs.strip())
