"""Build a :class:`CModel` for a package from its preambles, C files and quoted includes.

Headers are read through a :class:`~cgoguard.safeio.ReadScope`: an include that resolves to
a device, a FIFO, a pseudo file or a link out of the analysed tree becomes an input error
instead of being read.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import tree_sitter_c
from tree_sitter import Language, Node, Parser

from cgoguard.cfront.model import (
    CFunction,
    CGlobal,
    CMember,
    CModel,
    CParam,
    CRecord,
    CTypedef,
    CUnit,
)
from cgoguard.safeio import UNCONFINED, ReadScope, names_file, real_path

C_LANGUAGE = Language(tree_sitter_c.language())
# A C file larger than this (an amalgamation such as sqlite3.c is ~9 MB) is still parsed;
# beyond it we record an error rather than spend seconds and memory on generated code.
MAX_C_FILE_BYTES = 16 * 1024 * 1024
MAX_INCLUDE_DEPTH = 12
# Containers whose children are top-level declarations too.
_TRANSPARENT = frozenset({
    "preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef",
    "linkage_specification", "declaration_list",
})


@cache
def _parser() -> Parser:
    return Parser(C_LANGUAGE)


# Sources at least this large are parsed (and stripped of decorators) once per process: another
# build of the same package (see gofront.variants) reads the same amalgamation again.
_REUSED_PARSE_BYTES = 256 * 1024


def parse_c(source: bytes) -> Node:
    if len(source) >= _REUSED_PARSE_BYTES:
        return _parse_large(source)
    return _parser().parse(source).root_node


@lru_cache(maxsize=8)
def _parse_large(source: bytes) -> Node:
    return _parser().parse(source).root_node


@dataclass(frozen=True)
class CSourceInput:
    """A C text to parse: a preamble laid over its Go file, or a C/header file."""

    path: str  # display path
    source: bytes
    directory: Path  # where its quoted includes are looked up first
    is_preamble: bool = False


def include_dirs(flags: Iterable[str], package_dir: Path, scope: ReadScope = UNCONFINED) -> list[Path]:
    """``-I`` directories from ``#cgo CFLAGS/CPPFLAGS`` values (``${SRCDIR}`` expanded) that lie
    inside ``scope``: one outside it (``-I/usr/include``, ``-I${SRCDIR}/../../..``) is not
    searched, like the compiler's own system directories."""
    dirs: list[Path] = []
    for value in flags:
        value = value.replace("${SRCDIR}", str(package_dir.absolute()))  # cmd/go expands it absolute
        try:
            words = shlex.split(value)
        except ValueError:
            words = value.split()
        for index, word in enumerate(words):
            target = word[2:] if word.startswith("-I") and len(word) > 2 else (
                words[index + 1] if word in ("-I", "-isystem", "-iquote") and index + 1 < len(words) else None)
            if target:
                path = Path(target)
                path = path if path.is_absolute() else package_dir / path
                if scope.contains(path):
                    dirs.append(path)
    return dirs


def build_c_model(inputs: list[CSourceInput], search_dirs: list[Path], *,
                  display: callable = str, scope: ReadScope = UNCONFINED,  # type: ignore[valid-type]
                  follow_includes: bool = True) -> CModel:
    """Parse ``inputs`` and, transitively, the headers they include with quotes.

    Angle-bracket includes are followed only when found in ``search_dirs`` (the package's
    ``-I`` paths): system headers are the contracts' business, not the scanner's. Headers are
    read only inside ``scope``; without ``follow_includes``, only ``inputs`` are parsed.
    """
    model = CModel()
    seen: set[Path] = set()
    pending: list[tuple[CSourceInput, int]] = [(i, 0) for i in inputs]
    for item in inputs:
        if not item.is_preamble:
            seen.add(real_path(item.directory / Path(item.path).name))
    while pending:
        item, depth = pending.pop(0)
        unit = CUnit(item.path, item.source, parse_c(item.source), is_preamble=item.is_preamble)
        model.units.append(unit)
        if depth >= MAX_INCLUDE_DEPTH or not follow_includes:
            continue
        for header in _includes(unit, item.directory, search_dirs):
            key = real_path(header)
            if key in seen:
                continue
            seen.add(key)
            try:
                data = scope.read_bytes(header, MAX_C_FILE_BYTES)
            except OSError as exc:
                model.errors.append((display(header), f"cannot read: {exc.strerror or exc}"))
                continue
            pending.append((CSourceInput(display(header), data, header.parent), depth + 1))
    # Declarations are read once every unit's macros are known: a header can define the
    # decorator (`#define SQLITE_API`) that another unit's declarations use.
    decorators = decorator_macros(model.units)
    for index, unit in enumerate(model.units):
        cleaned = strip_decorators(unit.source, decorators)
        if cleaned is not unit.source:
            unit = CUnit(unit.path, cleaned, parse_c(cleaned), unit.is_preamble, unit.is_system, unit.source)
            model.units[index] = unit
        _collect(model, unit, unit.root)
    return model


# Object-like macros that decorate declarations without being part of the type:
# export/visibility/calling-convention markers. Recognised by definition when the header
# is at hand, else by these conventional names.
_DECORATOR_NAME = re.compile(rb"\b[A-Z][A-Z0-9_]*_(?:API|APICALL|EXPORT|EXTERN|PUBLIC|DEPRECATED|DECL|INLINE|"
                             rb"CALL|CDECL|STDCALL|NONNULL|NODISCARD|UNUSED)\b(?!\s*\()")
_DECORATOR_VALUE = re.compile(r"^(?:\s|extern|static|inline|__inline__|__inline|__extension__|"
                              r"__attribute__\s*\(\(.*\)\)|__declspec\s*\(.*\)|\[\[.*\]\])*$", re.DOTALL)


def decorator_macros(units: list[CUnit]) -> frozenset[bytes]:
    """Names ``#define``d to nothing, or to storage classes and attributes only."""
    names: set[bytes] = set()
    for unit in units:
        for node in _top_level(unit.root):
            if node.type != "preproc_def":
                continue
            value = unit.text(node.child_by_field_name("value"))
            if _DECORATOR_VALUE.match(value):
                names.add(unit.text(node.child_by_field_name("name")).encode())
        names.update(_DECORATOR_NAME.findall(unit.source))
    return frozenset(n for n in names if n)


def strip_decorators(source: bytes, decorators: frozenset[bytes]) -> bytes:
    """Blank decorator macros outside preprocessor lines, keeping every position."""
    if not decorators:
        return source
    if len(source) >= _REUSED_PARSE_BYTES:
        return _strip_large(source, decorators)
    return _strip(source, decorators)


@lru_cache(maxsize=8)
def _strip_large(source: bytes, decorators: frozenset[bytes]) -> bytes:
    return _strip(source, decorators)


def _strip(source: bytes, decorators: frozenset[bytes]) -> bytes:
    pattern = re.compile(rb"\b(?:" + b"|".join(re.escape(d) for d in sorted(decorators)) + rb")\b")
    if not pattern.search(source):
        return source
    lines = source.split(b"\n")
    changed = False
    for index, line in enumerate(lines):
        if line.lstrip().startswith(b"#") or not pattern.search(line):
            continue
        lines[index] = pattern.sub(lambda m: b" " * len(m.group(0)), line)
        changed = True
    return b"\n".join(lines) if changed else source


def _includes(unit: CUnit, directory: Path, search_dirs: list[Path]) -> Iterator[Path]:
    for node in _top_level(unit.root):
        if node.type != "preproc_include":
            continue
        path_node = node.child_by_field_name("path")
        if path_node is None:
            continue
        raw = unit.text(path_node)
        name = raw.strip('"<>')
        if not name or name.startswith("/"):
            continue
        candidates = ([directory] if raw.startswith('"') else []) + search_dirs
        for base in candidates:
            candidate = base / name
            if names_file(candidate):  # what the preprocessor would take, readable or not
                yield candidate
                break


def _top_level(node: Node) -> Iterator[Node]:
    for child in node.named_children:
        if child.type in _TRANSPARENT:
            yield from _top_level(child)
        else:
            yield child


def _collect(model: CModel, unit: CUnit, root: Node) -> None:
    for node in _top_level(root):
        kind = node.type
        if kind == "function_definition":
            _add_function(model, unit, node, node.child_by_field_name("declarator"), body=node)
        elif kind == "declaration":
            _collect_declaration(model, unit, node)
        elif kind == "type_definition":
            _collect_typedef(model, unit, node)
        elif kind in ("struct_specifier", "union_specifier"):
            _collect_record(model, unit, node)
        elif kind == "preproc_def":
            _collect_macro_alias(model, unit, node)
        elif kind == "expression_statement":
            # `struct s {...};` sometimes parses this way; records inside still count.
            for child in node.named_children:
                if child.type in ("struct_specifier", "union_specifier"):
                    _collect_record(model, unit, child)


_IDENT = re.compile(r"^[A-Za-z_]\w*$")


def _collect_macro_alias(model: CModel, unit: CUnit, node: Node) -> None:
    name = unit.text(node.child_by_field_name("name"))
    value = unit.text(node.child_by_field_name("value")).strip()
    if _IDENT.match(value) and name != value:
        model.macro_aliases[name] = value


def _storage(unit: CUnit, node: Node) -> set[str]:
    return {unit.text(c) for c in node.children if c.type == "storage_class_specifier"}


def _attributes(unit: CUnit, node: Node) -> list[str]:
    attrs = [unit.text(c) for c in node.children if c.type in ("attribute_specifier", "attribute_declaration")]
    declarator = node.child_by_field_name("declarator")
    while declarator is not None:
        attrs += [unit.text(c) for c in declarator.children if c.type == "attribute_specifier"]
        declarator = declarator.child_by_field_name("declarator")
    return attrs


def _leading_comment(unit: CUnit, node: Node) -> str:
    comments: list[str] = []
    row = node.start_point[0]
    prev = node.prev_named_sibling
    while prev is not None and prev.type == "comment" and prev.end_point[0] >= row - 1:
        comments.insert(0, unit.text(prev))
        row = prev.start_point[0]
        prev = prev.prev_named_sibling
    return "\n".join(comments)


def base_type(unit: CUnit, type_node: Node | None) -> str:
    """``char``, ``struct foo``, ``unsigned long``, ``sqlite3`` (no qualifiers, no stars)."""
    if type_node is None:
        return "int"
    if type_node.type == "macro_type_specifier":  # GIT_EXTERN(const char *) -> const char
        descriptor = type_node.child_by_field_name("type")
        return base_type(unit, descriptor.child_by_field_name("type") if descriptor is not None else None)
    if type_node.type in ("struct_specifier", "union_specifier", "enum_specifier"):
        keyword = type_node.type.split("_")[0]
        name = type_node.child_by_field_name("name")
        return f"{keyword} {unit.text(name)}" if name is not None else f"{keyword} <anonymous>"
    return " ".join(unit.text(type_node).split())


@dataclass
class _Declarator:
    name: str
    pointer_depth: int
    function: Node | None  # the function_declarator when this declares a function
    array: bool
    function_pointer: bool


def macro_type_depth(type_node: Node | None) -> int:
    """Pointer stars inside a type macro's argument: ``GIT_EXTERN(const char *)`` has one."""
    if type_node is None or type_node.type != "macro_type_specifier":
        return 0
    descriptor = type_node.child_by_field_name("type")
    node = descriptor.child_by_field_name("declarator") if descriptor is not None else None
    depth = 0
    while node is not None and node.type == "abstract_pointer_declarator":
        depth += 1
        node = node.child_by_field_name("declarator")
    return depth


def unwrap_declarator(unit: CUnit, node: Node | None) -> _Declarator:
    depth, array, function, function_pointer = 0, False, None, False
    while node is not None:
        kind = node.type
        if kind in ("pointer_declarator", "abstract_pointer_declarator"):
            depth += 1
        elif kind in ("array_declarator", "abstract_array_declarator"):
            array = True
        elif kind in ("function_declarator", "abstract_function_declarator"):
            if function is None:
                function = node
            else:
                function_pointer = True
        elif kind == "parenthesized_declarator":
            inner = node.named_children[0] if node.named_children else None
            if function is not None and inner is not None and inner.type == "pointer_declarator":
                # `(*name)(args)`: a function pointer, not a function returning a pointer.
                function, function_pointer = None, True
                node = inner.child_by_field_name("declarator")
                continue
            node = inner
            continue
        elif kind == "init_declarator":
            pass
        elif kind in ("identifier", "field_identifier", "type_identifier", "primitive_type"):
            return _Declarator(unit.text(node), depth, function, array, function_pointer)
        else:
            break
        node = node.child_by_field_name("declarator")
    return _Declarator("", depth, function, array, function_pointer)


def _params(unit: CUnit, function: Node) -> tuple[list[CParam], bool]:
    params: list[CParam] = []
    variadic = False
    plist = function.child_by_field_name("parameters")
    for child in plist.named_children if plist is not None else []:
        if child.type == "variadic_parameter":
            variadic = True
            continue
        if child.type != "parameter_declaration":
            continue
        decl = unwrap_declarator(unit, child.child_by_field_name("declarator"))
        ptype = base_type(unit, child.child_by_field_name("type"))
        if ptype == "void" and not decl.pointer_depth and not decl.name and not decl.function_pointer:
            continue  # f(void)
        is_const = any(c.type == "type_qualifier" and unit.text(c) == "const" for c in child.children)
        params.append(CParam(decl.name, ptype, decl.pointer_depth + (1 if decl.array else 0),
                             decl.function_pointer or decl.function is not None, is_const))
    return params, variadic


def _add_function(model: CModel, unit: CUnit, node: Node, declarator: Node | None, *,
                  body: Node | None) -> None:
    decl = unwrap_declarator(unit, declarator)
    if decl.function is None or not decl.name:
        return
    params, variadic = _params(unit, decl.function)
    existing = model.functions.get(decl.name)
    function = CFunction(
        name=decl.name,
        return_type=base_type(unit, node.child_by_field_name("type")),
        return_pointer_depth=decl.pointer_depth + macro_type_depth(node.child_by_field_name("type")),
        params=params,
        unit=unit,
        line=node.start_point[0] + 1,
        body=body.child_by_field_name("body") if body is not None else None,
        attributes=_attributes(unit, node),
        comment=_leading_comment(unit, node),
        is_static="static" in _storage(unit, node),
        variadic=variadic,
    )
    if existing is None:
        model.functions[decl.name] = function
        return
    # A definition wins over a prototype; facts from both are kept.
    keep, other = (function, existing) if function.body is not None and existing.body is None else (existing, function)
    keep.attributes = keep.attributes + [a for a in other.attributes if a not in keep.attributes]
    keep.comment = keep.comment or other.comment
    if not any(p.name for p in keep.params) and len(other.params) == len(keep.params):
        keep.params = other.params
    model.functions[decl.name] = keep


def _collect_declaration(model: CModel, unit: CUnit, node: Node) -> None:
    type_node = node.child_by_field_name("type")
    if type_node is not None and type_node.type in ("struct_specifier", "union_specifier"):
        _collect_record(model, unit, type_node)
    storage = _storage(unit, node)
    for declarator in node.children_by_field_name("declarator"):
        decl = unwrap_declarator(unit, declarator)
        if decl.function is not None:
            _add_function(model, unit, node, declarator, body=None)
        elif decl.name:
            model.globals.setdefault(decl.name, CGlobal(
                decl.name, base_type(unit, type_node), decl.pointer_depth + (1 if decl.array else 0),
                unit, node.start_point[0] + 1, is_static="static" in storage, is_extern="extern" in storage))


def _collect_typedef(model: CModel, unit: CUnit, node: Node) -> None:
    type_node = node.child_by_field_name("type")
    if type_node is not None and type_node.type in ("struct_specifier", "union_specifier"):
        record = _collect_record(model, unit, type_node)
    else:
        record = None
    for declarator in node.children_by_field_name("declarator"):
        decl = unwrap_declarator(unit, declarator)
        if not decl.name:
            continue
        base = base_type(unit, type_node)
        if record is not None and base.endswith("<anonymous>"):
            # typedef struct { ... } name;  -> register the record under the typedef name.
            record.name = decl.name
            model.records[record.key] = record
            base = record.key
        model.typedefs[decl.name] = CTypedef(decl.name, base, decl.pointer_depth,
                                             decl.function_pointer or decl.function is not None)


def _collect_record(model: CModel, unit: CUnit, node: Node) -> CRecord | None:
    body = node.child_by_field_name("body")
    if body is None:
        return None
    kind = node.type.split("_")[0]
    name_node = node.child_by_field_name("name")
    members: list[CMember] = []
    for field in body.named_children:
        if field.type != "field_declaration":
            continue
        field_type = field.child_by_field_name("type")
        if field_type is not None and field_type.type in ("struct_specifier", "union_specifier"):
            _collect_record(model, unit, field_type)
        for declarator in field.children_by_field_name("declarator"):
            decl = unwrap_declarator(unit, declarator)
            members.append(CMember(decl.name, base_type(unit, field_type), decl.pointer_depth, decl.array,
                                   decl.function_pointer or decl.function is not None))
    record = CRecord(kind, unit.text(name_node) if name_node is not None else "<anonymous>", members,
                     unit.path, node.start_point[0] + 1)
    if name_node is not None:
        model.records[record.key] = record
    return record
