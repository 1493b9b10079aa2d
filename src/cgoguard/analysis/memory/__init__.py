"""Where the memory behind a Go expression comes from, and what was stored into it.

One :class:`FunctionMemory` models one function (with its closures): every allocation site
(``&T{}``, ``new``, ``make``, composite literals, non-constant strings, addressed locals)
is an :class:`Obj`; every assignment, declaration and ``copy`` is a :class:`Store` into an
object at a path of field names and indexes (``("p",)``, ``("a", "[0]")``, ``("[]",)`` for an
unknown index). :meth:`FunctionMemory.eval` gives the abstract :class:`Value` of an
expression at a byte position: Go memory (which object, where), C memory, mmap memory,
static data, nil, a scalar, or unknown. Values flow through locals position-aware: a use
sees the last store before it, so aliases and re-assignments are followed and a later
``x.p = nil`` kills an earlier ``x.p = &v``.

Parameters, results of unknown functions and anything the model cannot follow are
``UNKNOWN``: rules report only what is provable (precision first).

The modules, lowest layer first:

* :mod:`.values` — origins, objects, values, stores;
* :mod:`.facts` — what a function's model asks about its package (constructor results, C fields);
* :mod:`.core` — objects, types and code positions of one function;
* :mod:`.collect`, :mod:`.calls`, :mod:`.evaluate`, :mod:`.contents` — the writes of a
  function, the values of calls and of other expressions, what memory holds;
* :mod:`.function` — :class:`FunctionMemory`: those layers combined, store resolution, pinning;
* :mod:`.constructors`, :mod:`.fields` — the package facts (functions returning fresh memory,
  struct fields holding C memory);
* :mod:`.package` — :func:`function_memories`: a model per function of a package, and
  :func:`package_facts`, the package facts on their own (for other analyses' models).
"""

from cgoguard.analysis.memory.function import FunctionMemory
from cgoguard.analysis.memory.package import function_memories, package_facts
from cgoguard.analysis.memory.values import Address, Leaf, Obj, Origin, Store, Value

__all__ = ["Address", "FunctionMemory", "Leaf", "Obj", "Origin", "Store", "Value", "function_memories",
           "package_facts"]
