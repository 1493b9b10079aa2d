"""Fix helpers specific to cgo: freeing C memory from Go code that can compile.

A call ``C.name`` compiles only when the file's own preamble declares ``name`` (``C.free``
needs ``<stdlib.h>``), and ``unsafe.Pointer`` needs the import. These helpers return the code
of a release call together with the edits that make it compile, and say when they cannot be
sure it will (the fix is then offered as unsafe).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tree_sitter import Node

from cgoguard.findings import Edit
from cgoguard.fix.edits import edit, require_import
from cgoguard.gofront.preamble import find_import_c
from cgoguard.gofront.syntax import c_name, nodes_of_type, text

if TYPE_CHECKING:
    from cgoguard.gofront.gofile import GoFile
    from cgoguard.gofront.package import Package

_GO_CALLEE = re.compile(r"^(C\.)?[A-Za-z_]\w*$")


@dataclass
class ReleaseCall:
    code: str  # the call, e.g. C.free(unsafe.Pointer(cs))
    edits: list[Edit | None] = field(default_factory=list)  # imports and includes it needs
    certain: bool = True  # False when the deallocator may not be declared for this file


def release_call(package: Package, file: GoFile, dealloc: str, holder: str) -> ReleaseCall | None:
    """The call that releases ``holder`` with ``dealloc`` (``C.free``, ``C.buffer_free``, or a
    Go function), or None when ``dealloc`` is not something a fix can call."""
    if not _GO_CALLEE.match(dealloc):
        return None
    if dealloc == "C.free":
        unsafe, import_edit = require_import(file, "unsafe")
        include, declared = _stdlib_include(file)
        return ReleaseCall(f"C.free({unsafe}.Pointer({holder}))", [import_edit, include], declared)
    name = dealloc.removeprefix("C.")
    certain = not dealloc.startswith("C.") or _declared_for(package, file, name)
    return ReleaseCall(f"{dealloc}({holder})", [], certain)


def uses_c_name(file: GoFile, name: str) -> bool:
    return any(c_name(n) == name for n in nodes_of_type(file.root, "selector_expression"))


def _declared_for(package: Package, file: GoFile, name: str) -> bool:
    """Whether ``C.name`` compiles in ``file``: used there already, or declared in its
    preamble or in a header (which the preamble that includes the allocator's header likely
    includes too)."""
    if uses_c_name(file, name):
        return True
    function = package.c.function(name)
    return function is not None and (function.path == file.display_path or function.path.endswith((".h", ".hpp")))


def _stdlib_include(file: GoFile) -> tuple[Edit | None, bool]:
    """The edit adding ``#include <stdlib.h>`` to the preamble when ``C.free`` would not be
    declared (None when it is), and whether the result is sure to declare it."""
    if uses_c_name(file, "free") or _includes_stdlib(file):
        return None, True
    specs = find_import_c(file.root)
    declaration = specs[0].parent if specs else None
    if declaration is None or declaration.type != "import_declaration":
        return None, False  # a grouped import "C": leave the preamble alone
    comment = _first_preamble_comment(file, declaration)
    if comment is None:
        return edit(file, declaration.start_byte, declaration.start_byte, "// #include <stdlib.h>\n"), True
    body = text(comment)
    if body.startswith("/*"):
        return edit(file, comment.start_byte + 2, comment.start_byte + 2, "\n#include <stdlib.h>"), True
    return edit(file, comment.start_byte, comment.start_byte, "// #include <stdlib.h>\n"), True


def _includes_stdlib(file: GoFile) -> bool:
    if file.preamble is None or file.preamble.is_empty:
        return False
    from cgoguard.cfront.build import parse_c

    root = parse_c(file.preamble.c_source)
    return any(text(n.child_by_field_name("path")) == "<stdlib.h>" for n in _walk(root, "preproc_include"))


def _walk(node: object, kind: str) -> list:
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if current.type == kind:  # type: ignore[attr-defined]
            found.append(current)
        stack.extend(current.named_children)  # type: ignore[attr-defined]
    return found


def _first_preamble_comment(file: GoFile, declaration: object) -> object | None:
    """The first comment of the group right above ``import "C"`` (the preamble), if any."""
    preamble = file.preamble
    if preamble is None or preamble.end_line < preamble.start_line:
        return None
    row = preamble.start_line - 1
    node = declaration.prev_sibling  # type: ignore[attr-defined]
    while node is not None and node.type == "comment":
        if node.start_point[0] == row:
            return node
        node = node.prev_sibling
    return None


# ----- is freeing at return right? ------------------------------------------------------------
_CGO_READERS = frozenset({"GoString", "GoStringN", "GoBytes"})
_ACCESSES = frozenset({"selector_expression", "index_expression"})


def borrows(package: Package, contracts: Any, call: Node, index: int) -> bool:
    """Whether the C function ``call`` calls is known to only borrow its argument ``index``:
    cgo's copying helpers, or a C function whose contract or body cgoguard knows and that
    neither frees nor keeps that argument. A function whose header is not in the tree might
    take the pointer over (``pcap_fopen_offline`` keeps its ``FILE *``), so it is not known."""
    name = c_name(call.child_by_field_name("function"))
    if name is None:
        return False
    if name in _CGO_READERS:
        return True
    contract = contracts.get(name) if contracts is not None else None
    if contract is not None and (index in contract.frees_args or index in contract.retains_args):
        return False
    declared = package.c.function(name)
    return (contract is not None and contract.is_known) or (declared is not None and declared.body is not None)


def only_lent_to_c(package: Package, contracts: Any, scope: Node, name: str, after: Node) -> bool:
    """Whether every use of ``name`` in ``scope`` after ``after`` only lends the pointer: an
    argument of a C call that borrows it, a field or element access, a nil test. Freeing it as
    the function returns is then right even if the analysis missed a hand-off; any other use
    (stored, returned, sliced, converted to an integer, captured by a closure) is not known."""
    for use in nodes_of_type(scope, "identifier"):
        if text(use) == name and use.start_byte >= after.end_byte and not _lends(package, contracts, scope, use):
            return False
    return True


def _lends(package: Package, contracts: Any, scope: Node, use: Node) -> bool:
    node = use
    while _converts(node.parent, node):
        node = node.parent
    parent = node.parent
    if parent is None or _inside_closure(use, scope):
        return False
    if parent.type == "argument_list" and parent.parent is not None:
        return borrows(package, contracts, parent.parent, parent.named_children.index(node))
    if parent.type in _ACCESSES and parent.named_children[:1] == [node]:
        return True
    if parent.type == "unary_expression" and text(parent.child_by_field_name("operator")) == "*":
        return True
    if parent.type == "binary_expression" and text(parent.child_by_field_name("operator")) in ("==", "!="):
        return any(side is not None and side.type == "nil" for side in (
            parent.child_by_field_name("left"), parent.child_by_field_name("right")))
    return False


def _converts(parent: Node | None, node: Node) -> bool:
    """``unsafe.Pointer(x)``, ``(*T)(x)``, ``(x)``: the same pointer under another type."""
    if parent is None:
        return False
    if parent.type in ("parenthesized_expression", "type_conversion_expression"):
        return True
    if parent.type == "argument_list" and parent.parent is not None and len(parent.named_children) == 1:
        function = parent.parent.child_by_field_name("function")
        return function is not None and (text(function).endswith("unsafe.Pointer") or
                                         function.type in ("parenthesized_expression", "parenthesized_type"))
    return False


def _inside_closure(use: Node, scope: Node) -> bool:
    node = use.parent
    while node is not None and node != scope:
        if node.type == "func_literal":
            return True
        node = node.parent
    return False
