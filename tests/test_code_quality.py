"""The code base stays ruff clean (lint rules and type annotations, see pyproject.toml)."""

import shutil
import subprocess
import sys

import pytest
from gotools import REPO_ROOT


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed (it is in the test extra)")
def test_ruff_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "tests", "bench"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
