"""Package-level declarations: types, globals, functions and methods (pyflakes' first pass).

Go package-level declarations are order-independent, so the table is built from every file
of the package before any function body is analysed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tree_sitter import Node

from cgoguard.gofront.syntax import text
from cgoguard.gofront.types import UNKNOWN, GoType, type_from_node

if TYPE_CHECKING:
    from cgoguard.gofront.gofile import GoFile


@dataclass
class FuncInfo:
    name: str
    node: Node  # function_declaration or method_declaration
    file: GoFile
    params: list[tuple[str, GoType]] = field(default_factory=list)
    results: list[tuple[str, GoType]] = field(default_factory=list)
    receiver_type: str = ""  # base type name of a method's receiver ("" for functions)
    receiver_name: str = ""
    pointer_receiver: bool = False
    export_name: str = ""  # the C name when an `//export` comment precedes it

    @property
    def body(self) -> Node | None:
        return self.node.child_by_field_name("body")

    @property
    def qualified_name(self) -> str:
        return f"{self.receiver_type}.{self.name}" if self.receiver_type else self.name

    @property
    def result_type(self) -> GoType:
        if len(self.results) == 1:
            return self.results[0][1]
        if not self.results:
            return UNKNOWN
        return GoType("tuple", fields=tuple(self.results))


@dataclass
class TypeInfo:
    name: str
    type: GoType  # the declared type expression (a struct, another named type, ...)
    node: Node
    file: GoFile
    is_alias: bool = False


@dataclass
class VarInfo:
    name: str
    type: GoType  # UNKNOWN when declared without a type (inferred lazily from value)
    node: Node
    file: GoFile
    value: Node | None = None
    is_const: bool = False


@dataclass
class SymbolTable:
    types: dict[str, TypeInfo] = field(default_factory=dict)
    funcs: dict[str, FuncInfo] = field(default_factory=dict)
    methods: dict[str, dict[str, FuncInfo]] = field(default_factory=dict)
    globals: dict[str, VarInfo] = field(default_factory=dict)

    def all_functions(self) -> Iterator[FuncInfo]:
        yield from self.funcs.values()
        for methods in self.methods.values():
            yield from methods.values()

    def underlying(self, t: GoType, depth: int = 0) -> GoType:
        """Resolve a named type declared in this package to its type expression."""
        while t.kind == "named" and t.name in self.types and depth < 32:
            t = self.types[t.name].type
            depth += 1
        return t

    def method(self, type_name: str, name: str) -> FuncInfo | None:
        return self.methods.get(type_name, {}).get(name)


def collect_symbols(files: list[GoFile]) -> SymbolTable:
    table = SymbolTable()
    for file in files:
        for decl in file.root.named_children:
            _collect_decl(table, file, decl)
    return table


def _collect_decl(table: SymbolTable, file: GoFile, decl: Node) -> None:
    if decl.type == "function_declaration":
        info = _func_info(decl, file)
        table.funcs[info.name] = info
    elif decl.type == "method_declaration":
        info = _func_info(decl, file)
        table.methods.setdefault(info.receiver_type, {})[info.name] = info
    elif decl.type == "type_declaration":
        for spec in decl.named_children:
            if spec.type in ("type_spec", "type_alias"):
                name = text(spec.child_by_field_name("name"))
                table.types[name] = TypeInfo(name, type_from_node(spec.child_by_field_name("type")), spec, file,
                                             is_alias=spec.type == "type_alias")
    elif decl.type in ("var_declaration", "const_declaration"):
        for spec in _specs(decl):
            _collect_var_spec(table, file, spec, is_const=decl.type == "const_declaration")


def _specs(decl: Node) -> Iterator[Node]:
    for child in decl.named_children:
        if child.type in ("var_spec", "const_spec"):
            yield child
        elif child.type in ("var_spec_list", "const_spec_list"):
            yield from (c for c in child.named_children if c.type in ("var_spec", "const_spec"))


def _collect_var_spec(table: SymbolTable, file: GoFile, spec: Node, *, is_const: bool) -> None:
    declared = type_from_node(spec.child_by_field_name("type"))
    values_node = spec.child_by_field_name("value")
    values = values_node.named_children if values_node is not None else []
    for index, name_node in enumerate(spec.children_by_field_name("name")):
        value = values[index] if index < len(values) else None
        table.globals[text(name_node)] = VarInfo(text(name_node), declared, name_node, file, value, is_const)


def parameters(param_list: Node | None) -> list[tuple[str, GoType]]:
    """(name, type) for each parameter; unnamed parameters get ``""``."""
    params: list[tuple[str, GoType]] = []
    if param_list is None:
        return params
    if param_list.type != "parameter_list":  # a single unnamed result type
        return [("", type_from_node(param_list))]
    for decl in param_list.named_children:
        if decl.type not in ("parameter_declaration", "variadic_parameter_declaration"):
            continue
        param_type = type_from_node(decl.child_by_field_name("type"))
        if decl.type == "variadic_parameter_declaration":
            param_type = GoType("slice", elem=param_type)
        names = decl.children_by_field_name("name")
        params.extend((text(n), param_type) for n in names) if names else params.append(("", param_type))
    return params


def _func_info(decl: Node, file: GoFile) -> FuncInfo:
    info = FuncInfo(
        name=text(decl.child_by_field_name("name")),
        node=decl,
        file=file,
        params=parameters(decl.child_by_field_name("parameters")),
        results=parameters(decl.child_by_field_name("result")),
        export_name=_export_name(decl),
    )
    receiver = decl.child_by_field_name("receiver")
    if receiver is not None:
        recv = parameters(receiver)
        if recv:
            info.receiver_name, recv_type = recv[0]
            info.pointer_receiver = recv_type.kind == "pointer"
            base = recv_type.elem if recv_type.kind == "pointer" and recv_type.elem else recv_type
            info.receiver_type = base.name
    return info


def _export_name(decl: Node) -> str:
    """The name in an ``//export NAME`` line of the comment group right above ``decl``."""
    node = decl.prev_sibling
    row = decl.start_point[0]
    while node is not None and node.type == "comment" and node.end_point[0] >= row - 1:
        comment = text(node)
        if comment.startswith("//export "):
            return comment.split()[1] if len(comment.split()) > 1 else ""
        row = node.start_point[0]
        node = node.prev_sibling
    return ""
