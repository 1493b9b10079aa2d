"""Bad free: releasing memory a C function returned without handing over its ownership."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgoguard.analysis.lifetime.state import Objs

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.analysis.lifetime.model import FunctionModel

KIND = "bad-free"


def check_free(model: FunctionModel, objs: Objs, site_node: Node, what: str, via: str) -> None:
    """``via`` (a C deallocator or a wrapper that frees) releases ``objs`` at ``site_node``."""
    for obj in objs:
        info = model.objects[obj]
        if info.borrowed_from:
            model.emit(KIND, site_node, ("bad-free", obj),
                       f"{what} is freed with {via}, but it was returned by {info.borrowed_from}, which "
                       f"keeps ownership of it; do not free memory the library owns",
                       [(info.node, f"borrowed from {info.borrowed_from} here")] if info.node else [])
