"""Where the memory behind a Go expression comes from, and what was stored into it.

One :class:`FunctionMemory` models one function (with its closures): every allocation site
(``&T{}``, ``new``, ``make``, composite literals, non-constant strings, addressed locals)
is an :class:`Obj`; every assignment, declaration and ``copy`` is a :class:`Store` into an
object at a path of field names and indexes (``("p",)``, ``("a", "[0]")``, ``("[]",)`` for an
unknown index). :meth:`FunctionMemory.eval` gives the abstract :class:`Value` of an
expression at a byte position: Go memory (which object, where), C memory, mmap memory,
static data, nil, a scalar, or unknown. Values flow through locals position-aware: a use
sees the last store before it, so aliases and re-assignments are followed and a later
``x.p = nil`` kills an earlier ``x.p = &v``.

Parameters, results of unknown functions and anything the model cannot follow are
``UNKNOWN``: rules report only what is provable (precision first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from tree_sitter import Node

from cgoguard.analysis.callgraph import resolve_imported
from cgoguard.cfront.model import CMember
from cgoguard.gofront.resolve import CGO_BUILTIN_RESULTS, LocalTypes, c_to_go_type
from cgoguard.gofront.syntax import (
    c_name,
    call_parts,
    nodes_of_type,
    text,
    unparen,
    walk_skipping_funcs,
)
from cgoguard.gofront.types import BASIC_TYPES, GoType, type_from_node
from cgoguard.gofront.types import STRING as STRING_TYPE
from cgoguard.gofront.types import UNKNOWN as UNKNOWN_TYPE

if TYPE_CHECKING:
    from cgoguard.gofront.package import GoFile, Package

# C functions whose result is C memory even without a declaration in the package.
C_ALLOCATORS = frozenset({"CString", "CBytes", "malloc", "calloc", "realloc", "strdup", "strndup"})
C_SCALAR_TYPES = frozenset(
    "char schar uchar short ushort int uint long ulong longlong ulonglong float double size_t ssize_t "
    "uintptr_t intptr_t int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t".split())
MMAP_FUNCS = frozenset({"syscall.Mmap", "golang.org/x/sys/unix.Mmap"})
WILDCARD = "[]"
_AGGREGATE_KINDS = frozenset({"struct", "array"})
_LITERALS = frozenset({"composite_literal", "literal_value"})  # literal_value: elided `{...}` inside a literal
_TYPE_NODES = frozenset({"pointer_type", "slice_type", "array_type", "map_type", "channel_type", "function_type",
                         "interface_type", "struct_type", "qualified_type", "type_identifier", "generic_type"})
_REFERENCE_FORMS = {"slice": "slice", "map": "map", "chan": "chan", "func": "func", "interface": "iface",
                    "pointer": "pointer", "unsafe-pointer": "pointer"}


class Origin(StrEnum):
    GO = "go"  # Go memory (heap, or a local the compiler moves to the heap)
    GLOBAL = "global"  # a Go package variable (data/bss)
    C = "c"  # C memory: C allocators, C function results, pointers loaded from C memory
    MMAP = "mmap"  # syscall.Mmap / unix.Mmap
    STATIC = "static"  # read-only data: string constants, functions without captures
    NIL = "nil"
    SCALAR = "scalar"  # not a pointer at all (integers, uintptr, bool)
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Obj:
    """A piece of memory: an allocation site, a local variable's storage, a package variable,
    or ("typed") the Go memory a parameter or field points to, known only from its static type."""

    kind: str  # "alloc", "local", "global" or "typed"
    name: str  # what to call it in messages ("p", "new(C.int)", ...)
    start: int  # byte offset of the allocating node or declaration (identity)
    line: int
    type_name: str = ""  # for "typed": the static type that makes it Go memory

    @property
    def assumed(self) -> bool:
        """Go memory by its static type only: the caller may have pinned it."""
        return self.kind == "typed"

    def describe(self) -> str:
        if self.kind == "alloc":
            return f"{self.name} (line {self.line})"
        if self.kind == "typed":
            return f"the object {self.name} points to"
        return f"{'package variable' if self.kind == 'global' else 'variable'} {self.name}"


@dataclass(frozen=True)
class Value:
    """The abstract value of an expression.

    ``form`` says what kind of value holds the reference: pointer, slice, string, map, chan,
    func, iface, or aggregate (a struct or array value: a copy of ``obj`` at ``path`` as it
    was at byte ``at``).
    """

    origin: Origin
    obj: Obj | None = None
    path: tuple[str, ...] = ()
    form: str = "pointer"
    node: Node | None = field(default=None, compare=False, hash=False)
    at: int = 0

    @property
    def is_foreign(self) -> bool:
        """C or mmap memory: memory the Go garbage collector does not manage."""
        return self.origin in (Origin.C, Origin.MMAP)

    def with_form(self, form: str, node: Node | None = None) -> Value:
        return Value(self.origin, self.obj, self.path, form, node or self.node, self.at)


UNKNOWN_VALUE = Value(Origin.UNKNOWN)
NIL_VALUE = Value(Origin.NIL)
SCALAR_VALUE = Value(Origin.SCALAR)


@dataclass(frozen=True)
class TupleItem:
    """The ``index``-th result of a multi-value ``call`` (``b, err := syscall.Mmap(...)``)."""

    call: Node
    index: int


UNKNOWN_RHS = "unknown"  # range variables and other values the model does not follow
C_OUT_RHS = "c-out"  # `C.get(&p)`: C may write a C pointer into p, or leave it as it was
StoreValue = Node | TupleItem | str | None  # None: the zero value


@dataclass
class Store:
    """``lhs = rhs`` (or a declaration, or ``copy(lhs, rhs)`` when ``is_copy``)."""

    lhs: Node
    rhs: StoreValue
    pos: int  # the store is visible from this byte on
    stmt: Node
    is_copy: bool = False


@dataclass(frozen=True)
class Leaf:
    """One reference-holding slot of an object's contents and the value stored there."""

    path: tuple[str, ...]
    value: Value
    store: Store | None


@dataclass
class Address:
    """Where a store writes or an ``&`` points: into ``obj`` at ``path``, or into foreign memory."""

    origin: Origin
    obj: Obj | None = None
    path: tuple[str, ...] = ()


@dataclass
class PinEvent:
    pos: int
    pinner: str
    arg: Node | None  # None for Unpin
    deferred: bool


class FunctionMemory:
    """Memory origins and contents inside one function declaration (closures included)."""

    def __init__(self, types: LocalTypes, constructors: Constructors | None = None) -> None:
        self.types = types
        self.constructors = constructors or Constructors(types.package)
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
        self._collect()

    # ----- collection ----------------------------------------------------------------
    def _collect(self) -> None:
        for node in nodes_of_type(self.func, "short_var_declaration", "assignment_statement", "var_spec",
                                  "range_clause", "call_expression"):
            kind = node.type
            if kind == "short_var_declaration" or kind == "assignment_statement":
                self._collect_assignment(node)
            elif kind == "var_spec":
                self._collect_var_spec(node)
            elif kind == "range_clause":
                left = node.child_by_field_name("left")
                for name in left.named_children if left is not None else []:
                    self.stores.append(Store(name, UNKNOWN_RHS, node.end_byte, node))
            elif kind == "call_expression":
                self._collect_call(node)

    def _collect_assignment(self, node: Node) -> None:
        operator = next((text(c) for c in node.children if not c.is_named), "=")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return
        names, values = left.named_children, right.named_children
        if operator not in ("=", ":="):
            for name in names:  # x += y: some new value the model does not follow
                self.stores.append(Store(name, UNKNOWN_RHS, node.end_byte, node))
            return
        if len(names) == len(values):
            for name, value in zip(names, values, strict=True):
                self.stores.append(Store(name, value, node.end_byte, node))
        elif len(values) == 1:
            for index, name in enumerate(names):
                self.stores.append(Store(name, TupleItem(values[0], index), node.end_byte, node))

    def _collect_var_spec(self, node: Node) -> None:
        names = node.children_by_field_name("name")
        values_node = node.child_by_field_name("value")
        values = values_node.named_children if values_node is not None else []
        for index, name in enumerate(names):
            if not values:
                rhs: StoreValue = None
            elif len(values) == len(names):
                rhs = values[index]
            else:
                rhs = TupleItem(values[0], index)
            self.stores.append(Store(name, rhs, node.end_byte, node))

    def _collect_call(self, node: Node) -> None:
        func, args = call_parts(node)
        func = unparen(func)
        if func is None:
            return
        if func.type == "identifier" and text(func) == "copy" and len(args) == 2 \
                and not self.types.is_local("copy"):
            self.stores.append(Store(args[0], args[1], node.end_byte, node, is_copy=True))
            return
        if func.type != "selector_expression":
            return
        if c_name(func) is not None:
            self._collect_out_parameters(node, args)
            return
        method = text(func.child_by_field_name("field"))
        receiver = unparen(func.child_by_field_name("operand"))
        if method not in ("Pin", "Unpin") or receiver is None:
            return
        receiver_type = self.types.underlying(self.types.type_of(receiver))
        if receiver_type.kind == "pointer" and receiver_type.elem is not None:
            receiver_type = receiver_type.elem
        if receiver_type.name != "runtime.Pinner":
            return
        deferred = node.parent is not None and node.parent.type == "defer_statement"
        self.pins.append(PinEvent(node.start_byte, text(receiver).lstrip("&"),
                                  args[0] if method == "Pin" and args else None, deferred))

    def _collect_out_parameters(self, call: Node, args: list[Node]) -> None:
        """Pointer variables whose address a C call receives (``C.lookup(&ptr, id)``)."""
        for arg in args:
            inner = unparen(arg)
            while inner is not None and inner.type in ("call_expression", "type_conversion_expression"):
                operands = [inner.child_by_field_name("operand")] if inner.type == "type_conversion_expression" \
                    else call_parts(inner)[1]
                inner = unparen(operands[0]) if len(operands) == 1 else None
            if inner is None or inner.type != "unary_expression" or text(inner.child_by_field_name("operator")) != "&":
                continue
            target = unparen(inner.child_by_field_name("operand"))
            if target is not None and target.type == "identifier" \
                    and self.types.underlying(self.types.type_of(target)).kind in ("pointer", "unsafe-pointer"):
                # Visible after the call: its own pointer checks see the value passed in.
                self.stores.append(Store(target, C_OUT_RHS, call.end_byte + 1, call))

    # ----- objects -------------------------------------------------------------------
    def _alloc(self, node: Node, name: str | None = None) -> Obj:
        label = name or _short(text(node))
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

    # ----- stores --------------------------------------------------------------------
    @property
    def resolved_stores(self) -> list[tuple[Address, Store]]:
        """Every store with its target address, resolved in source order.

        A target that goes through a pointer (``h.p.q = v``) is evaluated where the store
        happens, seeing the stores resolved before it.
        """
        self._ensure_resolved()
        return self._resolved or []

    def _ensure_resolved(self) -> None:
        if self._resolved is not None or self._resolving:
            return
        self._resolving = True
        try:
            self._resolved = [self._resolve(store) for store in sorted(self.stores, key=lambda s: s.pos)]
        finally:
            self._resolving = False

    def _resolve(self, store: Store) -> tuple[Address, Store]:
        address = self.address_of(store.lhs, store.stmt.start_byte, through_slice=store.is_copy)
        if address.obj is not None and not store.is_copy:
            self._stores_by_obj.setdefault(address.obj, []).append((address, store))
        return address, store

    def stores_into(self, obj: Obj) -> list[tuple[Address, Store]]:
        """Stores into ``obj``, its literal initializer first."""
        initial: list[tuple[Address, Store]] = []
        literal = self._allocations.get(obj)
        if literal is not None and literal.type in _LITERALS:
            initial.append((Address(Origin.GO, obj, ()), Store(literal, literal, literal.start_byte, literal)))
        self._ensure_resolved()
        return initial + self._stores_by_obj.get(obj, [])

    def site_of(self, obj: Obj) -> Node | None:
        """The node that allocates ``obj`` or declares its variable (None for package variables)."""
        if obj.kind == "alloc":
            return self._allocations.get(obj)
        if obj.kind == "local":
            return self.file.root.descendant_for_byte_range(obj.start, obj.start)
        return None

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
        return self.literal_type(node) if node.type in _LITERALS else self.types.type_of(node)

    def _c_member_type(self, record_name: str, member_name: str) -> GoType | None:
        record = self.package.c.record(record_name)
        member = next((m for m in record.members if m.name == member_name), None) if record else None
        if member is None:
            return None
        base = c_to_go_type(member.type, member.pointer_depth, member.is_function_pointer)
        return GoType("array", elem=base, length="?") if member.array else base

    # ----- addresses -----------------------------------------------------------------
    def address_of(self, node: Node | None, at: int, *, through_slice: bool = False) -> Address:
        """The memory an addressable expression (or, with ``through_slice``, a slice) denotes."""
        node = unparen(node)
        if node is None:
            return Address(Origin.UNKNOWN)
        if through_slice:
            value = self.eval(node, at)
            return Address(value.origin, value.obj, value.path)
        kind = node.type
        if kind == "identifier":
            obj = self.storage_of(node)
            if obj is None:
                return Address(Origin.UNKNOWN)
            return Address(Origin.GLOBAL if obj.kind == "global" else Origin.GO, obj, ())
        if kind == "composite_literal":
            return Address(Origin.GO, self._alloc(node), ())
        if kind == "selector_expression":
            return self._selector_address(node, at)
        if kind == "index_expression":
            return self._index_address(node, at)
        if kind == "unary_expression" and text(node.child_by_field_name("operator")) == "*":
            value = self.eval(node.child_by_field_name("operand"), at)
            return Address(value.origin, value.obj, value.path)
        return Address(Origin.UNKNOWN)

    def _selector_address(self, node: Node, at: int) -> Address:
        if c_name(node) is not None:
            return Address(Origin.C)
        operand = node.child_by_field_name("operand")
        field_name = text(node.child_by_field_name("field"))
        operand_type = self.type_of(operand)
        if operand_type.kind == "pointer":
            base = self.eval(operand, at)
            return Address(base.origin, base.obj, (*base.path, field_name))
        if operand is not None and operand.type == "identifier" and text(operand) in self.file.imports \
                and not self.types.is_local(text(operand)):
            return Address(Origin.UNKNOWN)
        base_address = self.address_of(operand, at)
        return Address(base_address.origin, base_address.obj, (*base_address.path, field_name))

    def _index_address(self, node: Node, at: int) -> Address:
        operand = node.child_by_field_name("operand")
        step = index_step(node.child_by_field_name("index"))
        operand_type = self.type_of(operand)
        if operand_type.kind in ("slice", "pointer"):
            base = self.eval(operand, at)
            return Address(base.origin, base.obj, (*base.path, step))
        if operand_type.kind == "array" or self.is_aggregate(operand_type):
            base_address = self.address_of(operand, at)
            return Address(base_address.origin, base_address.obj, (*base_address.path, step))
        return Address(Origin.UNKNOWN)

    # ----- evaluation ----------------------------------------------------------------
    def eval(self, node: Node | None, at: int) -> Value:
        """The abstract value of ``node`` as evaluated at byte ``at``."""
        node = unparen(node)
        if node is None or self._depth > 40:
            return UNKNOWN_VALUE
        self._depth += 1
        try:
            handler = _EVAL_HANDLERS.get(node.type)
            value = handler(self, node, at) if handler else UNKNOWN_VALUE
        finally:
            self._depth -= 1
        if value.origin is Origin.UNKNOWN and node.type in _DECLARED_READS:
            return self._by_declaration(node) or value
        return value

    def _by_declaration(self, node: Node) -> Value | None:
        """What a read the flow model cannot follow must hold, by declarations alone.

        A struct field that every assignment in the package fills from C memory holds C
        memory; a pointer to a struct type declared in Go, a map or a channel can only be
        nil or Go memory (a C pointer would need an unsafe cast, which the origin model sees
        where it happens in the function).
        """
        if node.type == "selector_expression" and self._field_holds_c(node):
            return Value(Origin.C, form="pointer", node=node)
        underlying = self.type_of(node)
        if underlying.kind in ("map", "chan"):
            form = underlying.kind
        elif underlying.kind == "pointer" and self.is_go_struct(underlying.elem):
            form = "pointer"
        else:
            return None
        storage = self.storage_of(node) if node.type == "identifier" else None
        start = storage.start if storage is not None else -1
        obj = Obj("typed", text(node), start, node.start_point[0] + 1, str(underlying))
        return Value(Origin.GO, obj, (), form, node)

    def is_go_struct(self, t: GoType | None) -> bool:
        """Whether ``t`` names a struct type declared in Go in this package (not ``C.T``)."""
        return t is not None and t.kind == "named" and t.name in self.package.symbols.types \
            and self.types.underlying(t).kind == "struct"

    def _field_holds_c(self, selector: Node) -> bool:
        base = self.types.type_of(selector.child_by_field_name("operand"))
        if base.kind == "pointer" and base.elem is not None:
            base = base.elem
        return base.kind == "named" and self.constructors.fields.holds_c(
            base.name, text(selector.child_by_field_name("field")))

    def _eval_identifier(self, node: Node, at: int) -> Value:
        name = text(node)
        if name == "nil" and not self.types.is_local(name):
            return NIL_VALUE
        if name in ("true", "false", "iota") and not self.types.is_local(name):
            return SCALAR_VALUE
        obj = self.storage_of(node)
        if obj is None:
            if name in self.package.symbols.funcs:
                return Value(Origin.STATIC, form="func", node=node)
            glob = self.package.symbols.globals.get(name)
            if glob is not None and glob.is_const:
                return self._constant(glob.value, node)
            return UNKNOWN_VALUE
        if self.is_aggregate(self.type_of(node)):
            return Value(Origin.GLOBAL if obj.kind == "global" else Origin.GO, obj, (), "aggregate", node, at)
        if obj.kind == "global":
            return UNKNOWN_VALUE  # any function may have reassigned it
        return self.load(obj, (), at)

    def _constant(self, value: Node | None, node: Node) -> Value:
        kind = self.type_of(value)
        if kind.kind == "basic" and kind.name == "string":
            return Value(Origin.STATIC, form="string", node=node)
        return SCALAR_VALUE

    def _eval_unary(self, node: Node, at: int) -> Value:
        operator = text(node.child_by_field_name("operator"))
        operand = node.child_by_field_name("operand")
        if operator == "&":
            address = self.address_of(operand, at)
            if address.origin is Origin.UNKNOWN:
                return UNKNOWN_VALUE
            return Value(address.origin, address.obj, address.path, "pointer", node)
        if operator == "*":
            pointer = self.eval(operand, at)
            if pointer.origin not in (Origin.GO, Origin.GLOBAL) or pointer.obj is None:
                return self._foreign_load(pointer, node)
            if self.is_aggregate(self.types.type_of(node)):
                return Value(pointer.origin, pointer.obj, pointer.path, "aggregate", node, at)
            return self.load(pointer.obj, pointer.path, at)
        if operator == "<-":
            return UNKNOWN_VALUE
        return SCALAR_VALUE

    def _foreign_load(self, base: Value, node: Node) -> Value:
        """Loading through C or mmap memory yields C memory (or plain data)."""
        if not base.is_foreign:
            return UNKNOWN_VALUE
        loaded = self.type_of(node)
        if self.is_aggregate(loaded):
            return Value(base.origin, None, (), "aggregate", node)
        if loaded.kind in ("pointer", "unsafe-pointer", "slice"):
            return Value(Origin.C, form=_REFERENCE_FORMS[loaded.kind], node=node)
        return SCALAR_VALUE if loaded.kind in ("basic", "c") else UNKNOWN_VALUE

    def _eval_selector(self, node: Node, at: int) -> Value:
        name = c_name(node)
        if name is not None:
            return self._c_global(name, node)
        operand = node.child_by_field_name("operand")
        if operand is not None and operand.type == "identifier" and text(operand) in self.file.imports \
                and not self.types.is_local(text(operand)):
            return UNKNOWN_VALUE
        address = self._selector_address(node, at)
        return self._load_address(address, node, at)

    def _c_global(self, name: str, node: Node) -> Value:
        glob = self.package.c.globals.get(name)
        if glob is not None and glob.pointer_depth:
            return Value(Origin.C, form="pointer", node=node)
        return SCALAR_VALUE if glob is not None else UNKNOWN_VALUE

    def _load_address(self, address: Address, node: Node, at: int) -> Value:
        if address.origin in (Origin.C, Origin.MMAP):
            return self._foreign_load(Value(address.origin), node)
        if address.obj is None or address.origin not in (Origin.GO, Origin.GLOBAL):
            return UNKNOWN_VALUE
        if self.is_aggregate(self.types.type_of(node)):
            return Value(address.origin, address.obj, address.path, "aggregate", node, at)
        if address.obj.kind == "global":
            return UNKNOWN_VALUE
        return self.load(address.obj, address.path, at)

    def _eval_index(self, node: Node, at: int) -> Value:
        operand_type = self.type_of(node.child_by_field_name("operand"))
        if operand_type.kind == "map":
            return UNKNOWN_VALUE
        if operand_type.kind == "basic":
            return SCALAR_VALUE  # indexing a string yields a byte
        return self._load_address(self._index_address(node, at), node, at)

    def _eval_slice(self, node: Node, at: int) -> Value:
        operand = node.child_by_field_name("operand")
        operand_type = self.type_of(operand)
        if operand_type.kind == "array":
            address = self.address_of(operand, at)
            if address.origin is Origin.UNKNOWN:
                return UNKNOWN_VALUE
            return Value(address.origin, address.obj, address.path, "slice", node)
        base = self.eval(operand, at)
        form = "string" if operand_type.kind == "basic" else "slice"
        return base.with_form(form, node) if base.origin is not Origin.UNKNOWN else base

    def _eval_composite(self, node: Node, at: int) -> Value:
        literal_type = self.type_of(node)
        if literal_type.kind == "unknown":
            return UNKNOWN_VALUE
        obj = self._alloc(node)
        if literal_type.kind == "pointer":  # an elided &T{...}
            return Value(Origin.GO, obj, (), "pointer", node)
        if literal_type.kind in ("slice", "map"):
            return Value(Origin.GO, obj, (), literal_type.kind, node)
        return Value(Origin.GO, obj, (), "aggregate", node, node.start_byte)

    def _eval_func_literal(self, node: Node, at: int) -> Value:
        body = node.child_by_field_name("body")
        captures = any(self._declared_outside(n, node) for n in nodes_of_type(body, "identifier")) \
            if body is not None else False
        return Value(Origin.GO if captures else Origin.STATIC, self._alloc(node, "closure"), (), "func", node)

    def _declared_outside(self, ident: Node, literal: Node) -> bool:
        declared = self.types.declaration_of(text(ident), ident)
        return declared is not None and not literal.start_byte <= declared < literal.end_byte

    def _eval_binary(self, node: Node, at: int) -> Value:
        result = self.types.type_of(node)
        if not (result.kind == "basic" and result.name == "string"):
            return SCALAR_VALUE
        left = self.eval(node.child_by_field_name("left"), at)
        right = self.eval(node.child_by_field_name("right"), at)
        if left.origin is Origin.STATIC and right.origin is Origin.STATIC:
            return Value(Origin.STATIC, form="string", node=node)
        return Value(Origin.GO, self._alloc(node), (), "string", node)

    def _eval_string_literal(self, node: Node, at: int) -> Value:
        return Value(Origin.STATIC, form="string", node=node)

    def _eval_scalar(self, node: Node, at: int) -> Value:
        return SCALAR_VALUE

    def _eval_call(self, node: Node, at: int) -> Value:
        func, args = call_parts(node)
        func = unparen(func)
        if func is None:
            return UNKNOWN_VALUE
        name = c_name(func)
        if name is not None:
            return self._eval_c_call(name, node, args, at)
        target = self._as_type(func)
        if target is not None:
            return self._eval_conversion(target, node, args, at)
        if func.type == "identifier" and not self.types.is_local(text(func)):
            builtin = self._eval_builtin(text(func), node, args, at)
            if builtin is not None:
                return builtin
        qualified = self._qualified(func)
        if qualified in _UNSAFE_PASSTHROUGH and args:
            return self.eval(args[0], at).with_form(_UNSAFE_PASSTHROUGH[qualified], node)
        return self._eval_other_call(node)

    def _as_type(self, func: Node) -> GoType | None:
        """The type a conversion's callee names (``(**C.char)(p)`` included), or None."""
        func = unparen(func) or func
        if func.type == "unary_expression" and text(func.child_by_field_name("operator")) == "*":
            inner = func.child_by_field_name("operand")
            elem = self._as_type(inner) if inner is not None else None
            return GoType("pointer", elem=elem) if elem is not None else None
        return type_from_node(func) if self._names_type(func) else None

    def _names_type(self, node: Node) -> bool:
        if node.type in _TYPE_NODES:
            return True
        if node.type == "identifier":
            name = text(node)
            return not self.types.is_local(name) and (name in self.package.symbols.types or name in BASIC_TYPES)
        if node.type == "selector_expression":
            name = c_name(node)
            if name is not None:
                return self.package.c.function(name) is None and name not in CGO_BUILTIN_RESULTS
            return text(node) == "unsafe.Pointer"
        return False

    def _qualified(self, func: Node) -> str:
        if func.type != "selector_expression":
            return ""
        operand = unparen(func.child_by_field_name("operand"))
        if operand is None or operand.type != "identifier" or self.types.is_local(text(operand)):
            return ""
        package = self.file.imports.get(text(operand))
        return f"{package}.{text(func.child_by_field_name('field'))}" if package else ""

    def _eval_c_call(self, name: str, node: Node, args: list[Node], at: int) -> Value:
        if name in ("GoString", "GoStringN"):
            return Value(Origin.GO, self._alloc(node), (), "string", node)
        if name == "GoBytes":
            return Value(Origin.GO, self._alloc(node), (), "slice", node)
        if name in C_ALLOCATORS:
            return Value(Origin.C, form="pointer", node=node)
        function = self.package.c.function(name)
        if function is not None:
            pointer = function.returns_pointer or self.package.c.is_pointer_type(function.return_type)
            return Value(Origin.C, form="pointer", node=node) if pointer else SCALAR_VALUE
        if len(args) == 1 and self.names_c_type(name):
            return self._eval_conversion(GoType("c", name), node, args, at)  # C.T(x)
        # A C function the model cannot see: whatever pointer it returns is not Go memory.
        return Value(Origin.C, form="pointer", node=node)

    def names_c_type(self, name: str) -> bool:
        """Whether ``C.name`` is a type (so ``C.name(x)`` is a conversion, not a call)."""
        return name in self.package.c.typedefs or name.startswith(("struct_", "union_", "enum_")) \
            or name in C_SCALAR_TYPES

    def _eval_conversion(self, target: GoType, node: Node, args: list[Node], at: int) -> Value:
        if not args:
            return UNKNOWN_VALUE
        target = self.types.underlying(target)
        if target.kind == "slice" and self.type_of(args[0]) == STRING_TYPE:
            return self._fresh_copy(args[0], node, "slice", at)  # []byte(s), []rune(s) copy
        if target.kind == "c" and self.package.c.is_pointer_type(target.name):
            return self.eval(args[0], at).with_form("pointer", node)
        form = _REFERENCE_FORMS.get(target.kind)
        if form is not None:
            source = self.eval(args[0], at)
            return source.with_form(form, node) if source.origin is not Origin.UNKNOWN else source
        if target.kind == "basic" and target.name == "string":
            source = self.eval(args[0], at)
            if source.origin is Origin.STATIC:
                return source
            return self._fresh_copy(args[0], node, "string", at)  # string(b), string(r) copy
        if self.is_aggregate(target):
            return self.eval(args[0], at)
        return SCALAR_VALUE

    def _fresh_copy(self, source: Node, node: Node, form: str, at: int) -> Value:
        """A conversion that copies into a new Go allocation (nothing to copy: no allocation)."""
        literal = unparen(source)
        if literal is not None and literal.type in ("interpreted_string_literal", "raw_string_literal") \
                and len(text(literal)) <= 2:
            return SCALAR_VALUE
        return Value(Origin.GO, self._alloc(node), (), form, node)

    def _eval_builtin(self, name: str, node: Node, args: list[Node], at: int) -> Value | None:
        if name == "new":
            return Value(Origin.GO, self._alloc(node), (), "pointer", node)
        if name == "make" and args:
            made = self.types.underlying(type_from_node(args[0]))
            return Value(Origin.GO, self._alloc(node), (), _REFERENCE_FORMS.get(made.kind, "slice"), node)
        if name in ("len", "cap", "copy", "complex", "real", "imag", "min", "max"):
            return SCALAR_VALUE
        if name == "append" and args:
            base = self.eval(args[0], at)
            if base.origin not in (Origin.GO, Origin.NIL):
                return UNKNOWN_VALUE
            # A (possibly new) Go backing array holding the old elements and the new ones.
            return Value(Origin.GO, self._alloc(node), (), "slice", node)
        return None

    def _eval_other_call(self, node: Node) -> Value:
        summarized = self._package_call_result(node, 0)
        if summarized is not None:
            return summarized
        result = self.type_of(node)
        if result.kind == "basic" and result.name == "string":
            return Value(Origin.GO, self._alloc(node), (), "string", node)
        if result.kind in ("map", "chan"):
            return Value(Origin.GO, self._alloc(node), (), result.kind, node)
        if result.kind == "basic":
            return SCALAR_VALUE
        return UNKNOWN_VALUE

    def eval_written(self, value: Node | TupleItem, at: int) -> Value:
        """The value of the right-hand side of a write (a tuple item: ``f.c, err = C.f()``)."""
        return self._eval_tuple_item(value, at) if isinstance(value, TupleItem) else self.eval(value, at)

    def _eval_tuple_item(self, item: TupleItem, at: int) -> Value:
        func, _ = call_parts(item.call)
        func = unparen(func)
        if item.index == 0 and c_name(func) is not None:
            return self.eval(item.call, at)  # the errno form of a C call: `p, err := C.f()`
        if func is not None and self._qualified(func) in MMAP_FUNCS and item.index == 0:
            return Value(Origin.MMAP, form="slice", node=item.call)
        return self._package_call_result(item.call, item.index) or UNKNOWN_VALUE

    def _package_call_result(self, call: Node, index: int) -> Value | None:
        """The summarised result ``index`` of a call of a function of this package."""
        func = unparen(call.child_by_field_name("function"))
        if func is not None and func.type == "selector_expression" and self.package.facts:
            return self._imported_call_result(call, func, index)
        if func is None or func.type != "identifier" or self.types.is_local(text(func)):
            return None
        found = self.constructors.result(text(func), index)
        if found is None:
            return None
        if found.origin is Origin.C:
            return Value(Origin.C, form=found.form, node=call)
        # Fresh Go memory: one object per call site (for the first result, the usual one).
        if index != 0:
            return None
        obj = self._alloc(call)
        self._opaque.add(obj)
        return Value(Origin.GO, obj, (), found.form, call)

    def _imported_call_result(self, call: Node, func: Node, index: int) -> Value | None:
        """Result ``index`` of a function of another module package, from its exported summary."""
        callee = resolve_imported(self.package, self.file, func, self.types)
        if callee is None:
            return None
        owned = callee.summary.owned_result(index) is not None
        kind = "c" if owned else callee.summary.result_kind(index)
        if kind == "c":
            return Value(Origin.C, form="pointer", node=call)
        if kind != "go" or index != 0:
            return None
        obj = self._alloc(call)
        self._opaque.add(obj)
        return Value(Origin.GO, obj, (), _REFERENCE_FORMS.get(self.type_of(call).kind, "pointer"), call)

    # ----- loads and contents ---------------------------------------------------------
    def load(self, obj: Obj, path: tuple[str, ...], at: int) -> Value:
        """The value in the slot ``path`` of ``obj`` at byte ``at``: the last store covering it."""
        best: tuple[Store, tuple[str, ...]] | None = None
        for address, store in self.stores_into(obj):
            if store.pos > at or not _is_prefix(address.path, path) or not self.visible(store.stmt, at):
                continue
            if best is None or store.pos >= best[0].pos:
                best = (store, address.path)
        if best is None:
            return NIL_VALUE if obj.kind == "alloc" and obj not in self._opaque else UNKNOWN_VALUE
        store, store_path = best
        if store.rhs == C_OUT_RHS and len(path) == len(store_path):
            previous = self.load(obj, path, store.pos - 1)
            return Value(Origin.C, form="pointer", node=store.stmt) \
                if previous.origin in (Origin.NIL, Origin.C) else UNKNOWN_VALUE
        return self._value_within(store.rhs, path[len(store_path):], store.pos - 1)

    def _value_within(self, rhs: StoreValue, rest: tuple[str, ...], at: int) -> Value:
        """The value at ``rest`` inside a stored right-hand side."""
        if rhs is None:
            return NIL_VALUE
        if isinstance(rhs, str):
            return UNKNOWN_VALUE
        if isinstance(rhs, TupleItem):
            return self._eval_tuple_item(rhs, at) if not rest else UNKNOWN_VALUE
        if not rest:
            return self.eval(rhs, at)
        literal = unparen(rhs)
        if literal is not None and literal.type in _LITERALS:
            for step, element in self.literal_elements(literal):
                if _overlaps(step, rest[0]):
                    return self._value_within(element, rest[1:], at)
            return NIL_VALUE
        value = self.eval(rhs, at)
        if value.form == "aggregate" and value.obj is not None:
            return self.load(value.obj, value.path + rest, value.at)
        return UNKNOWN_VALUE

    def literal_elements(self, literal: Node) -> Iterator[tuple[str, Node]]:
        """(path step, element value) of a composite literal: field names or ``[k]``.

        Elided inner literals (``[]T{{...}}``) are yielded as their ``literal_value`` node,
        whose type is remembered for :meth:`type_of`.
        """
        literal_type = self.literal_type(literal)
        body = literal.child_by_field_name("body") if literal.type == "composite_literal" else literal
        if body is None or literal_type.kind == "map":
            return
        names = self._field_names(literal_type)
        position = 0
        for element in body.named_children:
            if element.type == "keyed_element":
                key_node, value_node = element.named_children[0], element.named_children[-1]
                key = text(key_node)
                indexed = literal_type.kind in ("array", "slice")
                step = (f"[{key}]" if key.isdigit() else WILDCARD) if indexed else key
                if key.isdigit():
                    position = int(key) + 1
            elif element.type == "literal_element":
                step = names[position] if position < len(names) else f"[{position}]"
                value_node = element
                position += 1
            else:
                continue
            value = _element_value(value_node)
            if value.type == "literal_value":
                self._elided[value.id] = self._element_type(literal_type, step)
            yield step, value

    def literal_type(self, literal: Node) -> GoType:
        """The type of the value a literal builds (for an elided ``&T{}``, the ``T``)."""
        literal_type = self.type_of(literal)
        if literal.type == "literal_value" and literal_type.kind == "pointer" and literal_type.elem is not None:
            return self.types.underlying(literal_type.elem)
        return literal_type

    def _element_type(self, container: GoType, step: str) -> GoType:
        if step.startswith("["):
            return container.elem if container.elem is not None else UNKNOWN_TYPE
        if container.kind == "struct":
            return dict(container.fields).get(step, UNKNOWN_TYPE)
        if container.kind == "c":
            return self._c_member_type(container.name, step) or UNKNOWN_TYPE
        return UNKNOWN_TYPE

    def _field_names(self, t: GoType) -> list[str]:
        if t.kind == "struct":
            return [name for name, _ in t.fields]
        if t.kind == "c":
            record = self.package.c.record(t.name)
            return [m.name for m in record.members] if record is not None else []
        return []

    def contents(self, obj: Obj, region: tuple[str, ...], at: int) -> Iterator[Leaf]:
        """The reference-holding values stored in ``obj`` within ``region`` as of byte ``at``."""
        allocation = self._allocations.get(obj)
        if allocation is not None and allocation.type == "call_expression" \
                and text(allocation.child_by_field_name("function")) == "append":
            yield from self._appended(allocation, region)
        candidates = [(a, s) for a, s in self.stores_into(obj)
                      if s.pos <= at and (_is_prefix(a.path, region) or _is_prefix(region, a.path))
                      and self.visible(s.stmt, at)]
        for address, store in candidates:
            for leaf in self.expand(store.rhs, address.path, region, store):
                if not self._killed(leaf.path, store, candidates):
                    yield leaf

    def _appended(self, call: Node, region: tuple[str, ...]) -> Iterator[Leaf]:
        """Elements of ``append(s, x, y)`` / ``append(s, t...)``: those of ``s``, then the new ones.

        Their positions in the new backing array are not tracked (``[]``).
        """
        _, args = call_parts(call)
        spread = len(args) == 2 and args[1].type == "variadic_argument"
        at = call.start_byte
        sources = [args[0], args[1].named_children[0]] if spread and args[1].named_children else args[:1]
        for source in sources:
            value = self.eval(source, at)
            if value.origin is Origin.GO and value.obj is not None:
                for leaf in self.contents(value.obj, value.path, at):
                    yield Leaf((WILDCARD, *leaf.path[len(value.path) + 1:]), leaf.value, leaf.store)
        if not spread:
            synthetic = Store(call, None, at, call)
            for element in args[1:]:
                yield from self.expand(element, (WILDCARD,), region, synthetic)

    def expand(self, rhs: StoreValue, path: tuple[str, ...], region: tuple[str, ...],
                store: Store) -> Iterator[Leaf]:
        if rhs is None or isinstance(rhs, str):
            return
        if isinstance(rhs, TupleItem):
            yield Leaf(path, self._eval_tuple_item(rhs, store.pos), store)
            return
        node = unparen(rhs)
        if node is not None and node.type in _LITERALS \
                and (store.lhs == node or self.is_aggregate(self.type_of(node))):
            for step, element in self.literal_elements(node):
                sub = (*path, step)
                if _is_prefix(sub, region) or _is_prefix(region, sub):
                    yield from self.expand(element, sub, region, store)
            return
        value = self.eval(rhs, store.pos - 1)  # before the store itself takes effect
        if value.form == "aggregate" and value.obj is not None and self._depth < 30:
            inner_region = region[len(path):] if _is_prefix(path, region) else ()
            self._depth += 1
            try:
                for leaf in self.contents(value.obj, value.path + inner_region, value.at):
                    rebased = path + leaf.path[len(value.path):]
                    yield Leaf(rebased, leaf.value, leaf.store)
            finally:
                self._depth -= 1
            return
        yield Leaf(path, value, store)

    @staticmethod
    def _killed(path: tuple[str, ...], store: Store, candidates: list[tuple[Address, Store]]) -> bool:
        """Whether a later store overwrote the whole slot ``path``."""
        return any(later.pos > store.pos and WILDCARD not in address.path and _is_prefix(address.path, path)
                   for address, later in candidates)

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

    # ----- pinning --------------------------------------------------------------------
    def is_pinned(self, value: Value, at: int) -> bool:
        """Whether the object ``value`` points into was pinned before ``at`` and not unpinned since."""
        if value.obj is None:
            return False
        for pin in self.pins:
            if pin.arg is None or pin.pos > at or pin.deferred or not self.visible(pin.arg, at):
                continue
            pinned = self.eval(pin.arg, pin.pos)
            if pinned.obj != value.obj:
                continue
            if not any(u.arg is None and u.pinner == pin.pinner and not u.deferred and pin.pos < u.pos < at
                       for u in self.pins):
                return True
        return False

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


def index_step(index: Node | None) -> str:
    index = unparen(index)
    if index is not None and index.type == "int_literal" and text(index).isdigit():
        return f"[{int(text(index))}]"
    return WILDCARD


def _element_value(element: Node) -> Node:
    """The expression (or elided ``literal_value``) inside a ``literal_element``."""
    return element.named_children[0] if element.named_children else element


def _overlaps(a: str, b: str) -> bool:
    return a == b or (a.startswith("[") and b.startswith("[") and WILDCARD in (a, b))


def _is_prefix(prefix: tuple[str, ...], path: tuple[str, ...]) -> bool:
    return len(prefix) <= len(path) and all(_overlaps(a, b) for a, b in zip(prefix, path, strict=False))


def _short(source: str, limit: int = 40) -> str:
    source = " ".join(source.split())
    return source if len(source) <= limit else source[: limit - 3] + "..."


_DECLARED_READS = frozenset({"identifier", "selector_expression", "index_expression"})
_UNSAFE_PASSTHROUGH = {
    "unsafe.Slice": "slice",
    "unsafe.SliceData": "pointer",
    "unsafe.String": "string",
    "unsafe.StringData": "pointer",
    "unsafe.Add": "pointer",
}

_EVAL_HANDLERS = {
    "identifier": FunctionMemory._eval_identifier,
    "unary_expression": FunctionMemory._eval_unary,
    "selector_expression": FunctionMemory._eval_selector,
    "index_expression": FunctionMemory._eval_index,
    "slice_expression": FunctionMemory._eval_slice,
    "composite_literal": FunctionMemory._eval_composite,
    "literal_value": FunctionMemory._eval_composite,
    "func_literal": FunctionMemory._eval_func_literal,
    "binary_expression": FunctionMemory._eval_binary,
    "call_expression": FunctionMemory._eval_call,
    "type_conversion_expression": lambda self, node, at: self._eval_conversion(
        type_from_node(node.child_by_field_name("type")), node, [node.child_by_field_name("operand")], at),
    "interpreted_string_literal": FunctionMemory._eval_string_literal,
    "raw_string_literal": FunctionMemory._eval_string_literal,
    "int_literal": FunctionMemory._eval_scalar,
    "float_literal": FunctionMemory._eval_scalar,
    "rune_literal": FunctionMemory._eval_scalar,
    "imaginary_literal": FunctionMemory._eval_scalar,
    "true": FunctionMemory._eval_scalar,
    "false": FunctionMemory._eval_scalar,
    "nil": lambda self, node, at: NIL_VALUE,
}


@dataclass(frozen=True)
class ResultOrigin:
    origin: Origin  # GO (fresh Go memory) or C
    form: str


class Constructors:
    """Package functions whose result always is fresh Go memory (``func newT() *T { return
    &T{} }``) or C memory (``func newBox() (*C.box, error) { return C.box_new(), nil }``).

    ``nil`` results are ignored (error paths): they never make a pointer rule fire.
    """

    def __init__(self, package: Package, fields: FieldOrigins | None = None) -> None:
        self.package = package
        self.fields = fields or FieldOrigins(package)
        self._results: dict[tuple[str, int], ResultOrigin | None] = {}

    def result(self, name: str, index: int = 0) -> ResultOrigin | None:
        """Where result ``index`` of ``name(...)`` points, when every return agrees."""
        key = (name, index)
        if key not in self._results:
            self._results[key] = None  # guards recursion
            self._results[key] = self._summarize(name, index)
        return self._results[key]

    def _summarize(self, name: str, index: int) -> ResultOrigin | None:
        info = self.package.symbols.funcs.get(name)
        body = info.body if info is not None else None
        if info is None or body is None or index >= len(info.results):
            return None
        memory = FunctionMemory(LocalTypes(self.package, info.file, info.node), self)
        found: set[ResultOrigin] = set()
        for node in walk_skipping_funcs(body):
            if node.type != "return_statement":
                continue
            results = [c for c in node.named_children if c.type == "expression_list"]
            values = results[0].named_children if results else []
            if len(values) != len(info.results):
                return None  # a bare return or `return f()` of a tuple: not followed
            value = memory.eval(values[index], node.start_byte)
            if value.origin is Origin.NIL:
                continue
            if value.origin not in (Origin.GO, Origin.C) or value.form == "aggregate":
                return None
            found.add(ResultOrigin(value.origin, value.form))
        return found.pop() if len(found) == 1 else None


def function_memories(package: Package) -> list[FunctionMemory]:
    """A FunctionMemory for every function and method with a body in the reported files."""
    constructors = Constructors(package)
    memories: list[FunctionMemory] = []
    for file in package.files:
        if not package.reports_on(file):
            continue
        for decl in file.root.named_children:
            if decl.type in ("function_declaration", "method_declaration") \
                    and decl.child_by_field_name("body") is not None:
                memories.append(FunctionMemory(LocalTypes(package, file, decl), constructors))
    return memories


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
                    spoiled |= {c for c in candidates for n in nodes_of_type(decl, *_LITERALS) if c[1] in text(n)}
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
            value = _element_value(value)
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
        name, receiver = _function_name(memory.func)
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
        names = _parameter_names(memory.func)
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


def _function_name(func: Node) -> tuple[str, str]:
    """(name, receiver type name or "") of a function or method declaration."""
    name = text(func.child_by_field_name("name"))
    receiver = func.child_by_field_name("receiver")
    if func.type != "method_declaration" or receiver is None:
        return name, ""
    declared = next((c.child_by_field_name("type") for c in receiver.named_children
                     if c.type == "parameter_declaration"), None)
    base = unparen(declared)
    while base is not None and base.type in ("pointer_type", "generic_type"):
        base = base.named_children[-1] if base.type == "pointer_type" else base.child_by_field_name("type")
    return name, text(base) if base is not None else ""


def _parameter_names(func: Node) -> list[str]:
    """Parameter names in order ("" for unnamed ones); a variadic parameter ends the list."""
    plist = func.child_by_field_name("parameters")
    names: list[str] = []
    for decl in plist.named_children if plist is not None else []:
        if decl.type == "variadic_parameter_declaration":
            break
        if decl.type == "parameter_declaration":
            declared = decl.children_by_field_name("name")
            names += [text(n) for n in declared] if declared else [""]
    return names
