"""Types whose values carry a finalizer (or cleanup) that releases C resources.

``runtime.SetFinalizer(x, f)`` and ``runtime.AddCleanup(x, f, arg)`` anywhere in the package
mark the type of ``x``. The finalizer counts when its body, directly or through the methods
and functions it calls, calls ``C.free`` or a C deallocator (from the package's contracts,
else by name: ``x_free``, ``x_destroy``, ``x_unref``...). The C-pointer fields of such a type
(promoted ones included) are its *handles*: what a use-after-free needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Node

from cgoguard.analysis.unsafeflow import FunctionScope, describe
from cgoguard.cfront.model import CModel
from cgoguard.gofront.gofile import GoFile
from cgoguard.gofront.package import Package
from cgoguard.gofront.resolve import LocalTypes
from cgoguard.gofront.symbols import FuncInfo
from cgoguard.gofront.syntax import c_name, call_parts, line_of, nodes_of_type, text, unparen, walk
from cgoguard.gofront.types import GoType

MAX_CALL_DEPTH = 4


@dataclass
class Finalizer:
    type_name: str  # the Go type whose values are finalized
    description: str  # "(*Blob).Free", "a func literal"
    file: GoFile
    call: Node  # the SetFinalizer / AddCleanup call
    releases: list[tuple[str, str]]  # (C deallocator, its argument's text), in body order

    @property
    def where(self) -> str:
        return f"{self.file.display_path}:{line_of(self.call)}"

    def release_for(self, field_name: str) -> str:
        """The deallocator applied to ``field_name`` (``C.ZSTD_freeDDict`` for ``p.dDict``),
        else the first one the finalizer calls."""
        for function, argument in self.releases:
            if argument.endswith(f".{field_name}") or argument.endswith(f".{field_name})"):
                return function
        return self.releases[0][0]


@dataclass
class FinalizedTypes:
    package: Package
    by_type: dict[str, Finalizer] = field(default_factory=dict)
    # Function bodies that run as (or under) a finalizer: the object is already unreachable there.
    finalizer_bodies: set[tuple[str, int]] = field(default_factory=set)

    def runs_under_finalizer(self, node: Node, file: GoFile) -> bool:
        return (file.display_path, node.start_byte) in self.finalizer_bodies


def find_finalized_types(package: Package, scopes: list[FunctionScope], contracts: Any) -> FinalizedTypes:
    result = FinalizedTypes(package)
    for scope in scopes:
        runtime = scope.imports_as("runtime")
        if runtime is None:
            continue
        for node in nodes_of_type(scope.body, "call_expression"):
            func, args = call_parts(node)
            callee = text(unparen(func))
            if callee in (f"{runtime}.SetFinalizer", f"{runtime}.AddCleanup") and len(args) >= 2:
                _record(result, scope, node, args, contracts)
    return result


def _record(result: FinalizedTypes, scope: FunctionScope, call: Node, args: list[Node], contracts: Any) -> None:
    target = _pointee_name(scope.type_of(args[0]))
    finalizer = unparen(args[1])
    if target is None or finalizer is None or text(finalizer) == "nil" or target in result.by_type:
        return
    resolved = _resolve_function(finalizer, scope)
    if resolved is None:
        return
    body, file, description = resolved
    visited: set[tuple[str, int]] = set()
    releases: list[tuple[str, str]] = []
    _collect_releases(body, file, scope.package, contracts, visited, releases, 0)
    if releases:
        result.by_type[target] = Finalizer(target, description, scope.file, call, releases)
        result.finalizer_bodies |= visited


def _pointee_name(t: GoType) -> str | None:
    if t.kind == "pointer" and t.elem is not None and t.elem.kind == "named" and "." not in t.elem.name:
        return t.elem.name
    return None


def _resolve_function(node: Node, scope: FunctionScope) -> tuple[Node, GoFile, str] | None:
    """(body owner node, file, description) of a function value: a literal, a function name or
    a method expression ``(*T).Free`` / ``T.Close``."""
    symbols = scope.package.symbols
    if node.type == "func_literal":
        return node, scope.file, describe(node, 50)
    if node.type == "identifier" and text(node) in symbols.funcs:
        info = symbols.funcs[text(node)]
        return info.node, info.file, text(node)
    if node.type == "selector_expression":
        operand = unparen(node.child_by_field_name("operand"))
        method = text(node.child_by_field_name("field"))
        if operand is not None and operand.type == "unary_expression":
            operand = unparen(operand.child_by_field_name("operand"))
        if operand is not None and operand.type in ("identifier", "type_identifier"):
            info = find_method(scope.package, text(operand), method)
            if info is not None:
                return info.node, info.file, f"(*{text(operand)}).{method}"
    return None


def find_method(package: Package, type_name: str, method: str, depth: int = 0) -> FuncInfo | None:
    """A method of a package type, including methods promoted from embedded fields."""
    info = package.symbols.method(type_name, method)
    if info is not None or depth > 6:
        return info
    for embedded in embedded_types(package, type_name):
        found = find_method(package, embedded, method, depth + 1)
        if found is not None:
            return found
    return None


def embedded_types(package: Package, type_name: str) -> Iterator[str]:
    """Names of the package types embedded (by value or pointer) in struct ``type_name``."""
    declared = package.symbols.types.get(type_name)
    struct = package.symbols.underlying(declared.type) if declared is not None else None
    if struct is None or struct.kind != "struct":
        return
    for name, field_type in struct.fields:
        base = field_type.elem if field_type.kind == "pointer" and field_type.elem is not None else field_type
        # struct_fields names an embedded field after its type.
        if base.kind == "named" and base.name == name and name in package.symbols.types:
            yield name


def field_path(package: Package, type_name: str, name: str, depth: int = 0) -> tuple[list[str], GoType] | None:
    """(types from ``type_name`` down to the one declaring ``name``, the field's type)."""
    declared = package.symbols.types.get(type_name)
    struct = package.symbols.underlying(declared.type) if declared is not None else None
    if struct is None or struct.kind != "struct" or depth > 6:
        return None
    for field_name, field_type in struct.fields:
        if field_name == name:
            return [type_name], field_type
    for embedded in embedded_types(package, type_name):
        found = field_path(package, embedded, name, depth + 1)
        if found is not None:
            return [type_name, *found[0]], found[1]
    return None


def is_handle_type(t: GoType, package: Package) -> bool:
    """A C pointer as Go sees it: ``*C.T``, ``unsafe.Pointer`` or a C typedef of a pointer."""
    t = package.symbols.underlying(t)
    if t.kind == "unsafe-pointer":
        return True
    if t.kind == "pointer" and t.elem is not None:
        elem = package.symbols.underlying(t.elem)
        return elem.kind == "c" or (elem.kind == "pointer" and is_handle_type(elem, package))
    return t.kind == "c" and package.c.is_pointer_type(t.name)


def _collect_releases(owner: Node, file: GoFile, package: Package, contracts: Any,
                      visited: set[tuple[str, int]], releases: list[tuple[str, str]], depth: int) -> None:
    """Append the C deallocator calls of ``owner``'s body, following package calls."""
    key = (file.display_path, owner.start_byte)
    body = owner.child_by_field_name("body")
    if key in visited or depth > MAX_CALL_DEPTH or body is None:
        return
    visited.add(key)
    types = LocalTypes(package, file, owner)
    for node in nodes_of_type(body, "call_expression"):
        function = unparen(node.child_by_field_name("function"))
        name = c_name(function)
        if name is not None:
            if is_deallocator(name, contracts, package.c):
                args = call_parts(node)[1]
                releases.append((f"C.{name}", text(args[0]) if args else ""))
            continue
        callee = _callee(function, types, package)
        if callee is not None:
            _collect_releases(callee.node, callee.file, package, contracts, visited, releases, depth + 1)


def _callee(function: Node | None, types: LocalTypes, package: Package) -> FuncInfo | None:
    if function is None:
        return None
    if function.type == "identifier" and not types.is_local(text(function)):
        return package.symbols.funcs.get(text(function))
    if function.type == "selector_expression":
        receiver = types.type_of(function.child_by_field_name("operand"))
        if receiver.kind == "pointer" and receiver.elem is not None:
            receiver = receiver.elem
        if receiver.kind == "named":
            return find_method(package, receiver.name, text(function.child_by_field_name("field")))
    return None


def is_deallocator(name: str, contracts: Any, model: CModel | None = None, depth: int = 0) -> bool:
    """Whether C function ``name`` releases memory: ``free``, a deallocator by contract or by
    name, or (with the C model) a function whose body calls one (``clear_image`` calling
    ``g_object_unref``)."""
    # Imported here, like every use of the contracts engine from the rules: importing the
    # rules (which a cached scan does for their metadata) then does not load it (~20 ms).
    from cgoguard.contracts.naming import deallocator_word

    if name == "free" or deallocator_word(name) is not None:
        return True
    if contracts is not None and contracts.is_deallocator(name):
        return True
    function = model.function(name) if model is not None and depth < 2 else None
    if function is None or function.body is None:
        return False
    for node in walk(function.body):
        callee = node.child_by_field_name("function") if node.type == "call_expression" else None
        if callee is not None and callee.type == "identifier" and \
                is_deallocator(function.unit.text(callee), contracts, model, depth + 1):
            return True
    return False



def c_forwarders(package: Package, scopes: list[FunctionScope]) -> dict[str, frozenset[int]]:
    """Package functions that pass C-handle parameters on to C (govips' ``vipsResize(in, ...)``):
    function name -> indexes of those parameters. Wrappers of wrappers are followed a few levels."""
    infos = {info.node.id: info for info in package.symbols.funcs.values()}
    result: dict[str, frozenset[int]] = {}
    for _ in range(3):
        changed = False
        for scope in scopes:
            info = infos.get(scope.node.id)
            handles = {name: index for index, (name, t) in enumerate(info.params)
                       if name and is_handle_type(t, package)} if info is not None else {}
            if not handles or info is None:
                continue
            found = _forwarded(scope, handles, result)
            if found != result.get(info.name, frozenset()):
                result[info.name] = found
                changed = True
        if not changed:
            break
    return result


def _forwarded(scope: FunctionScope, handles: dict[str, int], known: dict[str, frozenset[int]]) -> frozenset[int]:
    found: set[int] = set()
    for node in nodes_of_type(scope.body, "call_expression"):
        func, args = call_parts(node)
        func = unparen(func)
        if c_name(func) is None:
            callee = text(func) if func is not None and func.type == "identifier" else ""
            args = [args[i] for i in sorted(known.get(callee, ())) if i < len(args)]
        for arg in args:
            found.update(handles[text(n)] for n in nodes_of_type(arg, "identifier") if text(n) in handles)
    return frozenset(found)
