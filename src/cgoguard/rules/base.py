"""Rule metadata and the context a rule reports through.

A rule is one module ``cgoguard/rules/cgNNN_<name>.py`` holding:

* a module docstring in Markdown with the sections ``## What it finds``, ``## Why it matters``,
  ``## Example`` and ``## Fix`` (shown by ``cgoguard explain`` and embedded in SARIF);
* ``META = RuleMeta(...)``: its metadata, as data;
* ``check(ctx: RuleContext) -> None``: the analysis; it calls ``ctx.report(...)``.

Rules see one package at a time, after the front ends have parsed it, so they can use
package-level summaries (C contracts, struct layouts, function summaries).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cgoguard.findings import CATEGORIES, Confidence, Finding, Fix, Related, Severity

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.gofront.gofile import GoFile
    from cgoguard.gofront.package import Package

REQUIRED_DOC_SECTIONS = ("## What it finds", "## Why it matters", "## Example", "## Fix")


@dataclass(frozen=True, slots=True)
class RuleMeta:
    id: str  # "CG" + three digits
    name: str  # kebab-case, stable: users may write it in configuration
    category: str  # one of findings.CATEGORIES
    severity: Severity
    title: str  # one line, shown by `cgoguard rules`
    fixable: bool = False  # its findings can carry a fix (`scan --fix`, code actions, SARIF `fixes`)

    def __post_init__(self) -> None:
        if not (len(self.id) == 5 and self.id.startswith("CG") and self.id[2:].isdigit()):
            raise ValueError(f"rule id {self.id!r} is not CG + three digits")
        if self.category not in CATEGORIES:
            raise ValueError(f"rule {self.id}: unknown category {self.category!r}")


@dataclass(slots=True)
class Rule:
    meta: RuleMeta
    docs: str
    check: Callable[[RuleContext], None]


@dataclass
class RuleContext:
    """What a rule sees: the parsed package, shared analyses, and a way to report."""

    package: Package
    # Ownership contracts of the C functions the package can call (cgoguard.contracts).
    contracts: Any = None
    # Per-rule options from configuration, keyed by rule id.
    options: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    # Memoised analyses shared between rules of one package (key -> result).
    cache: dict[str, Any] = field(default_factory=dict)

    def shared(self, key: str, compute: Callable[[], Any]) -> Any:
        """Compute a package-wide analysis once and share it between rules."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def report(
        self,
        meta: RuleMeta,
        file: GoFile,
        node: Node,
        message: str,
        *,
        related: list[Related] | None = None,
        confidence: Confidence = Confidence.HIGH,
        severity: Severity | None = None,
        extra: dict[str, Any] | None = None,
        fix: Fix | None = None,
    ) -> Finding:
        row, col = node.start_point
        end_row, end_col = node.end_point
        finding = Finding(
            rule=meta.id,
            category=meta.category,
            message=message,
            path=file.display_path,
            line=row + 1,
            column=col + 1,
            end_line=end_row + 1,
            end_column=end_col + 1,
            severity=severity or meta.severity,
            related=related or [],
            confidence=confidence,
            extra=extra or {},
            fix=fix,
        )
        self.findings.append(finding)
        return finding

    def related(self, file: GoFile, node: Node, message: str) -> Related:
        return Related(file.display_path, node.start_point[0] + 1, message, node.start_point[1] + 1)
