"""What memory holds: the value in a slot as of a byte position (:meth:`ContentLoading.load`), and
the reference-holding values stored anywhere inside an object (:meth:`ContentLoading.contents`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tree_sitter import Node

from cgoguard.analysis.memory.core import MemoryCore
from cgoguard.analysis.memory.values import (
    C_OUT_RHS,
    LITERALS,
    NIL_VALUE,
    UNKNOWN_VALUE,
    WILDCARD,
    Address,
    Leaf,
    Obj,
    Origin,
    Store,
    StoreValue,
    TupleItem,
    Value,
    element_value,
    is_prefix,
    overlaps,
)
from cgoguard.gofront.syntax import call_parts, text, unparen
from cgoguard.gofront.types import UNKNOWN as UNKNOWN_TYPE
from cgoguard.gofront.types import GoType


class ContentLoading(MemoryCore):
    # From FunctionMemory and the evaluation layers:
    stores_into: Callable[[Obj], list[tuple[Address, Store]]]
    eval: Callable[[Node | None, int], Value]
    _eval_tuple_item: Callable[[TupleItem, int], Value]

    def load(self, obj: Obj, path: tuple[str, ...], at: int) -> Value:
        """The value in the slot ``path`` of ``obj`` at byte ``at``: the last store covering it."""
        best: tuple[Store, tuple[str, ...]] | None = None
        for address, store in self.stores_into(obj):
            if store.pos > at or not is_prefix(address.path, path) or not self.visible(store.stmt, at):
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
        if literal is not None and literal.type in LITERALS:
            for step, element in self.literal_elements(literal):
                if overlaps(step, rest[0]):
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
            value = element_value(value_node)
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
                      if s.pos <= at and (is_prefix(a.path, region) or is_prefix(region, a.path))
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
        if node is not None and node.type in LITERALS \
                and (store.lhs == node or self.is_aggregate(self.type_of(node))):
            for step, element in self.literal_elements(node):
                sub = (*path, step)
                if is_prefix(sub, region) or is_prefix(region, sub):
                    yield from self.expand(element, sub, region, store)
            return
        value = self.eval(rhs, store.pos - 1)  # before the store itself takes effect
        if value.form == "aggregate" and value.obj is not None and self._depth < 30:
            inner_region = region[len(path):] if is_prefix(path, region) else ()
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
        return any(later.pos > store.pos and WILDCARD not in address.path and is_prefix(address.path, path)
                   for address, later in candidates)
