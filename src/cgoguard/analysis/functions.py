"""Package functions as their callers see them: keys, calls, parameters and returned values.

Shared by the analyses that summarise a function for its callers (:mod:`cstrings`,
:mod:`integers`): a function is keyed ``name``, a method ``Type.name``; a call is resolved to
that key when it calls a function or method of the package.
"""

from __future__ import annotations

from tree_sitter import Node

from cgoguard.analysis.unsafeflow import FunctionScope
from cgoguard.gofront.symbols import parameters
from cgoguard.gofront.syntax import nodes_of_type, text, unparen
from cgoguard.gofront.types import UNKNOWN, GoType, type_from_node


def function_key(func: Node) -> str | None:
    """``name`` of a function, ``Type.name`` of a method (what :func:`called_key` resolves)."""
    name = text(func.child_by_field_name("name"))
    if func.type != "method_declaration":
        return name or None
    receiver = func.child_by_field_name("receiver")
    declared = next((c.child_by_field_name("type") for c in receiver.named_children
                     if c.type == "parameter_declaration"), None) if receiver is not None else None
    base = unparen(declared)
    while base is not None and base.type in ("pointer_type", "generic_type"):
        base = base.named_children[-1] if base.type == "pointer_type" else base.child_by_field_name("type")
    return f"{text(base)}.{name}" if base is not None else None


def called_key(call: Node, scope: FunctionScope) -> str | None:
    """``name`` for a call of a package function, ``Type.name`` for a call of a package method."""
    func = unparen(call.child_by_field_name("function"))
    if func is None:
        return None
    if func.type == "identifier":
        name = text(func)
        return None if scope.types.is_local(name) or name not in scope.package.symbols.funcs else name
    if func.type != "selector_expression":
        return None
    receiver = scope.type_of(func.child_by_field_name("operand"))
    if receiver.kind == "pointer" and receiver.elem is not None:
        receiver = receiver.elem
    if receiver.kind != "named" or "." in receiver.name:
        return None
    return f"{receiver.name}.{text(func.child_by_field_name('field'))}"


def unchanged_param(scope: FunctionScope, name: str) -> int | None:
    """The index of parameter ``name`` when the function never assigns it, nor takes its address
    (except a string's: ``(*stringHeader)(unsafe.Pointer(&s))`` reads it, and strings are immutable)."""
    if not scope.is_param(name) or scope.bindings.get(name):
        return None
    params = parameters(scope.node.child_by_field_name("parameters"))
    names = [n for n, _ in params]
    if name not in names:
        return None
    index = names.index(name)
    declared = scope.underlying(params[index][1])
    is_string = declared.kind == "basic" and declared.name == "string"
    if any(not (is_string and n.type == "unary_expression") for n in scope.mutations.get(name, ())):
        return None
    return index


def parameter_type(scope: FunctionScope, index: int) -> GoType:
    params = parameters(scope.node.child_by_field_name("parameters"))
    return params[index][1] if index < len(params) else UNKNOWN


def parameter_name(scope: FunctionScope, index: int) -> str:
    params = parameters(scope.node.child_by_field_name("parameters"))
    return params[index][0] if index < len(params) else ""


def result_type(scope: FunctionScope) -> GoType:
    """The type of the function's only result (UNKNOWN when it has none or several)."""
    result = scope.node.child_by_field_name("result")
    if result is None:
        return UNKNOWN
    if result.type != "parameter_list":
        return type_from_node(result)
    declared = parameters(result)
    return declared[0][1] if len(declared) == 1 else UNKNOWN


def returned_values(scope: FunctionScope, position: int = 0) -> list[Node]:
    """Result ``position`` of each ``return`` of the function itself (not of its closures); empty
    when the function has no such result or some ``return`` hands back a call's results."""
    count = result_count(scope)
    found: list[Node] = []
    for node in nodes_of_type(scope.body, "return_statement"):
        if inside_closure(node, scope.node):
            continue
        values = [c for c in node.named_children if c.type != "comment"]
        values = values[0].named_children if values and values[0].type == "expression_list" else values
        if len(values) != count or position >= count:
            return []
        found.append(values[position])
    return found


def result_count(scope: FunctionScope) -> int:
    result = scope.node.child_by_field_name("result")
    if result is None:
        return 0
    return len(parameters(result)) if result.type == "parameter_list" else 1


def inside_closure(node: Node, func: Node) -> bool:
    current = node.parent
    while current is not None and current.id != func.id:
        if current.type == "func_literal":
            return True
        current = current.parent
    return False
