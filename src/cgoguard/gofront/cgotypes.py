"""What a package's Go code says about C types whose declaration is not in the tree.

A ``C.x_t`` value that Go compares to ``nil`` or assigns ``nil`` must be a pointer: Go
rejects the code otherwise. So an opaque handle type from a header cgoguard cannot read (a
``-dev`` package that is not installed) is still known to be a pointer, and the finalizer,
KeepAlive and lifetime checks see the handles it types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tree_sitter import Node

from cgoguard.gofront.symbols import SymbolTable, parameters
from cgoguard.gofront.syntax import line_of, nodes_of_type, text, unparen
from cgoguard.gofront.types import GoType, type_from_node

if TYPE_CHECKING:
    from cgoguard.gofront.gofile import GoFile

_FUNCTIONS = ("function_declaration", "method_declaration", "func_literal")


def nil_compared_c_types(files: list[GoFile], symbols: SymbolTable) -> dict[str, str]:
    """C type names Go compares to or assigns ``nil``, with the first place that shows it
    (``"file.go:12: s.ptr == nil"``)."""
    fields = _c_fields(symbols)
    found: dict[str, str] = {}
    for file in files:
        if not file.uses_cgo:
            continue
        for node in nodes_of_type(file.root, "binary_expression", "assignment_statement"):
            for operand in _nil_partners(node):
                name = _c_type_name(operand, fields, symbols)
                if name and name not in found:
                    found[name] = f"{file.display_path}:{line_of(node)}: {' '.join(text(node).split())[:80]}"
    return found


def _nil_partners(node: Node) -> list[Node]:
    """The expressions ``x == nil``, ``x != nil`` and ``x = nil`` put beside ``nil``."""
    if node.type == "binary_expression":
        if text(node.child_by_field_name("operator")) not in ("==", "!="):
            return []
        left, right = unparen(node.child_by_field_name("left")), unparen(node.child_by_field_name("right"))
        pairs = [(left, right), (right, left)]
        return [a for a, b in pairs if a is not None and b is not None and b.type == "nil"]
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    targets = left.named_children if left is not None else []
    values = right.named_children if right is not None else []
    if len(targets) != len(values) or text(node.child_by_field_name("operator")) != "=":
        return []
    return [t for t, v in zip(targets, values, strict=True) if unparen(v) is not None and unparen(v).type == "nil"]


def _c_fields(symbols: SymbolTable) -> dict[str, set[str]]:
    """Struct field name -> the C types fields of that name are declared with."""
    found: dict[str, set[str]] = {}
    for info in symbols.types.values():
        for name, field_type in info.type.fields if info.type.kind == "struct" else ():
            if field_type.kind == "c":
                found.setdefault(name, set()).add(field_type.name)
    return found


def _c_type_name(node: Node, fields: dict[str, set[str]], symbols: SymbolTable) -> str:
    """The C type ``node`` is declared with (``C.x_t``), when the declaration says it plainly."""
    node = unparen(node)
    if node is None:
        return ""
    if node.type == "selector_expression":
        kinds = fields.get(text(node.child_by_field_name("field")), set())
        return next(iter(kinds)) if len(kinds) == 1 else ""
    if node.type != "identifier":
        return ""
    declared = _declared_type(node, text(node))
    if declared is None and text(node) in symbols.globals:
        declared = symbols.globals[text(node)].type
    return declared.name if declared is not None and declared.kind == "c" else ""


def _declared_type(use: Node, name: str) -> GoType | None:
    """The type of local ``name`` from its parameter or ``var name T`` declaration, innermost first."""
    scope = use.parent
    while scope is not None:
        if scope.type in _FUNCTIONS:
            for field in ("receiver", "parameters"):
                for param, param_type in parameters(scope.child_by_field_name(field)):
                    if param == name:
                        return param_type
            for spec in nodes_of_type(scope, "var_spec"):
                if any(text(n) == name for n in spec.children_by_field_name("name")) and \
                        spec.child_by_field_name("type") is not None and spec.start_byte < use.start_byte:
                    return type_from_node(spec.child_by_field_name("type"))
        scope = scope.parent
    return None
