"""Symbolization of ``(module+0xoff)`` frames and raw ``pc=`` values.

Tried in order: ``llvm-symbolizer`` (JSON output, one batch per module), ``addr2line``, and
the binary's own DWARF line tables and symbol table read with pyelftools. The module is the
path printed in the report when that file exists, else ``--binary``. Only the representative
report of each bucket is symbolized, so the cost does not grow with the log.

The log chooses only hexadecimal offsets and a module file: an offset that is not one
(valgrind XML can hold any text) never reaches a tool's command line, and a module must be a
regular file outside /proc, /sys and /dev (:mod:`cgoguard.safeio`).
"""

from __future__ import annotations

import bisect
import json
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from cgoguard.findings import Frame, InputError
from cgoguard.reports.frames import classify
from cgoguard.reports.model import Report
from cgoguard.safeio import is_regular_file

if TYPE_CHECKING:
    from elftools.dwarf.lineprogram import LineProgram
    from elftools.elf.elffile import ELFFile

T = TypeVar("T")
_TIMEOUT_SECONDS = 60
Symbol = tuple[str, str, int, int]  # function, file, line, column
# Per offset, the innermost (inlined) function first, as sanitizers print them.
Symbols = dict[str, list[Symbol]]
_OFFSET = re.compile(r"0[xX][0-9a-fA-F]{1,16}\Z")


def needs_symbol(frame: Frame) -> bool:
    return bool(frame.offset) and not frame.path and _OFFSET.match(frame.offset) is not None


def symbolize_reports(reports: list[Report], binary: Path | None, errors: list[InputError]) -> None:
    by_module: dict[Path, list[Frame]] = defaultdict(list)
    for report in reports:
        for stack in report.stacks.values():
            for frame in stack:
                if needs_symbol(frame) and (module := _module_file(frame, binary)) is not None:
                    by_module[module].append(frame)
    resolved: dict[int, list[Symbol]] = {}
    for module, frames in by_module.items():
        symbols = _symbolize(module, sorted({f.offset for f in frames}), errors)
        for frame in frames:
            if found := symbols.get(frame.offset):
                resolved[id(frame)] = found
    if resolved:
        for report in reports:
            for name, stack in report.stacks.items():
                report.stacks[name] = [new for frame in stack for new in _expand(frame, resolved.get(id(frame)))]


def _expand(frame: Frame, symbols: list[Symbol] | None) -> list[Frame]:
    """The frame, symbolized; inlined functions become frames of their own (innermost first)."""
    if not symbols:
        return [frame]
    frames = []
    for function, path, line, column in symbols:
        new = Frame(function=frame.function or function, path=path if line else "", line=line, column=column,
                    module=frame.module, offset=frame.offset)
        new.kind = classify(new)
        frames.append(new)
        frame = Frame(function="", module=frame.module, offset=frame.offset)
    return frames


def symbolize_addresses(module: Path, addresses: list[int], errors: list[InputError]) -> dict[int, list[Symbol]]:
    """Function, file and line (inlined calls first) of virtual addresses in ``module``, with
    the same tools as the reports; for other capabilities (``cgoguard profile``)."""
    by_text = {f"0x{address:x}": address for address in addresses if 0 <= address < 1 << 64}
    found = _symbolize(module, sorted(by_text), errors)
    return {by_text[text]: chain for text, chain in found.items() if text in by_text}


def _module_file(frame: Frame, binary: Path | None) -> Path | None:
    if frame.module:
        reported = Path(frame.module)
        if is_regular_file(reported):
            return reported
        if binary is not None and (binary.name == reported.name or not reported.name):
            return binary
        return None
    return binary  # a raw pc= value from a Go traceback: only the user's binary can explain it


def _symbolize(module: Path, offsets: list[str], errors: list[InputError]) -> Symbols:
    """Each tool in turn, for the offsets still without a source line (names alone are a fallback)."""
    with_lines: Symbols = {}
    names_only: Symbols = {}
    missing = offsets
    for tool in (_llvm_symbolizer, _addr2line, _dwarf):
        try:
            found = tool(module, missing)
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            errors.append(InputError(str(module), f"symbolization with {tool.__name__.strip('_')} failed: {exc}"))
            continue
        for offset, chain in found.items():
            (with_lines if any(line for _, _, line, _ in chain) else names_only)[offset] = chain
        missing = [offset for offset in missing if offset not in with_lines]
        if not missing:
            break
    return {**names_only, **with_lines}


def _llvm_symbolizer(module: Path, offsets: list[str]) -> Symbols:
    tool = shutil.which("llvm-symbolizer")
    if tool is None:
        return {}
    result = subprocess.run([tool, f"--obj={module}", "--output-style=JSON", "--functions=linkage",
                             "--inlines"], input="\n".join(offsets) + "\n", capture_output=True, text=True,
                            timeout=_TIMEOUT_SECONDS, check=False)
    symbols: Symbols = {}
    for offset, line in zip(offsets, result.stdout.splitlines(), strict=False):
        chain = [(entry.get("FunctionName", ""), entry.get("FileName", ""), int(entry.get("Line", 0)),
                  int(entry.get("Column", 0))) for entry in json.loads(line).get("Symbol") or []]
        chain = [symbol for symbol in chain if symbol[0] and symbol[0] != "??"]
        if chain:
            symbols[offset] = chain
    return symbols


def _addr2line(module: Path, offsets: list[str]) -> Symbols:
    tool = shutil.which("addr2line")
    if tool is None:
        return {}
    result = subprocess.run([tool, "-f", "-e", str(module), *offsets], capture_output=True, text=True,
                            timeout=_TIMEOUT_SECONDS, check=False)
    lines = result.stdout.splitlines()
    symbols: Symbols = {}
    for offset, function, location in zip(offsets, lines[0::2], lines[1::2], strict=False):
        path, _, line = location.rpartition(":")
        line_no = int(line.split()[0]) if line.split() and line.split()[0].isdigit() else 0
        if function != "??":
            symbols[offset] = [(function, "" if path == "??" else path, line_no, 0)]
    return symbols


def _dwarf(module: Path, offsets: list[str]) -> Symbols:
    """pyelftools fallback: function from .symtab, file:line from the DWARF line programs."""
    from elftools.common.exceptions import DWARFError, ELFError
    from elftools.elf.elffile import ELFFile

    addresses = {offset: int(offset, 16) for offset in offsets}
    with module.open("rb") as stream:
        try:
            elf = ELFFile(stream)
            functions = _function_table(elf)
            lines = _line_table(elf) if elf.has_dwarf_info() else ([], [])
        except (ELFError, DWARFError, KeyError, IndexError, UnicodeDecodeError) as exc:
            raise ValueError(f"unreadable ELF/DWARF data: {exc}") from exc
    symbols: Symbols = {}
    for offset, address in addresses.items():
        function_entry = _lookup(functions, address)
        function = function_entry[1] if function_entry and address < function_entry[0] else ""
        location = _lookup(lines, address)
        if function or location:
            path, line = location if location else ("", 0)
            symbols[offset] = [(function or "", path, line, 0)]
    return symbols


def _function_table(elf: ELFFile) -> tuple[list[int], list[tuple[int, str]]]:
    """Function start addresses and (end, name), sorted, from the ELF symbol table."""
    symtab = elf.get_section_by_name(".symtab")
    entries: list[tuple[int, int, str]] = []
    if symtab is not None:
        for symbol in symtab.iter_symbols():
            if symbol["st_info"]["type"] == "STT_FUNC" and symbol["st_value"]:
                start = symbol["st_value"]
                entries.append((start, start + max(symbol["st_size"], 1), symbol.name))
    entries.sort()
    return [start for start, _, _ in entries], [(end, name) for _, end, name in entries]


def _line_table(elf: ELFFile) -> tuple[list[int], list[tuple[str, int]]]:
    """Addresses and (file, line) of every row of every DWARF line program, sorted."""
    dwarf = elf.get_dwarf_info()
    rows: list[tuple[int, tuple[str, int]]] = []
    for unit in dwarf.iter_CUs():
        program = dwarf.line_program_for_CU(unit)
        if program is None:
            continue
        names = _file_names(program)
        for entry in program.get_entries():
            state = entry.state
            if state is not None and not state.end_sequence:
                rows.append((state.address, (names.get(state.file, ""), state.line)))
    rows.sort(key=lambda row: row[0])
    return [address for address, _ in rows], [value for _, value in rows]


def _file_names(program: LineProgram) -> dict[int, str]:
    header = program.header
    directories = [d.decode() if isinstance(d, bytes) else str(d) for d in header["include_directory"]]
    names: dict[int, str] = {}
    version = header["version"]
    for index, entry in enumerate(header["file_entry"]):
        name = entry.name.decode() if isinstance(entry.name, bytes) else str(entry.name)
        dir_index = entry.dir_index
        directory = ""
        if version >= 5 and dir_index < len(directories):
            directory = directories[dir_index]
        elif 0 < dir_index <= len(directories):
            directory = directories[dir_index - 1]
        full = name if name.startswith("/") or not directory else f"{directory}/{name}"
        # DWARF 5 numbers files from 0, earlier versions from 1.
        names[index if version >= 5 else index + 1] = full
    return names


def _lookup(table: tuple[list[int], list[T]], address: int) -> T | None:
    starts, values = table
    position = bisect.bisect_right(starts, address) - 1
    return values[position] if position >= 0 else None
