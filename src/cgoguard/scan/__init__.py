"""``cgoguard scan``: static analysis of cgo packages (driver, configuration, suppressions,
baselines and the result cache)."""

from cgoguard.scan.config import ScanConfig, load_config
from cgoguard.scan.engine import ScanResult, scan

__all__ = ["ScanConfig", "ScanResult", "load_config", "scan"]
