"""Which rules run and at what severity: ``select``, ``ignore`` and ``severity`` resolved
against the rule registry.

A rule key is an id (``CG101``), an id prefix (``CG1``), ``ALL``, a rule name or a category
(``c-leak``); a key matching nothing is an error, so a typo never turns a check off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cgoguard import rules as registry
from cgoguard.errors import UsageError
from cgoguard.findings import CATEGORIES, Finding, Severity
from cgoguard.scan.config import ScanConfig

# Meta-rules reported by the scan driver itself rather than by check_package.
UNUSED_SUPPRESSION = "CG901"
INVALID_SUPPRESSION = "CG902"
DRIVER_RULES = frozenset({UNUSED_SUPPRESSION, INVALID_SUPPRESSION})


@dataclass(frozen=True)
class RuleSelection:
    ids: frozenset[str]
    severity: Mapping[str, Severity]

    @property
    def analysis_ids(self) -> list[str]:
        """The selected rules that check_package runs (the driver reports the rest)."""
        return sorted(self.ids - DRIVER_RULES)

    def apply_severity(self, finding: Finding) -> Finding:
        override = self.severity.get(finding.rule)
        if override is not None:
            finding.severity = override
        return finding


def resolve_rule_key(key: str) -> set[str]:
    rules = registry.all_rules()
    upper, lower = key.upper(), key.lower()
    if upper == "ALL":
        return set(rules)
    if upper.startswith("CG") and upper[2:].isdigit():
        return {rule_id for rule_id in rules if rule_id.startswith(upper)}
    if lower in CATEGORIES:
        return {rule_id for rule_id, rule in rules.items() if rule.meta.category == lower}
    return {rule_id for rule_id, rule in rules.items() if rule.meta.name == lower}


def _resolve_all(keys: Iterable[str], what: str) -> set[str]:
    ids: set[str] = set()
    for key in keys:
        matched = resolve_rule_key(key)
        if not matched and not _names_a_category(key):
            raise UsageError(f"{what}: {key!r} matches no rule id, rule name or category "
                             "(see `cgoguard rules`)")
        ids |= matched
    return ids


def _names_a_category(key: str) -> bool:
    # A category without rules yet (e.g. a runtime-only one) is valid, it just selects nothing.
    return key.lower() in CATEGORIES


def select_rules(config: ScanConfig) -> RuleSelection:
    selected = _resolve_all(config.select, "select") if config.select else set(registry.all_rules())
    selected -= _resolve_all(config.ignore, "ignore")
    severity: dict[str, Severity] = {}
    for key, level in config.severity:
        for rule_id in _resolve_all([key], "severity"):
            severity[rule_id] = level
    return RuleSelection(frozenset(selected), severity)
