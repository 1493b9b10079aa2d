"""``cgoguard run``: run a Go module's tests (or any command) under each runtime checker.

:func:`run_checks` runs the selected checks (ASan, leak detection, cgocheck, cgocheck2, the
race detector, GC tracing) with the right flags for the installed Go, sends every process's
output through ``cgoguard.reports.analyze`` and merges the findings of all checks.
"""

from cgoguard.runner.results import CheckResult
from cgoguard.runner.session import RunOptions, RunReport, run_checks

__all__ = ["CheckResult", "RunOptions", "RunReport", "run_checks"]
