"""Shared fixtures: the real Go toolchain, the public samples, cached cgo builds.

Tests that need Go or a C compiler skip cleanly when they are missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gotools import SHARED, build_go, have_go, requires_go  # noqa: F401  (re-exported for tests)


@pytest.fixture(scope="session")
def shared_samples() -> Path:
    samples = SHARED / "samples"
    if not samples.is_dir():
        pytest.skip("../shared/samples is not present")
    return samples


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    reference = SHARED / "reference"
    if not reference.is_dir():
        pytest.skip("../shared/reference is not present")
    return reference


@pytest.fixture(scope="session")
def go_builder():
    """The :func:`build_go` function, skipping the test when Go is missing."""
    if not have_go():
        pytest.skip("needs the Go toolchain and a C compiler")
    return build_go
