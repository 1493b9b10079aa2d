"""Contracts inferred from the Go side: what a package's own Go code does with C functions.

When the C library's header is not in the tree, nothing on the C side says who owns what,
but the Go code around the calls often does:

* a function that frees what ``C.f`` returned, or what ``C.f`` wrote through ``&v``, itself
  (later, or in a ``defer``) says the caller owns it, released with what it frees it with.
  ``var p *C.char; defer C.free(unsafe.Pointer(p)); C.get(&p)`` says ``get`` hands back
  memory to free, and the lifetime analysis then sees that the ``defer`` freed a nil pointer;
* an allocator and a release paired by name (``x_create``/``x_destroy``, ``x_open``/``x_close``)
  where what the allocator returned reaches the release elsewhere in the package, through a
  struct field (``t.ptr = C.x_create()`` in a constructor, ``C.x_destroy(t.ptr)`` in ``Close``).

The facts have kind ``go-usage`` and low confidence, below bodies, packs and comments: the Go
code may be the very bug to find, so any source that disagrees wins.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from tree_sitter import Node

from cgoguard.contracts.calls import CGO_COPY_HELPERS, is_c_type
from cgoguard.contracts.model import Evidence, Fact
from cgoguard.contracts.naming import deallocator_word, is_naming_pair
from cgoguard.contracts.packs import pack_facts
from cgoguard.findings import Confidence
from cgoguard.gofront.symbols import parameters
from cgoguard.gofront.syntax import c_name, call_parts, line_of, nodes_of_type, text, unparen
from cgoguard.gofront.types import GoType, type_from_node

if TYPE_CHECKING:
    from cgoguard.gofront.gofile import GoFile
    from cgoguard.gofront.package import Package

# cgo's own helpers: their ownership is built in.
_CGO_HELPERS = CGO_COPY_HELPERS | {"CString", "CBytes"}
_TEXT_LIMIT = 80
# Release verbs that mean "release memory" whatever the object; `close` and `delete` often do
# not (a window closes, a key is deleted).
_UNAMBIGUOUS = frozenset({"free", "destroy", "release", "unref", "dispose"})
# Where a value lives: ("local", function, name) or ("field", name).
Place = tuple[str, ...]


@dataclass(frozen=True)
class _Use:
    """A C call's result or out-argument landing in a place, or a place handed to a release."""

    function: str
    position: int | None  # the argument (out-arguments, releases); None for a result
    place: Place
    location: str  # "file.go:12"
    text: str
    arity: int = 0  # the call's number of arguments
    at: int = 0  # byte offset of the call
    pointer: bool = False  # products: the place is known to hold a pointer
    deferred: bool = False  # releases: `defer C.free(p)`, its argument evaluated at the defer
    nil_captured: bool = False  # releases: deferred before anything was written to the place


def go_usage_facts(package: Package) -> dict[str, list[Fact]]:
    """``go-usage`` facts of the C functions ``package`` calls, by function name."""
    products: list[_Use] = []
    releases: list[_Use] = []
    fields = _pointer_fields(package)
    for file in package.files:
        if not file.uses_cgo:
            continue
        for func in file.root.named_children:
            if func.type in ("function_declaration", "method_declaration"):
                reader = _FunctionReader(package, file, func, fields)
                products += reader.products()
                releases += reader.checked_releases()
    return _facts(products, releases)


def _pointer_fields(package: Package) -> dict[str, bool]:
    """Struct field name -> whether every field of that name in the package holds a pointer."""
    found: dict[str, bool] = {}
    for info in package.symbols.types.values():
        for name, field_type in info.type.fields if info.type.kind == "struct" else ():
            found[name] = found.get(name, True) and _is_pointer(field_type, package)
    return found


def _is_pointer(t: GoType, package: Package) -> bool:
    t = package.symbols.underlying(t)
    return t.kind in ("pointer", "unsafe-pointer") or (t.kind == "c" and package.c.is_pointer_type(t.name))


class _FunctionReader:
    """The C products and releases of one Go function (its closures included)."""

    def __init__(self, package: Package, file: GoFile, func: Node, fields: dict[str, bool]) -> None:
        self.package = package
        self.file = file
        self.func = func
        self.fields = fields
        self.scope = f"{file.display_path}:{func.start_byte}"
        self.results: list[_Use] = []
        self.releases: list[_Use] = []
        self.stored: dict[str, set[str]] = {}  # local -> fields it is stored into
        self.valueless, self.pointers = self._declarations()
        for node in nodes_of_type(func, "call_expression", "assignment_statement", "keyed_element"):
            if node.type == "call_expression":
                self._call(node)
            else:
                self._store(node)

    def products(self) -> list[_Use]:
        """Results and out-arguments, plus the struct fields each local holding one is stored into."""
        found = list(self.results)
        for use in self.results:
            if use.place[0] == "local":
                found += [replace(use, place=("field", name), pointer=use.pointer or self.fields.get(name, False))
                          for name in sorted(self.stored.get(use.place[2], ()))]
        return found

    def checked_releases(self) -> list[_Use]:
        """Releases, with ``defer C.free(p)`` marked when it ran before anything was written to ``p``."""
        checked: list[_Use] = []
        for release in self.releases:
            writes = [r.at for r in self.results if r.place == release.place]
            captured = release.deferred and release.place[0] == "local" and release.place[2] in self.valueless \
                and bool(writes) and all(at > release.at for at in writes)
            checked.append(replace(release, nil_captured=captured))
        return checked

    def _declarations(self) -> tuple[set[str], set[str]]:
        """(locals declared without a value, locals known to hold pointers)."""
        valueless: set[str] = set()
        pointers: set[str] = set()
        for field in ("receiver", "parameters"):
            for name, param_type in parameters(self.func.child_by_field_name(field)):
                if _is_pointer(param_type, self.package):
                    pointers.add(name)
        for spec in nodes_of_type(self.func, "var_spec"):
            names = {text(n) for n in spec.children_by_field_name("name")}
            if spec.child_by_field_name("value") is None:
                valueless |= names
            if _is_pointer(type_from_node(spec.child_by_field_name("type")), self.package):
                pointers |= names
        for node in nodes_of_type(self.func, "binary_expression", "call_expression"):
            pointers |= {text(n) for n in _pointer_evidence(node)}
        return valueless, pointers

    def _call(self, call: Node) -> None:
        func, args = call_parts(call)
        name = c_name(func)
        if name is None or name in _CGO_HELPERS or is_c_type(self.package.c, name):
            return
        where, shown = f"{self.file.display_path}:{line_of(call)}", _short(call)
        place = self._result_place(call)
        if place is not None:
            self.results.append(_Use(name, None, place, where, shown, at=call.start_byte, pointer=self._holds_pointer(place)))
        deferred = call.parent is not None and call.parent.type == "defer_statement"
        for index, arg in enumerate(args):
            arg = unparen(arg)
            if arg is not None and arg.type == "unary_expression" and text(arg.child_by_field_name("operator")) == "&":
                written = self._place(arg.child_by_field_name("operand"))
                # `var p *C.char; C.get(&p)`, not `p := C.CString(s); C.parse(&p)` (an input array).
                if written is not None and (written[0] == "field" or written[2] in self.valueless):
                    self.results.append(_Use(name, index, written, where, shown, at=call.start_byte,
                                             pointer=self._holds_pointer(written)))
            elif _may_release(name, index):
                released = self._place(_strip_conversions(arg))
                if released is not None:
                    self.releases.append(_Use(name, index, released, where, shown, len(args), call.start_byte,
                                              deferred=deferred))

    def _holds_pointer(self, place: Place) -> bool:
        return place[2] in self.pointers if place[0] == "local" else self.fields.get(place[1], False)

    def _store(self, node: Node) -> None:
        """``x.f = v`` or ``T{f: v}``: the local ``v`` now also lives in field ``f``."""
        if node.type == "keyed_element":
            key, value = node.child_by_field_name("key"), node.child_by_field_name("value")
            pairs = [(key, value.named_children[0] if value is not None and value.named_children else value)]
        else:
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            targets = left.named_children if left is not None else []
            values = right.named_children if right is not None else []
            pairs = list(zip(targets, values, strict=False)) if len(targets) == len(values) else []
        for target, value in pairs:
            value = _strip_conversions(value)
            field = _field_name(target, keyed=node.type == "keyed_element")
            if field and value is not None and value.type == "identifier":
                self.stored.setdefault(text(value), set()).add(field)

    def _place(self, node: Node | None) -> Place | None:
        node = unparen(node)
        if node is None:
            return None
        if node.type == "identifier" and text(node) != "_":
            return ("local", self.scope, text(node))
        operand = unparen(node.child_by_field_name("operand")) if node.type == "selector_expression" else None
        if operand is not None and operand.type == "identifier" and text(operand) in self.file.imports:
            return None  # pkg.Var of another package
        field = _field_name(node)
        return ("field", field) if field else None

    def _result_place(self, call: Node) -> Place | None:
        """Where a call's result is assigned (through conversions): a variable, or a field."""
        node = call
        while node.parent is not None and _is_conversion_of(node.parent):
            node = node.parent.parent if node.parent.type == "argument_list" else node.parent
        parent = node.parent
        if parent is not None and parent.type == "literal_element" and parent.parent is not None \
                and parent.parent.type == "keyed_element" and parent.parent.child_by_field_name("value") == parent:
            field = _field_name(parent.parent.child_by_field_name("key"), keyed=True)
            return ("field", field) if field else None
        target = _assigned_target(node)
        return self._place(target) if target is not None else None


def _may_release(name: str, position: int) -> bool:
    """``C.free``, a function the packs say frees that argument, or one named as a release."""
    if name == "free" or deallocator_word(name) is not None:
        return True
    return any(f.aspect == "frees" and f.arg == position and f.value for f in pack_facts().get(name, ()))


def _releases(product: _Use, release: _Use) -> bool:
    """Whether ``release`` releasing ``product``'s place says the product is owned: ``C.free`` or a
    documented release, or one named with an unambiguous release verb (``x_buffer_free``), in
    the same function; or anywhere, a release whose name pairs with the product's
    (``x_open``/``x_close``; not ``window_new``/``window_close``, which hides a window, nor
    ``rocksdb_delete(db, opts, key, ...)``, which deletes a key)."""
    if product.function == release.function:
        return False
    documented = release.function == "free" or any(
        f.aspect == "frees" and f.arg == release.position and f.value for f in pack_facts().get(release.function, ()))
    if product.place[0] == "local" and documented:
        return True  # (C.free takes an unsafe.Pointer: the product is a pointer)
    if not product.pointer or release.arity > 2:
        return False  # `ceph_close(mount, fd)` closes an int descriptor
    if product.place[0] == "local" and deallocator_word(release.function) in _UNAMBIGUOUS:
        return True
    return is_naming_pair(product.function, release.function)


def _facts(products: list[_Use], releases: list[_Use]) -> dict[str, list[Fact]]:
    by_place: dict[Place, list[_Use]] = {}
    for release in releases:
        by_place.setdefault(release.place, []).append(release)
    found: dict[tuple[str, str, int | None], Fact] = {}
    for product in products:
        for release in by_place.get(product.place, ()):
            # A `defer C.free(p)` that captured p while nil frees nothing: it shows intent, not
            # behaviour, and the intent is often wrong (git_branch_name's name is borrowed). It
            # counts only naming a specific release (`defer C.rados_buffer_free(reply)`); a
            # generic free needs another site that really frees what the function hands out.
            if release.nil_captured and release.function == "free":
                continue
            if _releases(product, release):
                for fact_of in _pair_facts(product, release):
                    found.setdefault(fact_of[0], fact_of[1])
    facts: dict[str, list[Fact]] = {}
    for (function, _, _), fact in found.items():
        facts.setdefault(function, []).append(fact)
    return facts


def _pair_facts(product: _Use, release: _Use) -> Iterator[tuple[tuple[str, str, int | None], Fact]]:
    how = "in the same function" if product.place[0] == "local" else f"through field .{product.place[1]}"
    product_file, product_line = product.location.rsplit(":", 1)
    where = f"line {product_line}" if release.location.startswith(product_file + ":") else product.location
    shown = f"{product.text} ({where}) … {release.text}"
    dealloc = release.function
    if product.position is None:
        evidence = Evidence("go-usage", f"returns owned (release with {dealloc}): the package releases the "
                            f"result {how}", release.location, shown)
        yield (product.function, "returns", None), Fact("returns", "owned", evidence, Confidence.LOW)
        yield (product.function, "deallocator", None), Fact("deallocator", dealloc, evidence, Confidence.LOW)
    else:
        evidence = Evidence("go-usage", f"hands back an owned object through arg {product.position} (release "
                            f"with {dealloc}): the package releases it {how}", release.location, shown)
        yield (product.function, "out", product.position), Fact("out", dealloc, evidence, Confidence.LOW,
                                                                arg=product.position)
    if dealloc != "free":
        evidence = Evidence("go-usage", f"frees arg {release.position}: the package releases what "
                            f"{product.function} hands out with it {how}", release.location, shown)
        yield (dealloc, "frees", release.position), Fact("frees", True, evidence, Confidence.LOW,
                                                         arg=release.position)


# ----- syntax --------------------------------------------------------------------------------
def _assigned_target(node: Node) -> Node | None:
    """The left-hand side ``node`` is assigned to in ``x := node``, ``x, err = node``, ``var x = node``."""
    parent = node.parent
    statement = parent.parent if parent is not None and parent.type == "expression_list" else None
    if statement is None or statement.type not in ("short_var_declaration", "assignment_statement", "var_spec"):
        return None
    if statement.type == "var_spec":
        values, targets = statement.child_by_field_name("value"), statement.children_by_field_name("name")
    else:
        values, left = statement.child_by_field_name("right"), statement.child_by_field_name("left")
        targets = left.named_children if left is not None else []
    if values != parent:
        return None
    index = next((i for i, v in enumerate(parent.named_children) if v == node), -1)
    if index >= 0 and (len(parent.named_children) == len(targets) or (len(parent.named_children) == 1 and index == 0)):
        return targets[index] if index < len(targets) else None
    return None


def _is_conversion_of(parent: Node) -> bool:
    """A parent that only converts its child: ``(x)``, ``unsafe.Pointer(x)``, ``(*C.char)(x)``."""
    if parent.type == "parenthesized_expression":
        return True
    call = parent.parent if parent.type == "argument_list" else None
    if call is None or call.type != "call_expression" or len(parent.named_children) != 1:
        return False
    return _converts(call.child_by_field_name("function"))


def _converts(func: Node | None) -> bool:
    func = unparen(func)
    if func is None:
        return False
    if func.type in ("pointer_type", "parenthesized_type", "qualified_type"):
        return True
    return text(func) in ("unsafe.Pointer", "uintptr") or (func.type == "unary_expression" and text(func).startswith("*"))


def _strip_conversions(node: Node | None) -> Node | None:
    node = unparen(node)
    while node is not None and node.type in ("call_expression", "type_conversion_expression"):
        if node.type == "type_conversion_expression":
            node = unparen(node.child_by_field_name("operand"))
            continue
        func, args = call_parts(node)
        if len(args) != 1 or not _converts(func):
            return node
        node = unparen(args[0])
    return node


def _field_name(node: Node | None, *, keyed: bool = False) -> str:
    """``f`` of ``x.f`` (not ``C.f`` nor ``pkg.f``), or of a composite literal's key ``f:``."""
    node = unparen(node)
    if node is None:
        return ""
    if keyed:
        inner = node.named_children[0] if node.type == "literal_element" and node.named_children else node
        return text(inner) if inner.type in ("identifier", "field_identifier") else ""
    if node.type != "selector_expression" or c_name(node) is not None:
        return ""
    return text(node.child_by_field_name("field"))


def _pointer_evidence(node: Node) -> list[Node]:
    """Identifiers ``node`` shows to be pointers: ``x == nil``, ``x != nil``, ``unsafe.Pointer(x)``."""
    if node.type == "binary_expression":
        left, right = unparen(node.child_by_field_name("left")), unparen(node.child_by_field_name("right"))
        if text(node.child_by_field_name("operator")) in ("==", "!=") and left is not None and right is not None:
            return [a for a, b in ((left, right), (right, left)) if b.type == "nil" and a.type == "identifier"]
        return []
    func, args = call_parts(node)
    inner = unparen(args[0]) if len(args) == 1 else None
    return [inner] if text(unparen(func)) == "unsafe.Pointer" and inner is not None and inner.type == "identifier" else []


def _short(node: Node) -> str:
    shown = " ".join(text(node).split())
    return shown if len(shown) <= _TEXT_LIMIT else shown[: _TEXT_LIMIT - 3] + "..."
