"""The memory model of one function: where the memory behind a Go expression comes from, and
what was stored into it.

One :class:`FunctionMemory` models one function (with its closures): every allocation site
(``&T{}``, ``new``, ``make``, composite literals, non-constant strings, addressed locals)
is an :class:`~.values.Obj`; every assignment, declaration and ``copy`` is a
:class:`~.values.Store` into an object at a path of field names and indexes.
:meth:`~.evaluate.ValueEvaluation.eval` gives the abstract :class:`~.values.Value` of an
expression at a byte position: Go memory (which object, where), C memory, mmap memory,
static data, nil, a scalar, or unknown.
"""

from __future__ import annotations

from tree_sitter import Node

from cgoguard.analysis.memory.collect import WriteCollection
from cgoguard.analysis.memory.contents import ContentLoading
from cgoguard.analysis.memory.evaluate import ValueEvaluation
from cgoguard.analysis.memory.facts import PackageFacts
from cgoguard.analysis.memory.values import LITERALS, Address, Obj, Origin, Store, Value, index_step
from cgoguard.gofront.resolve import LocalTypes
from cgoguard.gofront.syntax import c_name, text, unparen


class FunctionMemory(ContentLoading, ValueEvaluation, WriteCollection):
    """Memory origins and contents inside one function declaration (closures included)."""

    def __init__(self, types: LocalTypes, facts: PackageFacts) -> None:
        super().__init__(types, facts)
        self._collect()

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
        if literal is not None and literal.type in LITERALS:
            initial.append((Address(Origin.GO, obj, ()), Store(literal, literal, literal.start_byte, literal)))
        self._ensure_resolved()
        return initial + self._stores_by_obj.get(obj, [])

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
