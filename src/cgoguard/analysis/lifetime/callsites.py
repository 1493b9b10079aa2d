"""What a call expression calls: a C function, a builtin, a conversion, a closure, a function or
method of the package (resolved through the receiver's type) or of a module package it
imports (known by the summary that package exported), or something unknown.

Decided once per call site (the dataflow revisits calls) from syntax, the package's symbols and
the function's local types; the effects of each kind of call are in :mod:`.calls`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cgoguard.analysis.callgraph import ImportedCallee, resolve_imported
from cgoguard.analysis.lifetime.syntax import callee_name
from cgoguard.gofront.syntax import c_name, call_parts, text, unparen

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.gofront.gofile import GoFile
    from cgoguard.gofront.package import Package
    from cgoguard.gofront.resolve import LocalTypes
    from cgoguard.gofront.symbols import FuncInfo

# Calls through which a pointer keeps denoting the same memory.
ALIAS_CALLS = frozenset({"unsafe.Add", "unsafe.Slice", "unsafe.String", "unsafe.SliceData", "unsafe.StringData"})
# Standard-library calls that neither keep nor free their arguments.
HARMLESS_CALLS = frozenset({
    "runtime.KeepAlive", "fmt.Errorf", "fmt.Sprintf", "fmt.Printf", "fmt.Println", "fmt.Print", "fmt.Sprint",
    "fmt.Fprintf", "errors.New", "log.Printf", "log.Println", "len", "cap", "print", "println", "panic",
    "min", "max", "complex", "real", "imag", "close",
})
_BUILTIN_CALLS = frozenset({"append", "delete", "clear", "copy", "new", "make", "len", "cap", "print", "println",
                            "panic", "min", "max", "complex", "real", "imag", "close"})
_C_SCALARS = frozenset(
    "char schar uchar short ushort int uint long ulong longlong ulonglong float double size_t ssize_t "
    "uintptr_t intptr_t int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t "
    "complexfloat complexdouble _Bool bool off_t time_t".split())
_GO_TYPES = frozenset(
    "bool byte rune string int int8 int16 int32 int64 uint uint8 uint16 uint32 uint64 uintptr "
    "float32 float64 complex64 complex128 any error".split())
# An argument that hands C a release function or a "free it yourself" flag.
_DESTRUCTOR_ARG = re.compile(r"\bC\.(?:\w*free\w*|\w*FREE\w*|\w*(?:destroy|release)\w*)\b(?!\s*\()")
_TYPE_CALLEES = frozenset({"pointer_type", "slice_type", "array_type", "qualified_type", "generic_type",
                           "parenthesized_type", "map_type", "channel_type", "interface_type", "function_type"})


@dataclass(slots=True)
class CallInfo:
    func: Node | None
    args: list[Node]
    kind: str = "unknown"  # none|closure|conversion|c|builtin|alias|finalizer|harmless|go|unknown
    cname: str = ""
    name: str = ""  # the callee identifier of a plain call (`append`, `freeBuf`)
    callee: FuncInfo | ImportedCallee | None = None
    receiver: Node | None = None
    string_conversion: bool = False
    passes_destructor: bool = False  # a C call handed a release function or a "free it" flag


class CallSites:
    """The calls of one function: what each calls, in the scope of its declared names."""

    def __init__(self, package: Package, file: GoFile, declared: frozenset[str],
                 local_types: Callable[[], LocalTypes]) -> None:
        self.package = package
        self.file = file
        self.declared = declared
        self.local_types = local_types  # built only when a method's receiver must be typed
        self._infos: dict[int, CallInfo] = {}

    def info(self, call: Node) -> CallInfo:
        info = self._infos.get(call.id)
        if info is None:
            info = self._classify(call)
            self._infos[call.id] = info
        return info

    def _classify(self, call: Node) -> CallInfo:
        func, args = call_parts(call)
        func = unparen(func)
        info = CallInfo(func, args)
        if func is None:
            info.kind = "none"
        elif func.type == "func_literal":
            info.kind = "closure"
        elif self.is_conversion(func):
            info.kind = "conversion"
            info.string_conversion = func.type in ("identifier", "slice_type") and text(func) in ("string", "[]byte")
        elif (cname := c_name(func)) is not None:
            info.kind, info.cname = "c", cname
            info.passes_destructor = any(_DESTRUCTOR_ARG.search(text(arg)) for arg in args)
        else:
            self._classify_go_call(info, func)
        return info

    def _classify_go_call(self, info: CallInfo, func: Node) -> None:
        package_ref = func.type == "selector_expression" and self.is_package_ref(func)
        if func.type == "selector_expression" and not package_ref:
            info.receiver = unparen(func.child_by_field_name("operand"))
        info.name = callee_name(func)
        qualified = self.qualified(func)
        if info.name in _BUILTIN_CALLS and info.name not in self.declared:
            info.kind = "builtin"
        elif qualified in ALIAS_CALLS:
            info.kind = "alias"
        elif qualified == "runtime.SetFinalizer":
            info.kind = "finalizer"
        elif info.name in HARMLESS_CALLS or qualified in HARMLESS_CALLS:
            info.kind = "harmless"
        else:
            info.callee = self.resolve(func)
            info.kind = "go" if info.callee is not None else "unknown"

    def is_conversion(self, func: Node) -> bool:
        """Whether a callee names a type (``(*C.char)(p)``, ``C.int(n)``, ``string(b)``)."""
        if func.type in _TYPE_CALLEES:
            return True
        if func.type == "unary_expression" and text(func.child_by_field_name("operator")) == "*":
            return True
        if func.type == "selector_expression":
            cname = c_name(func)
            if cname is not None:
                return self._is_c_type_name(cname)
            return text(func) == "unsafe.Pointer"
        if func.type == "identifier":
            name = text(func)
            return name not in self.declared and (name in _GO_TYPES or name in self.package.symbols.types)
        return False

    def _is_c_type_name(self, name: str) -> bool:
        """Whether ``C.name`` names a type (so ``C.name(x)`` is a conversion, not a call)."""
        return name in _C_SCALARS or name.startswith(("struct_", "union_", "enum_")) or (
            name in self.package.c.typedefs and self.package.c.function(name) is None)

    def is_package_ref(self, func: Node) -> bool:
        """Whether a selector's operand names an imported package (``fmt.Sprintf``)."""
        operand = unparen(func.child_by_field_name("operand"))
        return operand is not None and operand.type == "identifier" and text(operand) in self.file.imports \
            and text(operand) not in self.declared

    def qualified(self, func: Node | None) -> str:
        """``import/path.Name`` for a call into another package, "" otherwise."""
        if func is None or func.type != "selector_expression" or not self.is_package_ref(func):
            return ""
        operand = text(func.child_by_field_name("operand"))
        return f"{self.file.imports.get(operand, operand)}.{text(func.child_by_field_name('field'))}"

    def resolve(self, func: Node) -> FuncInfo | ImportedCallee | None:
        """The function or method a callee denotes: the package's (methods through the receiver's
        type), else one of an imported module package."""
        local = self._resolve_local(func)
        if local is not None or not self.package.facts:
            return local
        return resolve_imported(self.package, self.file, func, self.local_types())

    def _resolve_local(self, func: Node) -> FuncInfo | None:
        symbols = self.package.symbols
        if func.type == "identifier":
            name = text(func)
            return symbols.funcs.get(name) if name not in self.declared else None
        if func.type != "selector_expression" or self.is_package_ref(func):
            return None
        method = text(func.child_by_field_name("field"))
        owners = [t for t, methods in symbols.methods.items() if method in methods]
        if not owners:
            return None
        receiver_type = self.local_types().type_of(func.child_by_field_name("operand"))
        while receiver_type.kind == "pointer" and receiver_type.elem is not None:
            receiver_type = receiver_type.elem
        if receiver_type.kind == "named":
            return symbols.method(receiver_type.name, method)
        return None
