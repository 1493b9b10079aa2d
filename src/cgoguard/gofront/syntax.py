"""tree-sitter setup for Go and small helpers over its nodes."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import tree_sitter_go
from tree_sitter import Language, Node, Parser, Tree

from cgoguard.gofront.index import active_index

GO_LANGUAGE = Language(tree_sitter_go.language())


@cache
def _parser() -> Parser:
    return Parser(GO_LANGUAGE)


def parse_go(source: bytes) -> Tree:
    return _parser().parse(source)


def text(node: Node | None) -> str:
    """Source text of a node (tree-sitter keeps the bytes; decode leniently)."""
    raw = node.text if node is not None else None  # (each .text access copies the bytes)
    return raw.decode("utf-8", "replace") if raw is not None else ""


def walk(node: Node) -> Iterator[Node]:
    """Pre-order traversal of every named node below (and including) ``node``."""
    index = active_index()
    nodes = index.subtree(node) if index is not None else None
    return iter(nodes) if nodes is not None else _walk_tree(node)


def nodes_of_type(node: Node, *types: str) -> list[Node]:
    """The named nodes of ``types`` below (and including) ``node``, in pre-order."""
    index = active_index()
    found = index.of_type(node, types) if index is not None else None
    return found if found is not None else [n for n in _walk_tree(node) if n.type in types]


def _walk_tree(node: Node) -> Iterator[Node]:
    cursor = node.walk()
    visited_children = False
    while True:
        if not visited_children:
            if cursor.node.is_named:
                yield cursor.node
            if cursor.goto_first_child():
                continue
        if cursor.goto_next_sibling():
            visited_children = False
            continue
        if not cursor.goto_parent() or cursor.node == node:
            return
        visited_children = True


def walk_skipping_funcs(node: Node) -> Iterator[Node]:
    """Like :func:`walk` but does not descend into nested function literals."""
    index = active_index()
    nodes = index.skipping_func_literals(node) if index is not None else None
    return nodes if nodes is not None else _walk_tree_skipping_funcs(node)


def _walk_tree_skipping_funcs(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for child in reversed(current.named_children):
            if child.type != "func_literal":
                stack.append(child)


def first_error(node: Node) -> Node | None:
    """The first ERROR or MISSING node, or None when the tree parsed cleanly."""
    if not node.has_error:
        return None
    for child in walk(node):
        if child.type == "ERROR" or child.is_missing:
            return child
    for child in node.children:  # MISSING tokens are anonymous
        if child.is_missing:
            return child
    return node


def unparen(node: Node | None) -> Node | None:
    while node is not None and node.type in ("parenthesized_expression", "parenthesized_type"):
        inner = node.named_children
        node = inner[0] if inner else None
    return node


def call_parts(node: Node) -> tuple[Node | None, list[Node]]:
    """(function, arguments) of a call_expression."""
    index = active_index()
    if index is None:
        return _call_parts(node)
    func, args = index.memo("call parts", node, lambda: _call_parts(node))
    return func, list(args)  # a copy: callers may edit their list


def _call_parts(node: Node) -> tuple[Node | None, list[Node]]:
    func = node.child_by_field_name("function")
    args = node.child_by_field_name("arguments")
    return func, [a for a in (args.named_children if args else []) if a.type != "comment"]


def c_name(node: Node | None) -> str | None:
    """``NAME`` when ``node`` is the selector ``C.NAME``, else None."""
    index = active_index()
    if index is None or node is None:
        return _c_name(node)
    return index.memo("C name", node, lambda: _c_name(node))


def _c_name(node: Node | None) -> str | None:
    node = unparen(node)
    if node is None or node.type not in ("selector_expression", "qualified_type"):
        return None
    if node.type == "qualified_type":
        pkg, name = node.child_by_field_name("package"), node.child_by_field_name("name")
    else:
        pkg, name = node.child_by_field_name("operand"), node.child_by_field_name("field")
    if pkg is not None and name is not None and pkg.text == b"C":
        return text(name)
    return None


def qualified_call_name(node: Node) -> str:
    """``pkg.Func`` / ``x.Method`` / ``Func`` of a call's callee, or ``""``."""
    func = unparen(node.child_by_field_name("function"))
    if func is None:
        return ""
    if func.type == "identifier":
        return text(func)
    if func.type == "selector_expression":
        operand = unparen(func.child_by_field_name("operand"))
        field = func.child_by_field_name("field")
        if operand is not None and operand.type == "identifier":
            return f"{text(operand)}.{text(field)}"
    return ""


def line_of(node: Node) -> int:
    return node.start_point[0] + 1


def receiver_type_name(func: Node) -> str:
    """The receiver's type name of a method declaration (``T`` for ``func (t *T[K]) M()``)."""
    receiver = func.child_by_field_name("receiver")
    if func.type != "method_declaration" or receiver is None:
        return ""
    declared = next((c.child_by_field_name("type") for c in receiver.named_children
                     if c.type == "parameter_declaration"), None)
    base = unparen(declared)
    while base is not None and base.type in ("pointer_type", "generic_type"):
        base = base.named_children[-1] if base.type == "pointer_type" else base.child_by_field_name("type")
    return text(base)


def parameter_names(func: Node) -> list[str]:
    """Parameter names in order ("" for unnamed ones); a variadic parameter ends the list (it
    arrives as a slice, not as the caller's value)."""
    plist = func.child_by_field_name("parameters")
    names: list[str] = []
    for decl in plist.named_children if plist is not None else []:
        if decl.type == "variadic_parameter_declaration":
            break
        if decl.type == "parameter_declaration":
            declared = decl.children_by_field_name("name")
            names += [text(n) for n in declared] if declared else [""]
    return names
