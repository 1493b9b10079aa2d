"""The part of a function's memory model that needs no evaluation: its objects (allocation sites
and variables), the types of expressions and of memory slots, and when code runs.

The layers built on it (:mod:`.collect`, :mod:`.evaluate`, :mod:`.calls`, :mod:`.contents`)
are combined in :class:`~.function.FunctionMemory`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tree_sitter import Node

from cgoguard.analysis.memory.values import LITERALS, Obj, PinEvent, Store, short_label
from cgoguard.cfront.model import CMember
from cgoguard.gofront.resolve import LocalTypes, c_to_go_type
from cgoguard.gofront.syntax import c_name, call_parts, text, unparen
from cgoguard.gofront.types import UNKNOWN as UNKNOWN_TYPE
from cgoguard.gofront.types import GoType, type_from_node

if TYPE_CHECKING:
    from cgoguard.analysis.memory.facts import PackageFacts
    from cgoguard.analysis.memory.values import Address

C_SCALAR_TYPES = frozenset(
    "char schar uchar short ushort int uint long ulong longlong ulonglong float double size_t ssize_t "
    "uintptr_t intptr_t int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t".split())
_AGGREGATE_KINDS = frozenset({"struct", "array"})


class MemoryCore:
    """Objects, types and code positions of one function declaration (closures included)."""

    literal_type: Callable[[Node], GoType]  # from ContentLoading

    def __init__(self, types: LocalTypes, facts: PackageFacts) -> None:
        self.types = types
        self.facts = facts
        self.package = types.package
        self.file = types.file
        self.func = types.func
        self.end = self.func.end_byte
        self.stores: list[Store] = []
        self.pins: list[PinEvent] = []
        self._depth = 0
        self._resolving = False
        self._resolved: list[tuple[Address, Store]] | None = None
        self._types: dict[int, GoType] = {}  # node id -> underlying type
        self._elided: dict[int, GoType] = {}  # literal_value node id -> type of the elided literal
        self._allocations: dict[Obj, Node] = {}  # allocation sites, for their literal contents and types
        self._opaque: set[Obj] = set()  # allocated by another function: contents not modelled
        self._locals: dict[tuple[str, int], Obj] = {}
        # Resolved stores by target object; filled in source order, so while stores are being
        # resolved it holds the ones before the store at hand.
        self._stores_by_obj: dict[Obj, list[tuple[Address, Store]]] = {}
        self._closures: dict[int, tuple[int, int]] = {}  # node id -> byte span of its closure, (0, 0): none
        # Lists of the function's calls that several pointer rules ask for (filled by pointerness).
        self.call_lists: dict[str, list] = {}

    # ----- objects -------------------------------------------------------------------
    def _alloc(self, node: Node, name: str | None = None) -> Obj:
        label = name or short_label(text(node))
        obj = Obj("alloc", label, node.start_byte, node.start_point[0] + 1)
        self._allocations[obj] = node
        return obj

    def storage_of(self, ident: Node) -> Obj | None:
        """The storage of the variable an identifier names (a local or a package variable)."""
        name = text(ident)
        declared = self.types.declaration_of(name, ident)
        if declared is not None:
            key = (name, declared)
            if key not in self._locals:
                self._locals[key] = Obj("local", name, declared, self.file.source.count(b"\n", 0, declared) + 1)
            return self._locals[key]
        glob = self.package.symbols.globals.get(name)
        if glob is not None and not glob.is_const:
            return Obj("global", name, -1 - glob.node.start_byte, glob.node.start_point[0] + 1)
        return None

    def site_of(self, obj: Obj) -> Node | None:
        """The node that allocates ``obj`` or declares its variable (None for package variables)."""
        if obj.kind == "alloc":
            return self._allocations.get(obj)
        if obj.kind == "local":
            return self.file.root.descendant_for_byte_range(obj.start, obj.start)
        return None

    # ----- types -----------------------------------------------------------------------
    def type_of(self, node: Node | None) -> GoType:
        """The underlying type of an expression (C array members stay arrays), memoised."""
        node = unparen(node)
        if node is None:
            return UNKNOWN_TYPE
        if node.type == "literal_value":  # known only once its enclosing literal was expanded
            return self.types.underlying(self._elided.get(node.id, UNKNOWN_TYPE))
        cached = self._types.get(node.id)
        if cached is None:
            cached = self._types[node.id] = self._type_of(node)
        return cached

    def _type_of(self, node: Node) -> GoType:
        if node.type == "selector_expression" and c_name(node) is None:
            member = self._c_member(node)
            if member is not None and member.array:
                elem = c_to_go_type(member.type, member.pointer_depth, member.is_function_pointer)
                return GoType("array", elem=elem, length="?")
        return self.types.underlying(self.types.type_of(node))

    def _c_member(self, selector: Node) -> CMember | None:
        base = self.type_of(selector.child_by_field_name("operand"))
        if base.kind == "pointer" and base.elem is not None:
            base = self.types.underlying(base.elem)
        record = self.package.c.record(base.name) if base.kind == "c" else None
        field_name = text(selector.child_by_field_name("field"))
        return next((m for m in record.members if m.name == field_name), None) if record is not None else None

    def is_aggregate(self, t: GoType) -> bool:
        t = self.types.underlying(t)
        if t.kind in _AGGREGATE_KINDS:
            return True
        return t.kind == "c" and self.package.c.record(t.name) is not None

    def is_go_struct(self, t: GoType | None) -> bool:
        """Whether ``t`` names a struct type declared in Go in this package (not ``C.T``)."""
        return t is not None and t.kind == "named" and t.name in self.package.symbols.types \
            and self.types.underlying(t).kind == "struct"

    def names_c_type(self, name: str) -> bool:
        """Whether ``C.name`` is a type (so ``C.name(x)`` is a conversion, not a call)."""
        return name in self.package.c.typedefs or name.startswith(("struct_", "union_", "enum_")) \
            or name in C_SCALAR_TYPES

    # ----- types of memory ---------------------------------------------------------------
    def slot_type(self, obj: Obj, path: tuple[str, ...]) -> GoType | None:
        """The declared type of the slot ``path`` inside ``obj``, when the model knows it."""
        current = self._object_type(obj)
        for step in path:
            if current is None:
                return None
            current = self.types.underlying(current)
            if step.startswith("["):
                current = current.elem if current.kind in ("array", "slice") else None
            elif current.kind == "struct":
                current = dict(current.fields).get(step)
            elif current.kind == "c":
                current = self._c_member_type(current.name, step)
            else:
                return None
        return current if current is not None and current.kind != "unknown" else None

    def _object_type(self, obj: Obj) -> GoType | None:
        if obj.kind == "global":
            return self.types.var_type(obj.name)
        if obj.kind == "local":
            declared = self.file.root.descendant_for_byte_range(obj.start, obj.start)
            return self.types.var_type(obj.name, declared) if declared is not None else None
        node = self._allocations.get(obj)
        if node is None:
            return None
        if node.type == "call_expression":
            func, args = call_parts(node)
            if text(func) == "new" and args:
                return type_from_node(args[0])
            if text(func) == "make" and args:
                return type_from_node(args[0])
            return None
        return self.literal_type(node) if node.type in LITERALS else self.types.type_of(node)

    def _c_member_type(self, record_name: str, member_name: str) -> GoType | None:
        record = self.package.c.record(record_name)
        member = next((m for m in record.members if m.name == member_name), None) if record else None
        if member is None:
            return None
        base = c_to_go_type(member.type, member.pointer_depth, member.is_function_pointer)
        return GoType("array", elem=base, length="?") if member.array else base

    # ----- when code runs ----------------------------------------------------------------
    def visible(self, node: Node, at: int) -> bool:
        """Whether what ``node`` does has happened by byte ``at``.

        Code inside a function literal runs when the closure is called — maybe never, maybe
        later — so its effects count only for code inside the same closure.
        """
        closure = self._closures.get(node.id)
        if closure is None:
            closure = _enclosing_closure(node, self.func)
            self._closures[node.id] = closure
        return closure == (0, 0) or closure[0] <= at < closure[1]

    def run_position(self, call: Node) -> int:
        """When a call's checks happen: after its arguments; deferred calls at the end of the function."""
        node: Node | None = call.parent
        while node is not None and node != self.func:
            if node.type == "defer_statement":
                return self.end
            if node.type == "func_literal":
                parent = node.parent
                if parent is not None and parent.type == "call_expression" and parent.parent is not None \
                        and parent.parent.type == "defer_statement":
                    return self.end
                return call.end_byte
            node = node.parent
        return call.end_byte


def _enclosing_closure(node: Node, func: Node) -> tuple[int, int]:
    current = node.parent
    while current is not None and current != func:
        if current.type == "func_literal":
            return current.start_byte, current.end_byte
        current = current.parent
    return 0, 0
