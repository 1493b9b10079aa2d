"""C-memory lifetime analysis (see :mod:`.analysis`)."""

from cgoguard.analysis.lifetime.analysis import (
    Event,
    PackageLifetime,
    analyze_package,
    declared_names,
    report_events,
)

__all__ = ["Event", "PackageLifetime", "analyze_package", "declared_names", "report_events"]
