"""Transfer functions of expressions: the objects an expression may denote, and the uses it makes
of memory on the way (a field access, an index, a dereference)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cgoguard.analysis.lifetime.operations import MemoryOperations
from cgoguard.analysis.lifetime.state import GLOBALS, NIL, NONE, Objs
from cgoguard.analysis.lifetime.syntax import index_key
from cgoguard.gofront.syntax import c_name, text, unparen

if TYPE_CHECKING:
    from tree_sitter import Node

_ARITHMETIC = frozenset({"+", "-", "&", "|", "^", "&^", "<<", ">>", "*", "/", "%"})
_CONSTANT_KEYS = frozenset({"int_literal", "interpreted_string_literal", "raw_string_literal"})


class ExpressionTransfer(MemoryOperations):
    """Evaluates expressions; calls are left to :class:`.calls.CallTransfer` (``self.call``)."""

    _names: dict[int, str]  # identifier node id -> name (the dataflow revisits nodes)
    not_maps: set[int]  # objects known not to be maps
    call: Callable[[Node, int], list[Objs]]  # from CallTransfer

    def eval(self, node: Node | None) -> Objs:
        node = unparen(node)
        if node is None:
            return NONE
        kind = node.type
        if kind == "identifier":
            return self._identifier(node)
        if kind == "nil":
            return frozenset({NIL})
        if kind == "call_expression":
            results = self.call(node, 1)
            return results[0] if results else NONE
        if kind == "selector_expression":
            return self._selector(node)
        if kind == "index_expression":
            return self._index(node)
        if kind == "unary_expression":
            return self._unary(node)
        if kind in ("slice_expression", "type_assertion_expression", "type_conversion_expression"):
            operand = node.child_by_field_name("operand")
            for child in node.named_children:
                if child != operand and child.type.endswith(("expression", "identifier", "literal")):
                    self.eval(child)
            return self.eval(operand)
        if kind == "binary_expression":
            left, right = self.eval(node.child_by_field_name("left")), self.eval(node.child_by_field_name("right"))
            return left | right if text(node.child_by_field_name("operator")) in _ARITHMETIC else NONE
        if kind == "composite_literal":
            return self._composite(node)
        if kind == "func_literal":
            return frozenset({self.obj(("closure", node.start_byte), "closure", node, "func literal")})
        if kind == "literal_element":
            return self.eval(node.named_children[0]) if node.named_children else NONE
        for child in node.named_children:
            self.eval(child)
        return NONE

    def eval_multi(self, node: Node, count: int) -> list[Objs]:
        """The ``count`` values of an expression on the right of a multi-value assignment."""
        node = unparen(node)
        if node is not None and node.type == "call_expression":
            return self.call(node, count)
        first = self.eval(node)
        return [first] + [NONE] * (count - 1)

    def _identifier(self, node: Node) -> Objs:
        name = self._names.get(node.id)
        if name is None:
            name = self._names[node.id] = text(node)
        known = self.state.env.get(name)
        if known is not None:
            return known
        if self.is_global(name):
            return self.load((GLOBALS, "." + name), name)
        if name in ("true", "false", "iota") or (name not in self.declared and name not in self.params):
            return NONE
        return frozenset({self.obj(("var", name), "var", node, name, root=True)})

    def _selector(self, node: Node) -> Objs:
        if c_name(node) is not None:
            return frozenset({self.obj(("cglobal", text(node)), "opaque", node, text(node), root=True)})
        operand = unparen(node.child_by_field_name("operand"))
        if operand is not None and operand.type == "identifier" and text(operand) in self.file.imports \
                and text(operand) not in self.declared:
            return NONE
        bases = self.eval(operand)
        self.use(bases, node, "field access through")
        name = "." + text(node.child_by_field_name("field"))
        return frozenset().union(*(self.load((b, name), f"{text(operand)}{name}") for b in bases - {NIL})) \
            if bases - {NIL} else NONE

    def _index(self, node: Node) -> Objs:
        operand = node.child_by_field_name("operand")
        bases = self.eval(operand)
        index = node.child_by_field_name("index")
        self.eval(index)
        self.use(bases, node, "indexing a view of")
        key = index_key(index)
        self.note_map(operand, bases)
        if not bases & self.maps:
            key = "[*]"
        constant = key != "[*]" and unparen(index) is not None and unparen(index).type in _CONSTANT_KEYS
        result: set[int] = set()
        for base in bases - {NIL}:
            # An element read through a variable index stands for many elements (loops!): weak.
            result |= self.load((base, key), f"{text(operand)}[{text(index)}]", weak=not constant)
        return frozenset(result)

    def note_map(self, operand: Node | None, bases: Objs) -> None:
        """Remember which objects are maps: freeing what a map holds leaves dangling entries."""
        fresh = bases - {NIL} - self.maps - self.not_maps
        if not fresh or operand is None:
            return
        kind = self.local_types.underlying(self.local_types.type_of(operand)).kind
        (self.maps if kind == "map" else self.not_maps).update(fresh)

    def _unary(self, node: Node) -> Objs:
        operator = text(node.child_by_field_name("operator"))
        operand = node.child_by_field_name("operand")
        if operator == "&":
            inner = unparen(operand)
            if inner is not None and inner.type == "index_expression":
                # &a[i]: a pointer into a's memory (&buf[0] is the allocation itself); no access yet.
                self.eval(inner.child_by_field_name("index"))
                return self.eval(inner.child_by_field_name("operand"))
            value = self.eval(operand)
            if inner is not None and inner.type in ("selector_expression", "index_expression") \
                    and c_name(inner) is None:
                # &x.f, &a[i]: a pointer into x's memory; handing it off hands off x.
                for obj in value - {NIL}:
                    if self.objects[obj].base >= 0:
                        self.interior.add(obj)
            return value
        value = self.eval(operand)
        if operator == "*":
            self.use(value, node, "dereference of")
            return frozenset().union(*(self.load((b, "*"), text(node)) for b in value - {NIL})) \
                if value - {NIL} else NONE
        return NONE

    def _composite(self, node: Node) -> Objs:
        local = self.fresh(self.obj(("local", node.start_byte), "local", node, "composite literal"))
        body = node.child_by_field_name("body")
        for element in body.named_children if body is not None else []:
            if element.type == "keyed_element":
                parts = [c for c in element.named_children if c.type != "comment"]
                key_node = parts[0].named_children[0] if parts and parts[0].named_children else parts[0]
                value = self.eval(parts[-1])
                self.note_handled(value)
                key = "." + text(key_node) if key_node.type in ("field_identifier", "identifier") else "[*]"
                self.state.heap[(local, key)] = self.state.heap.get((local, key), NONE) | value
            else:
                value = self.eval(element)
                self.state.heap[(local, "[*]")] = self.state.heap.get((local, "[*]"), NONE) | value
        return frozenset({local})
