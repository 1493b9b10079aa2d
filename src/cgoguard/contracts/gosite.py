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
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tree_sitter import Node

from cgoguard.contracts.calls import CGO_COPY_HELPERS, is_c_type
from cgoguard.contracts.model import Evidence, Fact
from cgoguard.contracts.naming import deallocator_word, is_naming_pair
from cgoguard.contracts.packs import pack_facts
from cgoguard.findings import Confidence
from cgoguard.gofront.syntax import c_name, call_parts, line_of, nodes_of_type, text, unparen

if TYPE_CHECKING:
    from cgoguard.gofront.package import GoFile, Package

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


def go_usage_facts(package: Package) -> dict[str, list[Fact]]:
    """``go-usage`` facts of the C functions ``package`` calls, by function name."""
    products: list[_Use] = []
    releases: list[_Use] = []
    for file in package.files:
        if not file.uses_cgo:
            continue
        for func in file.root.named_children:
            if func.type in ("function_declaration", "method_declaration"):
                reader = _FunctionReader(package, file, func)
                products += reader.products()
                releases += reader.releases
    return _facts(products, releases)


class _FunctionReader:
    """The C products and releases of one Go function (its closures included)."""

    def __init__(self, package: Package, file: GoFile, func: Node) -> None:
        self.package = package
        self.file = file
        self.func = func
        self.scope = f"{file.display_path}:{func.start_byte}"
        self.results: list[_Use] = []
        self.releases: list[_Use] = []
        self.stored: dict[str, set[str]] = {}  # local -> fields it is stored into
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
                found += [_Use(use.function, use.position, ("field", name), use.location, use.text)
                          for name in sorted(self.stored.get(use.place[2], ()))]
        return found

    def _call(self, call: Node) -> None:
        func, args = call_parts(call)
        name = c_name(func)
        if name is None or name in _CGO_HELPERS or is_c_type(self.package.c, name):
            return
        where, shown = f"{self.file.display_path}:{line_of(call)}", _short(call)
        place = self._result_place(call)
        if place is not None:
            self.results.append(_Use(name, None, place, where, shown))
        for index, arg in enumerate(args):
            arg = unparen(arg)
            if arg is not None and arg.type == "unary_expression" and text(arg.child_by_field_name("operator")) == "&":
                written = self._place(arg.child_by_field_name("operand"))
                if written is not None:
                    self.results.append(_Use(name, index, written, where, shown))
            elif _may_release(name, index):
                released = self._place(_strip_conversions(arg))
                if released is not None:
                    self.releases.append(_Use(name, index, released, where, shown, len(args)))

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
    if product.place[0] == "local" and (documented or (release.arity <= 2 and
                                                       deallocator_word(release.function) in _UNAMBIGUOUS)):
        return True
    return release.arity <= 2 and is_naming_pair(product.function, release.function)


def _facts(products: list[_Use], releases: list[_Use]) -> dict[str, list[Fact]]:
    by_place: dict[Place, list[_Use]] = {}
    for release in releases:
        by_place.setdefault(release.place, []).append(release)
    found: dict[tuple[str, str, int | None], Fact] = {}
    for product in products:
        for release in by_place.get(product.place, ()):
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


def _short(node: Node) -> str:
    shown = " ".join(text(node).split())
    return shown if len(shown) <= _TEXT_LIMIT else shown[: _TEXT_LIMIT - 3] + "..."
