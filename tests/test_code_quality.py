"""The code base stays ruff clean (lint rules and type annotations, see pyproject.toml)."""

import subprocess
import sys
from importlib.util import find_spec

import pytest
from gotools import REPO_ROOT


@pytest.mark.skipif(find_spec("ruff") is None, reason="ruff is not installed (it is in the test extra)")
def test_ruff_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "tests", "bench", "packaging"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
