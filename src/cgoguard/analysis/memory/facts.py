"""What the memory model of one function asks about the rest of its package.

:class:`~.function.FunctionMemory` depends only on these questions; the answers are computed
package-wide (:mod:`.constructors`, :mod:`.fields`), and a module-wide analysis can answer them
for other packages too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cgoguard.analysis.memory.values import Origin


@dataclass(frozen=True)
class ResultOrigin:
    origin: Origin  # GO (fresh Go memory) or C
    form: str


class FieldFacts(Protocol):
    def holds_c(self, owner: str, field_name: str) -> bool:
        """Whether field ``field_name`` of struct type ``owner`` holds C memory wherever it is read."""
        ...


class PackageFacts(Protocol):
    @property
    def fields(self) -> FieldFacts: ...

    def result(self, name: str, index: int = 0) -> ResultOrigin | None:
        """Where result ``index`` of the package function ``name`` points, when every return agrees."""
        ...
