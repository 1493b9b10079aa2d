"""Which rules run and at what severity: ``select``, ``ignore`` and ``severity`` resolved
against the rule registry.

A rule key is an id (``CG101``), an id prefix (``CG1``), ``ALL``, a rule name or a category
(``c-leak``); a key matching nothing is an error, so a typo never turns a check off.
"""

from __future__ import annotations

import fnmatch
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
    # (glob relative to the project root, rule ids not reported in the files it matches)
    per_path: tuple[tuple[str, frozenset[str]], ...] = ()

    def ignored_at(self, finding: Finding, relative_path: str) -> bool:
        """Whether ``per-file-ignores`` turns ``finding``'s rule off in its file."""
        return any(finding.rule in ids and path_matches(relative_path, pattern) for pattern, ids in self.per_path)

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


def path_matches(path: str, pattern: str) -> bool:
    """A ``per-file-ignores`` glob against a path relative to the project root, as ruff and
    .gitignore match: the whole path, any directory above the file (``internal/legacy``), and
    for a pattern without a slash the file name anywhere (``*_test.go``)."""
    pattern = pattern.strip().removeprefix("./").rstrip("/")
    if not pattern:
        return False
    if fnmatch.fnmatchcase(path, pattern):
        return True
    if "/" not in pattern and fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern):
        return True
    parts = path.split("/")
    return any(fnmatch.fnmatchcase("/".join(parts[:depth]), pattern) for depth in range(1, len(parts)))


def select_rules(config: ScanConfig) -> RuleSelection:
    selected = _resolve_all(config.select, "select") if config.select else set(registry.all_rules())
    selected -= _resolve_all(config.ignore, "ignore")
    severity: dict[str, Severity] = {}
    for key, level in config.severity:
        for rule_id in _resolve_all([key], "severity"):
            severity[rule_id] = level
    per_path = tuple((pattern, frozenset(_resolve_all(keys, f"per-file-ignores {pattern!r}")))
                     for pattern, keys in config.per_file_ignores)
    return RuleSelection(frozenset(selected), severity, per_path)
