"""The writes of a function, collected once from its syntax: assignments, declarations,
``copy``, range variables, out-parameters of C calls, and ``runtime.Pinner`` calls."""

from __future__ import annotations

from tree_sitter import Node

from cgoguard.analysis.memory.core import MemoryCore
from cgoguard.analysis.memory.values import C_OUT_RHS, UNKNOWN_RHS, PinEvent, Store, StoreValue, TupleItem
from cgoguard.gofront.syntax import c_name, call_parts, nodes_of_type, text, unparen


class WriteCollection(MemoryCore):
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
