"""GC pause analysis (``cgoguard gc``) and its measured correlation with cgo activity.

* :func:`analyze_gctrace` reads ``GODEBUG=gctrace=1`` output of any Go version since 1.4;
* :func:`correlate` puts stop-the-world pauses and cgo calls from a Go execution trace on
  one clock and measures how they interact.
"""

from cgoguard.gc.analysis import GcAnalysis, analyze_files, analyze_gctrace
from cgoguard.gc.correlate import Correlation, correlate

__all__ = ["Correlation", "GcAnalysis", "analyze_files", "analyze_gctrace", "correlate"]
