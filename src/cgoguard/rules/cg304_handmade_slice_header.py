"""Hand-made slice header: a `reflect.SliceHeader` or `reflect.StringHeader` built or forged
instead of derived from a real slice or string.

## What it finds

* a composite literal of `reflect.SliceHeader` / `reflect.StringHeader` (or a type defined
  from one), and `new(reflect.SliceHeader)`;
* `unsafe.Pointer(&h)` where `h` is a header *value* (declared with `var h reflect.SliceHeader`,
  copied out of a real header, or a header field of a struct), typically turned into
  `*(*[]byte)(unsafe.Pointer(&h))`;
* a header pointer forged from memory that is not a slice or string of the right kind, such as
  `(*reflect.SliceHeader)(unsafe.Pointer(&someStruct))` or a SliceHeader laid over a string.

Not reported: `(*reflect.SliceHeader)(unsafe.Pointer(&s))` for a real slice `s` (and
StringHeader over a string or slice), and reading `.Data` through such a pointer.

## Why it matters

A header's `Data` field is a `uintptr`, invisible to the GC. A slice made from a hand-built
header does not keep its backing memory alive while the header exists, and a header value
that is not the slice's own header is not updated or scanned as one: the memory can be freed
and reused while the resulting slice still points at it (golang/go #40701; the go-safer
study found dozens of these in popular packages). A header forged over other memory reads a
length or capacity out of unrelated words.

## Example

```go
var h reflect.SliceHeader
h.Data = uintptr(unsafe.Pointer(cbuf))
h.Len, h.Cap = n, n
b := *(*[]byte)(unsafe.Pointer(&h))
```

## Fix

Since Go 1.17 build slices and strings from a pointer and a length directly:

```go
b := unsafe.Slice((*byte)(unsafe.Pointer(cbuf)), n)
s := unsafe.String((*byte)(unsafe.Pointer(cbuf)), n)
```

## Severity

`info` when the header's Data is C memory (the collector never moves or frees it: the header
is deprecated, not dangerous); `error` when it is Go memory or its origin is unknown, and for
a header laid over memory that is not a slice or string. See `cgoguard explain severity`.
"""

from __future__ import annotations

from tree_sitter import Node

from cgoguard.analysis.unsafeflow import (
    Binding,
    FunctionScope,
    Origin,
    conversion,
    describe,
    is_unsafe_pointer_call,
    pointer_origin,
)
from cgoguard.findings import Severity
from cgoguard.gofront.syntax import call_parts, nodes_of_type, text, unparen
from cgoguard.gofront.types import GoType, type_from_node
from cgoguard.rules.analyses import shared_scopes
from cgoguard.rules.base import RuleContext, RuleMeta
from cgoguard.rules.severity import Certainty, graded

META = RuleMeta(
    id="CG304",
    name="handmade-slice-header",
    category="unsafe-pointer-misuse",
    severity=Severity.ERROR,
    title="reflect.SliceHeader or StringHeader built or forged by hand",
)
_FIX = "build the slice with unsafe.Slice(ptr, n) (or the string with unsafe.String(ptr, n))"


def check(ctx: RuleContext) -> None:
    # Every finding needs a reflect header type, and naming one (reflect.SliceHeader, or a
    # package type defined from it) takes a file of the package importing reflect.
    if not any("reflect" in file.imports.values() for file in ctx.package.files):
        return
    for scope in shared_scopes(ctx):
        for node in nodes_of_type(scope.body, "composite_literal", "call_expression", "type_conversion_expression"):
            if node.type == "composite_literal":
                _check_literal(ctx, scope, node)
            elif node.type in ("call_expression", "type_conversion_expression"):
                _check_call(ctx, scope, node)


def header_kind(t: GoType, scope: FunctionScope, depth: int = 0) -> str | None:
    """``"SliceHeader"`` / ``"StringHeader"`` when ``t`` is (defined from) that reflect type."""
    reflect = scope.imports_as("reflect")
    if t.kind != "named" or depth > 8:
        return None
    for kind in ("SliceHeader", "StringHeader"):
        if reflect is not None and t.name == f"{reflect}.{kind}":
            return kind
    declared = scope.package.symbols.types.get(t.name)
    if declared is None:
        return None
    inner = declared.type
    if inner.kind == "named" and inner.name.endswith((".SliceHeader", ".StringHeader")) and \
            declared.file.imports.get(inner.name.split(".")[0]) == "reflect":
        return inner.name.rsplit(".", 1)[1]
    return header_kind(inner, scope, depth + 1)


def _check_literal(ctx: RuleContext, scope: FunctionScope, literal: Node) -> None:
    kind = header_kind(type_from_node(literal.child_by_field_name("type")), scope)
    if kind is None:
        return
    data = _data_value(literal) or _data_assigned_later(literal, scope)
    if data is not None and _data_origin(data, scope) is Origin.C:
        # C memory is not collected, so this works today; it is still a deprecated hand-built header.
        ctx.report(META, scope.file, literal,
                   f"reflect.{kind} built as a composite literal over C memory ({describe(data, 40)}): reflect "
                   f"headers are deprecated since Go 1.21 and a literal is not a real slice header; {_FIX}",
                   severity=graded(META, Certainty.ADVICE))
        return
    ctx.report(META, scope.file, literal,
               f"reflect.{kind} built as a composite literal: its Data is a uintptr the GC does not see, "
               f"so nothing keeps the memory alive for the slice made from it; {_FIX}")


def _data_value(literal: Node) -> Node | None:
    body = literal.child_by_field_name("body")
    for element in body.named_children if body is not None else []:
        key = element.child_by_field_name("key") if element.type == "keyed_element" else None
        value = element.child_by_field_name("value") if key is not None else None
        if key is not None and text(key) == "Data" and value is not None:
            return value.named_children[0] if value.named_children else value
    return None


def _data_assigned_later(literal: Node, scope: FunctionScope) -> Node | None:
    """For ``h := reflect.SliceHeader{}`` followed by ``h.Data = ...``: that value."""
    declaration = literal.parent.parent if literal.parent is not None else None
    if declaration is None or declaration.type != "short_var_declaration":
        return None
    names = declaration.child_by_field_name("left")
    name = text(names.named_children[0]) if names is not None and names.named_children else ""
    for node in nodes_of_type(scope.body, "assignment_statement"):
        if node.start_byte < literal.end_byte:
            continue
        targets = node.child_by_field_name("left")
        values = node.child_by_field_name("right")
        for target, value in zip(targets.named_children if targets else [],
                                 values.named_children if values else [], strict=False):
            if text(target) == f"{name}.Data":
                return value
    return None


def _data_origin(data: Node, scope: FunctionScope) -> Origin:
    converted = conversion(data, scope)
    operand = converted[1] if converted is not None else data
    pointer = is_unsafe_pointer_call(operand, scope)
    return pointer_origin(pointer if pointer is not None else operand, scope)


def _check_call(ctx: RuleContext, scope: FunctionScope, call: Node) -> None:
    func, args = call_parts(call) if call.type == "call_expression" else (None, [])
    if func is not None and text(func) == "new" and len(args) == 1 and not scope.types.is_local("new"):
        kind = header_kind(type_from_node(args[0]), scope)
        if kind is not None:
            ctx.report(META, scope.file, call,
                       f"new(reflect.{kind}) makes a header that belongs to no real slice or string; {_FIX}",
                       severity=_severity_over(_header_name(call), call, scope))
        return
    pointee = is_unsafe_pointer_call(call, scope)
    if pointee is not None:
        _check_header_value_address(ctx, scope, call, pointee)
        return
    converted = conversion(call, scope)
    if converted is not None and converted[0].kind == "pointer" and converted[0].elem is not None:
        kind = header_kind(converted[0].elem, scope)
        if kind is not None:
            _check_forged_pointer(ctx, scope, call, kind, converted[1])


def _check_header_value_address(ctx: RuleContext, scope: FunctionScope, call: Node, operand: Node) -> None:
    operand = unparen(operand)
    if operand is None or operand.type != "unary_expression" or text(operand.child_by_field_name("operator")) != "&":
        return
    variable = unparen(operand.child_by_field_name("operand"))
    if variable is None or variable.type not in ("identifier", "selector_expression"):
        return
    # A header variable, or a header field of a struct (go-safer's header_in_struct).
    binding = scope.reaching(text(variable), variable) if variable.type == "identifier" else None
    kind = header_kind(scope.type_of(variable), scope) or _copied_header_kind(binding, scope)
    if kind is None or (binding is not None and binding.value is not None
                        and unparen(binding.value).type == "composite_literal"):
        return  # not a header, or a literal already reported where it is built
    ctx.report(META, scope.file, call,
               f"unsafe.Pointer(&{text(variable)}) reinterprets the reflect.{kind} value {text(variable)}, which "
               f"is not the header of any real slice or string: the memory its Data names is not kept alive; "
               f"{_FIX}", severity=_severity_over(text(variable), call, scope))


def _header_name(call: Node) -> str:
    """``h`` of ``h := new(reflect.SliceHeader)``."""
    statement = call.parent.parent if call.parent is not None else None
    left = statement.child_by_field_name("left") if statement is not None else None
    return text(left.named_children[0]) if left is not None and left.named_children else ""


def _severity_over(header: str, at: Node, scope: FunctionScope) -> Severity:
    """Advice when every ``header.Data = ...`` before ``at`` stores C memory, which the collector
    neither moves nor frees; the rule's default when the Data is Go memory or unknown."""
    stored = [value for target, value in _assignments(scope) if text(target) == f"{header}.Data"
              and target.start_byte < at.start_byte]
    if header and stored and all(_data_origin(value, scope) is Origin.C for value in stored):
        return graded(META, Certainty.ADVICE)
    return graded(META)


def _assignments(scope: FunctionScope) -> list[tuple[Node, Node]]:
    pairs: list[tuple[Node, Node]] = []
    for node in nodes_of_type(scope.body, "assignment_statement"):
        targets, values = node.child_by_field_name("left"), node.child_by_field_name("right")
        pairs += zip(targets.named_children if targets else [], values.named_children if values else [],
                     strict=False)
    return pairs


def _copied_header_kind(binding: Binding | None, scope: FunctionScope) -> str | None:
    """The header kind of ``h := *(*reflect.SliceHeader)(p)``: a copy of some header."""
    value = unparen(binding.value) if binding is not None else None
    if value is None or value.type != "unary_expression" or text(value.child_by_field_name("operator")) != "*":
        return None
    converted = conversion(value.child_by_field_name("operand"), scope)
    if converted is None or converted[0].kind != "pointer" or converted[0].elem is None:
        return None
    return header_kind(converted[0].elem, scope)


def _check_forged_pointer(ctx: RuleContext, scope: FunctionScope, call: Node, kind: str, operand: Node) -> None:
    source = is_unsafe_pointer_call(operand, scope)
    if source is None:
        return
    source_type = scope.underlying(scope.type_of(source))
    if source_type.kind != "pointer" or source_type.elem is None:
        return
    pointee = scope.underlying(source_type.elem)
    is_string = pointee.kind == "basic" and pointee.name == "string"
    if pointee.kind == "unknown" or pointee.kind == "slice" or (kind == "StringHeader" and is_string):
        return
    what = "a string (which has no Cap word)" if is_string else f"a {source_type.elem}"
    ctx.report(META, scope.file, call,
               f"(*reflect.{kind}) laid over {describe(source)}, {what}, not a "
               f"{'slice' if kind == 'SliceHeader' else 'string'}: the header's words are unrelated memory; {_FIX}")
