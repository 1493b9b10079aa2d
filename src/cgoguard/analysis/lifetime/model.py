"""The memory model of one function: its abstract objects, program sites and current state.

:class:`FunctionModel` is what the checks read (:mod:`.checks`) and the base on which the
operations (:mod:`.operations`) and the transfer functions (:mod:`.expressions`,
:mod:`.calls`, :mod:`.statements`) are built. Objects are interned by a key (an allocation
site, a variable name, a field of another object), so revisiting a node in a loop finds the
same objects.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, cached_property, partial
from typing import TYPE_CHECKING

from cgoguard.analysis.lifetime.events import Event, EventLog
from cgoguard.analysis.lifetime.state import FIELD_DEPTH, FREED, GLOBALS, NIL, Loc, Obj, Objs, State
from cgoguard.analysis.summaries import RECEIVER
from cgoguard.findings import Confidence
from cgoguard.gofront.resolve import LocalTypes
from cgoguard.gofront.syntax import nodes_of_type, text

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.analysis.cfg import CfgNode
    from cgoguard.analysis.lifetime.context import PackageContext
    from cgoguard.analysis.remedies import Remedy
    from cgoguard.gofront.gofile import GoFile
    from cgoguard.gofront.symbols import FuncInfo


class FunctionModel:
    """The objects of one function body (a declaration or a function literal) and its state
    at the node being transferred."""

    def __init__(self, pkg: PackageContext, file: GoFile, func: Node, info: FuncInfo | None,
                 declared: frozenset[str], events: EventLog) -> None:
        self.pkg = pkg
        self.file = file
        self.func = func
        self.info = info
        self.declared = declared  # names declared anywhere in the enclosing top-level function
        self.params = self._param_indexes()  # parameter or receiver name -> index
        top = func
        while top.type == "func_literal" and top.parent is not None:
            top = top.parent
        # Built once, on first use, for this model and its call sites (it must not refer back
        # to the model: a reference cycle would keep every finished analysis alive until a GC).
        self.build_local_types: Callable[[], LocalTypes] = cache(partial(LocalTypes, pkg.package, file, top))
        self.objects: list[Obj] = [Obj(NIL, "nil", None, "nil"), Obj(GLOBALS, "globals", None, "", root=True)]
        self.keys: dict[tuple, int] = {}
        self.sites: list[Node] = []  # statements and calls that free or defer, by site id
        self.site_ids: dict[tuple[int, int], int] = {}
        self.derived: dict[int, list[int]] = {}  # object -> field objects read from it
        self.interior: set[int] = set()  # field objects whose address (&x.f) was taken
        self.maps: set[int] = set()  # objects that are Go maps
        self.state = State()
        self.node: CfgNode | None = None  # the CFG node being transferred
        self.events = events
        self.maybe_frees = False  # inside a conditional branch of an inlined closure
        # Facts for the function's summary, gathered at its returns:
        self.field_uses: dict[tuple[int, str], Node] = {}  # (parameter, ".field") -> first read of its memory
        self.results: list[list[Objs]] = []  # per return: result objects the caller must release
        self.escaped: set[int] = set()  # objects escaped before some return
        self.exit_states: list[State] = []

    def _param_indexes(self) -> dict[str, int]:
        indexes: dict[str, int] = {}
        if self.info is not None:
            if self.info.receiver_name:
                indexes[self.info.receiver_name] = RECEIVER
            for index, (name, _) in enumerate(self.info.params):
                if name:
                    indexes[name] = index
        return indexes

    @cached_property
    def local_types(self) -> LocalTypes:
        """Types of the enclosing declaration's locals (built only when a question needs them)."""
        return self.build_local_types()

    # ----- objects and sites -----------------------------------------------------------
    def obj(self, key: tuple, kind: str, node: Node | None, label: str, **attrs: object) -> int:
        """The object interned under ``key``, created on first use."""
        known = self.keys.get(key)
        if known is not None:
            return known
        new = Obj(len(self.objects), kind, node, label, **attrs)  # type: ignore[arg-type]
        self.objects.append(new)
        self.keys[key] = new.id
        return new.id

    def site(self, node: Node) -> int:
        key = (node.start_byte, node.end_byte)
        if key not in self.site_ids:
            self.site_ids[key] = len(self.sites)
            self.sites.append(node)
        return self.site_ids[key]

    def field_obj(self, base: int, name: str, weak: bool = False, label: str = "") -> int:
        """The object read from location ``name`` of ``base`` (k-limited: deep ones are weak)."""
        known = self.keys.get(("field", base, name))
        if known is not None:
            return known
        parent = self.objects[base]
        depth = parent.depth + 1
        weak = weak or parent.weak or depth > FIELD_DEPTH
        child = self.obj(("field", base, name), "weak" if weak else "field", parent.node,
                         label or f"{parent.label}{name}", base=base, field=name, depth=depth, weak=weak)
        self.derived.setdefault(base, []).append(child)
        return child

    def fresh(self, obj: int) -> int:
        """A new instance of an abstract Go value (the declaration runs again in a loop)."""
        stale = {obj}
        stack = [obj]
        while stack:
            base = stack.pop()
            for child in self.derived.get(base, ()):
                if child not in stale:
                    stale.add(child)
                    stack.append(child)
        if any(o in self.state.flags for o in stale) or any(loc[0] in stale for loc in self.state.heap):
            for o in stale:
                self.state.flags.pop(o, None)
                self.state.freed_at.pop(o, None)
            self.state.heap = {loc: v for loc, v in self.state.heap.items() if loc[0] not in stale}
        return obj

    # ----- the heap -----------------------------------------------------------------------
    def load(self, loc: Loc, label: str, weak: bool = False) -> Objs:
        """What a location holds; an unknown location holds a field object of its base."""
        value = self.state.heap.get(loc)
        if value is not None:
            return value if loc[1] != "[*]" else value | frozenset({self.field_obj(loc[0], loc[1], True)})
        created = frozenset({self.field_obj(loc[0], loc[1], weak, label)})
        self.state.heap[loc] = created
        return created

    def reachable(self, value: Objs) -> Objs:
        """``value`` and everything stored in it, transitively."""
        seen = set(value - {NIL})
        if not self.state.heap:
            return frozenset(seen)
        by_base: dict[int, set[int]] = {}
        for (base, _), contents in self.state.heap.items():
            by_base.setdefault(base, set()).update(contents)
        stack = list(seen)
        while stack:
            for obj in by_base.get(stack.pop(), ()):
                if obj != NIL and obj not in seen:
                    seen.add(obj)
                    stack.append(obj)
        return frozenset(seen)

    def reachable_from_roots(self, obj: int) -> bool:
        """Whether a (non-root) object is stored in a location hanging off a root object."""
        return self.objects[obj].base >= 0 and self.objects[self.objects[obj].base].root

    def captured(self, literal: Node) -> Objs:
        """Objects of the enclosing function's variables that a function literal refers to."""
        result: set[int] = set()
        for node in nodes_of_type(literal, "identifier"):
            if text(node) in self.state.env:
                result |= self.state.env[text(node)]
        return frozenset(result)

    def is_global(self, name: str) -> bool:
        return name not in self.declared and name not in self.state.env and name in self.pkg.package.symbols.globals

    # ----- questions about objects ---------------------------------------------------------
    def freed_on_every_path(self, objs: Objs) -> bool:
        """Whether ``objs`` (without nil) is not empty and every one is freed on every path
        reaching here; weak objects stand for too much to say so."""
        return bool(objs) and not any(
            self.objects[o].weak or self.state.flags.get(o) != frozenset({FREED}) for o in objs)

    def field_of_param(self, obj: int) -> tuple[int, str] | None:
        """(parameter index, ".field") for the object read from a parameter's field."""
        info = self.objects[obj]
        if info.kind != "field" or not info.field.startswith("."):
            return None
        base = self.objects[info.base]
        if base.kind != "var" or base.label not in self.params:
            return None
        return self.params[base.label], info.field

    def is_go_memory(self, obj: int) -> bool:
        """A Go value made here (or an element or field of one), not C memory."""
        info = self.objects[obj]
        while info.base >= 0:
            info = self.objects[info.base]
        return info.kind == "local"

    # ----- events ---------------------------------------------------------------------------
    def emit(self, kind: str, node: Node, key: tuple, message: str, related: list[tuple[Node, str]],
             confidence: Confidence = Confidence.HIGH, obj: int = -1, file: GoFile | None = None,
             remedy: Remedy | None = None) -> None:
        """Report an event of ``kind`` (once per ``key`` and visit of the current CFG node), with
        what a fix of it needs to know."""
        self.events.emit(key, Event(kind, node, message, related, confidence, obj, file, remedy))

