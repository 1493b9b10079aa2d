"""What a fault address is: nil plus a field offset, unmapped memory, a guard page, garbage ...

A crash report gives the faulting address (``[signal SIGSEGV ... addr=0x18]``, ASan's ``SEGV on
unknown address``, valgrind's ``Access not within mapped region at address``). With the
process's memory map (``/proc/PID/maps``, captured by ``cgoguard run`` at the crash or given
with ``--maps FILE``) the address is looked up among the mappings; without it, the address
itself says a lot on linux/amd64 (the zero page, the non-canonical hole, the Go arena hints,
ASan's allocator region, the mmap area). Every answer states its evidence.

A general-protection fault (``code=0x80``, SI_KERNEL) reports address 0 although the pointer
was not nil: the CPU rejected a non-canonical address the kernel does not pass on. ASan says
the same with its "high value address" hint. SEGV_MAPERR (Go's ``sigcode=1``) says nothing
was mapped at the address: it outranks a memory map taken a moment before the fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from cgoguard.findings import InputError
from cgoguard.mem.procfs import Mapping, parse_maps
from cgoguard.reports.model import Report

PAGE = 4096
MMAP_MIN_ADDR = 0x10000  # vm.mmap_min_addr's usual value: nothing can be mapped below
LOWEST_IMAGE = 0x400000  # where non-PIE executables start: below it, usually nothing is mapped
CANONICAL_LOW_END = 0x0000_8000_0000_0000  # x86-64 user space ends here ...
CANONICAL_HIGH_START = 0xFFFF_8000_0000_0000  # ... and kernel space starts here
ASAN_HEAP = (0x6000_0000_0000, 0x6400_0000_0000)  # ASan's primary allocator region (x86-64)
# The top-down mmap area (libraries, thread stacks, glibc arenas), with its ASLR range.
MMAP_AREA = (0x7E00_0000_0000, 0x7FFF_FFFF_F000)
# Go's heap arenas stay below this on linux/amd64: the hints 0x00c0<<32 + i<<40 (i < 0x40), and
# since Go 1.26 a random base of 46 bits.
GO_HEAP_LIMIT = 0x4000_0000_0000
HUGE_RESERVATION = 1 << 40  # sanitizer shadow memory: terabytes of anonymous mapping
PIE_AREA = (0x5500_0000_0000, 0x5700_0000_0000)  # PIE executables and the brk heap after them
SI_KERNEL = 0x80  # si_code of a general-protection fault
SEGV_MAPERR = 0x1  # si_code: nothing is mapped at the address
SEGV_ACCERR = 0x2  # si_code: the address is mapped, the access is not allowed
GUARD_PAGES_MAX = 16 * PAGE  # glibc thread-stack guards are one page by default
# Starts the earlier-mappings section of the maps.txt cgoguard run writes (runner/execwrap.py).
EARLIER_MARKER = "# cgoguard: mapped earlier in the run, unmapped by the time of the snapshot above"

_VALGRIND_ADDRESS = re.compile(r"(?:at address|Address) (0x[0-9A-Fa-f]+)")
_FAULT_CATEGORIES = frozenset({"segv"})


@dataclass
class MapsSnapshot:
    """``/proc/PID/maps`` at (or near) the crash, and mappings seen earlier but gone by then."""

    mappings: list[Mapping]
    earlier: list[Mapping] = field(default_factory=list)
    source: str = ""  # where the snapshot came from, for the evidence sentence

    def containing(self, address: int) -> Mapping | None:
        return next((m for m in self.mappings if m.start <= address < m.end), None)


@dataclass(frozen=True)
class FaultAddress:
    address: int
    kind: str  # nil, nil-field, nil-negative, low, non-canonical, kernel, guard-page, prot-none, ...
    description: str  # one sentence for the user
    evidence: str  # "the address alone", "/proc/PID/maps captured at the crash", ...

    @property
    def short(self) -> str:
        """For the finding's message: ``fault address 0x18: nil pointer + 0x18``."""
        return f"fault address {self.address:#x}: {self.description.split(':')[0]}"

    def to_dict(self) -> dict[str, str]:
        return {"address": f"{self.address:#x}", "kind": self.kind, "description": self.description,
                "evidence": self.evidence}


def load_maps(path: Path, errors: list[InputError]) -> MapsSnapshot | None:
    """A maps file: a plain copy of /proc/PID/maps (or smaps), or ``cgoguard run``'s maps.txt."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        errors.append(InputError(str(path), f"cannot read the maps file: {exc.strerror or exc}"))
        return None
    current, _, earlier = text.partition(EARLIER_MARKER)
    mappings = parse_maps(current)
    if not mappings:
        errors.append(InputError(str(path), "not a /proc/PID/maps file: no mapping line in it"))
        return None
    header = next((line[2:].strip() for line in current.splitlines() if line.startswith("# /proc/")), "")
    return MapsSnapshot(mappings, parse_maps(earlier), header or f"the memory map in {path}")


def fault_of(report: Report, maps: MapsSnapshot | None = None) -> FaultAddress | None:
    """The classified fault address of a crash report, if it has one."""
    if report.category not in _FAULT_CATEGORIES:
        return None
    address = _address(report)
    if address is None:
        return None
    return classify(address, maps, access=str(report.details.get("access", "")),
                    code=_code(report), high_value_hint=bool(report.details.get("high_value_address")))


def classify(address: int, maps: MapsSnapshot | None = None, *, access: str = "", code: int | None = None,
             high_value_hint: bool = False) -> FaultAddress:
    """What ``address`` is, from the memory map when there is one, else from the address."""
    if (code == SI_KERNEL or high_value_hint) and address < MMAP_MIN_ADDR:
        return FaultAddress(address, "non-canonical", "a non-canonical (garbage) pointer: the CPU refused the "
                            "address with a general-protection fault, so the kernel reports 0 instead of it; the "
                            "pointer holds data, uninitialised memory, or freed memory that was reused",
                            "the fault kind (general protection)")
    if (found := _by_value(address)) is not None:
        return found
    if maps is not None:
        return _in_maps(address, maps, access, code)
    return _by_region(address)


def _by_value(address: int) -> FaultAddress | None:
    """Addresses that mean the same whatever is mapped."""
    alone = "the address alone"
    if address == 0:
        return FaultAddress(0, "nil", "a nil pointer dereference", alone)
    if address < PAGE:
        return FaultAddress(address, "nil-field", f"nil pointer + {address:#x}: a field or element at offset "
                            f"{address} of a nil pointer (the struct pointer itself is nil)", alone)
    if address < MMAP_MIN_ADDR:
        return FaultAddress(address, "low", f"below the lowest mappable address (64 KiB): a nil pointer + "
                            f"{address:#x} (a large struct or array), or a small integer used as a pointer", alone)
    if address >= 2**64 - PAGE:
        return FaultAddress(address, "nil-negative", f"nil pointer - {2**64 - address:#x}: a negative offset from a "
                            "nil pointer (container_of or pointer arithmetic on nil)", alone)
    if CANONICAL_LOW_END <= address < CANONICAL_HIGH_START:
        return FaultAddress(address, "non-canonical", f"a non-canonical (garbage) pointer{_text_hint(address)}: "
                            "no x86-64 address looks like this; the pointer holds data, uninitialised memory, or "
                            "freed memory that was reused", alone)
    if address >= CANONICAL_HIGH_START:
        return FaultAddress(address, "kernel", "a kernel-space address: garbage, or a negative number used as a "
                            "pointer", alone)
    return None


def _in_maps(address: int, maps: MapsSnapshot, access: str, code: int | None) -> FaultAddress:
    evidence = maps.source or "the memory map"
    mapping = maps.containing(address)
    if mapping is not None and code == SEGV_MAPERR:
        return _unmapped_since_the_snapshot(address, mapping, evidence)
    if mapping is None:
        return _unmapped(address, maps, evidence)
    where = _bracketed(mapping)
    if mapping.perms.startswith("---"):
        above = next((m for m in maps.mappings if m.start == mapping.end), None)
        if mapping.size <= GUARD_PAGES_MAX and above is not None and "rw" in above.perms:
            return FaultAddress(address, "guard-page", f"a stack guard page {where}: the inaccessible page below a "
                                "thread stack; a C stack overflow (deep recursion, a large local array), or a pointer "
                                "just below a thread stack", evidence)
        return FaultAddress(address, "prot-none", f"a PROT_NONE reservation {where}: address space reserved but "
                            "never made accessible (Go's arena reservations, a glibc arena's unused tail, an "
                            "mmap(PROT_NONE) region); the pointer is stale or computed wrongly", evidence)
    if (access == "WRITE" and "w" not in mapping.perms) or (code == SEGV_ACCERR and mapping.perms[:2] != "rw"):
        what = "code" if "x" in mapping.perms else "read-only data (a string literal, a constant)"
        return FaultAddress(address, "read-only", f"a write to {what} {where}", evidence)
    kind = _mapped_kind(mapping, maps.mappings)
    return FaultAddress(address, kind, f"{_mapped_description(kind, mapping)} {where}", evidence)


def _mapped_kind(mapping: Mapping, mappings: list[Mapping]) -> str:
    name = mapping.name
    if name == "[heap]":
        return "c-heap"
    if name.startswith("[stack"):
        return "stack"
    if mapping.file_backed:
        return "file"
    if "Go: heap" in name:
        return "go-heap"
    if name:
        return "anonymous"
    executable = next((m.name for m in mappings if m.file_backed), "")
    if mapping.start == max((m.end for m in mappings if executable and m.name == executable), default=-1):
        return "bss"
    if mapping.size >= HUGE_RESERVATION:
        return "shadow"
    # Go reserves its arenas low (at random addresses since Go 1.26); C's anonymous memory
    # (malloc's large blocks, arenas, thread stacks) lives in the mmap area.
    return "go-heap" if mapping.start < GO_HEAP_LIMIT else "anonymous"


def _mapped_description(kind: str, mapping: Mapping) -> str:
    return {
        "c-heap": "the C heap (brk): mapped, so the pointer may point into freed or reused memory",
        "stack": "a thread stack",
        "bss": "the executable's zero-initialised data (Go and C globals)",
        "shadow": "a sanitizer's shadow memory: a wild pointer (ASan/TSan map terabytes here)",
        "go-heap": "the Go heap: a Go pointer used from C (kept after the call, or after the object was "
                   "collected), or a stale unsafe.Pointer",
        "file": f"a mapping of {mapping.name}",
        "anonymous": "anonymous memory (malloc's large blocks and thread arenas, C library buffers)",
    }[kind]


def _unmapped_since_the_snapshot(address: int, mapping: Mapping, evidence: str) -> FaultAddress:
    """The map shows the address mapped, the kernel says nothing was (SEGV_MAPERR): the map was
    taken before the memory was unmapped (a crash too quick for a snapshot at the crash)."""
    return FaultAddress(address, "unmapped", f"memory that was mapped and then unmapped: {_bracketed(mapping)} is in "
                        "the memory map, but the kernel found nothing mapped at the fault (SEGV_MAPERR), so it was "
                        f"unmapped after the map was taken ({_USE_AFTER_MUNMAP})", evidence)


def _unmapped(address: int, maps: MapsSnapshot, evidence: str) -> FaultAddress:
    gone = next((m for m in maps.earlier if m.start <= address < m.end), None)
    if gone is not None:
        return FaultAddress(address, "unmapped", f"memory that was mapped and then unmapped: {_bracketed(gone)} "
                            f"existed earlier in the run and was gone at the crash ({_USE_AFTER_MUNMAP})", evidence)
    below = max((m for m in maps.mappings if m.end <= address), key=lambda m: m.end, default=None)
    above = min((m for m in maps.mappings if m.start > address), key=lambda m: m.start, default=None)
    if below is None:
        return FaultAddress(address, "low", f"below every mapping: a nil pointer + {address:#x} (a large struct "
                            "or array), or a small integer used as a pointer", evidence)
    if below is not None and above is not None and MMAP_AREA[0] <= address < MMAP_AREA[1] \
            and below.start >= MMAP_AREA[0]:
        return FaultAddress(address, "unmapped", f"not mapped: a hole in the mmap area between {below.end:#x} and "
                            f"{above.start:#x}, where memory is typically unmapped (munmap, a freed large malloc "
                            "block, an exited thread's stack)", evidence)
    return FaultAddress(address, "wild", "not mapped and not next to any mapping: a wild pointer (garbage, or an "
                        "integer used as a pointer)", evidence)


_USE_AFTER_MUNMAP = "a use after munmap: a freed large malloc block, an unmapped buffer or file"


def _bracketed(mapping: Mapping) -> str:
    return f"[{mapping.start:#x}-{mapping.end:#x} {mapping.perms}{' ' + mapping.name if mapping.name else ''}]"


def _by_region(address: int) -> FaultAddress:
    """Without a memory map: the region of the linux/amd64 address space the address is in."""
    alone = "the address alone (give --maps with /proc/PID/maps for certainty)"
    if address < LOWEST_IMAGE:
        return FaultAddress(address, "low", f"a low address where nothing is usually mapped: a nil pointer + "
                            f"{address:#x} (a large struct or array), or a small integer used as a pointer", alone)
    if ASAN_HEAP[0] <= address < ASAN_HEAP[1]:
        return FaultAddress(address, "c-heap", "ASan's heap: C memory (freed, or out of bounds)", alone)
    if _go_arena(address):
        return FaultAddress(address, "go-heap", "probably the Go heap (Go's arena addresses on linux/amd64): a Go "
                            "pointer used from C after the call, or after the object was collected", alone)
    if MMAP_AREA[0] <= address < MMAP_AREA[1]:
        return FaultAddress(address, "mmap-area", "the mmap area (shared libraries, thread stacks, large malloc "
                            "blocks, glibc arenas): possibly memory that was unmapped", alone)
    if PIE_AREA[0] <= address < PIE_AREA[1] or address < 2**32:
        return FaultAddress(address, "image-or-brk", "the executable's image or the brk C heap after it", alone)
    if hint := _text_hint(address):
        return FaultAddress(address, "garbage", f"a garbage pointer{hint}", alone)
    if address < GO_HEAP_LIMIT:
        return FaultAddress(address, "below-mmap-area", "below the mmap area: the Go heap (at a random address "
                            "since Go 1.26), or a garbage pointer", alone)
    return FaultAddress(address, "unusual", "an address in no usual region: probably a garbage pointer", alone)


def _go_arena(address: int) -> bool:
    """Go's heap arena hints on linux/amd64 before Go 1.26: 0x00c0<<32 plus i<<40."""
    return address < GO_HEAP_LIMIT and (address >> 32) & 0xFF >= 0xC0


def _text_hint(address: int) -> str:
    """`` holding the text "hello"`` when the pointer's bytes are printable ASCII (little-endian)."""
    raw = address.to_bytes(8, "little").rstrip(b"\0")
    if len(raw) >= 4 and all(32 <= b < 127 for b in raw):
        return f" holding the text {raw.decode('ascii')!r}"
    if len(set(raw)) == 1 and len(raw) == 8:
        return f" filled with the byte {raw[0]:#04x} (a fill pattern: uninitialised or freed memory)"
    return ""


def _address(report: Report) -> int | None:
    text = report.details.get("address") or ""
    if not text and report.detector == "valgrind":
        found = _VALGRIND_ADDRESS.search(str(report.details.get("location", "")))
        text = found.group(1) if found else ""
    try:
        return int(str(text), 16) if str(text).startswith(("0x", "0X")) else None
    except ValueError:
        return None


def _code(report: Report) -> int | None:
    raw = str(report.details.get("sigcode", ""))
    try:
        return int(raw, 0) if raw else None
    except ValueError:
        return None
