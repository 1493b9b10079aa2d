"""Hand the ``profile`` check's perf recordings to :mod:`cgoguard.profile`.

Each test binary ran under ``perf record`` in its own log directory (``perf.data``, and a
copy of the binary, which ``go test`` deletes when it ends). Every process is attributed
on its own, against its binary; the call sites of all of them are then added up.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cgoguard.findings import InputError
from cgoguard.runner.logs import ProcessLog

MAX_SITES = 20  # call sites the run report lists


def recordings(processes: list[ProcessLog], directory: Path) -> list[tuple[Path, Path | None, str]]:
    """(perf.data, the binary's copy, label) of every process; a command run without the exec
    wrapper leaves one perf.data in the execution's directory."""
    found = []
    for log in processes:
        data = log.directory / "perf.data"
        if data.is_file():
            binary = log.directory / "binary"
            found.append((data, binary if binary.is_file() else None, log.label))
    if not found and (directory / "perf.data").is_file():
        found.append((directory / "perf.data", None, "command"))
    return found


def analyze_profiles(processes: list[ProcessLog], directory: Path,
                     module_root: Path) -> tuple[dict[str, Any], list[InputError]]:
    """The ranked call sites of every recorded process, and the recordings that could not be read."""
    try:
        from cgoguard.profile.attribute import attribute
        from cgoguard.profile.inputs import UnreadableProfile, run_perf_script
        from cgoguard.profile.render import merge_summaries, summary
    except ImportError:
        return {}, [InputError("check profile", "cgoguard.profile is not available: perf recordings were made "
                                                "but not analysed")]
    summaries: list[dict[str, Any]] = []
    errors: list[InputError] = []
    for data, binary, label in recordings(processes, directory):
        try:
            counts = run_perf_script(data)
        except UnreadableProfile as exc:
            errors.append(InputError(f"profile of {label}", str(exc)))
            continue
        result = attribute(counts, binary=binary, source_roots=[module_root])
        for site in result.call_sites:
            site.path = _relative(site.path)
        errors += result.errors
        summaries.append(summary(result, label))
    return merge_summaries(summaries, MAX_SITES), errors


def _relative(path: str) -> str:
    """A path under the current directory as the findings show them: relative."""
    if not path or not Path(path).is_absolute():
        return path
    return os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd().resolve()) else path
