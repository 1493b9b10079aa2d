"""What a Go function does with memory, as seen by its callers.

Summaries are computed bottom-up over the call graph (:mod:`cgoguard.analysis.callgraph`),
so wrappers compose: ``newBuf`` returning ``(*C.char)(C.malloc(8))`` is an allocator,
``(*Buf).Close`` calling ``C.free(b.p)`` frees field ``p`` of its receiver, and a function
calling ``freeBuf(p)`` frees ``p`` too. The C-memory part comes from the lifetime analysis
(one function in :mod:`cgoguard.analysis.lifetime.summary`, the package in
:mod:`cgoguard.analysis.lifetime.driver`), the rest from :mod:`cgoguard.analysis.effects`;
the summaries of a package's functions are exported to the packages that import it as facts
(:mod:`cgoguard.analysis.facts`). Rules read summaries; summaries never depend on rules.

Parameter indexes count from 0; the receiver of a method is index ``RECEIVER``. Every field
is a tuple or frozenset of plain values, so a summary is immutable, hashable, comparable
(the fixpoint stops when nothing changes) and serialisable.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

RECEIVER = -1

# Where a parameter is kept after the call (FunctionSummary.stores).
STORED_IN_FIELD = "field"  # a field of another parameter or of a value reachable from one
STORED_IN_GLOBAL = "global"  # a package variable
STORED_IN_CONTAINER = "container"  # a map, slice or array element
STORED_IN_C_MEMORY = "c-memory"  # memory the Go garbage collector does not see
STORE_PLACES = frozenset({STORED_IN_FIELD, STORED_IN_GLOBAL, STORED_IN_CONTAINER, STORED_IN_C_MEMORY})
_STORE_FIELDS = frozenset({"param", "place", "path", "line", "function", "reported_there", "chain"})

# What a result is (FunctionSummary.result_kinds); owned C memory is in returns_owned and an
# alias of a parameter in returns_param.
RESULT_C = "c"  # C memory the caller does not own (borrowed from C, static C data)
RESULT_GO = "go"  # fresh Go memory
RESULT_STATIC = "static"  # read-only data (string constants, functions without captures)


@dataclass(frozen=True, slots=True)
class StoreSite:
    """Where a parameter ends up: ``param`` is kept in ``place`` by the statement at
    ``path:line`` (in ``function``, which may be a callee of the summarised function)."""

    param: int
    place: str  # one of STORE_PLACES
    path: str = ""
    line: int = 0
    function: str = ""  # qualified name of the function holding the store
    # The parameter's declared type already makes it Go memory where it is stored, so the
    # store is reported there (callers need not report it again).
    reported_there: bool = False
    # The calls that lead from the summarised function to the store: (path, line, callee)
    # for each, outermost first (empty when the summarised function stores it itself).
    chain: tuple[tuple[str, int, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"param": self.param, "place": self.place, "path": self.path, "line": self.line,
                "function": self.function, "reported_there": self.reported_there,
                "chain": [list(hop) for hop in self.chain]}

    @classmethod
    def from_json(cls, data: Any) -> StoreSite:
        if not isinstance(data, dict) or set(data) != _STORE_FIELDS:
            raise ValueError(f"bad store entry {data!r}")
        chain = tuple(_checked(hop, "sis", "store chain") for hop in data["chain"])
        site = cls(data["param"], data["place"], data["path"], data["line"], data["function"],
                   data["reported_there"], chain)  # type: ignore[arg-type]
        if not (isinstance(site.param, int) and isinstance(site.line, int) and site.place in STORE_PLACES
                and isinstance(site.path, str) and isinstance(site.function, str)
                and isinstance(site.reported_there, bool)):
            raise ValueError(f"bad store entry {data!r}")
        return site


@dataclass(frozen=True, slots=True)
class FunctionSummary:
    # result index -> deallocator of the C memory the caller receives and must release
    returns_owned: tuple[tuple[int, str], ...] = ()
    # result index -> parameter index whose pointer the result aliases
    returns_param: tuple[tuple[int, int], ...] = ()
    frees: frozenset[int] = frozenset()  # parameters released on some path
    escapes: frozenset[int] = frozenset()  # parameters stored somewhere longer-lived or handed off
    frees_fields: frozenset[tuple[int, str]] = frozenset()  # (parameter, ".field") released
    nils_fields: frozenset[tuple[int, str]] = frozenset()  # (parameter, ".field") set to nil afterwards
    # parameters whose elements or deeper fields are released (`for i := range ds { C.free(ds[i].buf) }`)
    frees_contents: frozenset[int] = frozenset()
    # (parameter, ".field") whose C memory the function reads (`b.c.len`, `C.f(b.c)`)
    uses_fields: frozenset[tuple[int, str]] = frozenset()
    # ----- module-wide facts ---------------------------------------------------------------
    frees_always: frozenset[int] = frozenset()  # parameters released on every path that returns
    stores: tuple[StoreSite, ...] = ()  # parameters kept after the call, and where
    hands_off: frozenset[int] = frozenset()  # parameters passed to a goroutine or sent on a channel
    result_kinds: tuple[tuple[int, str], ...] = ()  # result index -> one of RESULT_KINDS
    # (parameter, ".field", deallocator): the field holds owned C memory on return
    fills_fields: frozenset[tuple[int, str, str]] = frozenset()
    # (parameter, ".field") assigned something else than nil or an allocation
    overwrites_fields: frozenset[tuple[int, str]] = frozenset()
    frees_globals: frozenset[str] = frozenset()  # package variables whose C memory is released
    nils_globals: frozenset[str] = frozenset()  # package variables set to nil
    fills_globals: frozenset[tuple[str, str]] = frozenset()  # (package variable, deallocator)
    overwrites_globals: frozenset[str] = frozenset()  # package variables assigned something else
    sets_finalizer: frozenset[int] = frozenset()  # parameters given a finalizer (runtime.SetFinalizer)
    # The function could not be analysed (an internal error, a syntax error in its body):
    # callers treat a call of it like a call of unknown code.
    unknown: bool = False

    def owned_result(self, index: int) -> str | None:
        return next((dealloc for i, dealloc in self.returns_owned if i == index), None)

    def aliased_param(self, index: int) -> int | None:
        return next((param for i, param in self.returns_param if i == index), None)

    def result_kind(self, index: int) -> str | None:
        return next((kind for i, kind in self.result_kinds if i == index), None)

    def stores_of(self, param: int) -> tuple[StoreSite, ...]:
        return tuple(s for s in self.stores if s.param == param)

    # ----- serialisation -------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Only the fields that differ from the empty summary, as JSON values."""
        data: dict[str, Any] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if value == getattr(EMPTY_SUMMARY, spec.name):
                continue
            if spec.name == "stores":
                data["stores"] = [site.to_json() for site in value]
            elif isinstance(value, bool):
                data[spec.name] = value
            else:
                data[spec.name] = sorted([list(v) if isinstance(v, tuple) else v for v in value],
                                         key=_sort_key)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FunctionSummary:
        """The summary ``to_json`` wrote; raises ValueError (or TypeError, KeyError) on
        anything else, so that a damaged fact is a cache miss and never a wrong summary."""
        if not isinstance(data, dict):
            raise ValueError("a function summary is a JSON object")
        values: dict[str, Any] = {}
        for spec in fields(cls):
            if spec.name not in data:
                continue
            raw = data[spec.name]
            default = getattr(EMPTY_SUMMARY, spec.name)
            if spec.name == "stores":
                values["stores"] = tuple(StoreSite.from_json(item) for item in raw)
            elif isinstance(default, bool):
                if not isinstance(raw, bool):
                    raise ValueError(f"{spec.name}: not a boolean")
                values[spec.name] = raw
            else:
                items = tuple(_checked(item, _SHAPES[spec.name], spec.name) for item in raw)
                values[spec.name] = frozenset(items) if isinstance(default, frozenset) else tuple(items)
        unknown = set(data) - {spec.name for spec in fields(cls)}
        if unknown:
            raise ValueError(f"unknown summary fields {sorted(unknown)}")
        return cls(**values)


def _sort_key(value: object) -> str:
    return repr(value)


# The shape of the entries of each collection field: "i" an int, "s" a string, "is" a pair...
_SHAPES = {
    "returns_owned": "is", "returns_param": "ii", "frees": "i", "escapes": "i", "frees_fields": "is",
    "nils_fields": "is", "frees_contents": "i", "uses_fields": "is", "frees_always": "i", "hands_off": "i",
    "result_kinds": "is", "fills_fields": "iss", "overwrites_fields": "is", "frees_globals": "s",
    "nils_globals": "s", "fills_globals": "ss", "overwrites_globals": "s", "sets_finalizer": "i",
}


def _checked(item: object, shape: str, what: str) -> object:
    """A JSON value of ``shape`` back to an int, a string or a tuple; ValueError otherwise."""
    values = item if isinstance(item, list) and len(shape) > 1 else [item]
    if len(values) != len(shape) or not all(_is(v, kind) for v, kind in zip(values, shape, strict=True)):
        raise ValueError(f"bad {what} entry {item!r}")
    return tuple(values) if len(shape) > 1 else item


def _is(value: object, kind: str) -> bool:
    if kind == "i":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)


EMPTY_SUMMARY = FunctionSummary()
UNKNOWN_SUMMARY = FunctionSummary(unknown=True)
