"""Struct fields of the package that hold C memory wherever they are read (``Buffer.c`` in
``return &Buffer{c: C.buffer_new(n)}``), so that a read the flow model cannot follow still
knows its origin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tree_sitter import Node

from cgoguard.analysis.memory.constructors import Constructors
from cgoguard.analysis.memory.function import FunctionMemory
from cgoguard.analysis.memory.values import (
    LITERALS,
    NIL_VALUE,
    UNKNOWN_VALUE,
    Origin,
    TupleItem,
    Value,
    element_value,
)
from cgoguard.gofront.resolve import LocalTypes
from cgoguard.gofront.syntax import (
    c_name,
    call_parts,
    nodes_of_type,
    parameter_names,
    receiver_type_name,
    text,
    unparen,
)
from cgoguard.gofront.types import GoType

if TYPE_CHECKING:
    from cgoguard.gofront.gofile import GoFile
    from cgoguard.gofront.package import Package


@dataclass(frozen=True)
class FieldWrite:
    """A value written into field ``field`` of struct type ``owner`` inside function ``func``."""

    owner: str
    field: str
    value: Node | TupleItem | None  # None: a C call writes it through an out-parameter (``C.open(&f.c)``)
    at: int
    func: Node
    file: GoFile


class FieldOrigins:
    """Struct fields of the package that hold C memory wherever they are read.

    A field of type ``*C.T``, a C pointer typedef, or (unexported) ``unsafe.Pointer`` that
    every write in the package — composite literals and field assignments — fills with C
    memory (or nil), and at least one write fills with C memory: ``Buffer.c`` in ``return
    &Buffer{c: C.buffer_new(n)}``. Writes that copy another such field count as C memory, so
    the summary is the greatest fixpoint: start from every candidate field and drop those
    with a write that is not (provably) C memory until nothing changes. A field whose address
    escapes to Go code (``&b.c`` passed anywhere but to C), or which is written where its
    owner's type is unknown, is never C memory.
    """

    def __init__(self, package: Package, assumed: frozenset[tuple[str, str]] | None = None) -> None:
        self.package = package
        self._held = assumed

    def holds_c(self, owner: str, field_name: str) -> bool:
        if self._held is None:
            self._held = frozenset()  # nothing is assumed while solving
            self._held = self._solve()
        return (owner, field_name) in self._held

    def _solve(self) -> frozenset[tuple[str, str]]:
        candidates = self._candidates()
        if not candidates:
            return frozenset()
        writes, spoiled = self._writes(candidates)
        held = frozenset(candidates - spoiled)
        callers: _Callers | None = None
        while held:
            memory_of = _MemoryCache(Constructors(self.package, FieldOrigins(self.package, held)))
            filled: set[tuple[str, str]] = set()
            kept = set(held)
            for write in writes:
                key = (write.owner, write.field)
                if key not in kept:
                    continue
                if write.value is None:
                    filled.add(key)
                    continue
                memory = memory_of(write.func, write.file)
                value = memory.eval_written(write.value, write.at)
                if value.origin is Origin.UNKNOWN:
                    callers = callers or _Callers(self.package)
                    value = callers.passed(memory, write.value, write.at, memory_of)
                if value.origin is Origin.C:
                    filled.add(key)
                elif value.origin is not Origin.NIL:
                    kept.discard(key)
            narrowed = frozenset(kept & filled)
            if narrowed == held:
                break
            held = narrowed
        return held

    def _candidates(self) -> set[tuple[str, str]]:
        symbols, model = self.package.symbols, self.package.c
        found: set[tuple[str, str]] = set()
        for info in symbols.types.values():
            if info.is_alias or info.type.kind != "struct":
                continue
            for name, field_type in info.type.fields:
                t = symbols.underlying(field_type)
                c_pointer = (t.kind == "pointer" and t.elem is not None and t.elem.kind == "c") \
                    or (t.kind == "c" and model.is_pointer_type(t.name))
                # Other packages cannot assign a *C.T of this package; they can an exported unsafe.Pointer.
                if c_pointer or (t.kind == "unsafe-pointer" and not name[:1].isupper()):
                    found.add((info.name, name))
        return found

    def _writes(self, candidates: set[tuple[str, str]]) -> tuple[list[FieldWrite], set[tuple[str, str]]]:
        """Every write into a candidate field, and the candidates written in ways not followed."""
        writes: list[FieldWrite] = []
        spoiled: set[tuple[str, str]] = set()
        names = {name for _, name in candidates}
        for file in self.package.files:
            for decl in file.root.named_children:
                if decl.type in ("function_declaration", "method_declaration"):
                    scanner = _FieldWriteScanner(self.package, file, decl, candidates, names)
                    writes += scanner.writes
                    spoiled |= scanner.spoiled
                elif decl.type in ("var_declaration", "const_declaration"):
                    spoiled |= {c for c in candidates for n in nodes_of_type(decl, *LITERALS) if c[1] in text(n)}
        return writes, spoiled


class _FieldWriteScanner:
    """The writes into candidate fields inside one function declaration (closures included)."""

    def __init__(self, package: Package, file: GoFile, func: Node, candidates: set[tuple[str, str]],
                 names: set[str]) -> None:
        self.package, self.file, self.func = package, file, func
        self.candidates, self.names = candidates, names
        self.writes: list[FieldWrite] = []
        self.spoiled: set[tuple[str, str]] = set()
        self._types: LocalTypes | None = None
        for node in nodes_of_type(func, "assignment_statement", "composite_literal", "literal_value",
                                  "unary_expression"):
            if node.type == "assignment_statement":
                self._assignment(node)
            elif node.type == "composite_literal":
                self._literal(node)
            elif node.type == "literal_value" and (node.parent is None or node.parent.type != "composite_literal"):
                self._spoil_keys(node)  # an elided T{...}: its type is not followed here
            elif node.type == "unary_expression" and text(node.child_by_field_name("operator")) == "&":
                self._address_taken(node)

    @property
    def types(self) -> LocalTypes:
        if self._types is None:
            self._types = LocalTypes(self.package, self.file, self.func)
        return self._types

    def _owner(self, node: Node | None) -> str | None:
        """The struct type name of ``node`` (through one pointer), or None when unknown."""
        t = self.types.type_of(node)
        if t.kind == "pointer" and t.elem is not None:
            t = t.elem
        return t.name if t.kind == "named" else None

    def _spoil_name(self, name: str) -> None:
        self.spoiled |= {c for c in self.candidates if c[1] == name}

    def _declares(self, owner: str, name: str) -> bool:
        """False when ``owner`` is a Go struct whose field ``name`` may be promoted from an
        embedded struct (a write through ``owner`` then writes another type's field)."""
        declared = self.package.symbols.underlying(GoType("named", owner))
        return declared.kind != "struct" or any(field_name == name for field_name, _ in declared.fields)

    def _assignment(self, node: Node) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return
        operator = next((text(c) for c in node.children if not c.is_named), "=")
        targets, values = left.named_children, right.named_children
        for index, target in enumerate(targets):
            target = unparen(target) or target
            if target.type != "selector_expression":
                continue
            name = text(target.child_by_field_name("field"))
            if name not in self.names:
                continue
            owner = self._owner(target.child_by_field_name("operand"))
            clears = len(values) == len(targets) and text(values[index]) == "nil"
            if clears and operator == "=":
                continue  # nil is fine whatever the owner
            if owner is None or operator != "=" or not self._declares(owner, name):
                self._spoil_name(name)
            elif (owner, name) in self.candidates:
                value: Node | TupleItem = values[index] if len(values) == len(targets) else TupleItem(values[0], index)
                self.writes.append(FieldWrite(owner, name, value, node.start_byte, self.func, self.file))

    def _literal(self, node: Node) -> None:
        body = node.child_by_field_name("body")
        owner = self._owner(node)
        if body is None or owner is None or not any(c[0] == owner for c in self.candidates):
            return
        declared = self.package.symbols.underlying(GoType("named", owner))
        field_names = [name for name, _ in declared.fields]
        for position, element in enumerate(body.named_children):
            if element.type == "keyed_element":
                name, value = text(element.named_children[0]), element.named_children[-1]
            elif element.type == "literal_element" and position < len(field_names):
                name, value = field_names[position], element
            else:
                continue
            value = element_value(value)
            if (owner, name) in self.candidates:
                self.writes.append(FieldWrite(owner, name, value, node.start_byte, self.func, self.file))

    def _spoil_keys(self, node: Node) -> None:
        for element in node.named_children:
            if element.type == "keyed_element" and text(element.named_children[0]) in self.names:
                self._spoil_name(text(element.named_children[0]))

    def _address_taken(self, node: Node) -> None:
        operand = unparen(node.child_by_field_name("operand"))
        if operand is None or operand.type != "selector_expression":
            return
        name = text(operand.child_by_field_name("field"))
        if name not in self.names:
            return
        owner = self._owner(operand.child_by_field_name("operand"))
        if owner is None or not self._declares(owner, name):
            self._spoil_name(name)
        elif not _argument_of_c_call(node):
            self.spoiled.add((owner, name))  # Go code may write anything through the pointer
        elif (owner, name) in self.candidates:
            self.writes.append(FieldWrite(owner, name, None, node.start_byte, self.func, self.file))


_CONVERSION_PARENTS = frozenset({"argument_list", "parenthesized_expression", "call_expression",
                                 "type_conversion_expression"})


def _argument_of_c_call(node: Node) -> bool:
    """``&x.f`` handed (through conversions) to a C function, which can only write C values."""
    current = node.parent
    for _ in range(8):
        if current is None or current.type not in _CONVERSION_PARENTS:
            return False
        if current.type == "call_expression" and c_name(current.child_by_field_name("function")) is not None:
            return True
        current = current.parent
    return False


class _MemoryCache:
    """One FunctionMemory per function declaration, all under the same summaries."""

    def __init__(self, constructors: Constructors) -> None:
        self.constructors = constructors
        self._memories: dict[int, FunctionMemory] = {}

    def __call__(self, func: Node, file: GoFile) -> FunctionMemory:
        if func.id not in self._memories:
            self._memories[func.id] = FunctionMemory(
                LocalTypes(self.constructors.package, file, func), self.constructors)
        return self._memories[func.id]


class _Callers:
    """What the package's calls pass for a parameter of a package function or method.

    A field filled from a ``*C.T`` parameter (``func newCommit(ptr *C.git_commit) *Commit {
    return &Commit{ptr: ptr} }``) holds C memory when every call in the package passes C
    memory (or nil); a ``*C.T`` can only come from this package, so no other caller exists.
    """

    def __init__(self, package: Package) -> None:
        self.package = package
        self._calls: dict[str, list[tuple[Node, Node, GoFile]]] | None = None  # callee name -> (call, func, file)

    def passed(self, memory: FunctionMemory, value: Node | TupleItem, at: int,
               memory_of: Callable[[Node, GoFile], FunctionMemory]) -> Value:
        index = self._unchanged_parameter(memory, value, at)
        if index is None:
            return UNKNOWN_VALUE
        name, receiver = text(memory.func.child_by_field_name("name")), receiver_type_name(memory.func)
        found: set[Origin] = set()
        for call, func, file in self._calls_named(name):
            caller = memory_of(func, file)
            callee, args = call_parts(call)
            if not self._calls_function(caller, unparen(callee), receiver) or index >= len(args):
                continue
            found.add(caller.eval(args[index], call.start_byte).origin)
        if not found or not found <= {Origin.C, Origin.NIL}:
            return UNKNOWN_VALUE
        return Value(Origin.C, form="pointer") if Origin.C in found else NIL_VALUE

    @staticmethod
    def _unchanged_parameter(memory: FunctionMemory, value: Node | TupleItem, at: int) -> int | None:
        node = unparen(value) if isinstance(value, Node) else None
        if node is None or node.type != "identifier":
            return None
        t = memory.types.underlying(memory.types.type_of(node))
        if not (t.kind == "pointer" and t.elem is not None and t.elem.kind == "c") \
                and not (t.kind == "c" and memory.package.c.is_pointer_type(t.name)):
            return None  # only C types cannot come from another package
        names = parameter_names(memory.func)
        storage = memory.storage_of(node)
        if text(node) not in names or storage is None \
                or any(store.pos <= at for _, store in memory.stores_into(storage)):
            return None
        return names.index(text(node))

    def _calls_named(self, name: str) -> list[tuple[Node, Node, GoFile]]:
        if self._calls is None:
            self._calls = {}
            for file in self.package.files:
                for decl in file.root.named_children:
                    if decl.type not in ("function_declaration", "method_declaration"):
                        continue
                    for node in nodes_of_type(decl, "call_expression"):
                        callee = unparen(node.child_by_field_name("function"))
                        if callee is not None and callee.type == "selector_expression":
                            callee = callee.child_by_field_name("field")
                        if callee is not None and callee.type in ("identifier", "field_identifier"):
                            self._calls.setdefault(text(callee), []).append((node, decl, file))
        return self._calls.get(name, [])

    @staticmethod
    def _calls_function(caller: FunctionMemory, callee: Node | None, receiver: str) -> bool:
        if callee is None:
            return False
        if not receiver:
            return callee.type == "identifier" and not caller.types.is_local(text(callee))
        if callee.type != "selector_expression":
            return False
        t = caller.types.type_of(callee.child_by_field_name("operand"))
        if t.kind == "pointer" and t.elem is not None:
            t = t.elem
        return t.kind == "named" and t.name == receiver
