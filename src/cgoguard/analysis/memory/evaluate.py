"""The abstract value of an expression at a byte position.

Values flow through locals position-aware: a read sees the last store before it (see
:mod:`.contents`), so aliases and re-assignments are followed and a later ``x.p = nil`` kills an
earlier ``x.p = &v``. Calls are valued in :mod:`.calls`.
"""

from __future__ import annotations

from collections.abc import Callable

from tree_sitter import Node

from cgoguard.analysis.memory.calls import CallEvaluation
from cgoguard.analysis.memory.values import (
    NIL_VALUE,
    REFERENCE_FORMS,
    SCALAR_VALUE,
    UNKNOWN_VALUE,
    Address,
    Obj,
    Origin,
    Value,
)
from cgoguard.gofront.syntax import c_name, nodes_of_type, text, unparen
from cgoguard.gofront.types import type_from_node

# Reads whose value the declarations alone may settle when the flow model cannot.
_DECLARED_READS = frozenset({"identifier", "selector_expression", "index_expression"})


class ValueEvaluation(CallEvaluation):
    # From FunctionMemory and ContentLoading:
    address_of: Callable[..., Address]
    _selector_address: Callable[[Node, int], Address]
    _index_address: Callable[[Node, int], Address]
    load: Callable[[Obj, tuple[str, ...], int], Value]

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

    def _field_holds_c(self, selector: Node) -> bool:
        base = self.types.type_of(selector.child_by_field_name("operand"))
        if base.kind == "pointer" and base.elem is not None:
            base = base.elem
        return base.kind == "named" and self.facts.fields.holds_c(
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
            return Value(Origin.C, form=REFERENCE_FORMS[loaded.kind], node=node)
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


_EVAL_HANDLERS: dict[str, Callable[[ValueEvaluation, Node, int], Value]] = {
    "identifier": ValueEvaluation._eval_identifier,
    "unary_expression": ValueEvaluation._eval_unary,
    "selector_expression": ValueEvaluation._eval_selector,
    "index_expression": ValueEvaluation._eval_index,
    "slice_expression": ValueEvaluation._eval_slice,
    "composite_literal": ValueEvaluation._eval_composite,
    "literal_value": ValueEvaluation._eval_composite,
    "func_literal": ValueEvaluation._eval_func_literal,
    "binary_expression": ValueEvaluation._eval_binary,
    "call_expression": CallEvaluation._eval_call,
    "type_conversion_expression": lambda self, node, at: self._eval_conversion(
        type_from_node(node.child_by_field_name("type")), node, [node.child_by_field_name("operand")], at),
    "interpreted_string_literal": ValueEvaluation._eval_string_literal,
    "raw_string_literal": ValueEvaluation._eval_string_literal,
    "int_literal": ValueEvaluation._eval_scalar,
    "float_literal": ValueEvaluation._eval_scalar,
    "rune_literal": ValueEvaluation._eval_scalar,
    "imaginary_literal": ValueEvaluation._eval_scalar,
    "true": ValueEvaluation._eval_scalar,
    "false": ValueEvaluation._eval_scalar,
    "nil": lambda self, node, at: NIL_VALUE,
}
