"""The values of the memory model: where memory comes from (:class:`Origin`), pieces of memory
(:class:`Obj`), abstract values (:class:`Value`), and the writes a function makes (:class:`Store`).

Paths into an object are tuples of field names and indexes: ``("p",)``, ``("a", "[0]")``,
``("[]",)`` for an element at an unknown index (:data:`WILDCARD`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from tree_sitter import Node

from cgoguard.gofront.syntax import text, unparen

WILDCARD = "[]"
LITERALS = frozenset({"composite_literal", "literal_value"})  # literal_value: elided `{...}` inside a literal
# The form of value a reference of each (underlying) type kind is.
REFERENCE_FORMS = {"slice": "slice", "map": "map", "chan": "chan", "func": "func", "interface": "iface",
                   "pointer": "pointer", "unsafe-pointer": "pointer"}


class Origin(StrEnum):
    GO = "go"  # Go memory (heap, or a local the compiler moves to the heap)
    GLOBAL = "global"  # a Go package variable (data/bss)
    C = "c"  # C memory: C allocators, C function results, pointers loaded from C memory
    MMAP = "mmap"  # syscall.Mmap / unix.Mmap
    STATIC = "static"  # read-only data: string constants, functions without captures
    NIL = "nil"
    SCALAR = "scalar"  # not a pointer at all (integers, uintptr, bool)
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Obj:
    """A piece of memory: an allocation site, a local variable's storage, a package variable,
    or ("typed") the Go memory a parameter or field points to, known only from its static type."""

    kind: str  # "alloc", "local", "global" or "typed"
    name: str  # what to call it in messages ("p", "new(C.int)", ...)
    start: int  # byte offset of the allocating node or declaration (identity)
    line: int
    type_name: str = ""  # for "typed": the static type that makes it Go memory

    @property
    def assumed(self) -> bool:
        """Go memory by its static type only: the caller may have pinned it."""
        return self.kind == "typed"

    def describe(self) -> str:
        if self.kind == "alloc":
            return f"{self.name} (line {self.line})"
        if self.kind == "typed":
            return f"the object {self.name} points to"
        return f"{'package variable' if self.kind == 'global' else 'variable'} {self.name}"


@dataclass(frozen=True)
class Value:
    """The abstract value of an expression.

    ``form`` says what kind of value holds the reference: pointer, slice, string, map, chan,
    func, iface, or aggregate (a struct or array value: a copy of ``obj`` at ``path`` as it
    was at byte ``at``).
    """

    origin: Origin
    obj: Obj | None = None
    path: tuple[str, ...] = ()
    form: str = "pointer"
    node: Node | None = field(default=None, compare=False, hash=False)
    at: int = 0

    @property
    def is_foreign(self) -> bool:
        """C or mmap memory: memory the Go garbage collector does not manage."""
        return self.origin in (Origin.C, Origin.MMAP)

    def with_form(self, form: str, node: Node | None = None) -> Value:
        return Value(self.origin, self.obj, self.path, form, node or self.node, self.at)


UNKNOWN_VALUE = Value(Origin.UNKNOWN)
NIL_VALUE = Value(Origin.NIL)
SCALAR_VALUE = Value(Origin.SCALAR)


@dataclass(frozen=True)
class TupleItem:
    """The ``index``-th result of a multi-value ``call`` (``b, err := syscall.Mmap(...)``)."""

    call: Node
    index: int


UNKNOWN_RHS = "unknown"  # range variables and other values the model does not follow
C_OUT_RHS = "c-out"  # `C.get(&p)`: C may write a C pointer into p, or leave it as it was
StoreValue = Node | TupleItem | str | None  # None: the zero value


@dataclass
class Store:
    """``lhs = rhs`` (or a declaration, or ``copy(lhs, rhs)`` when ``is_copy``)."""

    lhs: Node
    rhs: StoreValue
    pos: int  # the store is visible from this byte on
    stmt: Node
    is_copy: bool = False


@dataclass(frozen=True)
class Leaf:
    """One reference-holding slot of an object's contents and the value stored there."""

    path: tuple[str, ...]
    value: Value
    store: Store | None


@dataclass
class Address:
    """Where a store writes or an ``&`` points: into ``obj`` at ``path``, or into foreign memory."""

    origin: Origin
    obj: Obj | None = None
    path: tuple[str, ...] = ()


@dataclass
class PinEvent:
    pos: int
    pinner: str
    arg: Node | None  # None for Unpin
    deferred: bool


def index_step(index: Node | None) -> str:
    """The path step of an index: ``[3]`` for a constant, :data:`WILDCARD` for any other."""
    index = unparen(index)
    if index is not None and index.type == "int_literal" and text(index).isdigit():
        return f"[{int(text(index))}]"
    return WILDCARD


def element_value(element: Node) -> Node:
    """The expression (or elided ``literal_value``) inside a ``literal_element``."""
    return element.named_children[0] if element.named_children else element


def overlaps(a: str, b: str) -> bool:
    """Whether two path steps may denote the same slot (an unknown index overlaps every index)."""
    return a == b or (a.startswith("[") and b.startswith("[") and WILDCARD in (a, b))


def is_prefix(prefix: tuple[str, ...], path: tuple[str, ...]) -> bool:
    """Whether the slot ``prefix`` may contain the slot ``path``."""
    return len(prefix) <= len(path) and all(overlaps(a, b) for a, b in zip(prefix, path, strict=False))


def short_label(source: str, limit: int = 40) -> str:
    """Source text short enough to name an object in a message."""
    source = " ".join(source.split())
    return source if len(source) <= limit else source[: limit - 3] + "..."
