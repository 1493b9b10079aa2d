"""The Go runtime's own memory figures, from a pprof endpoint (``/debug/pprof/heap?debug=1``)."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

from cgoguard.errors import CgoguardError

_STAT = re.compile(r"^#\s*(?P<key>[A-Z]\w*)\s*=\s*(?P<value>\d+)\s*$")
# The MemStats block ends the heap profile; it is a few KiB, the profile can be large.
MAX_PROFILE_BYTES = 64 * 1024 * 1024


def parse_memstats(text: str) -> dict[str, int]:
    """``# HeapInuse = 1234`` lines of a debug=1 heap profile."""
    stats: dict[str, int] = {}
    for line in text.splitlines():
        match = _STAT.match(line.strip())
        if match:
            stats[match["key"]] = int(match["value"])
    return stats


def heap_profile_url(base: str) -> str:
    base = base.rstrip("/")
    if "/debug/pprof/heap" in base:
        return base if "debug=" in base else base + ("&" if "?" in base else "?") + "debug=1"
    return base + "/debug/pprof/heap?debug=1"


def fetch_memstats(base_url: str, timeout: float = 5.0) -> dict[str, int]:
    url = heap_profile_url(base_url)
    if not url.startswith(("http://", "https://")):
        raise CgoguardError(f"--pprof takes an http(s) URL, got {base_url!r}")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            text = response.read(MAX_PROFILE_BYTES).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise CgoguardError(f"cannot read {url}: {exc}") from exc
    stats = parse_memstats(text)
    if not stats:
        raise CgoguardError(f"{url} has no MemStats block (is it a Go heap profile with debug=1?)")
    return stats
