"""Fixtures must stay valid Go: the Go compiler and `go vet` type-check them all.

vet's cgocall and unsafeptr analyzers are off: positive fixtures break those rules on purpose.
"""

import subprocess

from analysistest import FIXTURES
from gotools import requires_go


@requires_go
def test_fixtures_are_valid_go() -> None:
    if not any(FIXTURES.rglob("*.go")):
        return
    result = subprocess.run(
        ["go", "vet", "-cgocall=false", "-unsafeptr=false", "./..."],
        cwd=FIXTURES, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr
