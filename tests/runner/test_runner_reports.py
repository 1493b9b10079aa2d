"""``cgoguard run`` end to end on report shapes that need the process's whole output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from gotools import requires_go

from cgoguard.cli import main

VIEWUAF = Path(__file__).parent.parent / "reports" / "programs" / "viewuaf"


@requires_go
def test_go_read_of_freed_c_memory_is_one_finding_at_the_read(tmp_path: Path) -> None:
    """The abort's garbled runtime dump (a Go fault, not a cgo call) folds into the ASan report."""
    module = tmp_path / "viewuaf"
    shutil.copytree(VIEWUAF, module)
    (module / "go.mod").write_text("module example.com/viewuaf\n\ngo 1.21\n")
    report = tmp_path / "report.json"
    code = main(["run", "--no-static", "--check", "asan", "-C", str(module), "--format", "json", "-o", str(report),
                 "--", "go", "run", "."])
    document = json.loads(report.read_text())
    assert code == 1, document
    (finding,) = document["findings"]
    lines = (module / "main.go").read_text().splitlines()
    assert finding["category"] == "use-after-free"
    assert lines[finding["line"] - 1].strip() == "b.WriteString(name)"
    assert finding["confidence"] == "high"  # the dump's hexdump names main.greeting
