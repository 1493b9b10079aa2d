"""What one check of ``cgoguard run`` came to: its status, time and findings.

Shared by the session that runs the checks (:mod:`.session`), the merge of their findings
(:mod:`.merge`) and the command line that renders them (:mod:`.cli`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cgoguard.findings import Finding

# Statuses shown in the summary table.
PASSED = "passed"
FOUND = "found bugs"
FAILED = "failed to run"
TIMED_OUT = "timed out"
NOTHING_RAN = "nothing ran"  # go test/run started no program (no test files, every package skipped)
NO_GC_CYCLE = "no GC cycle ran"  # the gc check ran, but nothing was traced
# Checks that did not check anything: a run made only of these did not test the code.
NOT_RUN = frozenset({FAILED, TIMED_OUT, NOTHING_RAN})


@dataclass
class CheckResult:
    check: str
    status: str
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    message: str = ""
    processes: int = 0
    shared_with: str = ""  # the other check of a shared execution (asan+leak)

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = {"check": self.check, "status": self.status, "findings": len(self.findings),
                                "seconds": round(self.seconds, 2), "processes": self.processes}
        if self.message:
            data["message"] = self.message
        if self.shared_with:
            data["shared_with"] = self.shared_with
        return data
