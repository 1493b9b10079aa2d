"""The C declarations a cgo package can reach, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from tree_sitter import Node


@dataclass
class CUnit:
    """One parsed C text: a Go file's preamble (laid over the Go file), a .c/.h file, or a header."""

    path: str  # display path; for a preamble, the Go file's path
    source: bytes
    root: Node
    is_preamble: bool = False
    is_system: bool = False
    # The text before decorator macros were blanked (``source`` is what was parsed).
    original: bytes | None = None

    @property
    def raw_source(self) -> bytes:
        return self.original if self.original is not None else self.source

    @cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        find = self.source.find
        position = find(b"\n")
        while position >= 0:
            starts.append(position + 1)
            position = find(b"\n", position + 1)
        return starts

    def line_start(self, line: int) -> int:
        """Byte offset of 1-based ``line`` (blanking keeps offsets, so raw_source agrees)."""
        starts = self._line_starts
        return starts[line - 1] if 0 < line <= len(starts) else len(self.source)

    def text(self, node: Node | None) -> str:
        if node is None:
            return ""
        return self.source[node.start_byte:node.end_byte].decode("utf-8", "replace")


@dataclass
class CParam:
    name: str
    type: str  # base type without pointer stars or qualifiers ("char", "struct foo", "sqlite3")
    pointer_depth: int = 0
    is_function_pointer: bool = False
    is_const: bool = False  # the pointed-to (or plain) type is const-qualified: `const char *s`

    @property
    def is_pointer(self) -> bool:
        return self.pointer_depth > 0 or self.is_function_pointer


@dataclass
class CFunction:
    name: str
    return_type: str
    return_pointer_depth: int
    params: list[CParam]
    unit: CUnit
    line: int  # 1-based line in unit.path (a preamble keeps the Go file's line numbers)
    body: Node | None = None
    attributes: list[str] = field(default_factory=list)  # raw text of __attribute__((...)) lists
    comment: str = ""  # the comment right above the declaration or definition
    is_static: bool = False
    variadic: bool = False

    @property
    def returns_pointer(self) -> bool:
        return self.return_pointer_depth > 0

    @property
    def path(self) -> str:
        return self.unit.path


@dataclass
class CMember:
    name: str
    type: str
    pointer_depth: int = 0
    array: bool = False
    is_function_pointer: bool = False

    @property
    def is_pointer(self) -> bool:
        return self.pointer_depth > 0 or self.is_function_pointer


@dataclass
class CRecord:
    kind: str  # "struct" or "union"
    name: str
    members: list[CMember]
    path: str
    line: int

    @property
    def key(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass
class CTypedef:
    name: str
    type: str  # base type ("struct foo", "int", "void")
    pointer_depth: int = 0
    is_function_pointer: bool = False
    # Not declared in any C the package has: inferred from Go code ("file.go:12: h == nil").
    inferred_from: str = ""


@dataclass
class CGlobal:
    name: str
    type: str
    pointer_depth: int
    unit: CUnit
    line: int
    is_static: bool = False
    is_extern: bool = False


@dataclass
class CModel:
    functions: dict[str, CFunction] = field(default_factory=dict)
    records: dict[str, CRecord] = field(default_factory=dict)  # key "struct foo" / "union foo"
    typedefs: dict[str, CTypedef] = field(default_factory=dict)
    globals: dict[str, CGlobal] = field(default_factory=dict)
    units: list[CUnit] = field(default_factory=list)
    # Preprocessor macros that alias a function name (`#define my_free free`).
    macro_aliases: dict[str, str] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message)

    def function(self, name: str) -> CFunction | None:
        name = self.macro_aliases.get(name, name)
        return self.functions.get(name)

    def record(self, go_c_name: str) -> CRecord | None:
        """The struct/union a cgo type name denotes: ``struct_foo``, ``union_u`` or a typedef."""
        for prefix, kind in (("struct_", "struct"), ("union_", "union")):
            if go_c_name.startswith(prefix):
                return self.records.get(f"{kind} {go_c_name[len(prefix):]}")
        return self._typedef_record(go_c_name, 0)

    def _typedef_record(self, name: str, depth: int) -> CRecord | None:
        typedef = self.typedefs.get(name)
        if typedef is None or typedef.pointer_depth or depth > 16:
            return None
        if typedef.type.startswith(("struct ", "union ")):
            return self.records.get(typedef.type)
        return self._typedef_record(typedef.type, depth + 1)

    def is_pointer_type(self, type_name: str, depth: int = 0) -> bool:
        """Whether a C type name (a typedef chain) is a pointer or function pointer."""
        typedef = self.typedefs.get(type_name)
        if typedef is None or depth > 16:
            return False
        if typedef.pointer_depth or typedef.is_function_pointer:
            return True
        return self.is_pointer_type(typedef.type, depth + 1)

    def pointer_members(self, go_c_name: str) -> list[CMember]:
        """Members of a record that hold pointers (directly or through typedefs)."""
        record = self.record(go_c_name)
        if record is None:
            return []
        return [m for m in record.members if m.is_pointer or self.is_pointer_type(m.type)]
