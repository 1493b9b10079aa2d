"""Baselines: accept today's findings, report only new ones.

A baseline is a JSON file of fingerprints. Matching is by fingerprint as a multiset: if the
baseline holds a fingerprint twice, two current findings with it are accepted and a third
is new. Line numbers are stored only to help a human reading the file.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from cgoguard import __version__
from cgoguard.errors import UsageError
from cgoguard.findings import Finding
from cgoguard.safeio import UNCONFINED

BASELINE_VERSION = 1
# A baseline of 100,000 findings is ~25 MB; a larger "baseline" is not one (/dev/zero is refused
# by type before this limit matters).
MAX_BASELINE_BYTES = 64 * 1024 * 1024


def write_baseline(path: Path, findings: Iterable[Finding]) -> int:
    entries = [
        {"fingerprint": f.fingerprint, "rule": f.rule, "path": f.path, "line": f.line, "message": f.message}
        for f in sorted(findings, key=lambda f: f.sort_key)
    ]
    document = {"tool": {"name": "cgoguard", "version": __version__}, "baseline_version": BASELINE_VERSION,
                "findings": entries}
    try:
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write baseline {path}: {exc.strerror or exc}") from exc
    return len(entries)


def read_baseline(path: Path) -> Counter[str]:
    try:
        document = json.loads(UNCONFINED.read_text(path, MAX_BASELINE_BYTES, errors="strict"))
    except FileNotFoundError as exc:
        raise UsageError(f"baseline {path} does not exist (create it with --write-baseline)") from exc
    except OSError as exc:
        raise UsageError(f"cannot read baseline {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"baseline {path} is not a cgoguard baseline (invalid JSON: {exc})") from exc
    entries = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("fingerprint"), str)
                                                for e in entries):
        raise UsageError(f"baseline {path} is not a cgoguard baseline (expected a 'findings' list "
                         "of objects with a 'fingerprint')")
    return Counter(e["fingerprint"] for e in entries)


def filter_baselined(findings: Iterable[Finding], baseline: Counter[str]) -> tuple[list[Finding], int]:
    """(new findings, number accepted by the baseline)."""
    remaining = Counter(baseline)
    new: list[Finding] = []
    accepted = 0
    for finding in sorted(findings, key=lambda f: f.sort_key):
        if remaining[finding.fingerprint] > 0:
            remaining[finding.fingerprint] -= 1
            accepted += 1
        else:
            new.append(finding)
    return new, accepted
