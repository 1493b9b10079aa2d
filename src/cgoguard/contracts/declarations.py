"""Small questions about C declarations that several evidence readers ask."""

from __future__ import annotations

import re

from cgoguard.cfront.model import CFunction, CModel, CParam


def returns_pointer(model: CModel, function: CFunction) -> bool:
    """Whether the result is a pointer, spelled out or through a typedef (``HANDLE f(void)``)."""
    return function.returns_pointer or model.is_pointer_type(function.return_type)


def is_pointer_param(model: CModel, param: CParam) -> bool:
    return param.is_pointer or model.is_pointer_type(param.type)


def canonical_type(model: CModel, type_name: str) -> str:
    """``foo_t`` -> ``struct foo`` through non-pointer typedefs."""
    for _ in range(16):
        typedef = model.typedefs.get(type_name)
        if typedef is None or typedef.pointer_depth or typedef.is_function_pointer:
            break
        type_name = typedef.type
    return type_name


_CALL = re.compile(r"^\s*\(?\s*([A-Za-z_]\w*)\s*\((.*)\)\s*\)?\s*;?\s*$", re.S)
_CAST = re.compile(r"^\(\s*[A-Za-z_][\w\s]*\**\s*\)")
_PREPROCESSOR_BLOCKS = frozenset({"preproc_if", "preproc_ifdef", "preproc_elif", "preproc_else", "preproc_elifdef",
                                  "linkage_specification", "declaration_list"})


def function_aliases(model: CModel) -> dict[str, str]:
    """Names that stand for a function: ``#define my_free free`` and forwarding macros."""
    return {**forwarding_macros(model), **model.macro_aliases}


def forwarding_macros(model: CModel) -> dict[str, str]:
    """Function-like macros that only call a function with their parameters, in order:
    ``#define ZSTD_free(p) free((p))`` makes ``ZSTD_free(x)`` a call to ``free``."""
    found: dict[str, str] = {}
    for unit in model.units:
        pending = list(unit.root.named_children)
        while pending:
            node = pending.pop()
            if node.type in _PREPROCESSOR_BLOCKS:
                pending.extend(node.named_children)
            elif node.type == "preproc_function_def":
                name = unit.text(node.child_by_field_name("name"))
                params = node.child_by_field_name("parameters")
                target = _forwarded(unit.text(node.child_by_field_name("value")),
                                    [unit.text(p) for p in (params.named_children if params else [])])
                if target is not None and target != name:
                    found.setdefault(name, target)
    return found


def _forwarded(value: str, params: list[str]) -> str | None:
    match = _CALL.match(value)
    if match is None or not params:
        return None
    arguments = [_bare(a) for a in _split_arguments(match.group(2))]
    return match.group(1) if arguments == params else None


def _bare(argument: str) -> str:
    """``((void *)(p))`` -> ``p``."""
    text = argument.strip()
    while True:
        if text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
            text = text[1:-1].strip()
        elif (cast := _CAST.match(text)) is not None and text[cast.end():].strip():
            text = text[cast.end():].strip()
        else:
            return text


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += (char == "(") - (char == ")")
        if depth < 0:
            return False
    return depth == 0


def _split_arguments(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        depth += (char == "(") - (char == ")")
        current.append(char)
    parts.append("".join(current))
    return parts if any(p.strip() for p in parts) else []
