"""Go string and []byte data handed to C code that reads a NUL-terminated string.

Go strings and slices carry their length beside the pointer; their bytes end without a 0.
For every argument that a C function reads up to its NUL (the contracts' ``string_args``:
packs, declarations, comments and C bodies), this module answers two questions:

* which Go bytes does the pointer point into? ``&b[0]``, ``unsafe.SliceData(b)``,
  ``unsafe.StringData(s)``, through conversions, settled local variables and package helpers
  that return such a pointer;
* do those bytes contain a 0 the C side stops at? Literals say so (``"name\\x00"``), and so do
  ``append(b, 0)``, ``s + "\\x00"``, short array literals; a Go string from anywhere else, a
  ``[]byte(s)`` of one, or ``C.GoString`` does not. ``make`` buffers, bytes filled by other code
  and anything the analysis cannot follow are unknown: only the known cases are reported.

Package functions get a small summary, computed to a fixpoint within the package: which
parameters reach such a read (as a pointer, or as the string/[]byte whose bytes are passed),
which parameter's bytes a helper returns a pointer into, and what the function's string or
[]byte result ends in. Callers are then judged by what they pass. A length travelling with
the pointer (``len(b)`` in the same call) means the callee is told where the bytes end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tree_sitter import Node

from cgoguard.analysis.functions import (
    called_key,
    function_key,
    parameter_type,
    returned_values,
    unchanged_param,
)
from cgoguard.analysis.unsafeflow import (
    MAX_DEPTH,
    FunctionScope,
    c_call_name,
    constant_value,
    constant_value_text,
    conversion,
    describe,
    is_byte_like,
    is_integer_type,
    is_unsafe_pointer_call,
)
from cgoguard.contracts.model import Evidence
from cgoguard.findings import Confidence
from cgoguard.gofront.syntax import call_parts, line_of, nodes_of_type, text, unparen

_CGO_HELPERS = frozenset({"CString", "CBytes", "GoString", "GoStringN", "GoBytes"})
_MAX_ROUNDS = 4


class Ending(StrEnum):
    NUL = "ends in a 0 byte"
    NONE = "has no 0 byte"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Termination:
    """What the bytes of a string or []byte value end in, and why we think so."""

    ending: Ending
    why: str = ""  # "[]byte(name)", "a Go string"
    source: Node | None = field(default=None, compare=False)  # where the bytes are made
    param: int | None = None  # the unchanged bytes of this parameter: the callers decide
    confidence: Confidence = Confidence.HIGH


UNKNOWN_END = Termination(Ending.UNKNOWN)


@dataclass(frozen=True)
class Pointee:
    """The Go bytes a pointer points into: ``data`` (a string or []byte expression) or, for a
    pointer parameter handed on unchanged, ``param``."""

    data: Node | None = None
    param: int | None = None
    is_string: bool = False  # the data is known to be a string (``unsafe.StringData(x)``)


@dataclass
class FunctionStrings:
    """What a package function does with C strings, as its callers see it."""

    reads_pointer: dict[int, str] = field(default_factory=dict)  # pointer parameter -> who reads it
    reads_data: dict[int, str] = field(default_factory=dict)  # string/[]byte parameter -> who reads its bytes
    returns_data_of: int | None = None  # the result points into this parameter's bytes


@dataclass(frozen=True)
class ReadSite:
    """An argument some C code reads as a NUL-terminated string."""

    call: Node
    arg: Node
    reader: str  # "C.puts", "logName (it hands the argument to C.puts)"
    evidence: Evidence | None  # why the C side reads a string (None for a Go wrapper)
    data_arg: bool  # the argument is the string/[]byte itself (a wrapper's data parameter)
    strength: Confidence = Confidence.HIGH


@dataclass(frozen=True)
class Verdict:
    site: ReadSite
    data: Node | None
    termination: Termination


class CStrings:
    """The package-wide analysis: read sites, summaries and verdicts."""

    def __init__(self, scopes: list[FunctionScope], contracts: Any) -> None:
        self.scopes = scopes
        self.contracts = contracts
        self.by_key = {key: scope for scope in scopes if (key := function_key(scope.node)) is not None}
        self.summaries: dict[str, FunctionStrings] = {key: FunctionStrings() for key in self.by_key}
        self._results: dict[str, Termination] = {}
        self._computing: set[str] = set()
        self._calls: dict[int, list[tuple[Node, str]]] = {}
        self._summarize()

    # ----- read sites -----------------------------------------------------------------
    def sites(self, scope: FunctionScope) -> list[ReadSite]:
        found: list[ReadSite] = []
        for call, name in self.calls_of(scope):
            args = call_parts(call)[1]
            if name.startswith("C."):
                found += [self._c_site(call, name[2:], index, arg) for index, arg in enumerate(args)
                          if self.contracts.reads_string(name[2:], index)]
                if scope.package.c.function(name[2:]) is None and self.contracts.get(name[2:]) is None:
                    found += self._undeclared_sites(call, name[2:], args, scope)
                continue
            summary = self.summaries.get(name)
            if summary is None:
                continue
            for index, arg in enumerate(args):
                for reads, data_arg in ((summary.reads_pointer, False), (summary.reads_data, True)):
                    if index in reads:
                        found.append(ReadSite(call, arg, f"{name} (it hands the argument to {reads[index]})",
                                              None, data_arg))
        return found

    def _undeclared_sites(self, call: Node, name: str, args: list[Node], scope: FunctionScope) -> list[ReadSite]:
        """A C function whose declaration is not in the tree (a library header) given a Go
        string's bytes as ``*C.char`` with no length anywhere in the call: only the NUL can tell it
        where the string ends. (Byte slices are left alone: they are as often fixed-size buffers.)"""
        if any(_may_be_length(arg, scope) for arg in args):
            return []
        found = []
        for arg in args:
            pointee = self.pointee(arg, scope)
            target = scope.underlying(scope.type_of(arg))
            is_string = pointee is not None and (pointee.is_string or (
                pointee.data is not None and _is_string(pointee.data, scope)))
            if pointee is not None and is_string and target.kind == "pointer" and target.elem is not None \
                    and scope.underlying(target.elem).name in ("char", "schar", "uchar"):
                found.append(ReadSite(call, arg, f"C.{name}", Evidence("naming", "", "", "undeclared"), False,
                                      Confidence.MEDIUM))
        return found

    def _c_site(self, call: Node, name: str, index: int, arg: Node) -> ReadSite:
        contract = self.contracts.get(name)
        evidence = contract.string_evidence(index) if contract is not None else None
        strength = Confidence.HIGH
        if evidence is not None and evidence.kind in ("comment", "naming"):
            strength = Confidence.MEDIUM
        return ReadSite(call, arg, f"C.{name}", evidence, False, strength)

    def calls_of(self, scope: FunctionScope) -> list[tuple[Node, str]]:
        """(call, ``C.name`` or a package function's key) of the calls in a function."""
        found = self._calls.get(scope.node.id)
        if found is None:
            found = []
            for call in nodes_of_type(scope.body, "call_expression"):
                cname = c_call_name(call, scope)
                if cname is not None:
                    if cname not in _CGO_HELPERS:
                        found.append((call, f"C.{cname}"))
                elif (key := called_key(call, scope)) is not None and key in self.by_key:
                    found.append((call, key))
            self._calls[scope.node.id] = found
        return found

    @property
    def called(self) -> set[str]:
        """The package functions and methods something in the package calls."""
        return {key for scope in self.scopes for _, key in self.calls_of(scope) if not key.startswith("C.")}

    def key_of(self, scope: FunctionScope) -> str | None:
        return next((key for key, found in self.by_key.items() if found is scope), None)

    def verdict(self, site: ReadSite, scope: FunctionScope) -> Verdict | None:
        """What the bytes at a read site end in; None when they are not known Go bytes."""
        if site.data_arg:
            data: Node | None = site.arg
        else:
            pointee = self.pointee(site.arg, scope)
            if pointee is None:
                return None
            if pointee.param is not None:
                return Verdict(site, None, Termination(Ending.UNKNOWN, param=pointee.param))
            data = pointee.data
        if data is None or self._bounded(site.call, data):
            return None
        is_string = not site.data_arg and pointee.is_string
        return Verdict(site, data, self.termination(data, scope, string=is_string))

    def _bounded(self, call: Node, data: Node) -> bool:
        """``f(p, len(b))``: a length of the same bytes travels with the pointer."""
        root = _root_text(data)
        for node in nodes_of_type(call, "call_expression"):
            func, args = call_parts(node)
            if text(func) in ("len", "cap") and len(args) == 1 and _root_text(args[0]) == root:
                return True
        return False

    # ----- summaries --------------------------------------------------------------------
    def _summarize(self) -> None:
        for _ in range(_MAX_ROUNDS):
            changed = False
            for key, scope in self.by_key.items():
                updated = self._summary_of(scope)
                if updated != self.summaries[key]:
                    self.summaries[key] = updated
                    changed = True
            if not changed:
                return

    def _summary_of(self, scope: FunctionScope) -> FunctionStrings:
        summary = FunctionStrings(returns_data_of=self._returned_data_param(scope))
        for site in self.sites(scope):
            verdict = self.verdict(site, scope)
            if verdict is None or verdict.termination.param is None:
                continue
            reads = summary.reads_data if verdict.data is not None else summary.reads_pointer
            reads.setdefault(verdict.termination.param, site.reader.split(" (")[0])
        return summary

    def _returned_data_param(self, scope: FunctionScope) -> int | None:
        results = returned_values(scope)
        params = [self.termination(data, scope).param if (pointee := self.pointee(value, scope)) is not None
                  and (data := pointee.data) is not None else None for value in results]
        return params[0] if params and None not in params and len(set(params)) == 1 else None

    def result_termination(self, key: str) -> Termination:
        """What the string or []byte a package function returns ends in."""
        if key in self._results:
            return self._results[key]
        if key in self._computing:
            return UNKNOWN_END
        self._computing.add(key)
        scope = self.by_key[key]
        endings = [self.termination(value, scope) for value in returned_values(scope)]
        self._computing.discard(key)
        result = UNKNOWN_END
        if endings and all(e.ending is Ending.NUL for e in endings):
            result = Termination(Ending.NUL, f"{key}() returns bytes ending in 0")
        elif endings and all(e.ending is Ending.NONE and e.param is None for e in endings):
            result = Termination(Ending.NONE, f"the result of {key}() ({endings[0].why})", endings[0].source,
                                 confidence=min_confidence(e.confidence for e in endings))
        self._results[key] = result
        return result

    # ----- pointers ---------------------------------------------------------------------
    def pointee(self, node: Node | None, scope: FunctionScope, depth: int = 0) -> Pointee | None:
        """The Go bytes a pointer-valued expression points into, when known."""
        node = unparen(node)
        if node is None or depth > MAX_DEPTH:
            return None
        converted = conversion(node, scope)
        if converted is not None:
            target, operand = converted
            return self.pointee(operand, scope, depth + 1) if target.kind in ("pointer", "unsafe-pointer") else None
        if node.type == "unary_expression" and text(node.child_by_field_name("operator")) == "&":
            return self._addressed(unparen(node.child_by_field_name("operand")), scope)
        if node.type == "call_expression":
            return self._returned_pointee(node, scope)
        if node.type == "identifier":
            binding = scope.settled(text(node), node)
            if binding is not None and binding.value is not None:
                return self.pointee(binding.value, scope, depth + 1)
            if binding is not None and (call := _first_of_call(binding)) is not None:
                return self._returned_pointee(call, scope)  # `p, _ := helper(s)`
            param = unchanged_param(scope, text(node))
            if param is not None and scope.underlying(scope.type_of(node)).kind in ("pointer", "unsafe-pointer"):
                return Pointee(param=param)
        if node.type == "selector_expression" and text(node.child_by_field_name("field")) == "Data":
            return self._header_data(unparen(node.child_by_field_name("operand")), scope, depth)
        return None

    def _header_data(self, header: Node | None, scope: FunctionScope, depth: int) -> Pointee | None:
        """``h.Data`` of ``h := (*stringHeader)(unsafe.Pointer(&s))``: the bytes of ``s``."""
        if header is not None and header.type == "identifier":
            binding = scope.settled(text(header), header)
            header = unparen(binding.value) if binding is not None and binding.value is not None else None
        converted = conversion(header, scope) if header is not None else None
        if converted is None or converted[0].kind != "pointer":
            return None
        address = unparen(is_unsafe_pointer_call(converted[1], scope))
        if address is None or address.type != "unary_expression" or text(address.child_by_field_name("operator")) != "&":
            return None
        data = unparen(address.child_by_field_name("operand"))
        kind = scope.underlying(scope.type_of(data)) if data is not None else None
        if kind is None or not ((kind.kind == "basic" and kind.name == "string") or kind.kind == "slice"):
            return None
        return Pointee(data=data, is_string=kind.kind == "basic")

    def _addressed(self, operand: Node | None, scope: FunctionScope) -> Pointee | None:
        if operand is None:
            return None
        base = operand.child_by_field_name("operand") if operand.type == "index_expression" else operand
        base_type = scope.underlying(scope.type_of(base))
        if base_type.kind == "pointer" and base_type.elem is not None:
            base_type = scope.underlying(base_type.elem)
        holds_bytes = base_type.kind in ("slice", "array") and base_type.elem is not None \
            and is_byte_like(scope.underlying(base_type.elem))
        if operand.type == "index_expression" and (holds_bytes or base_type.kind == "unknown"):
            return Pointee(data=base)
        return Pointee(data=operand) if operand.type != "index_expression" and base_type.kind == "array" \
            and holds_bytes else None

    def _returned_pointee(self, call: Node, scope: FunctionScope) -> Pointee | None:
        func, args = call_parts(call)
        unsafe_name = scope.imports_as("unsafe")
        name = text(unparen(func))
        if unsafe_name is not None and name in (f"{unsafe_name}.StringData", f"{unsafe_name}.SliceData") and args:
            return Pointee(data=args[0], is_string=name.endswith("StringData"))
        key = called_key(call, scope)
        summary = self.summaries.get(key) if key is not None else None
        if summary is not None and summary.returns_data_of is not None and summary.returns_data_of < len(args):
            declared = scope.underlying(parameter_type(self.by_key[key], summary.returns_data_of))  # type: ignore[index]
            return Pointee(data=args[summary.returns_data_of],
                           is_string=declared.kind == "basic" and declared.name == "string")
        return None

    # ----- what bytes end in ------------------------------------------------------------
    def termination(self, node: Node | None, scope: FunctionScope, depth: int = 0, *,
                    string: bool = False) -> Termination:
        """What the bytes of ``node`` end in; ``string``: the context proves it is a string."""
        node = unparen(node)
        string = string or _is_string(node, scope) if node is not None else False
        if node is None or depth > MAX_DEPTH:
            return UNKNOWN_END
        kind = node.type
        if kind == "interpreted_string_literal":
            ending = Ending.NUL if literal_has_nul(text(node)) else Ending.NONE
            return Termination(ending, f"the literal {describe(node, 30)}", node)
        if kind == "raw_string_literal":
            return Termination(Ending.NONE, f"the literal {describe(node, 30)}", node)
        if kind == "binary_expression" and text(node.child_by_field_name("operator")) == "+":
            return self._concatenation(node, scope, depth)
        if kind == "composite_literal":
            return self._composite(node, scope)
        if kind == "identifier":
            return self._variable(node, scope, depth, string)
        if kind == "slice_expression":
            return self.termination(node.child_by_field_name("operand"), scope, depth + 1, string=string)
        if kind in ("call_expression", "type_conversion_expression"):
            return self._call(node, scope, depth, string)
        if kind == "selector_expression" and not string:
            return self._literal_field(node, scope, depth)
        if string:
            return Termination(Ending.NONE, f"the Go string {describe(node, 40)}", node, confidence=Confidence.MEDIUM)
        return UNKNOWN_END

    def _concatenation(self, node: Node, scope: FunctionScope, depth: int) -> Termination:
        parts = [self.termination(node.child_by_field_name(side), scope, depth + 1, string=True)
                 for side in ("left", "right")]
        if any(p.ending is Ending.NUL for p in parts):
            return Termination(Ending.NUL, f"{describe(node, 40)} holds a 0 byte", node)
        return _joined(parts, f"the concatenation {describe(node, 40)}", node)

    def _composite(self, node: Node, scope: FunctionScope) -> Termination:
        literal_type = scope.underlying(scope.type_of(node))
        body = node.child_by_field_name("body")
        if literal_type.kind not in ("slice", "array") or body is None or literal_type.elem is None \
                or not is_byte_like(scope.underlying(literal_type.elem)):
            return UNKNOWN_END
        elements = [e for e in body.named_children if e.type != "comment"]
        if any(e.type == "keyed_element" for e in elements):
            return UNKNOWN_END
        values = [_byte_value(e.named_children[0] if e.named_children else e, scope) for e in elements]
        length = constant_value_text(literal_type.length, scope.package) if literal_type.kind == "array" else None
        if 0 in values or (length is not None and len(values) < length):
            return Termination(Ending.NUL, f"{describe(node, 40)} holds a 0 byte", node)
        if values and None not in values and (literal_type.kind == "slice" or length == len(values)):
            return Termination(Ending.NONE, f"the literal {describe(node, 40)}, whose last byte is not 0", node)
        return UNKNOWN_END

    def _variable(self, node: Node, scope: FunctionScope, depth: int, string: bool) -> Termination:
        name = text(node)
        if name == "nil":
            return UNKNOWN_END
        binding = scope.settled(name, node)
        if binding is not None:
            if binding.value is None or (not string and self._touched(scope, binding, node)):
                return UNKNOWN_END
            found = self.termination(binding.value, scope, depth + 1, string=string)
            if found.ending is Ending.NONE and found.source is None:
                return Termination(found.ending, found.why, binding.value, found.param, found.confidence)
            return found
        param = unchanged_param(scope, text(node))
        if param is not None:
            return Termination(Ending.UNKNOWN, param=param)
        if scope.reaching(name, node) is None and not scope.types.is_local(name):
            glob = scope.package.symbols.globals.get(name)
            if glob is not None and glob.is_const and glob.value is not None:
                return self.termination(glob.value, scope, depth + 1)
        if scope.types.is_local(name) and scope.reaching(name, node) is not None:
            return UNKNOWN_END  # assigned on some paths only: which value arrives is not settled
        if string:
            return Termination(Ending.NONE, f"the Go string {name}", node, confidence=Confidence.MEDIUM)
        return UNKNOWN_END

    def _literal_field(self, node: Node, scope: FunctionScope, depth: int) -> Termination:
        """``m.word`` of a local ``m := message{word: [8]byte{...}}`` not touched since."""
        operand = unparen(node.child_by_field_name("operand"))
        if operand is None or operand.type != "identifier":
            return UNKNOWN_END
        binding = scope.settled(text(operand), operand)
        literal = unparen(binding.value) if binding is not None else None
        if binding is None or literal is None or literal.type != "composite_literal" \
                or self._touched(scope, binding, node):
            return UNKNOWN_END
        wanted = text(node.child_by_field_name("field"))
        body = literal.child_by_field_name("body")
        for element in body.named_children if body is not None else []:
            key = element.child_by_field_name("key") if element.type == "keyed_element" else None
            if key is None and element.type == "keyed_element":
                key = element.named_children[0] if element.named_children else None
            if key is not None and text(key).strip() == wanted:
                value = element.child_by_field_name("value") or element.named_children[-1]
                inner = value.named_children[0] if value.type == "literal_element" and value.named_children else value
                return self.termination(inner, scope, depth + 1)
        return UNKNOWN_END

    def _touched(self, scope: FunctionScope, binding: Any, use: Node) -> bool:
        """Whether a []byte variable is used between its binding and ``use`` in a way that may
        write its bytes (anything but ``len``/``cap``)."""
        name = text(binding.name_node)
        for occurrence in scope.occurrences({name}):
            if not binding.statement.end_byte <= occurrence.start_byte < use.start_byte:
                continue
            parent = occurrence.parent.parent if occurrence.parent is not None else None
            if parent is None or not (_measured(parent) or _published(occurrence, scope)):
                return True
        return False

    def _call(self, node: Node, scope: FunctionScope, depth: int, string: bool) -> Termination:
        converted = conversion(node, scope)
        if converted is not None:
            target, operand = converted
            target = scope.underlying(target)
            code = _byte_value(operand, scope)
            if target.kind == "basic" and target.name == "string" and code is not None:
                ending = Ending.NUL if code == 0 else Ending.NONE  # string(rune(0)), string(rune('a'))
                return Termination(ending, f"{describe(node, 30)}", node)
            if (target.kind == "basic" and target.name == "string") or target.kind == "slice":
                # `[]byte(x)`: x is a string (converting a []byte to its own type is pointless).
                found = self.termination(operand, scope, depth + 1, string=True)
                if found.ending is Ending.NONE:
                    return Termination(Ending.NONE, f"{describe(node, 40)}, a copy of {found.why}", node,
                                       found.param, found.confidence)
                return found
            return UNKNOWN_END
        func, args = call_parts(node)
        func = unparen(func)
        name = text(func)
        if name == "append" and not scope.types.is_local("append") and args:
            return self._append(node, args, scope, depth)
        cname = c_call_name(node, scope)
        if cname == "GoString":
            return Termination(Ending.NONE, f"{describe(node, 40)} (C.GoString drops the NUL)", node)
        if cname is not None:
            return UNKNOWN_END
        key = called_key(node, scope)
        if key is not None and key in self.by_key:
            found = self.result_termination(key)
            return Termination(found.ending, found.why, node, None, found.confidence) if found.source is None \
                and found.ending is Ending.NONE else found
        if _is_standard_library_call(func, scope) and string and not any(
                self.termination(a, scope, depth + 1).ending is Ending.NUL for a in args):
            return Termination(Ending.NONE, f"the Go string {describe(node, 40)}", node)
        return UNKNOWN_END

    def _append(self, node: Node, args: list[Node], scope: FunctionScope, depth: int) -> Termination:
        base = self.termination(args[0], scope, depth + 1)
        spread = node.child_by_field_name("arguments")
        is_spread = spread is not None and any(c.type == "..." for c in spread.children)
        if is_spread:
            added = [self.termination(args[-1], scope, depth + 1)] if len(args) > 1 else []
            values: list[int | None] = []
        else:
            added = []
            values = [_byte_value(a, scope) for a in args[1:]]
        if base.ending is Ending.NUL or 0 in values or any(a.ending is Ending.NUL for a in added):
            return Termination(Ending.NUL, f"{describe(node, 40)} appends a 0 byte", node)
        if None in values:
            return UNKNOWN_END
        return _joined([base, *added], f"{describe(node, 40)}, which appends no 0 byte", node)


# ----- helpers ------------------------------------------------------------------------------
def _joined(parts: list[Termination], why: str, node: Node) -> Termination:
    """Bytes put together from parts none of which holds a 0: none, or, when one part is a
    parameter's bytes, whatever the callers pass there."""
    params = {p.param for p in parts if p.param is not None}
    if any(p.ending is not Ending.NONE and p.param is None for p in parts) or len(params) > 1:
        return UNKNOWN_END
    if params:
        return Termination(Ending.UNKNOWN, why, node, params.pop())
    return Termination(Ending.NONE, why, node, confidence=min_confidence(p.confidence for p in parts))


def _may_be_length(arg: Node, scope: FunctionScope) -> bool:
    """A non-constant integer argument: it may tell the callee how long a buffer is."""
    return is_integer_type(scope.type_of(arg), scope) and constant_value(arg, scope.package) is None


def _first_of_call(binding: Any) -> Node | None:
    """The call of ``a, b := f(x)`` when the binding is its first name."""
    statement = binding.statement
    if statement.type not in ("short_var_declaration", "assignment_statement"):
        return None
    names = statement.child_by_field_name("left").named_children
    values = statement.child_by_field_name("right").named_children
    call = unparen(values[0]) if len(values) == 1 else None
    if call is None or call.type != "call_expression" or not names or names[0].id != binding.name_node.id:
        return None
    return call


def _measured(node: Node) -> bool:
    """``len(b)``, ``cap(b)``."""
    return node.type == "call_expression" and text(node.child_by_field_name("function")) in ("len", "cap")


def _published(occurrence: Node, scope: FunctionScope) -> bool:
    """``sink = b``, ``obj.data = b``: the slice is stored somewhere that is not a local; its bytes
    are not written here."""
    values = occurrence.parent
    statement = values.parent if values is not None else None
    if values is None or statement is None or statement.type != "assignment_statement" \
            or values.id != statement.child_by_field_name("right").id:
        return False
    targets = [unparen(t) for t in statement.child_by_field_name("left").named_children]
    return all(t is not None and (t.type == "selector_expression" or (
        t.type == "identifier" and not scope.types.is_local(text(t)))) for t in targets)


def literal_has_nul(literal: str) -> bool:
    """Whether an interpreted Go string literal (with its quotes) holds a 0 byte."""
    body, index = literal[1:-1], 0
    while index < len(body):
        char = body[index]
        if char == "\0":
            return True
        if char != "\\" or index + 1 >= len(body):
            index += 1
            continue
        kind = body[index + 1]
        width = {"x": 2, "u": 4, "U": 8}.get(kind, 3 if kind in "01234567" else 0)
        digits = body[index + 2:index + 2 + width] if kind in "xuU" else body[index + 1:index + 1 + width]
        if width and digits and int(digits, 8 if kind in "01234567" else 16) == 0:
            return True
        index += 2 + (width if kind in "xuU" else max(width - 1, 0))
    return False


def _byte_value(node: Node | None, scope: FunctionScope) -> int | None:
    node = unparen(node)
    if node is not None and node.type == "rune_literal":
        body = text(node)[1:-1]
        if len(body) == 1:
            return ord(body)
        return 0 if literal_has_nul('"' + body + '"') else 1 if body.startswith("\\") else None
    return constant_value(node, scope.package)


def _is_string(node: Node, scope: FunctionScope) -> bool:
    found = scope.underlying(scope.type_of(node))
    return found.kind == "basic" and found.name == "string"


def _is_standard_library_call(func: Node | None, scope: FunctionScope) -> bool:
    if func is None or func.type != "selector_expression":
        return False
    operand = unparen(func.child_by_field_name("operand"))
    if operand is None or operand.type != "identifier" or scope.types.is_local(text(operand)):
        return False
    path = scope.file.imports.get(text(operand))
    return path is not None and path != "C" and "." not in path.split("/")[0]


def _root_text(node: Node | None) -> str:
    node = unparen(node)
    while node is not None and node.type in ("slice_expression", "index_expression", "call_expression"):
        if node.type == "call_expression":
            args = call_parts(node)[1]
            node = unparen(args[0]) if len(args) == 1 else None
        else:
            node = unparen(node.child_by_field_name("operand"))
    return text(node) if node is not None else ""


def min_confidence(confidences: Any) -> Confidence:
    order = [Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW]
    return max(confidences, key=order.index, default=Confidence.HIGH)


def where(node: Node | None) -> str:
    return f", line {line_of(node)}" if node is not None else ""
