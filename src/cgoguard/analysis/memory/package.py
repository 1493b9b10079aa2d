"""The memory models of a package's functions, wired to the package facts they consult."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgoguard.analysis.memory.constructors import Constructors
from cgoguard.analysis.memory.fields import FieldOrigins
from cgoguard.analysis.memory.function import FunctionMemory
from cgoguard.gofront.resolve import LocalTypes

if TYPE_CHECKING:
    from cgoguard.gofront.package import Package


def package_facts(package: Package) -> Constructors:
    """What the memory models of ``package``'s functions ask about the package (constructor
    results, fields holding C memory), computed on demand."""
    return Constructors(package, FieldOrigins(package))


def function_memories(package: Package) -> list[FunctionMemory]:
    """A FunctionMemory for every function and method with a body in the reported files."""
    constructors = package_facts(package)
    memories: list[FunctionMemory] = []
    for file in package.files:
        if not package.reports_on(file):
            continue
        for decl in file.root.named_children:
            if decl.type in ("function_declaration", "method_declaration") \
                    and decl.child_by_field_name("body") is not None:
                memories.append(FunctionMemory(LocalTypes(package, file, decl), constructors))
    return memories
