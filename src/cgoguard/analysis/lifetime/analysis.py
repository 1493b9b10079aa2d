"""Reporting glue between the lifetime analysis and the rules (moved to the rules next)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgoguard.analysis.lifetime.driver import PackageLifetime, analyze_package

if TYPE_CHECKING:
    from cgoguard.rules.base import RuleContext, RuleMeta


def report_events(ctx: RuleContext, meta: RuleMeta, kinds: frozenset[str]) -> None:
    """Report the package's lifetime events of ``kinds`` under rule ``meta``."""
    result: PackageLifetime = ctx.shared("lifetime", lambda: analyze_package(ctx.package, _contracts(ctx)))
    reported: set[tuple[str, int, str]] = set()
    for file, event in result.events:  # `file` holds the analysed function (and the related nodes)
        where = event.file or file
        key = (where.display_path, event.node.start_byte, event.kind)
        if event.kind not in kinds or key in reported:
            continue
        reported.add(key)
        related = [ctx.related(file, node, message) for node, message in event.related]
        ctx.report(meta, where, event.node, event.message, related=related, confidence=event.confidence)


def _contracts(ctx: RuleContext) -> object:
    if ctx.contracts is not None:
        return ctx.contracts
    from cgoguard.contracts import contracts_for_package

    return ctx.shared("contracts", lambda: contracts_for_package(ctx.package, called_only=True))
