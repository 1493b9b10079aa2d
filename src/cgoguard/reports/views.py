"""Go code that reads freed C memory through an ``unsafe.String``/``unsafe.Slice`` view.

When Go copies from a view of C memory (``copy(buf, s)``, ``strings.Builder.WriteString``,
``append``), the read happens inside a runtime copy routine (``runtime.slicecopy``,
``runtime.memmove``). Under ``-asan`` the report's stack is that routine alone: ASan cannot
unwind the Go stack, and the runtime's own dump at the abort is garbled (it names the Go
callers only in a stack hexdump). The allocation stack still names the C function that made
the memory, and the sources say the rest: in the Go function that called it, the pointer
becomes a view (directly or through a helper that returns one), the pointer is freed, and
the view is read afterwards. That read is the line to fix.

The analysis follows names through one function body in source order: the pointer, the
variables assigned from it (conversions, ``unsafe.String``/``unsafe.Slice``/``unsafe.Add``,
re-slicing, helpers of the package whose result is such a view) and the first free of any of
them. Copies (``C.GoString``, ``C.GoBytes``, ``string(b)``) end the chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tree_sitter import Node, Tree

from cgoguard.gofront.syntax import (
    c_name,
    call_parts,
    line_of,
    parse_go,
    qualified_call_name,
    text,
    unparen,
    walk,
)
from cgoguard.reports.model import Report
from cgoguard.reports.sourceindex import CCall, GoFunction, SourceIndex

# Runtime routines that read or write memory for Go code (copy, compare, hash, convert).
COPY_ROUTINES = frozenset({
    "runtime.slicecopy", "runtime.memmove", "runtime.typedslicecopy", "runtime.typedmemmove",
    "runtime.slicebytetostring", "runtime.stringtoslicebyte", "runtime.concatstrings", "runtime.concatstring2",
    "runtime.concatstring3", "runtime.memequal", "runtime.cmpstring", "runtime.memhash", "runtime.strhash",
    "runtime.asanread", "runtime.asanwrite", "runtime.growslice", "runtime.rawbyteslice",
})
_VIEW_CALLS = frozenset({"unsafe.String", "unsafe.Slice", "unsafe.Add", "unsafe.StringData", "unsafe.SliceData"})
_COPY_CALLS = frozenset({"GoString", "GoStringN", "GoBytes"})
_ASSIGNMENTS = ("short_var_declaration", "assignment_statement", "var_spec")


def runtime_reader(report: Report) -> str:
    """The runtime routine at the top of the crash stack when Go code made the bad access
    through it (no C frame, no cgo call below it), else ""."""
    for frame in report.crash_stack:
        if frame.kind == "sanitizer":
            continue
        name = frame.function.removesuffix(".abi0")
        if frame.kind == "runtime" and (name in COPY_ROUTINES or name.startswith("internal/bytealg.")):
            return name
        return ""
    return ""


@dataclass(frozen=True)
class ViewRead:
    """A read of a view of C memory after the memory was freed, in one Go function."""

    function: GoFunction
    line: int
    column: int
    view: str  # the variable read
    view_line: int  # where it became a view of the C memory
    free_line: int
    alloc: CCall


def find_view_read(index: SourceIndex, allocs: list[CCall], hints: set[str]) -> ViewRead | None:
    """The first read of a view after the free, in the functions that allocated the memory
    (those the runtime's abort dump names first, when it names any)."""
    ordered = sorted(allocs, key=lambda call: call.function is None or call.function.qualified not in hints)
    helpers = _view_helpers(index)
    for alloc in ordered:
        if alloc.function is not None and alloc.assigned_to:
            found = _read_after_free(alloc, helpers)
            if found is not None:
                return found
    return None


def _view_helpers(index: SourceIndex) -> set[str]:
    """Functions of the sources whose results are views of memory they are given."""
    helpers = set()
    for functions in index.functions_by_name.values():
        for function in functions:
            body = _function_node(function)
            if body is not None and any(_returns_view(node) for node in walk(body) if node.type == "return_statement"):
                helpers.add(function.name.rsplit(".", 1)[-1])
    return helpers


def _returns_view(node: Node) -> bool:
    return any(n.type == "call_expression" and qualified_call_name(n) in _VIEW_CALLS for n in walk(node))


def _read_after_free(alloc: CCall, helpers: set[str]) -> ViewRead | None:
    function = alloc.function
    assert function is not None
    body = _function_node(function)
    if body is None:
        return None
    aliases = {alloc.assigned_to}
    views: dict[str, int] = {}
    free_line = 0
    for node in walk(body):
        if line_of(node) < alloc.line:
            continue
        if node.type in _ASSIGNMENTS and not free_line:
            _follow(node, aliases, views, helpers)
        elif node.type == "call_expression" and not free_line and _frees(node, aliases):
            free_line = line_of(node)
        elif free_line and node.type == "identifier" and text(node) in views and line_of(node) > free_line \
                and not _assigned(node):
            return ViewRead(function, line_of(node), node.start_point[1] + 1, text(node), views[text(node)],
                            free_line, alloc)
    return None


def _follow(node: Node, aliases: set[str], views: dict[str, int], helpers: set[str]) -> None:
    """``v := <expression of an alias>``: v is an alias, and a view when the expression makes one."""
    left = node.child_by_field_name("left") or node.child_by_field_name("name")
    right = node.child_by_field_name("right") or node.child_by_field_name("value")
    if left is None or right is None or not _mentions(right, aliases) or _copies(right):
        return
    names = [text(n) for n in walk(left) if n.type == "identifier"]
    makes_view = any(n.type == "call_expression" and (qualified_call_name(n) in _VIEW_CALLS
                                                      or qualified_call_name(n) in helpers)
                     for n in walk(right)) or any(n.type == "slice_expression" for n in walk(right))
    for name in names:
        aliases.add(name)
        if makes_view:
            views.setdefault(name, line_of(node))


def _frees(call: Node, aliases: set[str]) -> bool:
    callee, args = call_parts(call)
    return c_name(callee) == "free" and any(_mentions(arg, aliases) for arg in args)


def _copies(node: Node) -> bool:
    """A copy of C memory into Go memory: the result is not a view."""
    node = unparen(node)
    if node is None or node.type != "call_expression":
        return False
    callee, _ = call_parts(node)
    return c_name(callee) in _COPY_CALLS or text(callee) in ("string", "[]byte", "bytes.Clone", "strings.Clone")


def _mentions(node: Node, names: set[str]) -> bool:
    return any(n.type == "identifier" and text(n) in names for n in walk(node))


def _assigned(identifier: Node) -> bool:
    """Whether the identifier is being assigned (the left side), not read."""
    parent = identifier.parent
    if parent is not None and parent.type == "expression_list":
        statement = parent.parent
        if statement is not None and statement.type in _ASSIGNMENTS:
            return statement.child_by_field_name("left") == parent
    return False


def _function_node(function: GoFunction) -> Node | None:
    """The body of ``function`` (re-parsed: the source index keeps positions, not trees)."""
    tree = _parsed(function.path)
    for node in tree.root_node.named_children if tree is not None else []:
        if node.type in ("function_declaration", "method_declaration") and line_of(node) == function.start:
            return node.child_by_field_name("body")
    return None


@lru_cache(maxsize=64)
def _parsed(path: str) -> Tree | None:
    try:
        return parse_go(Path(path).read_bytes())
    except OSError:
        return None
