"""The memory models of a package's functions, wired to the package facts they consult."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgoguard.analysis.memory.constructors import Constructors
from cgoguard.analysis.memory.fields import FieldOrigins
from cgoguard.analysis.memory.function import FunctionMemory
from cgoguard.gofront.resolve import LocalTypes

if TYPE_CHECKING:
    from cgoguard.gofront.package import Package


def function_memories(package: Package) -> list[FunctionMemory]:
    """A FunctionMemory for every function and method with a body in the reported files."""
    constructors = Constructors(package, FieldOrigins(package))
    memories: list[FunctionMemory] = []
    for file in package.files:
        if not package.reports_on(file):
            continue
        for decl in file.root.named_children:
            if decl.type in ("function_declaration", "method_declaration") \
                    and decl.child_by_field_name("body") is not None:
                memories.append(FunctionMemory(LocalTypes(package, file, decl), constructors))
    return memories
