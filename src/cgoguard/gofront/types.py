"""A small model of Go types, enough for cgo's pointer rules and ownership analyses.

Types are built from tree-sitter type nodes; named types stay named and are resolved
through the package's symbol table on demand (so recursive types are fine).
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from cgoguard.gofront.syntax import text, unparen

BASIC_TYPES = frozenset(
    "bool byte rune string error any int int8 int16 int32 int64 uint uint8 uint16 uint32 uint64 "
    "uintptr float32 float64 complex64 complex128".split()
)


@dataclass(frozen=True)
class GoType:
    """``kind`` is one of: basic, named, pointer, slice, array, map, chan, func, interface,
    struct, unsafe-pointer, c (a ``C.xxx`` type), tuple (multiple results), unknown."""

    kind: str
    name: str = ""  # basic / named ("T" or "pkg.T") / c ("char", "struct_foo")
    elem: GoType | None = None  # pointer, slice, array, chan, map value
    key: GoType | None = None  # map key
    fields: tuple[tuple[str, GoType], ...] = ()  # struct fields; tuple members
    length: str = ""  # array length expression

    def __str__(self) -> str:
        match self.kind:
            case "basic" | "named":
                return self.name
            case "c":
                return f"C.{self.name}"
            case "pointer":
                return f"*{self.elem}"
            case "slice":
                return f"[]{self.elem}"
            case "array":
                return f"[{self.length}]{self.elem}"
            case "map":
                return f"map[{self.key}]{self.elem}"
            case "chan":
                return f"chan {self.elem}"
            case "unsafe-pointer":
                return "unsafe.Pointer"
            case "struct":
                return "struct{" + "; ".join(f"{n} {t}" for n, t in self.fields) + "}"
            case "tuple":
                return "(" + ", ".join(str(t) for _, t in self.fields) + ")"
            case _:
                return self.kind


UNKNOWN = GoType("unknown")
STRING = GoType("basic", "string")
INT = GoType("basic", "int")
BOOL = GoType("basic", "bool")
UINTPTR = GoType("basic", "uintptr")
UNSAFE_POINTER = GoType("unsafe-pointer")
BYTE_SLICE = GoType("slice", elem=GoType("basic", "byte"))
C_CHAR_PTR = GoType("pointer", elem=GoType("c", "char"))
FUNC = GoType("func")
INTERFACE = GoType("interface")


def pointer_to(t: GoType) -> GoType:
    return GoType("pointer", elem=t)


def slice_of(t: GoType) -> GoType:
    return GoType("slice", elem=t)


def type_from_node(node: Node | None) -> GoType:
    """Convert a tree-sitter type node (or a type used as an expression) to a GoType."""
    node = unparen(node)
    if node is None:
        return UNKNOWN
    kind = node.type
    if kind in ("type_identifier", "identifier"):
        name = text(node)
        return GoType("basic", name) if name in BASIC_TYPES else GoType("named", name)
    if kind in ("qualified_type", "selector_expression"):
        pkg = node.child_by_field_name("package") or node.child_by_field_name("operand")
        name = node.child_by_field_name("name") or node.child_by_field_name("field")
        pkg_name, type_name = text(pkg), text(name)
        if pkg_name == "C":
            return GoType("c", type_name)
        if pkg_name == "unsafe" and type_name == "Pointer":
            return UNSAFE_POINTER
        return GoType("named", f"{pkg_name}.{type_name}")
    if kind == "pointer_type":
        return pointer_to(type_from_node(node.named_children[-1] if node.named_children else None))
    if kind == "unary_expression" and text(node.child_by_field_name("operator")) == "*":
        # `(*T)(x)` parses as a conversion whose callee is a unary expression.
        return pointer_to(type_from_node(node.child_by_field_name("operand")))
    if kind in ("slice_type", "implicit_length_array_type"):
        elem = type_from_node(node.child_by_field_name("element"))
        return slice_of(elem) if kind == "slice_type" else GoType("array", elem=elem, length="...")
    if kind == "array_type":
        return GoType("array", elem=type_from_node(node.child_by_field_name("element")),
                      length=text(node.child_by_field_name("length")))
    if kind == "map_type":
        return GoType("map", key=type_from_node(node.child_by_field_name("key")),
                      elem=type_from_node(node.child_by_field_name("value")))
    if kind == "channel_type":
        return GoType("chan", elem=type_from_node(node.child_by_field_name("value")))
    if kind == "function_type":
        return FUNC
    if kind == "interface_type":
        return INTERFACE
    if kind == "struct_type":
        return GoType("struct", fields=tuple(struct_fields(node)))
    if kind == "generic_type":
        return type_from_node(node.child_by_field_name("type"))
    if kind == "negated_type":
        return UNKNOWN
    return UNKNOWN


def struct_fields(struct_node: Node) -> list[tuple[str, GoType]]:
    """(name, type) of each field; an embedded field is named after its type."""
    fields: list[tuple[str, GoType]] = []
    body = next((c for c in struct_node.named_children if c.type == "field_declaration_list"), None)
    if body is None:
        return fields
    for decl in body.named_children:
        if decl.type != "field_declaration":
            continue
        field_type = type_from_node(decl.child_by_field_name("type"))
        names = [text(n) for n in decl.children_by_field_name("name")]
        if not names:  # embedded
            base = field_type.elem if field_type.kind == "pointer" else field_type
            names = [(base.name if base else "").split(".")[-1] or "_"]
        fields.extend((name, field_type) for name in names)
    return fields
