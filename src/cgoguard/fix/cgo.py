"""Fix helpers specific to cgo: freeing C memory from Go code that can compile.

A call ``C.name`` compiles only when the file's own preamble declares ``name`` (``C.free``
needs ``<stdlib.h>``), and ``unsafe.Pointer`` needs the import. These helpers return the code
of a release call together with the edits that make it compile, and say when they cannot be
sure it will (the fix is then offered as unsafe).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cgoguard.findings import Edit
from cgoguard.fix.edits import edit, require_import
from cgoguard.gofront.preamble import find_import_c
from cgoguard.gofront.syntax import c_name, nodes_of_type, text

if TYPE_CHECKING:
    from cgoguard.gofront.package import GoFile, Package

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
