"""Scan and fix until nothing fixable is left (``scan --fix``), or plan once (``--diff``).

Fixes that overlap another in one pass are applied in a later pass, after a fresh scan has
recomputed their edits against the fixed text; the result cache keeps those re-scans cheap
(only the changed packages are analysed again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cgoguard.fix.apply import FileFix, plan_fixes, write_files
from cgoguard.scan.config import ScanConfig
from cgoguard.scan.engine import ProgressCallback, ScanResult, scan

MAX_PASSES = 10


@dataclass
class FixOutcome:
    result: ScanResult  # the final scan: what is left after fixing (or before, with --diff)
    fixed: int = 0  # findings whose fix was applied (or would be, with --diff)
    files: dict[str, FileFix] = field(default_factory=dict)  # by path: the first original, the last fixed text
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # files that could not be written
    unsafe_available: int = 0  # fixes held back for want of --unsafe-fixes
    deferred: int = 0  # fixes still waiting for another pass when the passes ran out
    passes: int = 0


def fix(paths: Sequence[str], config: ScanConfig, *, unsafe: bool = False, write: bool = True,
        progress: ProgressCallback | None = None) -> FixOutcome:
    """Apply the safe (and with ``unsafe``, the unsafe) fixes of a scan of ``paths``; with
    ``write=False`` only plan one pass and return the would-be contents."""
    outcome = FixOutcome(result=scan(paths, config, progress=progress))
    while outcome.passes < (MAX_PASSES if write else 1):
        plan = plan_fixes(outcome.result.findings, unsafe=unsafe)
        outcome.passes += 1
        outcome.unsafe_available = plan.unsafe_available
        outcome.deferred = plan.deferred
        outcome.skipped += [s for s in plan.skipped if s not in outcome.skipped]
        if not plan.files:
            break
        outcome.fixed += plan.fixed
        for file in plan.files:
            previous = outcome.files.get(file.path)
            original = previous.original if previous is not None else file.original
            findings = (previous.findings if previous is not None else []) + file.findings
            outcome.files[file.path] = FileFix(file.path, original, file.fixed, findings)
        if not write:
            break
        failures = write_files(plan.files)
        outcome.failures += failures
        if failures:
            break
        outcome.result = scan(paths, config, progress=progress)
    return outcome
