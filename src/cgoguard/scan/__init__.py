"""``cgoguard scan``: static analysis of cgo packages (driver, configuration, suppressions,
baselines and the result cache).

The public names load lazily so that importing :mod:`cgoguard.scan.cli` (which every
``cgoguard`` invocation does to build its parser) does not pay for the analysis modules.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cgoguard.scan.config import ScanConfig, load_config
    from cgoguard.scan.engine import ScanResult, scan

_EXPORTS = {"ScanConfig": "config", "load_config": "config", "ScanResult": "engine", "scan": "engine"}
__all__ = ["ScanConfig", "ScanResult", "load_config", "scan"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
