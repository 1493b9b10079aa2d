"""Readers for /proc/PID/smaps (or smaps_rollup + maps) and /proc/PID/status.

Parsers take text, so saved files and live processes go through the same code; a malformed
line is skipped, never fatal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from cgoguard.errors import CgoguardError

_MAPPING = re.compile(
    r"^(?P<start>[0-9a-fA-F]+)-(?P<end>[0-9a-fA-F]+)\s+(?P<perms>[-rwxps]{4})\s+(?P<offset>[0-9a-fA-F]+)\s+"
    r"(?P<dev>[0-9a-fA-F]+:[0-9a-fA-F]+)\s+(?P<inode>\d+)\s*(?P<name>.*)$"
)
_FIELD = re.compile(r"^(?P<key>[A-Za-z_][\w()]*):\s+(?P<value>\d+)(?:\s+kB)?\s*$")
_VM_FLAGS = re.compile(r"^VmFlags:((?:\s+[a-z0-9]{2})*)\s*$")


@dataclass
class Mapping:
    start: int
    end: int
    perms: str
    offset: int
    inode: int
    name: str
    # smaps fields in bytes (Rss, Pss, Anonymous, Swap, ...); empty when read from maps only.
    fields: dict[str, int] = field(default_factory=dict)
    # The two-letter VmFlags of smaps (``nr``: mapped MAP_NORESERVE, ``nh``: no huge pages, ...);
    # None when unknown (maps text, kernels before 3.8).
    vm_flags: frozenset[str] | None = None

    @property
    def size(self) -> int:
        return self.end - self.start

    @property
    def rss(self) -> int:
        return self.fields.get("Rss", 0)

    @property
    def anonymous(self) -> bool:
        return self.inode == 0 and (not self.name or self.name.startswith("[anon"))

    @property
    def file_backed(self) -> bool:
        return self.inode != 0 or self.name.startswith("/")


class ProcessGone(CgoguardError):
    """The process exited (or never existed)."""


def parse_maps(text: str) -> list[Mapping]:
    """``/proc/PID/maps`` or ``/proc/PID/smaps`` text; smaps fields are attached when present."""
    mappings: list[Mapping] = []
    for line in text.splitlines():
        match = _MAPPING.match(line)
        if match:
            try:
                mappings.append(Mapping(
                    start=int(match["start"], 16), end=int(match["end"], 16), perms=match["perms"],
                    offset=int(match["offset"], 16), inode=int(match["inode"]), name=match["name"].strip(),
                ))
            except ValueError:
                continue
            continue
        flags_match = _VM_FLAGS.match(line.strip())
        if flags_match and mappings:
            mappings[-1].vm_flags = frozenset(flags_match[1].split())
            continue
        field_match = _FIELD.match(line.strip())
        if field_match and mappings:
            multiplier = 1024 if line.rstrip().endswith("kB") else 1
            mappings[-1].fields[field_match["key"]] = int(field_match["value"]) * multiplier
    return [m for m in mappings if m.end > m.start]


def parse_status(text: str) -> dict[str, int]:
    """Numeric fields of ``/proc/PID/status`` in bytes (kB fields) or as counts."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if not parts or not parts[0].isdigit():
            continue
        values[key.strip()] = int(parts[0]) * (1024 if len(parts) > 1 and parts[1] == "kB" else 1)
    return values


def read_process(pid: int, proc: Path = Path("/proc")) -> tuple[list[Mapping], dict[str, int], str]:
    """(mappings with smaps fields, status, command name) of a live process."""
    base = proc / str(pid)
    try:
        status_text = (base / "status").read_text(errors="replace")
        smaps_text = (base / "smaps").read_text(errors="replace")
    except FileNotFoundError as exc:
        raise ProcessGone(f"process {pid} does not exist (or has exited)") from exc
    except PermissionError as exc:
        raise CgoguardError(
            f"permission denied reading /proc/{pid}/smaps: run as the process's user (or root)") from exc
    except ProcessLookupError as exc:
        raise ProcessGone(f"process {pid} exited") from exc
    if any(line.startswith("State:") and "Z" in line.split()[1:2] for line in status_text.splitlines()):
        raise ProcessGone(f"process {pid} exited (zombie)")
    status = parse_status(status_text)
    name = next((line.split(":", 1)[1].strip() for line in status_text.splitlines()
                 if line.startswith("Name:")), "")
    return parse_maps(smaps_text), status, name
