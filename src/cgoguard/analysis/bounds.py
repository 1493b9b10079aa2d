"""How far a pointer may go: sizes the code establishes, and offsets it computes.

Unsafe pointer arithmetic is only valid inside the allocation it started from. This module
gives, for a pointer expression, its **extent**: how many bytes are known to follow it, from
what the code itself establishes (a Go variable's type size on linux/amd64, ``C.malloc(n)``,
``C.calloc(n, size)``, a slice made with a known length, ``unsafe.Slice(p, n)``, ``(*[N]T)``
array views) and the offsets already applied (``unsafe.Add``, ``uintptr(p) + off``). Offsets
and sizes are :class:`Linear` forms over symbols (``4*n + 4``), so ``for i := 0; i <= n; i++``
over ``C.malloc(n * 4)`` is as decidable as constants: a difference with no symbol left is a
number. Loop variables of ``for i := a; i < b; i++`` range over ``[a, b-1]``.

Anything not established in the function (a parameter's length, a size read from memory) is
unknown, and unknown is never reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from cgoguard.analysis.functions import unchanged_param
from cgoguard.analysis.unsafeflow import (
    MAX_DEPTH,
    FunctionScope,
    Origin,
    c_call_name,
    c_layout,
    constant_value,
    constant_value_text,
    conversion,
    describe,
    is_unsafe_pointer_call,
    layout,
    pointer_origin,
)
from cgoguard.gofront.syntax import call_parts, text, unparen
from cgoguard.gofront.types import GoType


@dataclass(frozen=True)
class Linear:
    """``constant + sum(coefficient * symbol)``."""

    constant: int
    terms: tuple[tuple[str, int], ...] = ()

    def __add__(self, other: Linear) -> Linear:
        merged = dict(self.terms)
        for symbol, coefficient in other.terms:
            merged[symbol] = merged.get(symbol, 0) + coefficient
        return Linear(self.constant + other.constant, tuple(sorted((s, c) for s, c in merged.items() if c)))

    def __neg__(self) -> Linear:
        return self.scaled(-1)

    def __sub__(self, other: Linear) -> Linear:
        return self + -other

    def scaled(self, factor: int) -> Linear:
        return Linear(self.constant * factor, tuple((s, c * factor) for s, c in self.terms if c * factor))

    @property
    def is_constant(self) -> bool:
        return not self.terms

    def __str__(self) -> str:
        parts = [f"{'' if c == 1 else c}{'*' if c != 1 else ''}{s.split('@')[0]}" for s, c in self.terms]
        if self.constant or not parts:
            parts.append(str(self.constant))
        return " + ".join(parts).replace("+ -", "- ")


ZERO = Linear(0)


@dataclass(frozen=True)
class Range:
    low: Linear
    high: Linear

    @classmethod
    def exactly(cls, value: Linear) -> Range:
        return cls(value, value)


@dataclass(frozen=True)
class Extent:
    """The bytes known to follow a pointer, and what establishes them."""

    size: Linear  # bytes of the whole region
    what: str  # "C.malloc(16)", "the variable v (int64)"
    node: Node = field(compare=False)  # where the region is established
    go_memory: bool  # a Go allocation: a pointer past its end is invalid, checkptr checks it
    offset: Range = Range(ZERO, ZERO)  # how far into the region the pointer already is

    def moved(self, by: Range) -> Extent:
        return Extent(self.size, self.what, self.node, self.go_memory,
                      Range(self.offset.low + by.low, self.offset.high + by.high))


class Bounds:
    """Extents and value ranges inside one function."""

    def __init__(self, scope: FunctionScope) -> None:
        self.scope = scope

    # ----- integer values -----------------------------------------------------------------
    def value(self, node: Node | None, depth: int = 0) -> Range | None:
        """The range of an integer expression, as linear forms."""
        node = unparen(node)
        scope = self.scope
        if node is None or depth > MAX_DEPTH:
            return None
        constant = constant_value(node, scope.package)
        if constant is not None and not (node.type == "identifier" and scope.types.is_local(text(node))):
            return Range.exactly(Linear(constant))
        kind = node.type
        if kind == "identifier":
            return self._variable(node, depth)
        if kind == "binary_expression":
            return self._arithmetic(node, depth)
        if kind == "unary_expression" and text(node.child_by_field_name("operator")) == "-":
            inner = self.value(node.child_by_field_name("operand"), depth + 1)
            return Range(-inner.high, -inner.low) if inner is not None else None
        if kind in ("call_expression", "type_conversion_expression"):
            return self._call_value(node, depth)
        if kind == "selector_expression":
            name = text(node.child_by_field_name("field"))
            if text(node.child_by_field_name("operand")) == "C" and name.startswith("sizeof_"):
                found = c_layout(name.removeprefix("sizeof_"), 0, scope.package)
                return Range.exactly(Linear(found.size)) if found is not None else None
        return None

    def _variable(self, node: Node, depth: int) -> Range | None:
        scope, name = self.scope, text(node)
        binding = scope.settled(name, node)
        if binding is not None and binding.value is not None:
            return self.value(binding.value, depth + 1)
        loop = self._loop_range(node, depth)
        if loop is not None:
            return loop
        if unchanged_param(scope, name) is not None:
            return Range.exactly(Linear(0, ((f"{name}@param", 1),)))
        return None

    def _loop_range(self, node: Node, depth: int) -> Range | None:
        """``i`` in ``for i := a; i < b; i++ { ... }``: ``[a, b-1]`` (``<=``: ``[a, b]``), when the
        body never assigns ``i``."""
        name = text(node)
        current = node.parent
        while current is not None and current.type != "for_statement":
            current = current.parent
        clause = next((c for c in current.named_children if c.type == "for_clause"), None) if current else None
        if clause is None:
            return None
        init = clause.child_by_field_name("initializer")
        condition = clause.child_by_field_name("condition")
        update = clause.child_by_field_name("update")
        if init is None or condition is None or update is None or init.type != "short_var_declaration":
            return None
        declared = [c for c in init.child_by_field_name("left").named_children]
        values = [c for c in init.child_by_field_name("right").named_children]
        if len(declared) != 1 or text(declared[0]) != name or text(update) != f"{name}++":
            return None
        body = current.child_by_field_name("body")
        if body is not None and any(n.start_byte >= body.start_byte and n.end_byte <= body.end_byte
                                    for n in self.scope.mutations.get(name, ())
                                    + [b.statement for b in self.scope.bindings.get(name, [])]):
            return None
        operator = text(condition.child_by_field_name("operator"))
        if text(unparen(condition.child_by_field_name("left"))) != name or operator not in ("<", "<="):
            return None
        low = self.value(values[0], depth + 1)
        bound = self.value(condition.child_by_field_name("right"), depth + 1)
        if low is None or bound is None:
            return None
        return Range(low.low, bound.high - Linear(1 if operator == "<" else 0))

    def _arithmetic(self, node: Node, depth: int) -> Range | None:
        operator = text(node.child_by_field_name("operator"))
        left = self.value(node.child_by_field_name("left"), depth + 1)
        right = self.value(node.child_by_field_name("right"), depth + 1)
        if left is None or right is None:
            return None
        if operator == "+":
            return Range(left.low + right.low, left.high + right.high)
        if operator == "-":
            return Range(left.low - right.high, left.high - right.low)
        if operator in ("*", "<<"):
            factor_range, other = (right, left) if right.low == right.high and right.low.is_constant else (left, right)
            if factor_range.low != factor_range.high or not factor_range.low.is_constant:
                return None
            factor = factor_range.low.constant if operator == "*" else 1 << factor_range.low.constant
            low, high = other.low.scaled(factor), other.high.scaled(factor)
            return Range(low, high) if factor >= 0 else Range(high, low)
        return None

    def _call_value(self, node: Node, depth: int) -> Range | None:
        scope = self.scope
        converted = conversion(node, scope)
        if converted is not None:
            return self.value(converted[1], depth + 1)
        func, args = call_parts(node)
        name = text(unparen(func))
        unsafe_name = scope.imports_as("unsafe")
        if name == f"{unsafe_name}.Sizeof" and len(args) == 1:
            found = layout(scope.type_of(args[0]), scope.package)
            return Range.exactly(Linear(found.size)) if found is not None else None
        if name == f"{unsafe_name}.Offsetof" and len(args) == 1:
            offset = self._field_offset(unparen(args[0]))
            return Range.exactly(Linear(offset)) if offset is not None else None
        if name in ("len", "cap") and len(args) == 1 and not scope.types.is_local(name):
            count = self.length(args[0], depth + 1)
            return Range.exactly(count) if count is not None else None
        return None

    def _field_offset(self, selector: Node | None) -> int | None:
        if selector is None or selector.type != "selector_expression":
            return None
        struct = self.scope.underlying(self.scope.type_of(selector.child_by_field_name("operand")))
        if struct.kind == "pointer" and struct.elem is not None:
            struct = self.scope.underlying(struct.elem)
        wanted = text(selector.child_by_field_name("field"))
        offset = 0
        for name, field_type in struct.fields if struct.kind == "struct" else ():
            found = layout(field_type, self.scope.package)
            if found is None:
                return None
            offset = (offset + found.align - 1) // found.align * found.align
            if name == wanted:
                return offset
            offset += found.size
        return None

    def length(self, node: Node | None, depth: int = 0) -> Linear | None:
        """The element count of a slice, array or string the function establishes."""
        node = unparen(node)
        scope = self.scope
        if node is None or depth > MAX_DEPTH:
            return None
        declared = scope.underlying(scope.type_of(node))
        if declared.kind == "pointer" and declared.elem is not None:
            declared = scope.underlying(declared.elem)
        if declared.kind == "array":
            count = constant_value_text(declared.length, scope.package)
            return Linear(count) if count is not None else None
        if node.type == "interpreted_string_literal":
            return None
        if node.type == "identifier":
            binding = scope.settled(text(node), node)
            return self.length(binding.value, depth + 1) if binding is not None and binding.value is not None else \
                (Linear(0, ((f"len({text(node)})@param", 1),)) if unchanged_param(scope, text(node)) is not None
                 else None)
        if node.type == "composite_literal":
            body = node.child_by_field_name("body")
            elements = [e for e in body.named_children if e.type != "comment"] if body is not None else []
            return None if any(e.type == "keyed_element" for e in elements) else Linear(len(elements))
        if node.type == "call_expression":
            func, args = call_parts(node)
            name = text(unparen(func))
            if name == "make" and len(args) >= 2 and not scope.types.is_local("make"):
                found = self.value(args[-1], depth + 1)  # the capacity when given: the allocation
                return found.high if found is not None and found.low == found.high else None
            if name == f"{scope.imports_as('unsafe')}.Slice" and len(args) == 2:
                found = self.value(args[1], depth + 1)
                return found.high if found is not None and found.low == found.high else None
        return None

    # ----- extents --------------------------------------------------------------------------
    def extent(self, node: Node | None, depth: int = 0) -> Extent | None:
        """The region a pointer-valued expression points into, and its offset in it."""
        node = unparen(node)
        scope = self.scope
        if node is None or depth > MAX_DEPTH:
            return None
        converted = conversion(node, scope)
        if converted is not None:
            target, operand = converted
            if target.kind in ("pointer", "unsafe-pointer"):
                return self.extent(operand, depth + 1)
            return self._integer_extent(operand, depth)  # uintptr(p): the address, as an integer
        if node.type == "binary_expression" and text(node.child_by_field_name("operator")) in ("+", "-"):
            return self._moved(node.child_by_field_name("left"), node.child_by_field_name("right"),
                               text(node.child_by_field_name("operator")) == "-", depth)
        if node.type == "unary_expression" and text(node.child_by_field_name("operator")) == "&":
            return self._address(unparen(node.child_by_field_name("operand")), depth)
        if node.type == "identifier":
            binding = scope.settled(text(node), node)
            return self.extent(binding.value, depth + 1) if binding is not None and binding.value is not None else None
        if node.type == "call_expression":
            return self._call_extent(node, depth)
        return None

    def _integer_extent(self, operand: Node, depth: int) -> Extent | None:
        inner = is_unsafe_pointer_call(operand, self.scope)
        operand_type = self.scope.underlying(self.scope.type_of(operand))
        if inner is not None or operand_type.kind in ("pointer", "unsafe-pointer"):
            return self.extent(inner if inner is not None else operand, depth + 1)
        return self.extent(operand, depth + 1) if operand.type == "binary_expression" else None

    def _moved(self, base: Node | None, offset: Node | None, backwards: bool, depth: int) -> Extent | None:
        start = self.extent(base, depth + 1)
        by = self.value(offset, depth + 1)
        if start is None or by is None:
            return None
        return start.moved(Range(-by.high, -by.low) if backwards else by)

    def _address(self, operand: Node | None, depth: int) -> Extent | None:
        scope = self.scope
        if operand is None:
            return None
        if operand.type in ("identifier", "composite_literal") and not (
                operand.type == "identifier" and scope.is_param(text(operand))):
            found = layout(scope.type_of(operand), scope.package)
            if found is None:
                return None
            return Extent(Linear(found.size), f"{_name(operand)} ({scope.type_of(operand)}, {found.size} bytes)",
                          operand, True)
        if operand.type != "index_expression":
            return None
        base = operand.child_by_field_name("operand")
        elem = self._element_size(base)
        count = self.length(base, depth + 1)
        index = self.value(operand.child_by_field_name("index"), depth + 1)
        if elem is None or count is None or index is None:
            return None
        origin = pointer_origin(base, scope) if scope.underlying(scope.type_of(base)).kind != "array" else Origin.GO
        what = f"{describe(base, 30)} ({count} elements of {elem} bytes)"
        return Extent(count.scaled(elem), what, base, origin is Origin.GO).moved(
            Range(index.low.scaled(elem), index.high.scaled(elem)))

    def _element_size(self, base: Node | None) -> int | None:
        container = self.scope.underlying(self.scope.type_of(base))
        if container.kind == "pointer" and container.elem is not None:
            container = self.scope.underlying(container.elem)
        if container.kind not in ("slice", "array") or container.elem is None:
            return None
        found = layout(container.elem, self.scope.package)
        return found.size if found is not None else None

    def _call_extent(self, node: Node, depth: int) -> Extent | None:
        scope = self.scope
        func, args = call_parts(node)
        cname = c_call_name(node, scope)
        if cname in ("malloc", "calloc") and args:
            sizes = [self.value(a, depth + 1) for a in args]
            if any(s is None or s.low != s.high for s in sizes):
                return None
            size = sizes[0].high if cname == "malloc" else _product([s.high for s in sizes])  # type: ignore[union-attr]
            return Extent(size, f"C.{cname}({', '.join(describe(a, 20) for a in args)})", node, False) \
                if size is not None else None
        name = text(unparen(func))
        if name == "new" and len(args) == 1 and not scope.types.is_local("new"):
            allocated = layout(scope.type_of(node).elem or scope.type_of(args[0]), scope.package)
            return Extent(Linear(allocated.size), f"{describe(node, 30)} ({allocated.size} bytes)", node, True) \
                if allocated is not None else None
        unsafe_name = scope.imports_as("unsafe")
        if name == f"{unsafe_name}.Add" and len(args) == 2:
            return self._moved(args[0], args[1], False, depth)
        if name == f"{unsafe_name}.SliceData" and len(args) == 1:
            return self._slice_data(args[0], depth)
        return None

    def _slice_data(self, data: Node, depth: int) -> Extent | None:
        elem = self._element_size(data)
        count = self.length(data, depth + 1)
        if elem is None or count is None:
            return None
        return Extent(count.scaled(elem), f"{describe(data, 30)} ({count} elements of {elem} bytes)", data,
                      pointer_origin(data, self.scope) is Origin.GO)

    def access_size(self, target: GoType) -> int | None:
        found = layout(target, self.scope.package)
        return found.size if found is not None else None


def _product(values: list[Linear]) -> Linear | None:
    result = Linear(1)
    for value in values:
        if value.is_constant:
            result = result.scaled(value.constant)
        elif result.is_constant:
            result = value.scaled(result.constant)
        else:
            return None
    return result


def _name(node: Node) -> str:
    return f"the variable {text(node)}" if node.type == "identifier" else f"the literal {describe(node, 30)}"


def overrun(extent: Extent, access: int, *, go_pointer_only: bool) -> Linear | None:
    """How many bytes past the end of the region the furthest access goes (None: not past, or
    not decidable). ``go_pointer_only``: the pointer is formed but not dereferenced here."""
    past = extent.offset.high + Linear(access) - extent.size
    if not past.is_constant:
        return None
    if past.constant > 0 or (past.constant == 0 and access == 0 and go_pointer_only and extent.go_memory):
        return past
    return None


def underrun(extent: Extent) -> int | None:
    """How many bytes before the start of the region the pointer may be."""
    low = extent.offset.low
    return -low.constant if low.is_constant and low.constant < 0 else None
