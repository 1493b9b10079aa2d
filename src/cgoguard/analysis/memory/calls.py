"""Values of calls: C functions and cgo helpers, conversions, builtins, the package's own
functions through their summarised results, and functions of other module packages through
the summaries those exported (their facts)."""

from __future__ import annotations

from collections.abc import Callable

from tree_sitter import Node

from cgoguard.analysis.callgraph import resolve_imported
from cgoguard.analysis.memory.core import MemoryCore
from cgoguard.analysis.memory.values import (
    REFERENCE_FORMS,
    SCALAR_VALUE,
    UNKNOWN_VALUE,
    Origin,
    TupleItem,
    Value,
)
from cgoguard.gofront.resolve import CGO_BUILTIN_RESULTS
from cgoguard.gofront.syntax import c_name, call_parts, text, unparen
from cgoguard.gofront.types import BASIC_TYPES, GoType, type_from_node
from cgoguard.gofront.types import STRING as STRING_TYPE

# C functions whose result is C memory even without a declaration in the package.
C_ALLOCATORS = frozenset({"CString", "CBytes", "malloc", "calloc", "realloc", "strdup", "strndup"})
MMAP_FUNCS = frozenset({"syscall.Mmap", "golang.org/x/sys/unix.Mmap"})
_TYPE_NODES = frozenset({"pointer_type", "slice_type", "array_type", "map_type", "channel_type", "function_type",
                         "interface_type", "struct_type", "qualified_type", "type_identifier", "generic_type"})
_UNSAFE_PASSTHROUGH = {
    "unsafe.Slice": "slice",
    "unsafe.SliceData": "pointer",
    "unsafe.String": "string",
    "unsafe.StringData": "pointer",
    "unsafe.Add": "pointer",
}


class CallEvaluation(MemoryCore):
    eval: Callable[[Node | None, int], Value]  # from ValueEvaluation

    def _eval_call(self, node: Node, at: int) -> Value:
        func, args = call_parts(node)
        func = unparen(func)
        if func is None:
            return UNKNOWN_VALUE
        name = c_name(func)
        if name is not None:
            return self._eval_c_call(name, node, args, at)
        target = self._as_type(func)
        if target is not None:
            return self._eval_conversion(target, node, args, at)
        if func.type == "identifier" and not self.types.is_local(text(func)):
            builtin = self._eval_builtin(text(func), node, args, at)
            if builtin is not None:
                return builtin
        qualified = self._qualified(func)
        if qualified in _UNSAFE_PASSTHROUGH and args:
            return self.eval(args[0], at).with_form(_UNSAFE_PASSTHROUGH[qualified], node)
        return self._eval_other_call(node)

    def _as_type(self, func: Node) -> GoType | None:
        """The type a conversion's callee names (``(**C.char)(p)`` included), or None."""
        func = unparen(func) or func
        if func.type == "unary_expression" and text(func.child_by_field_name("operator")) == "*":
            inner = func.child_by_field_name("operand")
            elem = self._as_type(inner) if inner is not None else None
            return GoType("pointer", elem=elem) if elem is not None else None
        return type_from_node(func) if self._names_type(func) else None

    def _names_type(self, node: Node) -> bool:
        if node.type in _TYPE_NODES:
            return True
        if node.type == "identifier":
            name = text(node)
            return not self.types.is_local(name) and (name in self.package.symbols.types or name in BASIC_TYPES)
        if node.type == "selector_expression":
            name = c_name(node)
            if name is not None:
                return self.package.c.function(name) is None and name not in CGO_BUILTIN_RESULTS
            return text(node) == "unsafe.Pointer"
        return False

    def _qualified(self, func: Node) -> str:
        if func.type != "selector_expression":
            return ""
        operand = unparen(func.child_by_field_name("operand"))
        if operand is None or operand.type != "identifier" or self.types.is_local(text(operand)):
            return ""
        package = self.file.imports.get(text(operand))
        return f"{package}.{text(func.child_by_field_name('field'))}" if package else ""

    def _eval_c_call(self, name: str, node: Node, args: list[Node], at: int) -> Value:
        if name in ("GoString", "GoStringN"):
            return Value(Origin.GO, self._alloc(node), (), "string", node)
        if name == "GoBytes":
            return Value(Origin.GO, self._alloc(node), (), "slice", node)
        if name in C_ALLOCATORS:
            return Value(Origin.C, form="pointer", node=node)
        function = self.package.c.function(name)
        if function is not None:
            pointer = function.returns_pointer or self.package.c.is_pointer_type(function.return_type)
            return Value(Origin.C, form="pointer", node=node) if pointer else SCALAR_VALUE
        if len(args) == 1 and self.names_c_type(name):
            return self._eval_conversion(GoType("c", name), node, args, at)  # C.T(x)
        # A C function the model cannot see: whatever pointer it returns is not Go memory.
        return Value(Origin.C, form="pointer", node=node)

    def _eval_conversion(self, target: GoType, node: Node, args: list[Node], at: int) -> Value:
        if not args:
            return UNKNOWN_VALUE
        target = self.types.underlying(target)
        if target.kind == "slice" and self.type_of(args[0]) == STRING_TYPE:
            return self._fresh_copy(args[0], node, "slice", at)  # []byte(s), []rune(s) copy
        if target.kind == "c" and self.package.c.is_pointer_type(target.name):
            return self.eval(args[0], at).with_form("pointer", node)
        form = REFERENCE_FORMS.get(target.kind)
        if form is not None:
            source = self.eval(args[0], at)
            return source.with_form(form, node) if source.origin is not Origin.UNKNOWN else source
        if target.kind == "basic" and target.name == "string":
            source = self.eval(args[0], at)
            if source.origin is Origin.STATIC:
                return source
            return self._fresh_copy(args[0], node, "string", at)  # string(b), string(r) copy
        if self.is_aggregate(target):
            return self.eval(args[0], at)
        return SCALAR_VALUE

    def _fresh_copy(self, source: Node, node: Node, form: str, at: int) -> Value:
        """A conversion that copies into a new Go allocation (nothing to copy: no allocation)."""
        literal = unparen(source)
        if literal is not None and literal.type in ("interpreted_string_literal", "raw_string_literal") \
                and len(text(literal)) <= 2:
            return SCALAR_VALUE
        return Value(Origin.GO, self._alloc(node), (), form, node)

    def _eval_builtin(self, name: str, node: Node, args: list[Node], at: int) -> Value | None:
        if name == "new":
            return Value(Origin.GO, self._alloc(node), (), "pointer", node)
        if name == "make" and args:
            made = self.types.underlying(type_from_node(args[0]))
            return Value(Origin.GO, self._alloc(node), (), REFERENCE_FORMS.get(made.kind, "slice"), node)
        if name in ("len", "cap", "copy", "complex", "real", "imag", "min", "max"):
            return SCALAR_VALUE
        if name == "append" and args:
            base = self.eval(args[0], at)
            if base.origin not in (Origin.GO, Origin.NIL):
                return UNKNOWN_VALUE
            # A (possibly new) Go backing array holding the old elements and the new ones.
            return Value(Origin.GO, self._alloc(node), (), "slice", node)
        return None

    def _eval_other_call(self, node: Node) -> Value:
        summarized = self._package_call_result(node, 0)
        if summarized is not None:
            return summarized
        result = self.type_of(node)
        if result.kind == "basic" and result.name == "string":
            return Value(Origin.GO, self._alloc(node), (), "string", node)
        if result.kind in ("map", "chan"):
            return Value(Origin.GO, self._alloc(node), (), result.kind, node)
        if result.kind == "basic":
            return SCALAR_VALUE
        return UNKNOWN_VALUE

    def eval_written(self, value: Node | TupleItem, at: int) -> Value:
        """The value of the right-hand side of a write (a tuple item: ``f.c, err = C.f()``)."""
        return self._eval_tuple_item(value, at) if isinstance(value, TupleItem) else self.eval(value, at)

    def _eval_tuple_item(self, item: TupleItem, at: int) -> Value:
        func, _ = call_parts(item.call)
        func = unparen(func)
        if item.index == 0 and c_name(func) is not None:
            return self.eval(item.call, at)  # the errno form of a C call: `p, err := C.f()`
        if func is not None and self._qualified(func) in MMAP_FUNCS and item.index == 0:
            return Value(Origin.MMAP, form="slice", node=item.call)
        return self._package_call_result(item.call, item.index) or UNKNOWN_VALUE

    def _package_call_result(self, call: Node, index: int) -> Value | None:
        """The summarised result ``index`` of a call of a function of this package."""
        func = unparen(call.child_by_field_name("function"))
        if func is not None and func.type == "selector_expression" and self.package.facts:
            return self._imported_call_result(call, func, index)
        if func is None or func.type != "identifier" or self.types.is_local(text(func)):
            return None
        found = self.facts.result(text(func), index)
        if found is None:
            return None
        if found.origin is Origin.C:
            return Value(Origin.C, form=found.form, node=call)
        # Fresh Go memory: one object per call site (for the first result, the usual one).
        if index != 0:
            return None
        obj = self._alloc(call)
        self._opaque.add(obj)
        return Value(Origin.GO, obj, (), found.form, call)

    def _imported_call_result(self, call: Node, func: Node, index: int) -> Value | None:
        """Result ``index`` of a function of another module package, from its exported summary."""
        callee = resolve_imported(self.package, self.file, func, self.types)
        if callee is None:
            return None
        owned = callee.summary.owned_result(index) is not None
        kind = "c" if owned else callee.summary.result_kind(index)
        if kind == "c":
            return Value(Origin.C, form="pointer", node=call)
        if kind != "go" or index != 0:
            return None
        obj = self._alloc(call)
        self._opaque.add(obj)
        return Value(Origin.GO, obj, (), REFERENCE_FORMS.get(self.type_of(call).kind, "pointer"), call)
