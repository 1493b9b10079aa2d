"""The abstract domain of the lifetime analysis: objects, the state at a program point, and
its join.

An :class:`Obj` stands for memory; a :class:`State` says where each local variable and heap
location may point and what each object may have gone through (``A`` allocated and owned
here, ``F`` freed, ``E`` escaped). Joins are unions, so ``{A, F}`` means "freed on some
paths"; :class:`Paths` keeps a few states apart per CFG node so that a free-then-nil on one
branch stays correlated with a later nil test.

Everything here is plain data: what the statements of a function do to it is in the transfer
functions (:mod:`.expressions`, :mod:`.calls`, :mod:`.statements`), what counts as a bug in
:mod:`.checks`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

Objs = frozenset[int]  # the objects an expression may denote
Loc = tuple[int, str]  # (object, ".field" | "[key]" | "[*]" | "*"): a heap location
NIL = 0  # the object of the nil pointer
GLOBALS = 1  # package variables are fields of this object
NONE: Objs = frozenset()
ALLOC, FREED, ESCAPED = "A", "F", "E"
FIELD_DEPTH = 3  # field-of-field-of... objects beyond this depth are weak summaries
MAX_PATHS = 4  # distinct states kept apart per CFG node before they are merged


@dataclass(slots=True)
class Obj:
    """One abstract object: an allocation site, a parameter or captured variable, a field or
    element read from another object, a Go composite value, or a value the analysis cannot see."""

    id: int
    kind: str  # nil | globals | alloc | var | field | weak | local | closure | opaque
    node: Node | None
    label: str
    owned: bool = False  # allocated here: the function must free it or hand it off
    dealloc: str = ""  # how to release it ("C.free", "C.buf_free", ...)
    root: bool = False  # a parameter, receiver, captured variable or the globals: outlives the call
    weak: bool = False  # stands for many objects (an element read through a variable index): never reported
    borrowed_from: str = ""  # C function whose result this is, when it must not be freed
    # Out-parameter allocations: names holding the call's status, or the `if` testing the call.
    # Paths that return from a branch on that status are the C function's failure paths.
    status: tuple[str | Node, ...] = ()
    # Freed or handed off inside a branch on that status: it only exists on that branch (an
    # error message written through `char **errmsg` on failure, a handle kept on success), so
    # the other paths do not leak it.
    freed_on_status: bool = False
    base: int = -1  # field objects: the object they were read from
    field: str = ""
    depth: int = 0


@dataclass(frozen=True, slots=True)
class Deferred:
    """A pending ``defer``: run at every return, last deferred first."""

    site: int  # id of the defer statement's site
    kind: str  # "call" (arguments evaluated at the defer) or "closure" (runs with exit-time values)
    objs: tuple[Objs, ...] = ()  # evaluated arguments, receiver first for method calls


class State:
    """What is known at one program point, on one group of paths."""

    __slots__ = ("dangling", "defers", "env", "flags", "freed_at", "heap", "nil_defers")

    def __init__(self) -> None:
        self.env: dict[str, Objs] = {}  # local variable -> the objects it may point to
        self.heap: dict[Loc, Objs] = {}  # heap location -> its contents
        self.flags: dict[int, frozenset[str]] = {}  # object -> ALLOC / FREED / ESCAPED
        self.freed_at: dict[int, frozenset[int]] = {}  # object -> sites of the frees that released it
        self.defers: frozenset[Deferred] = frozenset()
        # Frees of memory still referenced from a long-lived location: (free site, object, location).
        self.dangling: frozenset[tuple[int, int, Loc]] = frozenset()
        # `defer C.free(p)` evaluated while p was nil: (variable, defer site).
        self.nil_defers: frozenset[tuple[str, int]] = frozenset()

    def copy(self) -> State:
        new = State()
        new.env, new.heap, new.flags, new.freed_at = dict(self.env), dict(self.heap), dict(self.flags), dict(
            self.freed_at)
        new.defers, new.dangling, new.nil_defers = self.defers, self.dangling, self.nil_defers
        return new

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return isinstance(other, State) and self.env == other.env and self.flags == other.flags \
            and self.heap == other.heap and self.freed_at == other.freed_at and self.defers == other.defers \
            and self.dangling == other.dangling and self.nil_defers == other.nil_defers

    __hash__ = None  # type: ignore[assignment]


def join(a: State, b: State) -> State:
    """Both states' facts: every map is a union, so a flag on either side holds on some path."""
    out = State()
    out.env = _union_maps(a.env, b.env)
    out.heap = _union_maps(a.heap, b.heap)
    out.flags = _union_maps(a.flags, b.flags)
    out.freed_at = _union_maps(a.freed_at, b.freed_at)
    out.defers = a.defers | b.defers
    out.dangling = a.dangling | b.dangling
    out.nil_defers = a.nil_defers | b.nil_defers
    return out


def _union_maps(a: dict, b: dict) -> dict:
    if a is b or a == b:
        return a
    out = dict(a)
    for key, value in b.items():
        mine = out.get(key)
        out[key] = value if mine is None else mine | value
    return out


class Paths:
    """A few states, one per group of paths: keeps `if p != nil` correlated with earlier frees.

    Up to ``MAX_PATHS`` distinct states are kept apart; beyond that they are merged.
    """

    __slots__ = ("states",)

    def __init__(self, states: tuple[State, ...]) -> None:
        self.states = states

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Paths) and len(self.states) == len(other.states) and all(
            s in other.states for s in self.states)

    __hash__ = None  # type: ignore[assignment]

    def deduplicated(self) -> Paths:
        unique: list[State] = []
        for state in self.states:
            if state not in unique:
                unique.append(state)
        return Paths(tuple(unique))

    def join(self, other: Paths) -> Paths:
        combined = Paths(self.states + other.states).deduplicated()
        if len(combined.states) <= MAX_PATHS:
            return combined
        return Paths((combined.merged(),))

    def merged(self) -> State:
        """One state for all paths (what holds on every path is what "must" checks ask)."""
        result = self.states[0]
        for state in self.states[1:]:
            result = join(result, state)
        return result
