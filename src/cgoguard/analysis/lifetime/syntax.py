"""Syntax questions the lifetime analysis asks of Go trees (pure functions of the nodes)."""

from __future__ import annotations

from functools import cache

from tree_sitter import Node, Query, QueryCursor

from cgoguard.analysis.cfg import CfgNode
from cgoguard.gofront.syntax import GO_LANGUAGE, call_parts, text, unparen

# Every way Go declares a name inside a function.
DECLARATIONS = """
(parameter_declaration name: (identifier) @name)
(variadic_parameter_declaration name: (identifier) @name)
(var_spec name: (identifier) @name)
(short_var_declaration left: (expression_list (identifier) @name))
(range_clause left: (expression_list (identifier) @name))
(receive_statement left: (expression_list (identifier) @name))
(type_switch_statement alias: (expression_list (identifier) @name))
"""


@cache
def _query(source: str) -> Query:
    return Query(GO_LANGUAGE, source)


def captures(source: str, node: Node) -> list[Node]:
    """The nodes a tree-sitter query (compiled once) captures under ``node``."""
    return [n for nodes in QueryCursor(_query(source)).captures(node).values() for n in nodes]


def declared_names(func: Node) -> frozenset[str]:
    """Every name declared inside a function (parameters, results, locals, closures' too)."""
    return frozenset(text(n) for n in captures(DECLARATIONS, func))


def expressions(node: Node | None) -> list[Node]:
    """The expressions of an ``expression_list`` (or the single expression)."""
    if node is None:
        return []
    if node.type == "expression_list":
        return [c for c in node.named_children if c.type != "comment"]
    return [node]


def index_key(index: Node | None) -> str:
    """The heap location an index denotes: ``[k]`` for a name or literal, ``[*]`` otherwise."""
    index = unparen(index)
    if index is None:
        return "[*]"
    if index.type in ("int_literal", "interpreted_string_literal", "raw_string_literal", "identifier",
                      "selector_expression"):
        return f"[{text(index)}]"
    return "[*]"


def key_slot(key: str) -> str:
    """The heap location holding the key itself of map entry ``key`` (``[k]`` -> ``[#k]``)."""
    return "[#" + key[1:]


def callee_name(func: Node | None) -> str:
    """The name of a plain call's callee (``append``, ``freeBuf``), "" for other callees."""
    return text(func) if func is not None and func.type == "identifier" else ""


def root_identifier(node: Node | None) -> str | None:
    """The variable an expression is built on (``p`` in ``unsafe.Pointer(p.buf[0])``)."""
    node = unparen(node)
    while node is not None:
        if node.type == "identifier":
            return text(node)
        if node.type == "call_expression":
            _, args = call_parts(node)
            node = unparen(args[0]) if len(args) == 1 else None
        elif node.type in ("selector_expression", "index_expression", "slice_expression"):
            node = unparen(node.named_children[0]) if node.named_children else None
        elif node.type == "unary_expression":
            node = unparen(node.child_by_field_name("operand"))
        else:
            return None
    return None


def strip_conversions(node: Node) -> Node:
    """``p`` for ``unsafe.Pointer(p)`` or ``(*C.char)(p)``: the name users know the memory by."""
    while True:
        inner = unparen(node)
        if inner is None or inner.type not in ("call_expression", "type_conversion_expression"):
            return node
        if inner.type == "type_conversion_expression":
            node = inner.child_by_field_name("operand") or inner
            continue
        func, args = call_parts(inner)
        func = unparen(func)
        if len(args) != 1 or func is None or not (text(func) == "unsafe.Pointer" or func.type in (
                "pointer_type", "parenthesized_type") or (func.type == "unary_expression" and text(func).startswith("*"))):
            return node
        node = args[0]


def only_nil_checked(call: Node) -> bool:
    """``if C.realpath(name, buf) == nil``: the result is only tested, never kept, so the caller
    does not treat it as memory to release (such APIs return the buffer they were given)."""
    node = call
    while node.parent is not None and node.parent.type == "parenthesized_expression":
        node = node.parent
    parent = node.parent
    if parent is None or parent.type != "binary_expression":
        return False
    if text(parent.child_by_field_name("operator")) not in ("==", "!="):
        return False
    other = parent.child_by_field_name("right") if parent.child_by_field_name("left") == node \
        else parent.child_by_field_name("left")
    return other is not None and other.type == "nil"


def nested_in(node: Node, stop: Node, kinds: frozenset[str]) -> bool:
    """Whether a node of one of ``kinds`` lies between ``node`` and its ancestor ``stop``."""
    current = node.parent
    while current is not None and current != stop:
        if current.type in kinds:
            return True
        current = current.parent
    return False


def message_line(node: Node | None) -> int:
    """The 1-based line messages give for a node: a block (the implicit return) by its closing brace."""
    if node is None:
        return 0
    return node.end_point[0] + 1 if node.type == "block" else node.start_point[0] + 1


def source_position(node: CfgNode) -> int:
    """Where a CFG node is in the source (a block: its end, where the implicit return is)."""
    if node.ast is None:
        return 0
    return node.ast.end_byte if node.ast.type == "block" else node.ast.start_byte
