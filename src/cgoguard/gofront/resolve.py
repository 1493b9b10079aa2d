"""Local type inference inside one function: enough to tell Go memory from C memory,
pointer-holding types from pointer-free ones, and which struct a field belongs to.

It is flow-insensitive but position-aware: a name's type is the one of its nearest
declaration before the use (so shadowing in nested blocks mostly works).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tree_sitter import Node

from cgoguard.gofront.syntax import c_name, call_parts, nodes_of_type, text, unparen
from cgoguard.gofront.types import (
    BOOL,
    BYTE_SLICE,
    C_CHAR_PTR,
    FUNC,
    INT,
    STRING,
    UINTPTR,
    UNKNOWN,
    UNSAFE_POINTER,
    GoType,
    pointer_to,
    slice_of,
    type_from_node,
)

if TYPE_CHECKING:
    from cgoguard.gofront.gofile import GoFile
    from cgoguard.gofront.package import Package
    from cgoguard.gofront.symbols import FuncInfo

# Results of cgo's built-in helpers and the C allocators (C memory, as cgo types them).
CGO_BUILTIN_RESULTS: dict[str, GoType] = {
    "CString": C_CHAR_PTR,
    "CBytes": UNSAFE_POINTER,
    "GoString": STRING,
    "GoStringN": STRING,
    "GoBytes": BYTE_SLICE,
    "malloc": UNSAFE_POINTER,
    "calloc": UNSAFE_POINTER,
    "realloc": UNSAFE_POINTER,
}
_TYPE_NODES = frozenset({
    "pointer_type", "slice_type", "array_type", "map_type", "channel_type", "function_type",
    "interface_type", "struct_type", "qualified_type", "type_identifier", "generic_type",
})


@dataclass
class LocalTypes:
    """Types of the local names of one function (including its closures)."""

    package: Package
    file: GoFile
    func: Node  # function_declaration, method_declaration or func_literal
    _decls: dict[str, list[tuple[int, GoType | Node]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Several analyses ask about the same function: collect its declarations once.
        self._decls = self.package.syntax_index.memo("local declarations", self.func, self._collected)

    # ----- declarations -------------------------------------------------------------
    def _declare(self, name_node: Node, value: GoType | Node) -> None:
        name = text(name_node)
        if name and name != "_":
            entries = self._decls.setdefault(name, [])
            entries.append((name_node.start_byte, value))
            entries.sort(key=lambda e: e[0])

    def _collected(self) -> dict[str, list[tuple[int, GoType | Node]]]:
        self._decls = {}
        self._collect()
        return self._decls

    def _collect(self) -> None:
        from cgoguard.gofront.symbols import parameters

        for field_name in ("receiver", "parameters", "result"):
            plist = self.func.child_by_field_name(field_name)
            if plist is not None and plist.type == "parameter_list":
                self._declare_params(plist, parameters(plist))
        for node in nodes_of_type(self.func, "func_literal", "short_var_declaration", "var_spec", "range_clause",
                                  "type_switch_statement"):
            kind = node.type
            if kind == "func_literal":
                plist = node.child_by_field_name("parameters")
                if plist is not None:
                    self._declare_params(plist, parameters(plist))
            elif kind in ("short_var_declaration", "var_spec", "range_clause"):
                self._collect_binding(node)
            elif kind == "type_switch_statement":
                alias = node.child_by_field_name("alias")
                if alias is not None:
                    for name in alias.named_children or [alias]:
                        self._declare(name, UNKNOWN)

    def _declare_params(self, plist: Node, params: list[tuple[str, GoType]]) -> None:
        names = [n for decl in plist.named_children for n in decl.children_by_field_name("name")]
        for name_node, (_, param_type) in zip(names, [p for p in params if p[0]], strict=False):
            self._declare(name_node, param_type)

    def _collect_binding(self, node: Node) -> None:
        if node.type == "var_spec":
            declared = node.child_by_field_name("type")
            values = node.child_by_field_name("value")
            names = node.children_by_field_name("name")
            vals = values.named_children if values is not None else []
            for index, name in enumerate(names):
                if declared is not None:
                    self._declare(name, type_from_node(declared))
                elif index < len(vals):
                    self._declare(name, vals[index] if len(vals) == len(names) else UNKNOWN)
            return
        if node.type == "range_clause":
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if left is None or right is None:
                return
            names = left.named_children
            for index, name in enumerate(names):
                self._declare(name, ("range", index, right))  # type: ignore[arg-type]
            return
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is None or right is None:
            return
        names, values = left.named_children, right.named_children
        if len(names) == len(values):
            for name, value in zip(names, values, strict=True):
                self._declare(name, value)
        elif len(values) == 1:
            for index, name in enumerate(names):
                self._declare(name, ("tuple", index, values[0]))  # type: ignore[arg-type]

    # ----- queries ------------------------------------------------------------------
    def declaration_of(self, name: str, at: Node | None = None) -> int | None:
        """Byte offset of the declaration of local ``name`` in effect at ``at``."""
        entries = self._decls.get(name)
        if not entries:
            return None
        if at is None:
            return entries[-1][0]
        index = bisect_right([e[0] for e in entries], at.start_byte) - 1
        return entries[max(index, 0)][0]

    def is_local(self, name: str) -> bool:
        return name in self._decls

    def var_type(self, name: str, at: Node | None = None, depth: int = 0) -> GoType:
        entries = self._decls.get(name)
        if not entries:
            glob = self.package.symbols.globals.get(name)
            if glob is None:
                return UNKNOWN
            if glob.type.kind != "unknown" or glob.value is None or depth > 8:
                return glob.type
            return self.type_of(glob.value, depth + 1)
        if at is None:
            value = entries[-1][1]
        else:
            index = bisect_right([e[0] for e in entries], at.start_byte) - 1
            value = entries[max(index, 0)][1]
        return self._value_type(value, depth)

    def _value_type(self, value: object, depth: int) -> GoType:
        if isinstance(value, GoType):
            return value
        if isinstance(value, tuple):
            kind, index, node = value
            if kind == "range":
                return self._range_type(self.type_of(node, depth + 1), index)
            result = self.type_of(node, depth + 1)
            if result.kind == "tuple" and index < len(result.fields):
                return result.fields[index][1]
            if kind == "tuple" and index == 1:
                return BOOL  # v, ok := m[k] / x.(T) / <-c
            return result if index == 0 else UNKNOWN
        return self.type_of(value, depth + 1)  # type: ignore[arg-type]

    def _range_type(self, over: GoType, index: int) -> GoType:
        over = self.underlying(over)
        if over.kind == "pointer" and over.elem is not None:
            over = self.underlying(over.elem)
        if over.kind == "map":
            return (over.key if index == 0 else over.elem) or UNKNOWN
        if over.kind in ("slice", "array"):
            return INT if index == 0 else over.elem or UNKNOWN
        if over.kind == "chan":
            return over.elem or UNKNOWN
        if over.kind == "basic" and over.name == "string":
            return INT if index == 0 else GoType("basic", "rune")
        return INT if index == 0 else UNKNOWN

    def underlying(self, t: GoType) -> GoType:
        return self.package.symbols.underlying(t)

    def field_type(self, base: GoType, name: str) -> GoType:
        """Type of ``base.name``, through pointers, named types, embedding and C records."""
        base = self.underlying(base)
        if base.kind == "pointer" and base.elem is not None:
            base = self.underlying(base.elem)
        if base.kind == "struct":
            for field_name, field_type in base.fields:
                if field_name == name:
                    return field_type
            return UNKNOWN
        if base.kind == "c":
            return self._c_member_type(base.name, name)
        return UNKNOWN

    def _c_member_type(self, record_name: str, member: str) -> GoType:
        record = self.package.c.record(record_name)
        if record is None:
            return UNKNOWN
        for m in record.members:
            if m.name == member:
                return c_to_go_type(m.type, m.pointer_depth + (1 if m.array else 0), m.is_function_pointer)
        return UNKNOWN

    def type_of(self, node: Node | None, depth: int = 0) -> GoType:
        node = unparen(node)
        if node is None or depth > 24:
            return UNKNOWN
        index = self.package.syntax_index
        if depth == 0 and self.func.id in index.position:
            # The answer depends only on the node and this function's declarations.
            return index.memo(("type of", self.func.id), node, lambda: self._type_of(node, 0))
        return self._type_of(node, depth)

    def _type_of(self, node: Node, depth: int) -> GoType:
        handler = _EXPR_HANDLERS.get(node.type)
        return handler(self, node, depth) if handler else UNKNOWN

    # ----- expression handlers ------------------------------------------------------
    def _identifier(self, node: Node, depth: int) -> GoType:
        name = text(node)
        if name in ("nil", "true", "false", "iota"):
            return BOOL if name in ("true", "false") else UNKNOWN
        return self.var_type(name, node, depth)

    def _selector(self, node: Node, depth: int) -> GoType:
        cname = c_name(node)
        if cname is not None:
            glob = self.package.c.globals.get(cname)
            return c_to_go_type(glob.type, glob.pointer_depth) if glob else UNKNOWN
        operand = node.child_by_field_name("operand")
        field_name = text(node.child_by_field_name("field"))
        if operand is not None and operand.type == "identifier" and text(operand) in self.file.imports \
                and not self.is_local(text(operand)):
            return UNKNOWN  # pkg.Name of another package
        return self.field_type(self.type_of(operand, depth + 1), field_name)

    def _call(self, node: Node, depth: int) -> GoType:
        func, args = call_parts(node)
        func = unparen(func)
        if func is None:
            return UNKNOWN
        cname = c_name(func)
        if cname is not None:
            return self._c_call_type(cname)
        if self._is_type_expression(func):
            return type_from_node(func)
        name = text(func) if func.type == "identifier" else ""
        if name and not self.is_local(name):
            builtin = self._builtin_call(name, args, depth)
            if builtin is not None:
                return builtin
            info = self.package.symbols.funcs.get(name)
            if info is not None:
                return info.result_type
            if name in self.package.symbols.types:
                return GoType("named", name)
        if func.type == "selector_expression":
            return self._selector_call(func, args, depth)
        return UNKNOWN

    def _c_call_type(self, cname: str) -> GoType:
        if cname in CGO_BUILTIN_RESULTS:
            return CGO_BUILTIN_RESULTS[cname]
        function = self.package.c.function(cname)
        if function is not None:
            return c_to_go_type(function.return_type, function.return_pointer_depth)
        if cname in self.package.c.typedefs or cname.startswith(("struct_", "union_")) or cname in _C_SCALARS:
            return GoType("c", cname)  # a conversion such as C.int(x)
        return UNKNOWN

    def _is_type_expression(self, func: Node) -> bool:
        if func.type in _TYPE_NODES:
            return True
        if func.type == "unary_expression" and text(func.child_by_field_name("operator")) == "*":
            operand = unparen(func.child_by_field_name("operand"))
            return operand is not None and (operand.type in _TYPE_NODES or self._names_type(operand))
        return self._names_type(func)

    def _names_type(self, node: Node) -> bool:
        if node.type == "identifier":
            name = text(node)
            return not self.is_local(name) and (name in self.package.symbols.types or name in _GO_SCALARS)
        if node.type == "selector_expression":
            return text(node) == "unsafe.Pointer" or c_name(node) is not None
        return False

    def _builtin_call(self, name: str, args: list[Node], depth: int) -> GoType | None:
        if name == "new" and args:
            return pointer_to(type_from_node(args[0]))
        if name == "make" and args:
            return type_from_node(args[0])
        if name == "append" and args:
            return self.type_of(args[0], depth + 1)
        if name in ("len", "cap", "copy"):
            return INT
        return None

    def _selector_call(self, func: Node, args: list[Node], depth: int) -> GoType:
        operand = unparen(func.child_by_field_name("operand"))
        method = text(func.child_by_field_name("field"))
        if operand is not None and operand.type == "identifier" and not self.is_local(text(operand)):
            qualified = f"{self.file.imports.get(text(operand), text(operand))}.{method}"
            known = _STDLIB_RESULTS.get(qualified)
            if known is not None:
                return known(self, args, depth) if callable(known) else known
            if text(operand) in self.file.imports:
                return self._imported_result(qualified)
        receiver = self.underlying(self.type_of(operand, depth + 1))
        if receiver.kind == "pointer" and receiver.elem is not None:
            receiver = receiver.elem
        if receiver.kind == "named":
            info: FuncInfo | None = self.package.symbols.method(receiver.name, method)
            if info is not None:
                return info.result_type
            return self._imported_method_result(receiver.name, method)
        return UNKNOWN

    def _imported_result(self, function_key: str) -> GoType:
        """The result type(s) of a function of another module package, from its facts."""
        facts = self.package.facts
        if not facts:
            return UNKNOWN
        types = [_named_type(facts.result_type(function_key, i)) for i in range(8)]
        while types and types[-1] is UNKNOWN:
            types.pop()
        if len(types) <= 1:
            return types[0] if types else UNKNOWN
        return GoType("tuple", fields=tuple(("", t) for t in types))

    def _imported_method_result(self, type_name: str, method: str) -> GoType:
        """``x.M()`` where x has a named type of another module package (``cutil.Buf``)."""
        facts = self.package.facts
        qualifier, _, name = type_name.rpartition(".")
        if not facts or not qualifier:
            return UNKNOWN
        found = facts.method(f"{self.file.imports.get(qualifier, qualifier)}.{name}", method)
        return self._imported_result(found[0]) if found is not None else UNKNOWN

    def _unary(self, node: Node, depth: int) -> GoType:
        operator = text(node.child_by_field_name("operator"))
        operand = node.child_by_field_name("operand")
        inner = self.type_of(operand, depth + 1)
        if operator == "&":
            return pointer_to(inner)
        if operator == "*":
            return inner.elem if inner.kind == "pointer" and inner.elem else UNKNOWN
        if operator == "<-":
            chan = self.underlying(inner)
            return chan.elem if chan.kind == "chan" and chan.elem else UNKNOWN
        if operator == "!":
            return BOOL
        return inner

    def _index(self, node: Node, depth: int) -> GoType:
        base = self.underlying(self.type_of(node.child_by_field_name("operand"), depth + 1))
        if base.kind == "pointer" and base.elem is not None:
            base = self.underlying(base.elem)
        if base.kind in ("slice", "array", "map") and base.elem is not None:
            return base.elem
        if base.kind == "basic" and base.name == "string":
            return GoType("basic", "byte")
        return UNKNOWN

    def _slice_expr(self, node: Node, depth: int) -> GoType:
        base = self.type_of(node.child_by_field_name("operand"), depth + 1)
        under = self.underlying(base)
        if under.kind == "pointer" and under.elem is not None:
            under = self.underlying(under.elem)
        if under.kind == "array" and under.elem is not None:
            return slice_of(under.elem)
        return base

    def _composite(self, node: Node, depth: int) -> GoType:
        return type_from_node(node.child_by_field_name("type"))

    def _binary(self, node: Node, depth: int) -> GoType:
        operator = text(node.child_by_field_name("operator"))
        if operator in ("==", "!=", "<", "<=", ">", ">=", "&&", "||"):
            return BOOL
        left = self.type_of(node.child_by_field_name("left"), depth + 1)
        return left if left.kind != "unknown" else self.type_of(node.child_by_field_name("right"), depth + 1)

    def _type_assertion(self, node: Node, depth: int) -> GoType:
        return type_from_node(node.child_by_field_name("type"))


def _named_type(spelled: str) -> GoType:
    """``importpath.T`` or ``*importpath.T`` (as facts spell result types) as a GoType."""
    if not spelled:
        return UNKNOWN
    if spelled.startswith("*"):
        return pointer_to(GoType("named", spelled[1:]))
    return GoType("named", spelled)


def c_to_go_type(c_type: str, pointer_depth: int, function_pointer: bool = False) -> GoType:
    """The Go type cgo gives a C type (``char *`` -> ``*C.char``, ``void *`` -> unsafe.Pointer)."""
    if function_pointer:
        return pointer_to(GoType("c", "void"))  # cgo exposes function pointers as *[0]byte
    name = c_type.replace("const ", "").replace("volatile ", "").strip()
    for prefix in ("struct ", "union ", "enum "):
        if name.startswith(prefix):
            name = prefix.strip() + "_" + name[len(prefix):].strip()
    name = {"unsigned int": "uint", "unsigned char": "uchar", "signed char": "schar",
            "unsigned short": "ushort", "unsigned long": "ulong", "long long": "longlong",
            "unsigned long long": "ulonglong"}.get(name, name)
    if pointer_depth == 0:
        return GoType("c", name)
    base = UNSAFE_POINTER if name == "void" else pointer_to(GoType("c", name))
    for _ in range(pointer_depth - 1):
        base = pointer_to(base)
    return base


_C_SCALARS = frozenset(
    "char schar uchar short ushort int uint long ulong longlong ulonglong float double size_t "
    "uintptr_t intptr_t int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t "
    "complexfloat complexdouble".split()
)
_GO_SCALARS = frozenset(
    "bool byte rune string int int8 int16 int32 int64 uint uint8 uint16 uint32 uint64 uintptr "
    "float32 float64 complex64 complex128".split()
)


def _unsafe_slice(self: LocalTypes, args: list[Node], depth: int) -> GoType:
    ptr = self.type_of(args[0], depth + 1) if args else UNKNOWN
    return slice_of(ptr.elem) if ptr.kind == "pointer" and ptr.elem else slice_of(UNKNOWN)


def _unsafe_slice_data(self: LocalTypes, args: list[Node], depth: int) -> GoType:
    s = self.underlying(self.type_of(args[0], depth + 1)) if args else UNKNOWN
    return pointer_to(s.elem) if s.kind in ("slice", "array") and s.elem else UNKNOWN


_STDLIB_RESULTS: dict[str, object] = {
    "unsafe.Pointer": UNSAFE_POINTER,
    "unsafe.Slice": _unsafe_slice,
    "unsafe.SliceData": _unsafe_slice_data,
    "unsafe.String": STRING,
    "unsafe.StringData": pointer_to(GoType("basic", "byte")),
    "unsafe.Sizeof": UINTPTR,
    "unsafe.Offsetof": UINTPTR,
    "unsafe.Alignof": UINTPTR,
    "unsafe.Add": UNSAFE_POINTER,
    "syscall.Mmap": GoType("tuple", fields=(("", BYTE_SLICE), ("", GoType("named", "error")))),
    "golang.org/x/sys/unix.Mmap": GoType("tuple", fields=(("", BYTE_SLICE), ("", GoType("named", "error")))),
    "runtime/cgo.NewHandle": GoType("named", "cgo.Handle"),
    "strings.Repeat": STRING,
    "fmt.Sprintf": STRING,
}

_EXPR_HANDLERS = {
    "identifier": LocalTypes._identifier,
    "selector_expression": LocalTypes._selector,
    "call_expression": LocalTypes._call,
    "unary_expression": LocalTypes._unary,
    "index_expression": LocalTypes._index,
    "slice_expression": LocalTypes._slice_expr,
    "composite_literal": LocalTypes._composite,
    "binary_expression": LocalTypes._binary,
    "type_assertion_expression": LocalTypes._type_assertion,
    "type_conversion_expression": lambda self, node, depth: type_from_node(node.child_by_field_name("type")),
    "interpreted_string_literal": lambda self, node, depth: STRING,
    "raw_string_literal": lambda self, node, depth: STRING,
    "int_literal": lambda self, node, depth: INT,
    "func_literal": lambda self, node, depth: FUNC,
}
