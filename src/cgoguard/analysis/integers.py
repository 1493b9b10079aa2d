"""Integer provenance: is a ``uintptr`` an address, or a number that never was one?

:mod:`cgoguard.analysis.unsafeflow` answers where an *address* held in an integer points
(:func:`~cgoguard.analysis.unsafeflow.address_integer`). This module extends it to the other
side: integers made from numbers (constants, ``len``, loop indexes, counters, ``cgo.Handle``
values, arithmetic on those, ``uintptr`` of a nil pointer), so a conversion
``unsafe.Pointer(x)`` of such an ``x`` can be told from the legitimate round trip of a real
address. Anything that may hold an address (a C call result, a C struct field, a syscall
result, a parameter, a slice element) is unknown, and unknown is never reported.

Variables, unexported package variables and unexported struct fields are judged by every value
the package stores into them (``nextID++``, ``s.id = nextID``, ``&ctx{handle: h}``),
flow-insensitively: they are integers only when every store is (other packages may store into
exported ones). Package functions get a small summary, computed to a
fixpoint: which parameters reach an ``unsafe.Pointer`` conversion (so callers are judged by
what they pass) and whether the function returns an integer. The summary is deliberately
local to this module so that module-wide function facts can feed it later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from tree_sitter import Node

from cgoguard.analysis.functions import (
    called_key,
    function_key,
    result_type,
    returned_values,
    unchanged_param,
)
from cgoguard.analysis.unsafeflow import (
    MAX_DEPTH,
    FunctionScope,
    address_integer,
    constant_value,
    conversion,
    describe,
    is_integer_type,
    is_unsafe_pointer_call,
)
from cgoguard.gofront.syntax import c_name, call_parts, line_of, nodes_of_type, text, unparen
from cgoguard.gofront.types import GoType

_MAX_ROUNDS = 4
_ARITHMETIC = frozenset({"+", "-", "*", "/", "%", "<<", ">>", "|", "&", "^", "&^"})
_ATOMIC_ADDS = frozenset({"AddUintptr", "AddUint64", "AddUint32", "AddInt64", "AddInt32"})
_ATOMIC_COUNTERS = frozenset({"Uintptr", "Uint64", "Uint32", "Int64", "Int32"})


class Provenance(StrEnum):
    INTEGER = "integer"  # a number that never was an address
    ADDRESS = "address"  # an address, or arithmetic on one
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class IntegerOrigin:
    provenance: Provenance
    why: str = ""  # "the loop index i", "the cgo.Handle h", "len(items)"
    source: Node | None = field(default=None, compare=False)  # where the number is made
    param: int | None = None  # an unchanged parameter (plus numbers): the callers decide
    value: int | None = None  # when it is a constant
    from_nil: bool = False  # arithmetic on ``uintptr`` of a nil pointer

    @property
    def is_number(self) -> bool:
        """An integer that is not the nil pointer (0)."""
        return self.provenance is Provenance.INTEGER and self.value != 0


UNKNOWN_ORIGIN = IntegerOrigin(Provenance.UNKNOWN)
ADDRESS_ORIGIN = IntegerOrigin(Provenance.ADDRESS)


@dataclass
class IntegerSummary:
    """What a package function does with integers, as its callers see it."""

    converts: dict[int, int] = field(default_factory=dict)  # parameter -> line of the conversion it reaches
    returns: IntegerOrigin | None = None  # when every return is an integer


@dataclass(frozen=True)
class Conversion:
    """``unsafe.Pointer(x)`` of an integer, or a call handing an integer to a helper that converts it."""

    node: Node
    operand: Node
    origin: IntegerOrigin
    helper: str = ""  # the package function that converts it, for a call
    helper_line: int = 0


class Integers:
    """The package-wide analysis: stores into variables and fields, summaries, conversions."""

    def __init__(self, scopes: list[FunctionScope]) -> None:
        self.scopes = scopes
        self.by_key = {key: scope for scope in scopes if (key := function_key(scope.node)) is not None}
        self.summaries: dict[str, IntegerSummary] = {key: IntegerSummary() for key in self.by_key}
        self._stores = _package_stores(scopes)
        self._memo: dict[str, IntegerOrigin] = {}
        self._visiting: set[str] = set()
        self._summarize()

    # ----- conversions ------------------------------------------------------------------
    def conversions(self, scope: FunctionScope) -> list[Conversion]:
        found: list[Conversion] = []
        for node in nodes_of_type(scope.body, "call_expression"):
            operand = is_unsafe_pointer_call(node, scope)
            if operand is not None:
                operand_type = scope.type_of(operand)
                if is_integer_type(operand_type, scope) or _is_handle(operand_type, scope) \
                        or _integer_conversion(operand, scope):
                    found.append(Conversion(node, operand, self.origin(operand, scope)))
                continue
            key = called_key(node, scope)
            summary = self.summaries.get(key) if key is not None else None
            if summary is None or not summary.converts:
                continue
            args = call_parts(node)[1]
            for index, line in summary.converts.items():
                if index < len(args):
                    found.append(Conversion(node, args[index], self.origin(args[index], scope), key or "", line))
        return found

    def _summarize(self) -> None:
        for _ in range(_MAX_ROUNDS):
            changed = False
            self._memo.clear()
            for key, scope in self.by_key.items():
                updated = self._summary_of(scope)
                if updated != self.summaries[key]:
                    self.summaries[key] = updated
                    changed = True
            if not changed:
                return

    def _summary_of(self, scope: FunctionScope) -> IntegerSummary:
        summary = IntegerSummary()
        for found in self.conversions(scope):
            if found.origin.param is not None and not found.origin.from_nil:
                summary.converts.setdefault(found.origin.param, found.helper_line or line_of(found.node))
        results = returned_values(scope)
        if results and is_integer_type(result_type(scope), scope):
            origins = [self.origin(value, scope) for value in results]
            if all(o.provenance is Provenance.INTEGER for o in origins):
                summary.returns = IntegerOrigin(Provenance.INTEGER, f"the result of {function_key(scope.node)}() "
                                                f"({origins[0].why})", origins[0].source)
        return summary

    # ----- provenance -------------------------------------------------------------------
    def origin(self, node: Node | None, scope: FunctionScope, depth: int = 0) -> IntegerOrigin:
        """Where the integer value of ``node`` comes from."""
        node = unparen(node)
        if node is None or depth > MAX_DEPTH:
            return UNKNOWN_ORIGIN
        found = self._origin(node, scope, depth)
        if found.provenance is Provenance.UNKNOWN and _is_handle(scope.type_of(node), scope):
            return IntegerOrigin(Provenance.INTEGER, f"the cgo.Handle {describe(node, 30)}", node)
        return found

    def _origin(self, node: Node, scope: FunctionScope, depth: int) -> IntegerOrigin:
        value = constant_value(node, scope.package)
        if value is not None and not (node.type == "identifier" and scope.types.is_local(text(node))):
            return IntegerOrigin(Provenance.INTEGER, f"the constant {describe(node, 30)}", node, value=value)
        kind = node.type
        if kind == "rune_literal":
            return IntegerOrigin(Provenance.INTEGER, f"the constant {text(node)}", node)
        if kind == "identifier":
            return self._variable(node, scope, depth)
        if kind == "selector_expression":
            return self._field(node, scope)
        if kind in ("call_expression", "type_conversion_expression"):
            return self._call(node, scope, depth)
        if kind == "binary_expression" and text(node.child_by_field_name("operator")) in _ARITHMETIC:
            parts = [self.origin(node.child_by_field_name(side), scope, depth + 1) for side in ("left", "right")]
            return _combined(parts, node)
        if kind == "unary_expression" and text(node.child_by_field_name("operator")) in ("-", "^", "+"):
            return self.origin(node.child_by_field_name("operand"), scope, depth + 1)
        return UNKNOWN_ORIGIN

    def _variable(self, node: Node, scope: FunctionScope, depth: int) -> IntegerOrigin:
        name = text(node)
        if scope.types.is_local(name):
            binding = scope.settled(name, node)
            if binding is not None and binding.value is not None:
                return self.origin(binding.value, scope, depth + 1)
            param = unchanged_param(scope, name)
            if param is not None:
                return IntegerOrigin(Provenance.UNKNOWN, param=param)
            return self._local_stores(node, scope, depth)
        key = f"var {name}"
        if key in self._stores and not name[:1].isupper():  # other packages may store into exported ones
            return self._stored(key, name)
        return UNKNOWN_ORIGIN

    def _local_stores(self, node: Node, scope: FunctionScope, depth: int) -> IntegerOrigin:
        """A local assigned in several places (a counter, a range index): an integer when every
        value stored into it is one."""
        name = text(node)
        if scope.is_param(name) or any(n.type == "unary_expression" for n in scope.mutations.get(name, ())):
            return UNKNOWN_ORIGIN
        if _is_range_index(node, scope):
            return IntegerOrigin(Provenance.INTEGER, f"the loop index {name}", node)
        values: list[IntegerOrigin] = []
        for binding in scope.bindings.get(name, []):
            if binding.value is None and not _declared_without_value(binding.statement):
                return UNKNOWN_ORIGIN
            values.append(self.origin(binding.value, scope, depth + 1) if binding.value is not None
                          else IntegerOrigin(Provenance.INTEGER, value=0))
        for mutation in scope.mutations.get(name, ()):
            values.append(_mutation_origin(mutation, lambda v: self.origin(v, scope, depth + 1)))
        if not values or any(v.provenance is not Provenance.INTEGER for v in values):
            return ADDRESS_ORIGIN if any(v.provenance is Provenance.ADDRESS for v in values) else UNKNOWN_ORIGIN
        counter = bool(scope.mutations.get(name))
        return IntegerOrigin(Provenance.INTEGER, f"the {'counter' if counter else 'integer'} {name}", node)

    def _field(self, node: Node, scope: FunctionScope) -> IntegerOrigin:
        if c_name(node) is not None:
            return UNKNOWN_ORIGIN
        base = scope.underlying(scope.type_of(node.child_by_field_name("operand")))
        if base.kind == "pointer" and base.elem is not None:
            base = scope.underlying(base.elem)
        if base.kind == "c":
            return UNKNOWN_ORIGIN  # a C struct's field: C may have put an address there
        owner = _struct_name(scope.type_of(node.child_by_field_name("operand")), scope)
        field_name = text(node.child_by_field_name("field"))
        key = f"field {owner}.{field_name}"
        if owner and key in self._stores and not field_name[:1].isupper():
            return self._stored(key, f"{owner}.{field_name}")
        return UNKNOWN_ORIGIN

    def _stored(self, key: str, name: str) -> IntegerOrigin:
        """A package variable or field: an integer when every store the package makes is one."""
        if key in self._memo:
            return self._memo[key]
        if key in self._visiting:
            return IntegerOrigin(Provenance.INTEGER, name)  # a self-increment: `id = id + 1`
        self._visiting.add(key)
        stores = self._stores[key]
        origins = [_mutation_origin(node, lambda v, s=scope: self.origin(v, s, 1)) if value is None
                   else self.origin(value, scope, 1) for scope, node, value in stores]
        self._visiting.discard(key)
        result = UNKNOWN_ORIGIN
        if origins and all(o.provenance is Provenance.INTEGER for o in origins):
            counted = any(value is None for _, _, value in stores)
            if key.startswith("var "):
                why = f"the counter {name}" if counted else f"the package variable {name}, only ever set to numbers"
                result = IntegerOrigin(Provenance.INTEGER, why, stores[0][1])
            else:
                example = next((o for o in origins if o.why and not o.why.startswith("the constant")), origins[0])
                numbers = example.why if example.why and len(example.why) < 40 else "numbers"
                result = IntegerOrigin(Provenance.INTEGER, f"the field {name}, only ever set to {numbers}",
                                       example.source)
        self._memo[key] = result
        return result

    def _call(self, node: Node, scope: FunctionScope, depth: int) -> IntegerOrigin:
        converted = conversion(node, scope)
        if converted is not None:
            return self._converted(node, converted[1], scope, depth)
        func, args = call_parts(node)
        func = unparen(func)
        name = text(func)
        if name in ("len", "cap") and not scope.types.is_local(name):
            return IntegerOrigin(Provenance.INTEGER, f"{describe(node, 30)}", node)
        if address_integer(node, scope) is not None:
            return ADDRESS_ORIGIN  # reflect's Pointer() / UnsafeAddr()
        if func is not None and func.type == "selector_expression":
            found = self._library_call(node, func, args, scope)
            if found is not None:
                return found
        key = called_key(node, scope)
        summary = self.summaries.get(key) if key is not None else None
        if summary is not None and summary.returns is not None:
            return IntegerOrigin(Provenance.INTEGER, summary.returns.why, node)
        return UNKNOWN_ORIGIN

    def _converted(self, node: Node, operand: Node, scope: FunctionScope, depth: int) -> IntegerOrigin:
        operand_type = scope.underlying(scope.type_of(operand))
        if operand_type.kind in ("pointer", "unsafe-pointer") or is_unsafe_pointer_call(operand, scope) is not None:
            pointer = is_unsafe_pointer_call(operand, scope) or operand
            if _is_nil_pointer(pointer, scope):
                return IntegerOrigin(Provenance.INTEGER, f"{describe(node, 30)}, a nil pointer as a number",
                                     node, value=0, from_nil=True)
            return ADDRESS_ORIGIN
        found = self.origin(operand, scope, depth + 1)
        if found.provenance is Provenance.INTEGER and not found.why:
            return IntegerOrigin(found.provenance, describe(node, 30), node, found.param, found.value, found.from_nil)
        return found

    def _library_call(self, node: Node, func: Node, args: list[Node], scope: FunctionScope) -> IntegerOrigin | None:
        operand = unparen(func.child_by_field_name("operand"))
        method = text(func.child_by_field_name("field"))
        path = scope.file.imports.get(text(operand)) if operand is not None and operand.type == "identifier" \
            and not scope.types.is_local(text(operand)) else None
        if path == "runtime/cgo" and method == "NewHandle":
            return IntegerOrigin(Provenance.INTEGER, f"the cgo.Handle {describe(node, 30)}", node)
        if path == "sync/atomic" and method in _ATOMIC_ADDS:
            return IntegerOrigin(Provenance.INTEGER, f"the atomic counter {describe(node, 30)}", node)
        if path == "unsafe" and method in ("Sizeof", "Offsetof", "Alignof"):
            return IntegerOrigin(Provenance.INTEGER, describe(node, 30), node)
        if path is None and method in ("Add", "Load"):
            counter = scope.type_of(operand)
            if counter.kind == "pointer" and counter.elem is not None:
                counter = counter.elem
            prefix, _, type_name = counter.name.rpartition(".")
            if counter.kind == "named" and scope.file.imports.get(prefix) == "sync/atomic" \
                    and type_name in _ATOMIC_COUNTERS:
                return IntegerOrigin(Provenance.INTEGER, f"the atomic counter {describe(operand, 30)}", node)
        return None


# ----- helpers ------------------------------------------------------------------------------
def _combined(parts: list[IntegerOrigin], node: Node) -> IntegerOrigin:
    """Arithmetic: an address when any operand is one, a number when all are."""
    if any(p.provenance is Provenance.ADDRESS for p in parts):
        return ADDRESS_ORIGIN
    from_nil = any(p.from_nil for p in parts)
    params = {p.param for p in parts if p.param is not None}
    if all(p.provenance is Provenance.INTEGER for p in parts):
        values = [p.value for p in parts]
        value = None if None in values else _arithmetic(text(node.child_by_field_name("operator")), values)
        why = next((p.why for p in parts if p.why and p.value is None), "") or parts[0].why
        return IntegerOrigin(Provenance.INTEGER, why, node, value=value, from_nil=from_nil)
    if len(params) == 1 and all(p.provenance is Provenance.INTEGER or p.param is not None for p in parts):
        return IntegerOrigin(Provenance.UNKNOWN, "", node, params.pop(), from_nil=from_nil)
    return IntegerOrigin(Provenance.UNKNOWN, from_nil=from_nil)


def _arithmetic(operator: str, values: list[int | None]) -> int | None:
    left, right = values
    if left is None or right is None:
        return None
    return {"+": left + right, "-": left - right, "*": left * right, "|": left | right,
            "&": left & right, "^": left ^ right}.get(operator)


def _mutation_origin(node: Node, origin_of: object) -> IntegerOrigin:
    """What ``x++`` or ``x += v`` stores: a number when ``v`` is one."""
    if node.type in ("inc_statement", "dec_statement"):
        return IntegerOrigin(Provenance.INTEGER)
    if node.type == "assignment_statement":
        values = [c for c in node.child_by_field_name("right").named_children if c.type != "comment"]
        return origin_of(values[0]) if len(values) == 1 else UNKNOWN_ORIGIN  # type: ignore[operator]
    return UNKNOWN_ORIGIN


def _package_stores(scopes: list[FunctionScope]) -> dict[str, list[tuple[FunctionScope, Node, Node | None]]]:
    """Every store into a package variable (``var name``) or a struct field (``field T.f``):
    (scope, statement, stored value; None for ``x++`` and ``x += v``, read from the statement)."""
    stores: dict[str, list[tuple[FunctionScope, Node, Node | None]]] = {}
    if not scopes:
        return stores
    package = scopes[0].package
    for name, info in package.symbols.globals.items():
        if not info.is_const:
            stores.setdefault(f"var {name}", [])
            if info.value is not None:
                stores[f"var {name}"].append((scopes[0], info.node, info.value))
    for scope in scopes:
        for node in nodes_of_type(scope.node, "assignment_statement", "inc_statement", "dec_statement",
                                  "composite_literal"):
            if node.type == "composite_literal":
                _literal_stores(node, scope, stores)
                continue
            plain = node.type == "assignment_statement" and text(node.child_by_field_name("operator")) == "="
            targets = _named_children(node.child_by_field_name("left")) if node.type == "assignment_statement" \
                else node.named_children[:1]
            values = _named_children(node.child_by_field_name("right")) if plain else []
            for index, target in enumerate(targets):
                key = _store_key(unparen(target), scope)
                if key is not None:
                    value = values[index] if plain and len(values) == len(targets) else None
                    stores.setdefault(key, []).append((scope, node, value if plain else None))
                    if plain and value is None:
                        stores[key].append((scope, node, node))  # a multi-value call: unknown
    return stores


def _literal_stores(node: Node, scope: FunctionScope, stores: dict) -> None:
    owner = _struct_name(scope.type_of(node), scope)
    body = node.child_by_field_name("body")
    struct = scope.underlying(scope.type_of(node))
    if not owner or body is None or struct.kind != "struct":
        return
    elements = [e for e in body.named_children if e.type in ("keyed_element", "literal_element")]
    for position, element in enumerate(elements):
        if element.type == "keyed_element":
            key_node = element.child_by_field_name("key") or element.named_children[0]
            value_node = element.child_by_field_name("value") or element.named_children[-1]
            field_name = text(key_node).strip()
        elif position < len(struct.fields):
            field_name, value_node = struct.fields[position][0], element
        else:
            continue
        value = value_node.named_children[0] if value_node.type == "literal_element" and value_node.named_children \
            else value_node
        stores.setdefault(f"field {owner}.{field_name}", []).append((scope, element, value))


def _store_key(target: Node | None, scope: FunctionScope) -> str | None:
    if target is None:
        return None
    if target.type == "identifier":
        name = text(target)
        return None if scope.types.is_local(name) else f"var {name}"
    if target.type == "selector_expression" and c_name(target) is None:
        owner = _struct_name(scope.type_of(target.child_by_field_name("operand")), scope)
        return f"field {owner}.{text(target.child_by_field_name('field'))}" if owner else None
    return None


def _struct_name(t: GoType, scope: FunctionScope) -> str:
    if t.kind == "pointer" and t.elem is not None:
        t = t.elem
    return t.name if t.kind == "named" and "." not in t.name else ""


def _named_children(node: Node | None) -> list[Node]:
    return [c for c in node.named_children if c.type != "comment"] if node is not None else []


def _is_handle(t: GoType, scope: FunctionScope) -> bool:
    prefix, _, name = t.name.rpartition(".")
    return t.kind == "named" and name == "Handle" and scope.file.imports.get(prefix) == "runtime/cgo"


def _integer_conversion(node: Node, scope: FunctionScope) -> bool:
    converted = conversion(node, scope)
    return converted is not None and is_integer_type(converted[0], scope)


def _is_nil_pointer(node: Node | None, scope: FunctionScope) -> bool:
    node = unparen(node)
    if node is None:
        return False
    if node.type == "nil":
        return True
    inner = is_unsafe_pointer_call(node, scope)
    if inner is not None:
        return _is_nil_pointer(inner, scope)
    if node.type != "identifier":
        return False
    binding = scope.settled(text(node), node)
    if binding is None:
        return False
    return (binding.value is None and _declared_without_value(binding.statement)) or (
        binding.value is not None and unparen(binding.value).type == "nil")


def _declared_without_value(statement: Node) -> bool:
    return statement.type == "var_spec" and statement.child_by_field_name("value") is None


def _is_range_index(node: Node, scope: FunctionScope) -> bool:
    """The first variable of a ``for i := range`` over a slice, array, string or integer."""
    name = text(node)
    for clause in nodes_of_type(scope.node, "range_clause"):
        left = clause.child_by_field_name("left")
        names = _named_children(left)
        if not names or text(names[0]) != name:
            continue
        over = scope.underlying(scope.type_of(clause.child_by_field_name("right")))
        return over.kind in ("slice", "array") or (over.kind == "basic" and over.name in ("string", "int")) \
            or is_integer_type(over, scope)
    return False
