"""How messages name memory: by the variable or field holding it, or by its allocation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgoguard.analysis.lifetime.state import GLOBALS, Loc
from cgoguard.analysis.lifetime.syntax import message_line

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.analysis.lifetime.model import FunctionModel


def holder(model: FunctionModel, obj: int) -> str:
    """The variable (or else the field) holding ``obj`` now, "" when nothing names it."""
    for name, value in sorted(model.state.env.items()):
        if obj in value:
            return name
    for loc, value in model.state.heap.items():
        if obj in value and not loc[1].startswith("[") and loc[1] != "*":
            return location(model, loc)
    return ""


def location(model: FunctionModel, loc: Loc) -> str:
    base, name = loc
    if base == GLOBALS:
        return f"package variable {name.lstrip('.')}"
    return f"{model.objects[base].label}{name if not name.startswith('[') else '[...]'}"


def describe(model: FunctionModel, obj: int) -> str:
    info = model.objects[obj]
    held_by = holder(model, obj)
    if info.kind == "alloc":
        return f"the memory from {info.label} (line {message_line(info.node)})" if info.node else info.label
    return held_by or info.label


def allocation_related(model: FunctionModel, obj: int) -> list[tuple[Node, str]]:
    info = model.objects[obj]
    return [(info.node, "allocated here")] if info.kind == "alloc" and info.node is not None else []


def free_call(dealloc: str, holder_name: str) -> str:
    """The Go call that releases ``holder_name`` with ``dealloc``."""
    if dealloc == "C.free":
        return f"C.free(unsafe.Pointer({holder_name}))"
    return f"{dealloc}({holder_name})"
