"""What the report mapper needs to know about the Go sources: cgo call sites and C functions.

Built from the ``--source`` roots with the shared tree-sitter front end. Files that use cgo
are parsed up front (they hold every ``C.name`` call and every preamble function); other Go
files are only listed, so that a report's absolute build path (``/home/ci/src/x/a.go``) can be
resolved to a local file by its longest matching path suffix, and parsed on demand.

Only files below the roots are ever read (:mod:`cgoguard.safeio`): a path a log names is used
only when it lies inside them, and a file link inside a root that leads out of it is not
followed, so a crafted log cannot make a report quote ``/proc/self/environ`` or ``~/.ssh``.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import tree_sitter_c
from tree_sitter import Language, Node, Parser

from cgoguard.gofront.cgoprefix import CgoPackage, cgo_packages_in
from cgoguard.gofront.preamble import extract_preamble
from cgoguard.gofront.syntax import c_name, call_parts, line_of, parse_go, text, unparen, walk
from cgoguard.safeio import ReadScope, names_file

_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__"}
_MAX_FILES = 20000
_MAX_FILE_BYTES = 4 * 1024 * 1024
_C_LANGUAGE = Language(tree_sitter_c.language())


@dataclass
class CCall:
    """A Go call ``C.name(args)``."""

    name: str
    path: str
    line: int
    column: int
    function: GoFunction | None
    args: list[str]
    assigned_to: str = ""  # the variable the result is assigned to, if any
    literal_field: str = ""  # "data" in `&buffer{data: C.malloc(32)}`


@dataclass
class Store:
    """``lhs = rhs`` where lhs is a map entry, a field or a package variable."""

    target: str
    value: str
    line: int
    kind: str  # "map entry", "struct field", "package variable"


@dataclass
class GoFunction:
    name: str  # "main", "(*buffer).Close"
    package: str
    path: str
    start: int
    end: int
    exported_as: str = ""
    return_lines: list[int] = field(default_factory=list)
    callees: dict[str, int] = field(default_factory=dict)  # Go function/method name -> first call line
    c_calls: list[CCall] = field(default_factory=list)
    stores: list[Store] = field(default_factory=list)

    @property
    def qualified(self) -> str:
        return f"{self.package}.{self.name}"


@dataclass
class CFunction:
    name: str
    path: str
    start: int
    end: int
    callees: set[str]


@dataclass
class GoFile:
    path: str
    package: str
    functions: list[GoFunction]
    preamble_functions: list[CFunction]
    preamble_range: tuple[int, int] | None

    def function_at(self, line: int) -> GoFunction | None:
        for function in self.functions:
            if function.start <= line <= function.end:
                return function
        return None


class SourceIndex:
    def __init__(self, roots: list[Path]) -> None:
        self.roots = [Path(r) for r in roots]
        self.scope = ReadScope(self.roots)
        self._parsed: dict[Path, GoFile | None] = {}

    @cached_property
    def _files(self) -> tuple[list[Path], list[Path], dict[str, list[Path]]]:
        """(Go files, C files, files by base name): listed on first use, not per report."""
        go_paths: list[Path] = []
        c_paths: list[Path] = []
        by_name: dict[str, list[Path]] = defaultdict(list)
        for root in self.roots:
            for path in [root] if root.is_file() else self._walk(root):
                if not self.scope.contains(path):  # a file link leading out of the roots
                    continue
                if len(go_paths) + len(c_paths) >= _MAX_FILES:
                    return go_paths, c_paths, by_name
                if path.suffix == ".go":
                    go_paths.append(path)
                elif path.suffix in (".c", ".h"):
                    c_paths.append(path)
                else:
                    continue
                by_name[path.name].append(path)
        return go_paths, c_paths, by_name

    @staticmethod
    def _walk(root: Path) -> list[Path]:
        found: list[Path] = []
        for directory, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
            found.extend(Path(directory) / f for f in sorted(files))
        return found

    # -- path resolution ---------------------------------------------------------------------
    def resolve(self, reported: str, function: str = "", line: int = 0) -> Path | None:
        """The local file a report's path names: the same path, or the longest common suffix.

        Builds run in temporary directories, so often only the base name matches. A match on
        the base name alone is trusted only when the file defines the reported function at
        that line (a library's ``render.go`` must not land on the project's ``render.go``);
        ties between several ``main.go`` are broken the same way.
        """
        if not reported:
            return None
        candidate = Path(reported)
        if self.scope.contains(candidate) and names_file(candidate):
            return candidate
        matches = self._files[2].get(candidate.name, [])
        if not matches:
            return None
        best = max(_common_suffix(p.parts, candidate.parts) for p in matches)
        tied = [p for p in matches if _common_suffix(p.parts, candidate.parts) == best]
        if function and line:
            defining = [p for p in tied if self._defines(p, function, line)]
            if defining or best < 2:
                return defining[0] if defining else None
        elif best < 2 and len(matches) > 1:
            return None
        return tied[0]

    def _defines(self, path: Path, function: str, line: int) -> bool:
        go_file = self.go_file(path) if path.suffix == ".go" else None
        if go_file is None:
            return False
        if (preamble := self.preamble_function_at(path, line)) is not None:
            return preamble.name == function
        defined = go_file.function_at(line)
        if defined is None:
            return False
        name = function.split("[", 1)[0]
        return name.endswith("." + defined.name.split(".")[-1]) or f".{defined.name}." in f"{name}."

    # -- parsed views ------------------------------------------------------------------------
    def go_file(self, path: Path) -> GoFile | None:
        if path not in self._parsed:
            self._parsed[path] = _parse_go_file(path, self.scope)
        return self._parsed[path]

    @cached_property
    def cgo_files(self) -> list[GoFile]:
        result = []
        for path in self._files[0]:
            try:
                head = self.scope.read_bytes(path, _MAX_FILE_BYTES)
            except OSError:
                continue
            if b'"C"' in head and (parsed := self.go_file(path)) is not None:
                result.append(parsed)
        return result

    @cached_property
    def calls_by_c_name(self) -> dict[str, list[CCall]]:
        calls: dict[str, list[CCall]] = defaultdict(list)
        for go_file in self.cgo_files:
            for function in go_file.functions:
                for call in function.c_calls:
                    calls[call.name].append(call)
        return calls

    @cached_property
    def c_functions(self) -> dict[str, CFunction]:
        """C functions of the sources by name (the first of several with one name)."""
        return {name: functions[0] for name, functions in self.c_functions_by_name.items()}

    @cached_property
    def c_functions_by_name(self) -> dict[str, list[CFunction]]:
        """Every C function of the sources (cgo preambles, .c and .h files), by name."""
        functions: dict[str, list[CFunction]] = defaultdict(list)
        for go_file in self.cgo_files:
            for c_function in go_file.preamble_functions:
                functions[c_function.name].append(c_function)
        for path in self._files[1]:
            for c_function in _parse_c_file(path, self.scope):
                functions[c_function.name].append(c_function)
        return dict(functions)

    @cached_property
    def functions_by_name(self) -> dict[str, list[GoFunction]]:
        result: dict[str, list[GoFunction]] = defaultdict(list)
        for go_file in self.cgo_files:
            for function in go_file.functions:
                result[function.name.rsplit(".", 1)[-1]].append(function)
        return result

    @cached_property
    def cgo_packages(self) -> list[CgoPackage]:
        """The cgo packages under the roots, to identify a report's package by its cgo symbols."""
        return cgo_packages_in(self._files[0])

    def exported(self, name: str, directory: Path | None = None) -> GoFunction | None:
        """The Go function ``//export name`` declares (in ``directory`` when given)."""
        for go_file in self.cgo_files:
            if directory is not None and Path(go_file.path).parent.resolve() != directory:
                continue
            for function in go_file.functions:
                if function.exported_as == name:
                    return function
        return None

    def preamble_function_at(self, path: Path, line: int) -> CFunction | None:
        go_file = self.go_file(path)
        if go_file is None:
            return None
        for c_function in go_file.preamble_functions:
            if c_function.start <= line <= c_function.end:
                return c_function
        return None


def _common_suffix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    count = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        count += 1
    return count


# -- Go files ----------------------------------------------------------------------------------
def _parse_go_file(path: Path, scope: ReadScope) -> GoFile | None:
    try:
        source = scope.read_bytes(path, _MAX_FILE_BYTES)
    except OSError:
        return None
    tree = parse_go(source)
    root = tree.root_node
    package = ""
    for child in root.named_children:
        if child.type == "package_clause" and child.named_children:
            package = text(child.named_children[-1])
    functions = [_go_function(node, package, str(path)) for node in root.named_children
                 if node.type in ("function_declaration", "method_declaration")]
    preamble = extract_preamble(source, root)
    preamble_functions: list[CFunction] = []
    preamble_range = None
    if preamble is not None and not preamble.is_empty:
        preamble_range = (preamble.start_line, preamble.end_line)
        preamble_functions = _c_functions(preamble.c_source, str(path))
    return GoFile(str(path), package, functions, preamble_functions, preamble_range)


def _go_function(node: Node, package: str, path: str) -> GoFunction:
    name = text(node.child_by_field_name("name"))
    receiver = node.child_by_field_name("receiver")
    if receiver is not None:
        name = f"{_receiver_type(receiver)}.{name}"
    function = GoFunction(name=name, package=package, path=path, start=line_of(node),
                          end=node.end_point[0] + 1, exported_as=_export_name(node))
    body = node.child_by_field_name("body")
    if body is not None:
        _scan_body(body, function)
    return function


def _receiver_type(receiver: Node) -> str:
    for param in receiver.named_children:
        type_node = param.child_by_field_name("type")
        if type_node is None:
            continue
        type_text = text(type_node).replace(" ", "")
        if "[" in type_text:  # generic receiver: cut the type parameters, as tracebacks print "[...]"
            type_text = type_text.split("[", 1)[0]
        return f"({type_text})" if type_text.startswith("*") else type_text
    return ""


def _export_name(node: Node) -> str:
    sibling = node.prev_named_sibling
    while sibling is not None and sibling.type == "comment" and sibling.end_point[0] >= node.start_point[0] - 8:
        comment = text(sibling)
        if comment.startswith("//export "):
            return comment.split()[1]
        sibling = sibling.prev_named_sibling
    return ""


def _scan_body(body: Node, function: GoFunction) -> None:
    for node in walk(body):
        if node.type == "call_expression":
            _record_call(node, function)
        elif node.type == "return_statement" and node.named_children:
            function.return_lines.append(line_of(node))
        elif node.type == "assignment_statement":
            _record_store(node, function)


def _record_call(node: Node, function: GoFunction) -> None:
    callee, args = call_parts(node)
    name = c_name(callee)
    if name is None:
        callee = unparen(callee)
        if callee is not None and callee.type == "selector_expression":
            callee = callee.child_by_field_name("field")
        if callee is not None and callee.type in ("identifier", "field_identifier"):
            function.callees.setdefault(text(callee), line_of(node))
        return
    function.c_calls.append(CCall(name=name, path=function.path, line=line_of(node),
                                  column=node.start_point[1] + 1, function=function,
                                  args=[text(a) for a in args], assigned_to=_assigned_variable(node),
                                  literal_field=_literal_field(node)))


def _assigned_variable(call: Node) -> str:
    """``p`` in ``p := C.f()`` / ``p = (*T)(C.f())`` / ``x := T{data: C.f()}`` (the nearest name)."""
    node = call.parent
    while node is not None and node.type in ("parenthesized_expression", "call_expression", "expression_list",
                                             "type_conversion_expression", "keyed_element",
                                             "literal_element", "literal_value", "composite_literal",
                                             "unary_expression"):
        node = node.parent
    if node is None or node.type not in ("short_var_declaration", "assignment_statement", "var_spec"):
        return ""
    left = node.child_by_field_name("left") or node.child_by_field_name("name")
    return text(left).split(",")[0].strip() if left is not None else ""


def _literal_field(call: Node) -> str:
    """The key of the composite-literal element the call's value initialises, if any."""
    node = call.parent
    while node is not None and node.type in ("parenthesized_expression", "call_expression",
                                             "type_conversion_expression", "literal_element"):
        node = node.parent
    if node is None or node.type != "keyed_element" or not node.named_children:
        return ""
    literal = node.parent.parent if node.parent is not None else None
    type_node = literal.child_by_field_name("type") if literal is not None else None
    key = text(node.named_children[0])
    return f"{text(type_node)}.{key}" if type_node is not None else key


def _record_store(node: Node, function: GoFunction) -> None:
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if left is None or right is None:
        return
    for target in left.named_children:
        target = unparen(target)
        if target is None:
            continue
        kind = {"index_expression": "map entry", "selector_expression": "struct field"}.get(target.type)
        if kind:
            function.stores.append(Store(text(target), text(right), line_of(node), kind))


# -- C functions ------------------------------------------------------------------------------
def _c_parser() -> Parser:
    return Parser(_C_LANGUAGE)


def _parse_c_file(path: Path, scope: ReadScope) -> list[CFunction]:
    try:
        source = scope.read_bytes(path, _MAX_FILE_BYTES)
    except OSError:
        return []
    return _c_functions(source, str(path))


def _c_functions(source: bytes, path: str) -> list[CFunction]:
    root = _c_parser().parse(source).root_node
    functions = []
    for node in walk(root):
        if node.type != "function_definition":
            continue
        name = _c_declarator_name(node.child_by_field_name("declarator"))
        if not name:
            continue
        callees = set()
        for inner in walk(node):
            if inner.type == "call_expression":
                callee = inner.child_by_field_name("function")
                if callee is not None and callee.type == "identifier":
                    callees.add(text(callee))
        functions.append(CFunction(name, path, line_of(node), node.end_point[0] + 1, callees))
    return functions


def _c_declarator_name(node: Node | None) -> str:
    while node is not None:
        if node.type == "identifier":
            return text(node)
        if node.type == "function_declarator":
            node = node.child_by_field_name("declarator")
            continue
        node = node.child_by_field_name("declarator")
    return ""
