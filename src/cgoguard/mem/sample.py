"""Samples of a process's memory over time, and their saved (JSON) form."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cgoguard.errors import CgoguardError
from cgoguard.mem.classify import classify, refine_with_memstats
from cgoguard.mem.procfs import Mapping, parse_maps, parse_status, read_process

SNAPSHOT_VERSION = 1


@dataclass
class Sample:
    time: float  # seconds since the epoch
    pid: int
    rss: int  # VmRSS from status (bytes)
    classes: dict[str, int]  # resident bytes per class
    memstats: dict[str, int] = field(default_factory=dict)  # Go runtime MemStats, when known
    name: str = ""
    source: str = "heuristic"  # "heuristic" (mappings) or "memstats" (runtime figures)

    def to_dict(self) -> dict:
        return {"version": SNAPSHOT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> Sample:
        try:
            return cls(time=float(data["time"]), pid=int(data.get("pid", 0)), rss=int(data.get("rss", 0)),
                       classes={str(k): int(v) for k, v in data["classes"].items()},
                       memstats={str(k): int(v) for k, v in data.get("memstats", {}).items()},
                       name=str(data.get("name", "")), source=str(data.get("source", "heuristic")))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CgoguardError(f"not a cgoguard memory snapshot: {exc}") from exc


def make_sample(mappings: list[Mapping], status: dict[str, int], *, pid: int, when: float,
                name: str = "", memstats: dict[str, int] | None = None) -> Sample:
    classes = classify(mappings)
    source = "heuristic"
    if memstats:
        classes = refine_with_memstats(classes, memstats)
        source = "memstats"
    rss = status.get("VmRSS") or sum(m.rss for m in mappings)
    return Sample(when, pid, rss, classes, dict(memstats or {}), name, source)


def sample_process(pid: int, memstats: dict[str, int] | None = None) -> Sample:
    mappings, status, name = read_process(pid)
    return make_sample(mappings, status, pid=pid, when=time.time(), name=name, memstats=memstats)


def save(sample: Sample, directory: Path, index: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"sample-{index:05d}.json"
    path.write_text(json.dumps(sample.to_dict()), encoding="utf-8")
    return path


def load(paths: list[Path]) -> list[Sample]:
    """Snapshots saved with ``--save``, or raw smaps files (timestamped by their mtime);
    a directory means every file in it."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.is_file())
        elif path.exists():
            files.append(path)
        else:
            raise CgoguardError(f"{path}: no such file or directory")
    samples = [_load_one(path) for path in files]
    return sorted(samples, key=lambda s: s.time)


def _load_one(path: Path) -> Sample:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CgoguardError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if b"\0" in data[:4096]:
        raise CgoguardError(f"{path}: binary file, not a snapshot or smaps file")
    text = data.decode("utf-8", "replace")
    if text.lstrip().startswith("{"):
        try:
            return Sample.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise CgoguardError(f"{path}: invalid JSON snapshot: {exc}") from exc
    mappings = parse_maps(text)
    if not mappings:
        raise CgoguardError(f"{path}: neither a cgoguard snapshot nor /proc/PID/smaps text")
    return make_sample(mappings, parse_status(""), pid=0, when=os.path.getmtime(path), name=path.name)
