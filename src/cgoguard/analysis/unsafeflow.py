"""Where unsafe pointers and integers come from: Go memory, C memory or unknown.

The unsafe-pointer-misuse rules need to tell the address of Go memory (which the GC may
free or, for stacks, move once no real pointer refers to it) from the address of C memory
(which never moves and lives until freed). This module answers that for one function at
a time, with a flow-insensitive but position-aware view of local bindings, plus the
helpers those rules share: conversion targets, linux/amd64 type sizes and constant values.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from tree_sitter import Node

from cgoguard.cfront.model import CModel, CRecord
from cgoguard.gofront.gofile import GoFile
from cgoguard.gofront.package import Package
from cgoguard.gofront.resolve import LocalTypes
from cgoguard.gofront.syntax import c_name, call_parts, nodes_of_type, text, unparen, walk
from cgoguard.gofront.types import GoType, type_from_node
from cgoguard.safeio import UNCONFINED

MAX_DEPTH = 12
# cgo helpers and C allocators whose results are C memory.
C_ALLOCATORS = frozenset({"malloc", "calloc", "realloc", "CString", "CBytes", "strdup", "strndup"})
# cgo helpers that copy C memory into new Go memory.
CGO_GO_RESULTS = frozenset({"GoString", "GoStringN", "GoBytes"})
GO_INTEGER_TYPES = frozenset(
    "int int8 int16 int32 int64 uint uint8 uint16 uint32 uint64 uintptr byte rune".split())
C_INTEGER_TYPES = frozenset(
    "char schar uchar short ushort int uint long ulong longlong ulonglong size_t ssize_t "
    "uintptr_t intptr_t ptrdiff_t int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t "
    "uint64_t".split())


class Origin(StrEnum):
    GO = "Go memory"
    C = "C memory"
    STATIC = "static data"
    UNKNOWN = "unknown memory"


@dataclass
class Binding:
    """``name = value`` (a declaration or a plain assignment) at a source position."""

    name_node: Node
    value: Node | None  # None when the value is one result of a multi-value call, or absent
    statement: Node  # the declaration or assignment

    @property
    def position(self) -> int:
        return self.name_node.start_byte

    def contains(self, node: Node) -> bool:
        return self.statement.start_byte <= node.start_byte < self.statement.end_byte


@dataclass
class FunctionScope:
    """One function declaration with its local types and bindings."""

    package: Package
    file: GoFile
    node: Node  # function_declaration or method_declaration
    types: LocalTypes = field(init=False)
    bindings: dict[str, list[Binding]] = field(init=False)
    # node id -> conversion(node, self): every unsafe rule asks about the same calls
    conversions: dict[int, tuple[GoType, Node] | None] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.types = LocalTypes(self.package, self.file, self.node)
        self.bindings = _collect_bindings(self.node)

    @property
    def body(self) -> Node | None:
        return self.node.child_by_field_name("body")

    def reaching(self, name: str, at: Node) -> Binding | None:
        """The last binding of ``name`` before ``at`` in source order (None: a parameter,
        a global, or declared without a value)."""
        earlier = [b for b in self.bindings.get(name, []) if b.position < at.start_byte and not b.contains(at)]
        return earlier[-1] if earlier else None

    def settled(self, name: str, at: Node) -> Binding | None:
        """The reaching binding of ``name`` when it certainly holds at ``at``: made in a block
        that encloses ``at``, and with no ``+=``, ``++`` or ``&name`` in between, no assignment in a
        loop around ``at`` after it, and none at all later when ``at`` is in a closure (which may
        run after any of them)."""
        binding = self.reaching(name, at)
        if binding is None or not _encloses(_block_of(binding.statement), at):
            return None
        later = [b.statement for b in self.bindings.get(name, []) if b.position > at.start_byte]
        changes = [n for n in self.mutations.get(name, ()) if n.start_byte > binding.statement.start_byte]
        if any(n.start_byte < at.start_byte for n in changes):
            return None
        for ancestor in _ancestors_below(at, binding.statement):
            if ancestor.type == "func_literal" and (later or changes):
                return None
            if ancestor.type == "for_statement" and any(_encloses(ancestor, n) for n in later + changes):
                return None
        return binding

    @cached_property
    def mutations(self) -> dict[str, list[Node]]:
        """Statements that change a variable without a plain assignment: ``x += n``, ``x++``,
        and ``&x`` (anything may write through the address)."""
        found: dict[str, list[Node]] = {}
        for node in nodes_of_type(self.node, "assignment_statement", "inc_statement", "dec_statement",
                                  "unary_expression"):
            if node.type == "assignment_statement":
                if text(node.child_by_field_name("operator")) == "=":
                    continue
                targets = _named(node.child_by_field_name("left"))
            elif node.type == "unary_expression":
                if text(node.child_by_field_name("operator")) != "&":
                    continue
                targets = [node.child_by_field_name("operand")]
            else:
                targets = node.named_children[:1]
            for target in targets:
                target = unparen(target)
                if target is not None and target.type == "identifier":
                    found.setdefault(text(target), []).append(node)
        return found

    def is_param(self, name: str) -> bool:
        for field_name in ("receiver", "parameters"):
            plist = self.node.child_by_field_name(field_name)
            if plist is not None and any(text(n) == name for decl in plist.named_children
                                         for n in decl.children_by_field_name("name")):
                return True
        return False

    def type_of(self, node: Node | None) -> GoType:
        return self.types.type_of(node)

    @cached_property
    def identifiers(self) -> dict[str, list[Node]]:
        """The function's identifier nodes by name, in source order."""
        found: dict[str, list[Node]] = {}
        for node in nodes_of_type(self.node, "identifier"):
            found.setdefault(text(node), []).append(node)
        return found

    def occurrences(self, names: set[str]) -> list[Node]:
        """The identifiers spelling one of ``names``, in source order."""
        return sorted((n for name in names for n in self.identifiers.get(name, ())), key=lambda n: n.start_byte)

    def underlying(self, t: GoType) -> GoType:
        return self.package.symbols.underlying(t)

    def imports_as(self, import_path: str) -> str | None:
        return self.file.imported_as(import_path)


def _collect_bindings(func: Node) -> dict[str, list[Binding]]:
    bindings: dict[str, list[Binding]] = {}
    for node in nodes_of_type(func, "short_var_declaration", "assignment_statement", "var_spec"):
        if node.type == "short_var_declaration" or (
                node.type == "assignment_statement" and text(node.child_by_field_name("operator")) == "="):
            names = _named(node.child_by_field_name("left"))
            values = _named(node.child_by_field_name("right"))
        elif node.type == "var_spec":
            names = node.children_by_field_name("name")
            values = _named(node.child_by_field_name("value"))
        else:
            continue
        for index, name in enumerate(names):
            if name.type != "identifier" or text(name) == "_":
                continue
            value = values[index] if len(values) == len(names) else None
            bindings.setdefault(text(name), []).append(Binding(name, value, node))
    for entries in bindings.values():
        entries.sort(key=lambda b: b.position)
    return bindings


def _named(node: Node | None) -> list[Node]:
    return [c for c in node.named_children if c.type != "comment"] if node is not None else []


def _encloses(outer: Node | None, inner: Node) -> bool:
    return outer is not None and outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


def _block_of(statement: Node) -> Node | None:
    """The block (or ``if``/``for``/``switch`` header) a declaration or assignment belongs to."""
    node = statement.parent
    while node is not None and node.type not in ("block", "if_statement", "for_statement",
                                                 "expression_switch_statement", "type_switch_statement"):
        node = node.parent
    return node


def _ancestors_below(node: Node, stop: Node) -> Iterator[Node]:
    """The ancestors of ``node`` that do not also enclose ``stop``, innermost first."""
    current = node.parent
    while current is not None and not _encloses(current, stop):
        yield current
        current = current.parent


def function_scopes(package: Package) -> list[FunctionScope]:
    """Every function and method declaration of the package, in file order."""
    return [FunctionScope(package, file, decl) for file in package.files for decl in file.root.named_children
            if decl.type in ("function_declaration", "method_declaration")
            and decl.child_by_field_name("body") is not None]


# ----- conversions ---------------------------------------------------------------------
_TYPE_EXPRESSIONS = frozenset({
    "pointer_type", "slice_type", "array_type", "map_type", "channel_type", "function_type",
    "interface_type", "struct_type", "qualified_type", "type_identifier", "generic_type",
})


def conversion(node: Node, scope: FunctionScope) -> tuple[GoType, Node] | None:
    """(target type, operand) when ``node`` is a type conversion ``T(x)``."""
    node = unparen(node)
    if node is None:
        return None
    if node.id not in scope.conversions:
        scope.conversions[node.id] = _conversion(node, scope)
    return scope.conversions[node.id]


def _conversion(node: Node, scope: FunctionScope) -> tuple[GoType, Node] | None:
    if node.type == "type_conversion_expression":
        operand = node.child_by_field_name("operand")
        return (type_from_node(node.child_by_field_name("type")), operand) if operand is not None else None
    if node.type != "call_expression":
        return None
    func, args = call_parts(node)
    func = unparen(func)
    if func is None or len(args) != 1 or not _names_type(func, scope):
        return None
    return type_from_node(func), args[0]


def _names_type(func: Node, scope: FunctionScope) -> bool:
    if func.type in _TYPE_EXPRESSIONS:
        return True
    if func.type == "unary_expression" and text(func.child_by_field_name("operator")) == "*":
        operand = unparen(func.child_by_field_name("operand"))
        return operand is not None and _names_type(operand, scope)
    if func.type == "identifier":
        name = text(func)
        if scope.types.is_local(name):
            return False
        return name in scope.package.symbols.types or name in GO_INTEGER_TYPES or name in (
            "bool", "string", "float32", "float64", "complex64", "complex128")
    if func.type == "selector_expression":
        cname = c_name(func)
        if cname is not None:
            model = scope.package.c
            return model.function(cname) is None and (
                cname in model.typedefs or cname in C_INTEGER_TYPES or cname.startswith(("struct_", "union_", "enum_"))
                or cname in ("float", "double", "void"))
        operand = func.child_by_field_name("operand")
        return text(func) == f"{scope.imports_as('unsafe')}.Pointer" or (
            operand is not None and text(operand) == scope.imports_as("reflect")
            and text(func.child_by_field_name("field")) in ("SliceHeader", "StringHeader"))
    return False


def is_unsafe_pointer_call(node: Node | None, scope: FunctionScope) -> Node | None:
    """The operand of ``unsafe.Pointer(x)``, or None."""
    node = unparen(node)
    if node is None or node.type != "call_expression":
        return None
    func, args = call_parts(node)
    if len(args) == 1 and func is not None and text(unparen(func)) == f"{scope.imports_as('unsafe')}.Pointer":
        return args[0]
    return None


def is_integer_type(t: GoType, scope: FunctionScope) -> bool:
    t = scope.underlying(t)
    return (t.kind == "basic" and t.name in GO_INTEGER_TYPES) or (t.kind == "c" and t.name in C_INTEGER_TYPES)


def c_call_name(node: Node, scope: FunctionScope) -> str | None:
    """``f`` when ``node`` is a call of the C function (or cgo helper) ``C.f``, not a conversion."""
    if node.type != "call_expression":
        return None
    func = unparen(node.child_by_field_name("function"))
    name = c_name(func)
    if name is None or conversion(node, scope) is not None:
        return None
    return name


# ----- memory origin -------------------------------------------------------------------
def pointer_origin(node: Node | None, scope: FunctionScope, depth: int = 0) -> Origin:
    """Where the memory a pointer-valued expression points to lives."""
    node = unparen(node)
    if node is None or depth > MAX_DEPTH:
        return Origin.UNKNOWN
    kind = node.type
    if kind == "unary_expression" and text(node.child_by_field_name("operator")) == "&":
        return address_origin(node.child_by_field_name("operand"), scope, depth + 1)
    if kind in ("composite_literal", "interpreted_string_literal", "raw_string_literal"):
        return Origin.GO if kind == "composite_literal" else Origin.STATIC
    if kind == "slice_expression":
        return value_origin(node.child_by_field_name("operand"), scope, depth + 1)
    if kind == "identifier":
        return _identifier_origin(node, scope, depth)
    if kind == "selector_expression":
        return _field_origin(node, scope, depth)
    if kind == "binary_expression" and text(node.child_by_field_name("operator")) in ("+", "-", "&^", "|"):
        return pointer_origin(node.child_by_field_name("left"), scope, depth + 1)
    if kind in ("call_expression", "type_conversion_expression"):
        return _call_origin(node, scope, depth)
    return Origin.UNKNOWN


value_origin = pointer_origin  # a slice or string value: where its backing array lives


def address_origin(operand: Node | None, scope: FunctionScope, depth: int) -> Origin:
    """Where ``&operand`` points."""
    operand = unparen(operand)
    if operand is None:
        return Origin.UNKNOWN
    if operand.type == "identifier" and not scope.types.is_local(text(operand)) \
            and text(operand) in scope.package.symbols.globals:
        return Origin.STATIC  # a package variable is never freed and never moves
    if operand.type in ("identifier", "composite_literal"):
        return Origin.GO  # a local variable or a literal lives in Go memory, whatever its type
    if operand.type == "index_expression":
        base = operand.child_by_field_name("operand")
        base_type = scope.underlying(scope.type_of(base))
        if base_type.kind == "array":
            return address_origin(base, scope, depth + 1)
        return value_origin(base, scope, depth + 1)
    if operand.type == "selector_expression":
        base = operand.child_by_field_name("operand")
        base_type = scope.underlying(scope.type_of(base))
        if base_type.kind in ("pointer", "unsafe-pointer"):
            return pointer_origin(base, scope, depth + 1)
        if base_type.kind == "unknown":
            return Origin.UNKNOWN
        return address_origin(base, scope, depth + 1)
    if operand.type == "unary_expression" and text(operand.child_by_field_name("operator")) == "*":
        return pointer_origin(operand.child_by_field_name("operand"), scope, depth + 1)
    return Origin.UNKNOWN


def _identifier_origin(node: Node, scope: FunctionScope, depth: int) -> Origin:
    name = text(node)
    if name == "nil":
        return Origin.UNKNOWN
    binding = scope.reaching(name, node)
    if binding is not None and binding.value is not None:
        return pointer_origin(binding.value, scope, depth + 1)
    declared = scope.underlying(scope.type_of(node))
    if declared.kind in ("slice", "map", "chan") or (declared.kind == "basic" and declared.name == "string"):
        return Origin.GO
    if declared.kind == "pointer" and declared.elem is not None:
        elem = scope.underlying(declared.elem)
        base = elem
        while base.kind == "pointer" and base.elem is not None:
            base = scope.underlying(base.elem)
        if base.kind == "c":
            # A C-typed pointer parameter, or a local C filled in through an out-parameter.
            return Origin.C
        if elem.kind in ("struct", "basic", "array", "slice", "named"):
            return Origin.GO
    return Origin.UNKNOWN


def _field_origin(node: Node, scope: FunctionScope, depth: int) -> Origin:
    if c_name(node) is not None:
        return Origin.UNKNOWN
    base = node.child_by_field_name("operand")
    base_type = scope.underlying(scope.type_of(base))
    if base_type.kind == "pointer" and base_type.elem is not None:
        base_type = scope.underlying(base_type.elem)
    # A pointer stored in a C struct points to C memory (storing Go pointers there is its own bug).
    return Origin.C if base_type.kind == "c" else Origin.UNKNOWN


def _call_origin(node: Node, scope: FunctionScope, depth: int) -> Origin:
    converted = conversion(node, scope)
    if converted is not None:
        target, operand = converted
        if target.kind == "slice" or (target.kind == "basic" and target.name == "string"):
            operand_type = scope.underlying(scope.type_of(operand))
            if (operand_type.kind == "basic" and operand_type.name == "string") or operand_type.kind == "slice":
                return Origin.GO  # []byte(s) and string(b) copy into new Go memory
        return pointer_origin(operand, scope, depth + 1)
    func, args = call_parts(node)
    func = unparen(func)
    cname = c_name(func)
    if cname is not None:
        return Origin.GO if cname in CGO_GO_RESULTS else Origin.C
    name = text(func) if func is not None else ""
    if name in ("new", "make", "append") and not scope.types.is_local(name):
        return Origin.GO
    unsafe_name = scope.imports_as("unsafe")
    if name in (f"{unsafe_name}.SliceData", f"{unsafe_name}.StringData", f"{unsafe_name}.Slice",
                f"{unsafe_name}.String", f"{unsafe_name}.Add") and args:
        return pointer_origin(args[0], scope, depth + 1)
    if func is not None and func.type == "selector_expression" and _is_reflect_address(func, scope):
        return Origin.GO
    return Origin.UNKNOWN


def _is_reflect_address(func: Node, scope: FunctionScope) -> bool:
    """``v.Pointer()`` / ``v.UnsafeAddr()`` of a ``reflect.Value``: addresses of Go memory."""
    method = text(func.child_by_field_name("field"))
    if method not in ("Pointer", "UnsafeAddr"):
        return False
    receiver_type = scope.type_of(func.child_by_field_name("operand"))
    reflect_name = scope.imports_as("reflect")
    return reflect_name is not None and receiver_type.kind == "named" and receiver_type.name == f"{reflect_name}.Value"


@dataclass(frozen=True)
class AddressInteger:
    """An integer expression that holds an address: where it points and the conversion that made it."""

    origin: Origin
    source: Node  # the expression whose address was taken (``&b[0]``, ``v.UnsafeAddr()``)
    via: Node | None = None  # the uintptr variable that carried it, when there was one


def address_integer(node: Node | None, scope: FunctionScope, depth: int = 0,
                    via: Node | None = None) -> AddressInteger | None:
    """When an integer-valued expression holds an address, where that address points."""
    node = unparen(node)
    if node is None or depth > MAX_DEPTH:
        return None
    if node.type == "binary_expression" and text(node.child_by_field_name("operator")) in ("+", "-", "&^", "|"):
        return address_integer(node.child_by_field_name("left"), scope, depth + 1, via)
    if node.type == "identifier":
        binding = scope.reaching(text(node), node)
        declared = scope.type_of(node)
        if binding is None or binding.value is None or (declared.kind != "unknown"
                                                        and not is_integer_type(declared, scope)):
            return None
        return address_integer(binding.value, scope, depth + 1, via or node)
    if node.type == "call_expression":
        func = unparen(node.child_by_field_name("function"))
        if func is not None and func.type == "selector_expression" and _is_reflect_address(func, scope):
            return AddressInteger(Origin.GO, node, via)
    converted = conversion(node, scope)
    if converted is None:
        return None
    target, operand = converted
    if not is_integer_type(target, scope):
        return None
    pointer = is_unsafe_pointer_call(operand, scope)
    if pointer is not None:
        return AddressInteger(pointer_origin(pointer, scope, depth + 1), pointer, via)
    operand_type = scope.underlying(scope.type_of(operand))
    if operand_type.kind in ("pointer", "unsafe-pointer"):
        return AddressInteger(pointer_origin(operand, scope, depth + 1), operand, via)
    return address_integer(operand, scope, depth + 1, via)


# ----- sizes (linux/amd64) -------------------------------------------------------------
GO_SIZES: dict[str, int] = {
    "bool": 1, "int8": 1, "uint8": 1, "byte": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4,
    "rune": 4, "float32": 4, "int": 8, "uint": 8, "int64": 8, "uint64": 8, "uintptr": 8,
    "float64": 8, "complex64": 8, "complex128": 16, "string": 16,
}
C_SIZES: dict[str, int] = {
    "char": 1, "schar": 1, "uchar": 1, "signed char": 1, "unsigned char": 1, "_Bool": 1, "bool": 1,
    "short": 2, "ushort": 2, "unsigned short": 2, "int": 4, "uint": 4, "unsigned int": 4, "unsigned": 4,
    "long": 8, "ulong": 8, "unsigned long": 8, "longlong": 8, "long long": 8, "ulonglong": 8,
    "unsigned long long": 8, "float": 4, "double": 8, "size_t": 8, "ssize_t": 8, "uintptr_t": 8,
    "intptr_t": 8, "ptrdiff_t": 8, "int8_t": 1, "uint8_t": 1, "int16_t": 2, "uint16_t": 2,
    "int32_t": 4, "uint32_t": 4, "int64_t": 8, "uint64_t": 8, "off_t": 8, "time_t": 8,
}
BYTE_LIKE = frozenset({"byte", "uint8", "int8", "char", "schar", "uchar", "signed char", "unsigned char",
                       "int8_t", "uint8_t", "void"})
POINTER_SIZE = 8


@dataclass(frozen=True)
class Layout:
    size: int
    align: int


def layout(t: GoType, package: Package, depth: int = 0) -> Layout | None:
    """Size and alignment of a Go or cgo type on linux/amd64, or None when not knowable."""
    if depth > 16:
        return None
    if t.kind == "named":
        resolved = package.symbols.underlying(t)
        return None if resolved.kind == "named" else layout(resolved, package, depth + 1)
    if t.kind == "basic":
        size = GO_SIZES.get(t.name)
        if size is None:
            return None
        return Layout(size, {"string": 8, "complex64": 4, "complex128": 8}.get(t.name, size))
    if t.kind in ("pointer", "unsafe-pointer", "map", "chan", "func"):
        return Layout(POINTER_SIZE, POINTER_SIZE)
    if t.kind == "slice":
        return Layout(24, 8)
    if t.kind == "interface":
        return Layout(16, 8)
    if t.kind == "array":
        return _array_layout(t, package, depth)
    if t.kind == "struct":
        return _struct_layout([layout(f, package, depth + 1) for _, f in t.fields])
    if t.kind == "c":
        return c_layout(t.name, 0, package, depth)
    return None


def _array_layout(t: GoType, package: Package, depth: int) -> Layout | None:
    length = constant_value_text(t.length, package)
    elem = layout(t.elem, package, depth + 1) if t.elem is not None else None
    if length is None or elem is None:
        return None
    return Layout(length * elem.size, elem.align)


def _struct_layout(fields: list[Layout | None]) -> Layout | None:
    offset, align = 0, 1
    for f in fields:
        if f is None:
            return None
        offset = (offset + f.align - 1) // f.align * f.align + f.size
        align = max(align, f.align)
    return Layout((offset + align - 1) // align * align, align)


def c_layout(name: str, pointer_depth: int, package: Package, depth: int = 0) -> Layout | None:
    """Layout of a C type named as cgo or C spells it (``uint``/``unsigned int``, ``struct_x``)."""
    if pointer_depth:
        return Layout(POINTER_SIZE, POINTER_SIZE)
    name = name.replace("const ", "").replace("volatile ", "").strip()
    if name in C_SIZES:
        size = C_SIZES[name]
        return Layout(size, size)
    if name.startswith(("enum ", "enum_")):
        return Layout(4, 4)
    if depth > 16:
        return None
    model = package.c
    typedef = model.typedefs.get(name)
    if typedef is not None:
        if typedef.pointer_depth or typedef.is_function_pointer:
            return Layout(POINTER_SIZE, POINTER_SIZE)
        return c_layout(typedef.type, 0, package, depth + 1)
    record = model.record(name.replace("struct ", "struct_").replace("union ", "union_"))
    if record is None or _irregular_layout(record, model):
        return None
    members: list[Layout | None] = []
    for member in record.members:
        if member.array:  # the model does not keep array lengths
            return None
        members.append(Layout(POINTER_SIZE, POINTER_SIZE) if member.is_pointer
                       else c_layout(member.type, 0, package, depth + 1))
    if record.kind == "union":
        if any(m is None for m in members) or not members:
            return None
        align = max(m.align for m in members if m)
        size = max(m.size for m in members if m)
        return Layout((size + align - 1) // align * align, align)
    return _struct_layout(members)


_BITFIELD = re.compile(rb":\s*\d+\s*[;,]")


def _irregular_layout(record: CRecord, model: CModel) -> bool:
    """Bitfields, packing or explicit alignment: layouts this model cannot compute."""
    unit = next((u for u in model.units if u.path == record.path), None)
    if unit is None:
        return True
    if b"#pragma pack" in unit.source:
        return True
    start = sum(len(line) + 1 for line in unit.source.split(b"\n")[: max(record.line - 1, 0)])
    open_brace = unit.source.find(b"{", start)
    depth, end = 0, open_brace
    for end in range(open_brace, len(unit.source)):
        depth += {ord("{"): 1, ord("}"): -1}.get(unit.source[end], 0)
        if depth == 0:
            break
    body = unit.source[open_brace:end + 80]  # and the attributes right after the closing brace
    return open_brace < 0 or bool(_BITFIELD.search(unit.source[open_brace:end])) or \
        b"packed" in body or b"aligned" in body


def is_byte_like(t: GoType) -> bool:
    return t.kind in ("basic", "c") and t.name in BYTE_LIKE


# ----- constants -----------------------------------------------------------------------
_MATH_CONSTANTS = {
    "MaxInt8": 127, "MaxInt16": 32767, "MaxInt32": 2**31 - 1, "MaxInt64": 2**63 - 1, "MaxInt": 2**63 - 1,
    "MaxUint8": 255, "MaxUint16": 65535, "MaxUint32": 2**32 - 1,
}


def constant_value(node: Node | None, package: Package, depth: int = 0) -> int | None:
    """The value of an integer constant expression, or None."""
    node = unparen(node)
    if node is None or depth > MAX_DEPTH:
        return None
    if node.type == "int_literal":
        try:
            return int(text(node).replace("_", ""), 0)
        except ValueError:
            return int(text(node).replace("_", ""), 8) if text(node).isdigit() else None
    if node.type == "binary_expression":
        left = constant_value(node.child_by_field_name("left"), package, depth + 1)
        right = constant_value(node.child_by_field_name("right"), package, depth + 1)
        if left is None or right is None:
            return None
        return _apply(text(node.child_by_field_name("operator")), left, right)
    if node.type == "identifier":
        glob = package.symbols.globals.get(text(node))
        return constant_value(glob.value, package, depth + 1) if glob and glob.is_const else None
    if node.type == "selector_expression" and text(node.child_by_field_name("operand")) == "math":
        return _MATH_CONSTANTS.get(text(node.child_by_field_name("field")))
    if node.type == "call_expression":  # a typed constant such as uintptr(1 << 30)
        func, args = call_parts(node)
        if len(args) != 1 or not _names_numeric_type(unparen(func), package):
            return None  # `counter.Add(1)` is a call, not a constant
        return constant_value(args[0], package, depth + 1)
    return None


def _names_numeric_type(func: Node | None, package: Package) -> bool:
    if func is None:
        return False
    if func.type == "identifier":
        return text(func) in GO_INTEGER_TYPES or text(func) in package.symbols.types
    cname = c_name(func)
    return cname is not None and (cname in C_INTEGER_TYPES or cname in package.c.typedefs)


def _apply(operator: str, left: int, right: int) -> int | None:
    match operator:
        case "<<":
            return left << right if right < 128 else None
        case ">>":
            return left >> right
        case "*":
            return left * right
        case "+":
            return left + right
        case "-":
            return left - right
        case "|":
            return left | right
        case "/":
            return left // right if right else None
    return None


def constant_value_text(expression: str, package: Package) -> int | None:
    from cgoguard.gofront.syntax import parse_go

    if not expression or expression == "...":
        return None
    tree = parse_go(f"package p\nconst _ = {expression}\n".encode())
    spec = next((n for n in walk(tree.root_node) if n.type == "const_spec"), None)
    value = spec.child_by_field_name("value") if spec is not None else None
    return constant_value(value.named_children[0] if value is not None and value.named_children else None, package)


# ----- module Go version ---------------------------------------------------------------
_GO_DIRECTIVE = re.compile(rb"^go\s+(\d+)\.(\d+)", re.MULTILINE)
_MAX_GO_MOD_BYTES = 4 * 1024 * 1024


def module_go_version(directory: Path) -> tuple[int, int] | None:
    """The ``go`` directive of the go.mod governing ``directory`` (None when there is none)."""
    for parent in (directory, *directory.parents):
        go_mod = parent / "go.mod"
        if not os.path.lexists(go_mod):
            continue
        try:  # a FIFO or /dev/zero named go.mod must not hang or fill memory
            data = UNCONFINED.read_bytes(go_mod, _MAX_GO_MOD_BYTES)
        except OSError:
            continue
        match = _GO_DIRECTIVE.search(data)
        return (int(match.group(1)), int(match.group(2))) if match else None
    return None


def describe(node: Node, limit: int = 60) -> str:
    """Source text of an expression for a message, shortened to one line."""
    source = " ".join(text(node).split())
    return source if len(source) <= limit else source[: limit - 3] + "..."
