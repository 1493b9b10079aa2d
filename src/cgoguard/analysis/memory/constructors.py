"""Package functions that construct memory: their result is always fresh Go memory or C memory.

:class:`Constructors` answers the :class:`~.facts.PackageFacts` questions of the functions'
memory models; each function it summarises is modelled under the same answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgoguard.analysis.memory.facts import FieldFacts, ResultOrigin
from cgoguard.analysis.memory.function import FunctionMemory
from cgoguard.analysis.memory.values import Origin
from cgoguard.gofront.resolve import LocalTypes
from cgoguard.gofront.syntax import walk_skipping_funcs

if TYPE_CHECKING:
    from cgoguard.gofront.package import Package


class Constructors:
    """Package functions whose result always is fresh Go memory (``func newT() *T { return
    &T{} }``) or C memory (``func newBox() (*C.box, error) { return C.box_new(), nil }``).

    ``nil`` results are ignored (error paths): they never make a pointer rule fire.
    """

    def __init__(self, package: Package, fields: FieldFacts) -> None:
        self.package = package
        self.fields = fields
        self._results: dict[tuple[str, int], ResultOrigin | None] = {}

    def result(self, name: str, index: int = 0) -> ResultOrigin | None:
        """Where result ``index`` of ``name(...)`` points, when every return agrees."""
        key = (name, index)
        if key not in self._results:
            self._results[key] = None  # guards recursion
            self._results[key] = self._summarize(name, index)
        return self._results[key]

    def _summarize(self, name: str, index: int) -> ResultOrigin | None:
        info = self.package.symbols.funcs.get(name)
        body = info.body if info is not None else None
        if info is None or body is None or index >= len(info.results):
            return None
        memory = FunctionMemory(LocalTypes(self.package, info.file, info.node), self)
        found: set[ResultOrigin] = set()
        for node in walk_skipping_funcs(body):
            if node.type != "return_statement":
                continue
            results = [c for c in node.named_children if c.type == "expression_list"]
            values = results[0].named_children if results else []
            if len(values) != len(info.results):
                return None  # a bare return or `return f()` of a tuple: not followed
            value = memory.eval(values[index], node.start_byte)
            if value.origin is Origin.NIL:
                continue
            if value.origin not in (Origin.GO, Origin.C) or value.form == "aggregate":
                return None
            found.add(ResultOrigin(value.origin, value.form))
        return found.pop() if len(found) == 1 else None
