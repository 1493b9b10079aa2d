"""Frames of a profile turned into functions and source lines, and sorted by who owns the code.

``perf script`` names each frame's symbol and its offset (``main.main+0x151``) and the DSO, but
no source line, and the address it prints is relative to the DSO's mapping. The virtual
address is the symbol's start (from the ELF symbol tables) plus the offset, or, for a frame
without a symbol, the file offset carried through the ELF load segments. Addresses are then
symbolized with :func:`cgoguard.reports.symbolize.symbolize_addresses` (llvm-symbolizer,
addr2line or the DWARF line tables), which also expands inlined calls. The address of every
frame but the leaf is a return address: one byte before it lies in the call instruction,
whose line is the call site's.

pprof frames arrive with their lines; they are only classified.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cgoguard.findings import Frame as FindingFrame
from cgoguard.findings import InputError
from cgoguard.profile.model import Frame, Stack
from cgoguard.reports.frames import classify
from cgoguard.safeio import is_regular_file

MAX_ADDRESSES_PER_MODULE = 100_000
# gcc's names for clones and split parts of a C function (``burn.constprop.0``, ``f.cold``):
# they hold dots like Go names do.
_C_CLONE = re.compile(r"\.(?:constprop|isra|part|cold|lto_priv|localalias|clone)(?:\.\d+)*$|\.cold$")
# File-local assembly functions of the Go runtime, which carry no package prefix.
_RUNTIME_ASM = re.compile(r"^(?:gosave\w*|gogo|goexit|setg_gcc|aeshash\w*|memeqbody|cmpbody|indexbytebody|countbody"
                          r"|callRet|_rt0_\w+)$")
_GO_GLUE = re.compile(r"^(?P<package>.+)\.(?:_Cfunc_|_C2func_)(?P<name>\w+?)(?:\.abi0)?$")
_C_GLUE = re.compile(r"^_cgo_(?P<hash>[0-9a-f]{12})_C2?func_(?P<name>\w+)$")
_CALLBACK = re.compile(r"^(?:crosscall2|crosscall_amd64|crosscall1|runtime\.cgocallback\w*|_cgoexp_[0-9a-f]{12}_\w+"
                       r"|.+\._cgoexp(?:wrap)?_[0-9a-f]{12}_\w+)(?:\.abi0)?$")


@dataclass(frozen=True, slots=True)
class Resolved:
    """A frame after symbolization: one function (an inlined call is a frame of its own)."""

    function: str
    path: str = ""
    line: int = 0
    kind: str = ""  # "go", "runtime", "c", "kernel", "go-glue" (pkg._Cfunc_f), "c-glue" (_cgo_<h>_Cfunc_f),
    #                 "callback" (C calling Go), "" (unknown)
    module: str = ""

    @property
    def glue_name(self) -> str:
        """``f`` for ``pkg._Cfunc_f`` and ``_cgo_<hash>_Cfunc_f``."""
        match = (_GO_GLUE if self.kind == "go-glue" else _C_GLUE).match(self.function)
        return match["name"] if match else ""

    @property
    def glue_package(self) -> str:
        """The import path of a ``pkg._Cfunc_f`` frame, the cgo hash of a ``_cgo_<h>_Cfunc_f`` one."""
        if self.kind == "go-glue" and (match := _GO_GLUE.match(self.function)):
            return match["package"]
        if self.kind == "c-glue" and (match := _C_GLUE.match(self.function)):
            return match["hash"]
        return ""


def kind_of(function: str, module: str, path: str = "") -> str:
    """Who owns a frame's code, from its name, module and source file."""
    if module.startswith("[kernel") or module in ("[guest.kernel.kallsyms]",):
        return "kernel"
    name = function.removesuffix(".abi0")
    if not name:
        return ""
    if _GO_GLUE.match(function):
        return "go-glue"
    if _C_GLUE.match(name):
        return "c-glue"
    if _CALLBACK.match(function):
        return "callback"
    if _RUNTIME_ASM.match(name):
        return "runtime"
    if _C_CLONE.search(name):
        return "c"
    kind = classify(FindingFrame(function=name, path=path, module=module))
    if kind == "runtime":
        return "runtime"
    if kind == "go":
        # A dotted name in a shared library is C (a clone gcc named oddly), not Go.
        return "c" if module.endswith(".so") or ".so." in module else "go"
    if kind == "cgo-glue":
        return "runtime"  # _cgoCheckPointer, _Cgo_ptr ...: cgo's Go-side bookkeeping
    return "c"


@dataclass
class _Binary:
    """What is needed to turn a perf address into a virtual address."""

    starts: dict[str, int]  # symbol -> address
    segments: list[tuple[int, int, int]]  # (file offset, virtual address, size) of PT_LOAD


@lru_cache(maxsize=32)
def _binary(path: Path) -> _Binary | None:
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with path.open("rb") as stream:
            elf = ELFFile(stream)
            starts: dict[str, int] = {}
            for name in (".dynsym", ".symtab"):
                table = elf.get_section_by_name(name)
                if table is None or not hasattr(table, "iter_symbols"):
                    continue
                for symbol in table.iter_symbols():
                    if symbol["st_info"]["type"] in ("STT_FUNC", "STT_GNU_IFUNC") and symbol["st_value"]:
                        starts.setdefault(symbol.name, symbol["st_value"])
            segments = [(seg["p_offset"], seg["p_vaddr"], seg["p_filesz"]) for seg in elf.iter_segments()
                        if seg["p_type"] == "PT_LOAD"]
    except (OSError, ELFError, ValueError, KeyError, IndexError, UnicodeDecodeError):
        return None
    return _Binary(starts, segments)


def virtual_address(binary: _Binary, frame: Frame) -> int | None:
    if frame.function and frame.offset is not None and frame.function in binary.starts:
        return binary.starts[frame.function] + frame.offset
    for offset, vaddr, size in binary.segments:
        if offset <= frame.address < offset + size:
            return frame.address - offset + vaddr
    return None


class Symbolizer:
    """Resolves the frames of perf stacks, module by module, in batches."""

    def __init__(self, binary: Path | None, errors: list[InputError], main_module: str = "") -> None:
        self.binary = binary
        self.errors = errors
        self.resolved: dict[tuple[Frame, bool], tuple[Resolved, ...]] = {}
        self.main_module = main_module  # the DSO most user frames are in: the profiled program

    def module_file(self, module: str) -> Path | None:
        """The file to read for a DSO perf printed: --binary when the names agree, or when it
        stands for the profile's main program that is no longer where it ran; else the DSO."""
        if not module or module.startswith("["):
            return None
        binary = self.binary
        if binary is not None and (Path(module).name == binary.name
                                   or (module == self.main_module and not is_regular_file(module))):
            return binary
        return Path(module) if is_regular_file(module) else None

    def resolve_all(self, stacks: Iterable[Stack]) -> None:
        """Symbolize every distinct (frame, is-a-return-address) of the stacks."""
        wanted: dict[Path, dict[int, list[tuple[Frame, bool]]]] = {}
        for stack in stacks:
            for index, frame in enumerate(stack):
                key = (frame, index > 0)
                if key in self.resolved:
                    continue
                self.resolved[key] = (self._unsymbolized(frame),)
                if frame.path or frame.module.startswith("[") or not frame.module:
                    continue
                path = self.module_file(frame.module)
                info = _binary(path) if path is not None else None
                if path is None or info is None:
                    continue
                address = virtual_address(info, frame)
                if address is None:
                    continue
                lookup = address - 1 if index > 0 and address > 0 else address
                batch = wanted.setdefault(path, {})
                if len(batch) < MAX_ADDRESSES_PER_MODULE:
                    batch.setdefault(lookup, []).append(key)
        from cgoguard.reports.symbolize import symbolize_addresses

        for path, batch in wanted.items():
            symbols = symbolize_addresses(path, sorted(batch), self.errors)
            for address, keys in batch.items():
                chain = symbols.get(address)
                if chain:
                    for key in keys:
                        self.resolved[key] = self._expand(key[0], chain)

    def stack(self, stack: Stack) -> list[Resolved]:
        """The resolved frames of a stack, leaf first (inlined calls expanded)."""
        resolved: list[Resolved] = []
        for index, frame in enumerate(stack):
            found = self.resolved.get((frame, index > 0))
            resolved += found if found is not None else (self._unsymbolized(frame),)
        return resolved

    @staticmethod
    def _unsymbolized(frame: Frame) -> Resolved:
        return Resolved(frame.function, frame.path, frame.line, kind_of(frame.function, frame.module, frame.path),
                        frame.module)

    @staticmethod
    def _expand(frame: Frame, chain: list[tuple[str, str, int, int]]) -> tuple[Resolved, ...]:
        frames = []
        last = len(chain) - 1
        for index, (function, path, line, _) in enumerate(chain):
            # The outermost function is the one perf named (its linkage name); inner ones are inlined.
            name = (frame.function or function) if index == last else function
            frames.append(Resolved(name, path if line else "", line, kind_of(name, frame.module, path), frame.module))
        return tuple(frames)


def resolve_pprof(stack: Stack) -> list[Resolved]:
    return [Resolved(f.function, f.path, f.line, kind_of(f.function, f.module, f.path), f.module) for f in stack]
