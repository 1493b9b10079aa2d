"""Autofix: rules attach a :class:`~cgoguard.findings.Fix` to their findings; this package
builds edits from syntax nodes (:mod:`.edits`, :mod:`.cgo`) and applies them to files
(:mod:`.apply`) after checking they are current, do not conflict and still parse."""

from cgoguard.fix.apply import (
    FileFix,
    FixPlan,
    applicable,
    apply_edits,
    plan_fixes,
    unified_diff,
    write_files,
)

__all__ = ["FileFix", "FixPlan", "applicable", "apply_edits", "plan_fixes", "unified_diff", "write_files"]
