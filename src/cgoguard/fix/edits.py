"""Building fixes from the syntax tree a rule already holds.

Rules describe a fix in terms of nodes (``insert this statement after that one``, ``replace
this expression``); the helpers here turn that into byte-offset :class:`Edit` objects with
the positions editors and SARIF need, and add the imports a fix's code uses. Nothing here
searches the text: every position comes from a tree-sitter node.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tree_sitter import Node

from cgoguard.findings import Applicability, Edit, Fix
from cgoguard.gofront.syntax import nodes_of_type, text

if TYPE_CHECKING:
    from cgoguard.gofront.gofile import GoFile

# Parents whose children are statements a fix can put another statement next to.
_STATEMENT_LISTS = frozenset({"statement_list"})
_FUNCTIONS = frozenset({"function_declaration", "method_declaration", "func_literal"})
_LOOPS = frozenset({"for_statement"})


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_fix(file: GoFile, message: str, edits: Iterable[Edit | None],
             applicability: Applicability = Applicability.SAFE) -> Fix | None:
    """A fix of ``file`` from ``edits`` (None entries, such as an import already present, are
    dropped); None when nothing is left to change."""
    kept = sorted((e for e in edits if e is not None), key=lambda e: (e.start, e.end))
    if not kept:
        return None
    return Fix(message, kept, applicability, {file.display_path: digest(file.source)})


def position(source: bytes, offset: int) -> tuple[int, int]:
    """1-based line and byte column of ``offset``."""
    line_start = source.rfind(b"\n", 0, offset) + 1
    return source.count(b"\n", 0, offset) + 1, offset - line_start + 1


def edit(file: GoFile, start: int, end: int, content: str) -> Edit:
    line, column = position(file.source, start)
    end_line, end_column = position(file.source, end)
    return Edit(file.display_path, start, end, content, line, column, end_line, end_column)


def replace(file: GoFile, node: Node, content: str) -> Edit:
    return edit(file, node.start_byte, node.end_byte, content)


def statement_of(node: Node) -> Node | None:
    """The statement containing ``node`` that sits directly in a statement list (a block or a
    case body), or None when the node is not inside a function body."""
    current: Node | None = node
    while current is not None and current.parent is not None:
        if current.parent.type in _STATEMENT_LISTS:
            return current
        if current.type in _FUNCTIONS:
            return None
        current = current.parent
    return None


def enclosing_function(node: Node) -> Node | None:
    current = node.parent
    while current is not None and current.type not in _FUNCTIONS:
        current = current.parent
    return current


def top_function(node: Node) -> Node | None:
    """The declaration (not a function literal) the node is in."""
    current = enclosing_function(node)
    while current is not None and current.type == "func_literal":
        current = enclosing_function(current)
    return current


def in_loop(node: Node) -> bool:
    """Whether ``node`` runs once per iteration of a loop of its own function."""
    current = node.parent
    while current is not None and current.type not in _FUNCTIONS:
        if current.type in _LOOPS:
            return True
        current = current.parent
    return False


def indentation(file: GoFile, node: Node) -> str:
    """The whitespace that starts ``node``'s line."""
    source = file.source
    line_start = source.rfind(b"\n", 0, node.start_byte) + 1
    end = line_start
    while end < len(source) and source[end:end + 1] in (b" ", b"\t"):
        end += 1
    return source[line_start:end].decode("utf-8", "replace")


def insert_before(file: GoFile, statement: Node, code: str) -> Edit:
    """``code`` as a statement of its own right before ``statement``, at the same indentation."""
    return edit(file, statement.start_byte, statement.start_byte, f"{code}\n{indentation(file, statement)}")


def insert_after(file: GoFile, statement: Node, code: str) -> Edit | None:
    """``code`` as a statement of its own right after ``statement`` (after a comment that ends
    its line). None when another statement follows on the same line."""
    anchor = statement
    following = statement.next_sibling
    row = statement.end_point[0]
    if following is not None and following.start_point[0] == row:
        if following.type != "comment":
            return None
        anchor = following
    return edit(file, anchor.end_byte, anchor.end_byte, f"\n{indentation(file, statement)}{code}")


def fresh_name(scope: Node, base: str, *, skip: int = 0) -> str:
    """A name used nowhere in ``scope``: ``base``, else ``base2``, ``base3``... Fixes computed
    one by one that each add a name pass ``skip`` (how many earlier fixes of the scope take
    a name from the same ``base``), so that applied together they still differ."""
    taken = {text(n) for n in nodes_of_type(scope, "identifier")}
    free = (name for name in (base, *(f"{base}{n}" for n in range(2, 100_000))) if name not in taken)
    for _ in range(skip):
        next(free)
    return next(free)


def require_import(file: GoFile, path: str) -> tuple[str, Edit | None]:
    """The name under which ``path`` is usable in ``file`` and the edit that imports it when
    the file does not yet (``None`` then means nothing to add)."""
    local = file.imported_as(path)
    if local is not None and local not in ("_", "."):
        return local, None
    name = path.rsplit("/", 1)[-1]
    declarations = [n for n in file.root.named_children if n.type == "import_declaration"]
    for declaration in declarations:
        group = next((c for c in declaration.named_children if c.type == "import_spec_list"), None)
        specs = [c for c in group.named_children if c.type == "import_spec"] if group is not None else []
        if specs and not any(_import_path(s) == "C" for s in specs):
            return name, _into_group(file, specs, path)
    if declarations:
        last = declarations[-1]
        return name, edit(file, last.end_byte, last.end_byte, f'\n\nimport "{path}"')
    package = next((n for n in file.root.named_children if n.type == "package_clause"), None)
    if package is None:
        return name, None
    return name, edit(file, package.end_byte, package.end_byte, f'\n\nimport "{path}"')


def _import_path(spec: Node) -> str:
    return text(spec.child_by_field_name("path")).strip('"`')


def _into_group(file: GoFile, specs: list[Node], path: str) -> Edit:
    """A spec line for ``path`` in an ``import ( ... )`` group, before the first spec that
    sorts after it (goimports' order within a group)."""
    later = next((s for s in specs if _import_path(s) > path), None)
    if later is not None:
        return edit(file, later.start_byte, later.start_byte, f'"{path}"\n{indentation(file, later)}')
    last = specs[-1]
    return edit(file, last.end_byte, last.end_byte, f'\n{indentation(file, last)}"{path}"')
