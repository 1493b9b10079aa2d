"""Severity that matches certainty: one policy for every rule.

Each rule has a default severity (`cgoguard rules` lists it): what a finding deserves when
the analysis is certain. Each finding is graded from it by what is known about that case:

* **error**: every path, or one certain path, goes wrong. A use after free on every path to
  the use; a double free; a pointer the runtime's cgocheck rejects; a handle whose owner
  nothing outside the function keeps alive while C uses it.
* **warning** at most: a *latent* hazard, wrong only if something outside the function
  happens (a caller drops its last reference, the collector runs at the wrong moment); or a
  finding that rests on an *inferred* contract (a naming convention, or the package's own Go
  usage: low confidence) rather than documentation, an attribute or a C body.
* **info**: *advice*, modernisation with no hazard today, such as a hand-made
  `reflect.SliceHeader` over C memory (which the collector never moves or frees) or a
  `(*[1 << 30]T)(p)[:n:n]` cast with both bounds. The same code over Go memory, or with a
  bound missing, keeps the rule's default.

Each rule's `cgoguard explain` page has a Severity section saying how its findings are
graded. Configuration sets a rule's severity outright, in either direction:
`severity = { CG301 = "error" }` fails CI on every missing KeepAlive, latent ones included;
`severity = { CG306 = "info" }` never does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING

from cgoguard.findings import Confidence, Finding, Severity

if TYPE_CHECKING:
    from cgoguard.rules.base import RuleContext, RuleMeta


class Certainty(StrEnum):
    CERTAIN = "certain"  # every path, or a certain path, is wrong
    LATENT = "latent"  # wrong only if something outside the function happens
    ADVICE = "advice"  # no hazard today: modernisation


SECTION = "## Severity"  # the section of a rule's docs that says how its findings are graded
_CEILING = {Certainty.CERTAIN: Severity.ERROR, Certainty.LATENT: Severity.WARNING, Certainty.ADVICE: Severity.INFO}
_C_CALL = re.compile(r"\bC\.(\w+)\s*\(")


def graded(meta: RuleMeta, certainty: Certainty = Certainty.CERTAIN,
           confidence: Confidence = Confidence.HIGH) -> Severity:
    """The severity of one finding of rule ``meta``: its default, capped by what is known."""
    ceiling = _CEILING[certainty]
    if confidence is Confidence.LOW:
        ceiling = min(ceiling, Severity.WARNING, key=lambda s: s.rank)
    return min(meta.severity, ceiling, key=lambda s: s.rank)


def report_graded_by_contracts(ctx: RuleContext, meta: RuleMeta, report: Callable[[], None]) -> None:
    """Run ``report`` (which adds findings of ``meta``), then grade each new finding by the
    contracts of the C calls on its lines (the finding's and its related locations'): a
    verdict that rests on a low-confidence contract is no more confident, nor more severe than
    a warning."""
    start = len(ctx.findings)
    report()
    contracts = ctx.contracts if ctx.contracts is not None else ctx.cache.get("contracts")
    if contracts is None:
        return
    for finding in ctx.findings[start:]:
        if finding.rule != meta.id:
            continue
        basis = [c.confidence for name in _c_calls(ctx, finding) if (c := contracts.get(name)) is not None and c.is_known]
        confidence = min([finding.confidence, *basis], key=_CONFIDENCE_ORDER.index)
        finding.confidence = confidence
        finding.severity = graded(meta, Certainty.CERTAIN, confidence)


_CONFIDENCE_ORDER = [Confidence.LOW, Confidence.MEDIUM, Confidence.HIGH]


def _c_calls(ctx: RuleContext, finding: Finding) -> set[str]:
    """The C functions called on the lines a finding names."""
    names: set[str] = set()
    for path, line in [(finding.path, finding.line), *((r.path, r.line) for r in finding.related)]:
        file = ctx.package.file(path)
        if file is not None:
            names.update(_C_CALL.findall(file.line_text(line)))
    return names
