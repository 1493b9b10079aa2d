"""C-memory lifetime analysis: a forward dataflow over each function's CFG.

Abstract objects stand for memory: one per allocation site (``C.CString``, ``C.malloc``, an
owned C result per the contracts, an owned result of a package wrapper), one per parameter,
captured variable or unknown value, one per field/element read from another object
(k-limited: past a small depth they become *weak* summary objects that are never
reported on), and one per Go composite value. The state maps

* local variables to the objects they may point to (``env``),
* ``(object, ".field" | "[key]" | "*")`` locations to their contents (``heap``; package
  variables are fields of one ``globals`` object),
* objects to the set of states they may be in: ``A`` allocated and owned here, ``F`` freed,
  ``E`` escaped (returned, stored somewhere longer-lived, handed to code that keeps it),
* pending deferred calls (arguments evaluated at the ``defer``), pending frees of memory still
  reachable from long-lived locations, and ``defer`` statements that captured a nil pointer.

Joins are unions, so ``{A, F}`` means "freed on some paths". Up to four states are kept
apart per CFG node (:class:`Paths`), and ``if p == nil`` / ``if p != nil`` refine them, so a
free-then-nil on one branch stays correlated with the later test. Use-after-free and double
free are reported only when *every* object the expression may denote is freed on every path
reaching it (``{F}`` in the merged state); leaks and dangling references when they hold on
some path at a ``return`` (panics and ``os.Exit`` are ignored).

C functions often report failure through a status (``rc := C.open(&h)``, an ``&errmsg``
out-parameter, a Go wrapper's ``err``): memory that is freed, stored or handed off only in a
branch testing that status is assumed not to exist on the other branch (NULL on failure).
Package-level summaries (see :mod:`cgoguard.analysis.summaries`) make wrappers transparent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TYPE_CHECKING

from tree_sitter import Node, Query, QueryCursor

from cgoguard.analysis.cfg import COND, DEFER, GO, RANGE, RETURN, STMT, Cfg, CfgNode, build_cfg
from cgoguard.analysis.dataflow import ForwardAnalysis
from cgoguard.analysis.lifetime.state import (
    ALLOC,
    ESCAPED,
    FIELD_DEPTH,
    FREED,
    GLOBALS,
    NIL,
    NONE,
    Deferred,
    Loc,
    Obj,
    Objs,
    Paths,
    State,
)
from cgoguard.analysis.summaries import EMPTY_SUMMARY, RECEIVER, FunctionSummary
from cgoguard.findings import Confidence, InputError
from cgoguard.gofront.resolve import LocalTypes
from cgoguard.gofront.syntax import (
    GO_LANGUAGE,
    c_name,
    call_parts,
    nodes_of_type,
    text,
    unparen,
    walk_skipping_funcs,
)

if TYPE_CHECKING:
    from cgoguard.gofront.package import GoFile, Package
    from cgoguard.gofront.symbols import FuncInfo
    from cgoguard.rules.base import RuleContext, RuleMeta

# Boolean fields that record an object's end of life (set true) or that it is usable (set false).
_FINISHED_FLAG = re.compile(r"(?i)clos|free|releas|destr|dispos|dead|done|finaliz")
_ALIVE_FLAG = re.compile(r"(?i)valid|open|alive|live|active|init|usable")

_MUST_KINDS = frozenset({"use-after-free", "double-free", "bad-free"})  # reported when true on every path
_MAY_KINDS = frozenset({"leak", "dangling"})  # reported when true on some path

# Calls through which a pointer keeps denoting the same memory.
_ALIAS_CALLS = frozenset({"unsafe.Add", "unsafe.Slice", "unsafe.String", "unsafe.SliceData", "unsafe.StringData"})
# cgo helpers that read C memory (a use) and return Go memory.
_C_READERS = frozenset({"GoString", "GoStringN", "GoBytes"})
# Standard-library calls that neither keep nor free their arguments.
_HARMLESS_CALLS = frozenset({
    "runtime.KeepAlive", "fmt.Errorf", "fmt.Sprintf", "fmt.Printf", "fmt.Println", "fmt.Print", "fmt.Sprint",
    "fmt.Fprintf", "errors.New", "log.Printf", "log.Println", "len", "cap", "print", "println", "panic",
    "min", "max", "complex", "real", "imag", "close",
})
_CONDITIONAL_PARENTS = frozenset({
    "if_statement", "for_statement", "expression_switch_statement", "type_switch_statement", "select_statement",
})
_ARITHMETIC = frozenset({"+", "-", "&", "|", "^", "&^", "<<", ">>", "*", "/", "%"})


@dataclass(slots=True)
class CallInfo:
    func: Node | None
    args: list[Node]
    kind: str = "unknown"  # none|closure|conversion|c|builtin|alias|finalizer|harmless|go|unknown
    cname: str = ""
    name: str = ""  # the callee identifier of a plain call (`append`, `freeBuf`)
    callee: FuncInfo | None = None
    receiver: Node | None = None
    string_conversion: bool = False
    passes_destructor: bool = False  # a C call handed a release function or a "free it" flag


@dataclass(slots=True)
class Event:
    kind: str  # leak | use-after-free | double-free | dangling | bad-free
    node: Node
    message: str
    related: list[tuple[Node, str]] = field(default_factory=list)
    confidence: Confidence = Confidence.HIGH
    obj: int = -1  # the leaked object, for leaks (re-checked once the analysis is complete)
    file: GoFile | None = None  # where ``node`` is, when not in the analysed function's file


class Ownership:
    """The C side's ownership facts (from the contracts), in the questions the analysis asks."""

    def __init__(self, contracts: object) -> None:
        self.contracts = contracts
        self._contracts: dict[str, object | None] = {}

    def contract(self, name: str) -> object | None:
        if name not in self._contracts:
            self._contracts[name] = self.contracts.get(name) if self.contracts is not None else None  # type: ignore[attr-defined]
        return self._contracts[name]

    @cached_property
    def paired_deallocators(self) -> frozenset[str]:
        """Functions some allocator names as the way to release its result (plus free)."""
        names = {"free", "realloc"}
        for contract in self.contracts or ():  # type: ignore[attr-defined]
            names.add(getattr(contract, "deallocator", None) or "free")
            names.update(d for d in getattr(contract, "owned_out_args", {}).values() if d)
        return frozenset(names)


@dataclass
class PackageContext:
    package: Package
    ownership: Ownership
    summaries: dict[int, FunctionSummary] = field(default_factory=dict)  # by FuncInfo node id
    # (function node id, parameter, ".field") -> where the function reads that field's memory
    field_uses: dict[tuple[int, int, str], tuple[GoFile, Node]] = field(default_factory=dict)
    finalizers: set[int] = field(default_factory=set)  # func nodes used as finalizers (by node id)


class FunctionAnalysis:
    """The lifetime dataflow of one function body (a declaration or a function literal)."""

    def __init__(self, pkg: PackageContext, file: GoFile, func: Node, info: FuncInfo | None,
                 declared: frozenset[str]) -> None:
        self.pkg = pkg
        self.file = file
        self.func = func
        self.info = info
        self.declared = declared  # names declared anywhere in the enclosing top-level function
        self.objects: list[Obj] = [Obj(NIL, "nil", None, "nil"), Obj(GLOBALS, "globals", None, "", root=True)]
        self.keys: dict[tuple, int] = {}
        self.sites: list[Node] = []
        self.site_ids: dict[tuple[int, int], int] = {}
        self.closures: dict[str, Node] = {}  # local variable -> function literal bound to it
        self.closure_sites: dict[int, Node] = {}  # deferred-closure site -> its function literal
        self.maybe_frees = False  # inside a conditional branch of an inlined closure
        self.field_uses: dict[tuple[int, str], Node] = {}  # (parameter, ".field") -> first read of its memory
        self.maps: set[int] = set()
        self._calls: dict[int, CallInfo] = {}
        self._names: dict[int, str] = {}  # identifier node id -> name (the dataflow revisits nodes)
        self.interior: set[int] = set()
        self.derived: dict[int, list[int]] = {}  # object -> field objects read from it
        self._scopes: dict[str, list[tuple[int, int]]] | None = None  # field objects whose address (&x.f) was taken
        self.not_maps: set[int] = set()
        self.events: list[Event] = []
        self._node_events: dict[int, list[tuple[tuple, Event]]] = {}  # CFG node -> its last visit's events
        self._buffer: list[tuple[tuple, Event]] = []
        self.reporting = False
        self.report_kinds = _MUST_KINDS | _MAY_KINDS
        self.node: CfgNode | None = None
        self.state = State()
        self.params = self._param_indexes()
        self.cfg: Cfg = build_cfg(func)
        self.results: list[list[Objs]] = []  # per return: result objects (for the summary)
        self.escaped: set[int] = set()  # objects escaped before some return (for the summary)
        self.exit_states: list[State] = []

    # ----- objects and sites -----------------------------------------------------------
    def obj(self, key: tuple, kind: str, node: Node | None, label: str, **attrs: object) -> int:
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

    def _param_indexes(self) -> dict[str, int]:
        indexes: dict[str, int] = {}
        if self.info is not None:
            if self.info.receiver_name:
                indexes[self.info.receiver_name] = RECEIVER
            for index, (name, _) in enumerate(self.info.params):
                if name:
                    indexes[name] = index
        return indexes

    # ----- running -----------------------------------------------------------------------
    def run(self) -> None:
        initial = State()
        if self.info is not None:
            for name, _ in self.info.results:
                if name:
                    initial.env[name] = frozenset({NIL})
        # Findings are collected while solving: a node's last visit sees its final state (it is
        # visited again whenever its input changes), so its last batch of events is the answer.
        self.reporting = True
        ForwardAnalysis(self.cfg, Paths((initial,)), self._transfer_paths, Paths.join, self._refine_paths).solve()
        reported: set[tuple] = set()
        for node_id in sorted(self._node_events, key=lambda n: _position(self.cfg.nodes[n])):
            for key, event in self._node_events[node_id]:
                if key in reported or (event.obj >= 0 and self.objects[event.obj].freed_on_status):
                    continue  # (that fact may have been learnt after the event was recorded)
                reported.add(key)
                self.events.append(event)

    def _transfer_paths(self, node: CfgNode, paths: Paths) -> Paths:
        self._buffer = self._node_events[node.id] = []
        if len(paths.states) > 1:
            # "Must" facts (use after free, double free) hold on every path reaching the node...
            self.report_kinds = _MUST_KINDS
            self._transfer(node, paths.merged())
            # ...while a leak or a dangling reference on any one path is a finding.
            self.report_kinds = _MAY_KINDS
        else:
            self.report_kinds = _MUST_KINDS | _MAY_KINDS
        return Paths(tuple(self._transfer(node, state) for state in paths.states)).deduplicated()

    def _refine_paths(self, node: CfgNode, succ: int, paths: Paths) -> Paths:
        if node.true_succ < 0:
            return paths
        refined = (self._refine(node, succ, state) for state in paths.states)
        return Paths(tuple(state for state in refined if state is not None))

    def _bind_type_switch(self, head: Node, value: Objs) -> None:
        """`switch x := v.(type)`: x denotes v's value, anew at each execution."""
        statement = head.parent
        if statement is None or statement.type != "type_switch_statement":
            return
        for alias in _expressions(statement.child_by_field_name("alias")):
            if alias.type == "identifier":
                self.assign(alias, value)

    def _refine(self, node: CfgNode, succ: int, state: State) -> State | None:
        """On the edges out of `if p != nil` / `if p == nil`, p is (not) nil; None: infeasible."""
        if node.ast is None:
            return state
        holds = succ == node.true_succ
        refined = state
        for tested, non_nil in _nil_tests(node.ast, holds):
            where = self._tested_location(tested, state)
            if where is None:
                continue
            value = state.env.get(where) if isinstance(where, str) else state.heap.get(where)
            if value is None:
                continue
            if non_nil:
                narrowed = value - {NIL}
            else:  # unknown values (parameters, results of unknown calls) may be nil too
                narrowed = frozenset({NIL}) if NIL in value or any(
                    self.objects[o].kind in _MAYBE_NIL for o in value) else NONE
            if not narrowed:
                return None  # p is never nil (or always nil) on this path: the edge is not taken
            if narrowed == value:
                continue
            refined = refined.copy() if refined is state else refined
            if isinstance(where, str):
                refined.env[where] = narrowed
            else:
                refined.heap[where] = narrowed
            if not non_nil:
                self._forget_unreferenced(refined, value - narrowed, node.ast)
        return refined

    def _forget_unreferenced(self, state: State, objs: Objs, at: Node) -> None:
        """``p == nil`` on this path: what only p could have held was never allocated here (the C
        call returned NULL), or the paths that allocated it were merged with this one."""
        in_scope = [v for name, v in state.env.items() if self._in_scope(name, at)]
        referenced = frozenset().union(*in_scope, *state.heap.values())
        for obj in objs - referenced:
            flags = state.flags.get(obj)
            if flags is not None and ALLOC in flags:
                state.flags[obj] = flags - {ALLOC}

    def _in_scope(self, name: str, at: Node) -> bool:
        """Whether a local declared in an inner block (a loop body) is still visible at ``at``."""
        if self._scopes is None:
            self._scopes = {}
            for ident in _captures(_DECLARATIONS, self.func):
                scope = ident.parent
                while scope is not None and scope.type not in _SCOPES:
                    scope = scope.parent
                if scope is not None:
                    self._scopes.setdefault(text(ident), []).append((scope.start_byte, scope.end_byte))
        ranges = self._scopes.get(name)
        return ranges is None or any(start <= at.start_byte < end for start, end in ranges)

    def _tested_location(self, tested: Node, state: State) -> str | Loc | None:
        """The variable or field a nil test looks at (``p``, or ``x.f.g`` through single objects)."""
        if tested.type == "identifier":
            return text(tested)
        operand = unparen(tested.child_by_field_name("operand"))
        if operand is None:
            return None
        if operand.type == "identifier":
            bases = state.env.get(text(operand), NONE) - {NIL}
        elif operand.type == "selector_expression":
            inner = self._tested_location(operand, state)
            bases = state.heap.get(inner, NONE) - {NIL} if isinstance(inner, tuple) else NONE
        else:
            return None
        if len(bases) != 1:
            return None
        return (next(iter(bases)), "." + text(tested.child_by_field_name("field")))

    def _transfer(self, node: CfgNode, state: State) -> State:
        if node.ast is None or node.kind not in (STMT, COND, RANGE, RETURN, DEFER, GO):
            return state
        self.state = state.copy()
        self.node = node
        if node.kind == RETURN:
            self._return(node.ast)
        elif node.kind == DEFER:
            self._defer(node.ast)
        elif node.kind == GO:
            self._go(node.ast)
        elif node.kind == RANGE:
            self._range(node.ast)
        elif node.kind == COND:
            value = self.eval(node.ast)
            self._bind_type_switch(node.ast, value)
        else:
            self._statement(node.ast)
        return self.state

    # ----- statements --------------------------------------------------------------------
    def _statement(self, stmt: Node) -> None:
        kind = stmt.type
        if kind in ("short_var_declaration", "assignment_statement"):
            self._assignment(stmt)
        elif kind == "var_declaration":
            for spec in (c for n in walk_skipping_funcs(stmt) for c in [n] if n.type == "var_spec"):
                self._var_spec(spec)
        elif kind == "expression_statement":
            for child in stmt.named_children:
                self.eval(child)
        elif kind == "send_statement":
            self.escape(self.eval(stmt.child_by_field_name("value")))
        elif kind == "receive_statement":
            self.eval(stmt.child_by_field_name("right"))
            for left in _expressions(stmt.child_by_field_name("left")):
                self.assign(left, NONE)
        elif kind in ("inc_statement", "dec_statement"):
            return
        else:
            for child in stmt.named_children:
                if child.type.endswith("expression"):
                    self.eval(child)

    def _assignment(self, stmt: Node) -> None:
        lefts = _expressions(stmt.child_by_field_name("left"))
        rights = _expressions(stmt.child_by_field_name("right"))
        operator = text(stmt.child_by_field_name("operator")) if stmt.type == "assignment_statement" else ":="
        if operator not in ("=", ":="):
            for node in lefts + rights:
                self.eval(node)
            for left in lefts:  # `p += size`: a new value (pointer arithmetic moves on)
                self.assign(left, frozenset({self.obj(("result", stmt.start_byte, 0), "opaque", stmt, text(left))}))
            return
        if len(lefts) == len(rights):
            values = [self.eval(right) for right in rights]
            for left, right, value in zip(lefts, rights, values, strict=True):
                if unparen(right).type == "func_literal" and unparen(left).type == "identifier":
                    self.closures[text(left)] = unparen(right)
                self.assign(left, value)
            return
        if len(rights) == 1:
            results = self.eval_multi(rights[0], len(lefts))
            for index, left in enumerate(lefts):
                self.assign(left, results[index] if index < len(results) else NONE)

    def _var_spec(self, spec: Node) -> None:
        names = spec.children_by_field_name("name")
        values_node = spec.child_by_field_name("value")
        values = _expressions(values_node)
        if not values:
            declared = unparen(spec.child_by_field_name("type"))
            for name in names:
                self.state.env[text(name)] = self._zero_value(name, declared)
            return
        if len(values) == len(names):
            for name, value in zip(names, values, strict=True):
                self.assign(name, self.eval(value))
        else:
            results = self.eval_multi(values[0], len(names))
            for index, name in enumerate(names):
                self.assign(name, results[index] if index < len(results) else NONE)

    def _zero_value(self, name: Node, declared: Node | None) -> Objs:
        """nil for pointer-like types; a fresh local value for structs and arrays."""
        if declared is None or declared.type in ("pointer_type", "slice_type", "map_type", "channel_type",
                                                 "function_type", "interface_type") \
                or text(declared) == "unsafe.Pointer" or c_name(declared) == "uintptr_t":
            return frozenset({NIL})
        return frozenset({self.fresh(self.obj(("local", name.start_byte), "local", name, text(name)))})

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

    def _return(self, node: Node) -> None:
        values: list[Objs] = []
        if node.type == "return_statement":
            exprs = _expressions(node.named_children[0] if node.named_children else None)
            if len(exprs) == 1 and self.info is not None and len(self.info.results) > 1:
                values = self.eval_multi(exprs[0], len(self.info.results))
            else:
                values = [self.eval(e) for e in exprs]
            if not exprs and self.info is not None:
                values = [self.state.env.get(name, NONE) for name, _ in self.info.results if name]
        returned = frozenset().union(*values) if values else NONE
        reachable = self.reachable(returned)
        if self.reporting:
            self._check_returned_freed(node, returned)
            # Escaped parameters, for the summary: stored or handed off before returning, or
            # returned inside something else (`return &T{p: p}`); returning p itself is an alias.
            self.escaped |= {o for o, flags in self.state.flags.items() if ESCAPED in flags}
            self.escaped |= reachable - returned
            # The caller owns what is still ours here, not what we already stored elsewhere.
            self.results.append(self._caller_owned(values))
        self.escape(returned)
        before_defers = {o: self.state.flags.get(o) for o in reachable}
        self._run_defers(node)
        if self.reporting:
            self._check_freed_by_defers(node, reachable, before_defers)
            self.exit_states.append(self.state)
            self._check_leaks(node)
            self._check_dangling(node)

    def _caller_owned(self, values: list[Objs]) -> list[Objs]:
        """Per result: what the caller must release. Not what we already stored elsewhere, nor
        what another result takes care of (`return p, func() { C.free(p) }`)."""
        owned: list[Objs] = []
        for index, value in enumerate(values):
            others = frozenset().union(*(self._held_by(v) for j, v in enumerate(values) if j != index))
            owned.append(frozenset(o for o in value if not self.objects[o].owned or (
                ALLOC in self.state.flags.get(o, frozenset()) and o not in others)))
        return owned

    def _held_by(self, value: Objs) -> Objs:
        """Objects reachable from ``value``, through closures' captured variables too."""
        seen: set[int] = set()
        pending = set(value - {NIL})
        while pending:
            batch = self.reachable(frozenset(pending)) - seen
            seen |= batch
            pending = set()
            for obj in batch:
                info = self.objects[obj]
                if info.kind == "closure" and info.node is not None:
                    pending |= self.captured(info.node) - seen
        return frozenset(seen)

    def _defer(self, stmt: Node) -> None:
        call = unparen(stmt.named_children[0]) if stmt.named_children else None
        if call is None or call.type != "call_expression":
            return
        func, args = call_parts(call)
        func = unparen(func)
        site = self.site(stmt)
        literal = func if func is not None and func.type == "func_literal" else None
        if literal is None and func is not None and func.type == "identifier":
            literal = self.closures.get(text(func))
        if literal is not None:
            for arg in args:
                self.eval(arg)
            self.state.defers = self.state.defers | {Deferred(site, "closure", ())}
            self.closure_sites[site] = literal
            return
        receiver = unparen(func.child_by_field_name("operand")) if func is not None and \
            func.type == "selector_expression" and c_name(func) is None else None
        evaluated = tuple(self.eval(a) for a in ([receiver] if receiver is not None else []) + args)
        for arg, objs in zip(args, evaluated[len(evaluated) - len(args):], strict=True):
            target = _root_identifier(arg)
            if objs == frozenset({NIL}) and target is not None and c_name(func) is not None:
                self.state.nil_defers = self.state.nil_defers | {(target, site)}
        self.state.defers = self.state.defers | {Deferred(site, "call", evaluated)}

    def _run_defers(self, at: Node) -> None:
        for deferred in sorted(self.state.defers, key=lambda d: -self.sites[d.site].start_byte):
            stmt = self.sites[deferred.site]
            if deferred.kind == "closure":
                self.inline_closure(self.closure_sites[deferred.site], deferred=stmt)
                continue
            call = unparen(stmt.named_children[0])
            self.apply_call(call, list(deferred.objs), deferred=stmt)

    def _go(self, stmt: Node) -> None:
        call = unparen(stmt.named_children[0]) if stmt.named_children else None
        if call is None:
            return
        if call.type == "call_expression":
            func, args = call_parts(call)
            for arg in args:
                self.escape(self.eval(arg))
            func = unparen(func)
            if func is not None and func.type == "func_literal":
                self.escape(self.captured(func))
            elif func is not None and func.type == "identifier" and text(func) in self.closures:
                self.escape(self.captured(self.closures[text(func)]))
        else:
            self.escape(self.eval(call))

    def _range(self, clause: Node) -> None:
        collection = self.eval(clause.child_by_field_name("right"))
        self._note_map(clause.child_by_field_name("right"), collection)
        names = _expressions(clause.child_by_field_name("left"))
        elements: set[int] = set()
        for base in collection - {NIL}:
            entries = [v for (b, f), v in self.state.heap.items() if b == base and f.startswith("[")]
            for value in entries:
                elements |= value
            elements |= self.load((base, "[*]"), f"{text(clause.child_by_field_name('right'))}[...]", weak=True)
        for index, name in enumerate(names):
            self.assign(name, frozenset(elements) if index == 1 else NONE)

    # ----- assignment ---------------------------------------------------------------------
    def assign(self, left: Node, value: Objs) -> None:
        left = unparen(left)
        if left is None:
            return
        if left.type == "identifier":
            name = text(left)
            if name == "_":
                return
            self._check_nil_defer(name, left, value)
            if self._is_global(name):
                self.store((GLOBALS, "." + name), value)
            else:
                self.state.env[name] = value
                for obj in value:
                    if self.objects[obj].label == "composite literal":
                        self.objects[obj].label = name
            return
        if left.type == "selector_expression":
            for base in self.eval(left.child_by_field_name("operand")) - {NIL}:
                self.store((base, "." + text(left.child_by_field_name("field"))), value)
            return
        if left.type == "index_expression":
            key = _index_key(left.child_by_field_name("index"))
            index = self.eval(left.child_by_field_name("index"))
            bases = self.eval(left.child_by_field_name("operand"))
            self._note_map(left.child_by_field_name("operand"), bases)
            if not bases & self.maps:
                key = "[*]"  # slice and array elements are one summary location
            for base in bases - {NIL}:
                self.store((base, key), value)
                if base in self.maps and index - {NIL}:
                    self.store((base, _key_slot(key)), index)  # a C pointer used as a map key
            self.escape(value | index)
            return
        if left.type == "unary_expression" and text(left.child_by_field_name("operator")) == "*":
            for base in self.eval(left.child_by_field_name("operand")) - {NIL}:
                self.store((base, "*"), value)

    def _note_handled(self, objs: Objs, at: Node | None = None) -> None:
        """Memory with a status (see :attr:`Obj.status`) freed, stored or handed off inside a
        branch that tests the status: the other branch is the one where C returned nothing."""
        at = at or (self.node.ast if self.node is not None else None)
        if at is None:
            return
        for obj in objs:
            info = self.objects[obj]
            if info.status and not info.freed_on_status and _on_failure_path(at, info.status):
                info.freed_on_status = True

    def store(self, loc: Loc, value: Objs) -> None:
        self._note_handled(value)
        # A summary location ("[*]": any element) only accumulates.
        self.state.heap[loc] = value | self.state.heap.get(loc, NONE) if loc[1] == "[*]" else value
        base = self.objects[loc[0]]
        # Stored into memory that outlives us, or into C memory we did not allocate (a list
        # element a C function handed back): the owner of that memory takes this over.
        if base.root or base.kind == "opaque" or self._reachable_from_roots(loc[0]):
            self.escape(value)

    def _check_nil_defer(self, name: str, at: Node, value: Objs) -> None:
        pending = [site for var, site in self.state.nil_defers if var == name]
        if not pending:
            return
        self.state.nil_defers = frozenset(p for p in self.state.nil_defers if p[0] != name)
        if not any(self.objects[o].owned for o in value):
            return  # borrowed or unknown: the deferred free of nil is harmless
        self.escape(value)  # reported here, not again as an ordinary leak
        if self.reporting:
            defer = self.sites[min(pending)]
            self.emit("leak", at, ("nil-defer", at.start_byte),
                      f"{name} gets its value here, but the `defer` at line {_line(defer)} already evaluated "
                      f"{name} while it was nil (defer evaluates arguments immediately), so this memory is never "
                      f"freed; defer a closure instead: `defer func() {{ C.free(unsafe.Pointer({name})) }}()`",
                      [(defer, "defer captured the nil value here")])

    # ----- expressions ---------------------------------------------------------------------
    def eval(self, node: Node | None) -> Objs:
        node = unparen(node)
        if node is None:
            return NONE
        kind = node.type
        if kind == "identifier":
            return self._identifier(node)
        if kind == "nil":
            return frozenset({NIL})
        if kind == "call_expression":
            results = self.call(node, 1)
            return results[0] if results else NONE
        if kind == "selector_expression":
            return self._selector(node)
        if kind == "index_expression":
            return self._index(node)
        if kind == "unary_expression":
            return self._unary(node)
        if kind in ("slice_expression", "type_assertion_expression", "type_conversion_expression"):
            operand = node.child_by_field_name("operand")
            for child in node.named_children:
                if child != operand and child.type.endswith(("expression", "identifier", "literal")):
                    self.eval(child)
            return self.eval(operand)
        if kind == "binary_expression":
            left, right = self.eval(node.child_by_field_name("left")), self.eval(node.child_by_field_name("right"))
            return left | right if text(node.child_by_field_name("operator")) in _ARITHMETIC else NONE
        if kind == "composite_literal":
            return self._composite(node)
        if kind == "func_literal":
            return frozenset({self.obj(("closure", node.start_byte), "closure", node, "func literal")})
        if kind == "literal_element":
            return self.eval(node.named_children[0]) if node.named_children else NONE
        for child in node.named_children:
            self.eval(child)
        return NONE

    def eval_multi(self, node: Node, count: int) -> list[Objs]:
        node = unparen(node)
        if node is not None and node.type == "call_expression":
            return self.call(node, count)
        first = self.eval(node)
        return [first] + [NONE] * (count - 1)

    def _identifier(self, node: Node) -> Objs:
        name = self._names.get(node.id)
        if name is None:
            name = self._names[node.id] = text(node)
        known = self.state.env.get(name)
        if known is not None:
            return known
        if self._is_global(name):
            return self.load((GLOBALS, "." + name), name)
        if name in ("true", "false", "iota") or (name not in self.declared and name not in self.params):
            return NONE
        return frozenset({self.obj(("var", name), "var", node, name, root=True)})

    def _is_global(self, name: str) -> bool:
        return name not in self.declared and name not in self.state.env and name in self.pkg.package.symbols.globals

    def _selector(self, node: Node) -> Objs:
        if c_name(node) is not None:
            return frozenset({self.obj(("cglobal", text(node)), "opaque", node, text(node), root=True)})
        operand = unparen(node.child_by_field_name("operand"))
        if operand is not None and operand.type == "identifier" and text(operand) in self.file.imports \
                and text(operand) not in self.declared:
            return NONE
        bases = self.eval(operand)
        self.use(bases, node, "field access through")
        name = "." + text(node.child_by_field_name("field"))
        return frozenset().union(*(self.load((b, name), f"{text(operand)}{name}") for b in bases - {NIL})) \
            if bases - {NIL} else NONE

    def _index(self, node: Node) -> Objs:
        operand = node.child_by_field_name("operand")
        bases = self.eval(operand)
        index = node.child_by_field_name("index")
        self.eval(index)
        self.use(bases, node, "indexing a view of")
        key = _index_key(index)
        self._note_map(operand, bases)
        if not bases & self.maps:
            key = "[*]"
        constant = key != "[*]" and unparen(index) is not None and unparen(index).type in _CONSTANT_KEYS
        result: set[int] = set()
        for base in bases - {NIL}:
            # An element read through a variable index stands for many elements (loops!): weak.
            result |= self.load((base, key), f"{text(operand)}[{text(index)}]", weak=not constant)
        return frozenset(result)

    def _note_map(self, operand: Node | None, bases: Objs) -> None:
        """Remember which objects are maps: freeing what a map holds leaves dangling entries."""
        fresh = bases - {NIL} - self.maps - self.not_maps
        if not fresh or operand is None:
            return
        kind = self.local_types.underlying(self.local_types.type_of(operand)).kind
        (self.maps if kind == "map" else self.not_maps).update(fresh)

    def _unary(self, node: Node) -> Objs:
        operator = text(node.child_by_field_name("operator"))
        operand = node.child_by_field_name("operand")
        if operator == "&":
            inner = unparen(operand)
            if inner is not None and inner.type == "index_expression":
                # &a[i]: a pointer into a's memory (&buf[0] is the allocation itself); no access yet.
                self.eval(inner.child_by_field_name("index"))
                return self.eval(inner.child_by_field_name("operand"))
            value = self.eval(operand)
            if inner is not None and inner.type in ("selector_expression", "index_expression") \
                    and c_name(inner) is None:
                # &x.f, &a[i]: a pointer into x's memory; handing it off hands off x.
                for obj in value - {NIL}:
                    if self.objects[obj].base >= 0:
                        self.interior.add(obj)
            return value
        value = self.eval(operand)
        if operator == "*":
            self.use(value, node, "dereference of")
            return frozenset().union(*(self.load((b, "*"), text(node)) for b in value - {NIL})) \
                if value - {NIL} else NONE
        return NONE

    def _composite(self, node: Node) -> Objs:
        local = self.fresh(self.obj(("local", node.start_byte), "local", node, "composite literal"))
        body = node.child_by_field_name("body")
        for element in body.named_children if body is not None else []:
            if element.type == "keyed_element":
                parts = [c for c in element.named_children if c.type != "comment"]
                key_node = parts[0].named_children[0] if parts and parts[0].named_children else parts[0]
                value = self.eval(parts[-1])
                self._note_handled(value)
                key = "." + text(key_node) if key_node.type in ("field_identifier", "identifier") else "[*]"
                self.state.heap[(local, key)] = self.state.heap.get((local, key), NONE) | value
            else:
                value = self.eval(element)
                self.state.heap[(local, "[*]")] = self.state.heap.get((local, "[*]"), NONE) | value
        return frozenset({local})

    def load(self, loc: Loc, label: str, weak: bool = False) -> Objs:
        value = self.state.heap.get(loc)
        if value is not None:
            return value if loc[1] != "[*]" else value | frozenset({self.field_obj(loc[0], loc[1], True)})
        created = frozenset({self.field_obj(loc[0], loc[1], weak, label)})
        self.state.heap[loc] = created
        return created

    def field_obj(self, base: int, name: str, weak: bool = False, label: str = "") -> int:
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

    def captured(self, literal: Node) -> Objs:
        """Objects of the enclosing function's variables that a function literal refers to."""
        result: set[int] = set()
        for node in nodes_of_type(literal, "identifier"):
            if text(node) in self.state.env:
                result |= self.state.env[text(node)]
        return frozenset(result)

    # ----- calls ---------------------------------------------------------------------------
    def call_info(self, call: Node) -> CallInfo:
        """What a call expression is, decided once per call site (the dataflow revisits it)."""
        info = self._calls.get(call.id)
        if info is None:
            info = self._classify_call(call)
            self._calls[call.id] = info
        return info

    def _classify_call(self, call: Node) -> CallInfo:
        func, args = call_parts(call)
        func = unparen(func)
        info = CallInfo(func, args)
        if func is None:
            info.kind = "none"
        elif func.type == "func_literal":
            info.kind = "closure"
        elif self._is_conversion(func):
            info.kind = "conversion"
            info.string_conversion = func.type in ("identifier", "slice_type") and text(func) in ("string", "[]byte")
        elif (cname := c_name(func)) is not None:
            info.kind, info.cname = "c", cname
            info.passes_destructor = any(_names_destructor(arg) for arg in args)
        else:
            self._classify_go_call(info, func)
        return info

    def _classify_go_call(self, info: CallInfo, func: Node) -> None:
        package_ref = func.type == "selector_expression" and self._is_package_ref(func)
        if func.type == "selector_expression" and not package_ref:
            info.receiver = unparen(func.child_by_field_name("operand"))
        info.name = _callee_name(func)
        qualified = self._qualified(func)
        if info.name in _BUILTIN_CALLS and info.name not in self.declared:
            info.kind = "builtin"
        elif qualified in _ALIAS_CALLS:
            info.kind = "alias"
        elif qualified == "runtime.SetFinalizer":
            info.kind = "finalizer"
        elif info.name in _HARMLESS_CALLS or qualified in _HARMLESS_CALLS:
            info.kind = "harmless"
        else:
            info.callee = self._resolve(func)
            info.kind = "go" if info.callee is not None else "unknown"

    def call(self, call: Node, count: int) -> list[Objs]:
        info = self.call_info(call)
        func, args = info.func, info.args
        if func is None:
            return [NONE] * count
        if info.kind == "closure" or (func.type == "identifier" and text(func) in self.closures
                                      and text(func) in self.state.env):
            for arg in args:
                self.eval(arg)
            self.inline_closure(func if func.type == "func_literal" else self.closures[text(func)])
            return [NONE] * count
        if info.kind == "conversion":
            value = self.eval(args[0]) if args else NONE
            if info.string_conversion:
                self.use(value, call, "conversion of")
            return [value] + [NONE] * (count - 1)
        receiver = info.receiver
        values = ([self.eval(receiver)] if receiver is not None else []) + [self.eval(a) for a in args]
        return self.apply_call(call, values, count=count)

    def apply_call(self, call: Node, values: list[Objs], *, count: int = 1, deferred: Node | None = None) -> list[
            Objs]:
        """The effects of a call whose receiver/arguments evaluated to ``values``."""
        info = self.call_info(call)
        func, args, kind = info.func, info.args, info.kind
        if kind == "c":
            return self._c_call(call, info.cname, args, values, count, deferred)
        if kind == "builtin":
            return self._builtin(call, info.name, args, values, count)
        if kind == "alias":
            return [values[0] if values else NONE] + [NONE] * (count - 1)
        if kind == "finalizer":
            for value in values:
                self.escape(value)
            return [NONE] * count
        if kind in ("harmless", "conversion", "closure", "none") or func is None:
            return [NONE] * count
        if info.callee is not None:
            return self._go_call(call, info.callee, func, values, count, deferred)
        for value in values[1:] if info.receiver is not None else values:
            self.escape(value)
        return [self._opaque_result(call, i) for i in range(count)]

    def _builtin(self, call: Node, name: str, args: list[Node], values: list[Objs], count: int) -> list[Objs]:
        if name in _HARMLESS_CALLS:
            return [NONE] * count
        if name == "append":
            return [self._append(call, values)] + [NONE] * (count - 1)
        if name in ("delete", "clear"):
            self._delete(args, values)
            return [NONE] * count
        if name == "copy":
            for value, arg in zip(values, args, strict=False):
                self.use(value, arg, "copy from")
            return [NONE] * count
        made = self.fresh(self.obj(("local", call.start_byte), "local", call, name))
        return [frozenset({made})] + [NONE] * (count - 1)

    def _opaque_result(self, call: Node, index: int) -> Objs:
        key = ("result", call.start_byte, index)
        result = self.keys.get(key)
        if result is None:
            result = self.obj(key, "opaque", call, text(call))
        # Each execution yields a new value (think of a loop): forget what happened to the last one.
        return frozenset({self.fresh(result)})

    def _c_call(self, call: Node, cname: str, args: list[Node], values: list[Objs], count: int,
                deferred: Node | None) -> list[Objs]:
        contract = self.pkg.ownership.contract(cname)
        frees = getattr(contract, "frees_args", frozenset())
        # `free(hdrs[i].key)`: what the argument points to is released, not the argument.
        retains = getattr(contract, "retains_args", frozenset()) | getattr(contract, "frees_members", frozenset())
        if self.call_info(call).passes_destructor:
            # `C.bind(stmt, p, n, C.free_cb)` / `..., C.SQLITE_DESERIALIZE_FREEONCLOSE)`: C takes the pointers.
            retains = retains | frozenset(range(len(args)))
        out_args = getattr(contract, "owned_out_args", {})
        for index, (arg, value) in enumerate(zip(args, values, strict=False)):
            if index in frees and value and all(self._is_go_memory(o) for o in value - {NIL}):
                self.escape(value)  # C releases what this Go array points to (`free(hdrs[i].key)`)
            elif index in frees:
                self.free(value, deferred or call, arg, via=f"C.{cname}", deferred=deferred)
            elif index in retains:
                self.escape(value)
            elif deferred is None:
                self.use(value, arg, f"C.{cname} reads" if cname in _C_READERS else f"passing to C.{cname}")
        if deferred is None:
            self._out_params(call, cname, args, out_args)
        if cname in _C_READERS:
            return [NONE] * count
        returns = getattr(contract, "returns", "unknown")
        if returns == "owned" and not _only_nil_checked(call):
            dealloc = getattr(contract, "deallocator", None) or "free"
            allocation = self.allocate(call, f"C.{cname}", f"C.{dealloc}")
            # `db := C.open(name, &errmsg)`: the error output says whether db exists.
            self.objects[allocation].status = _out_names(args)
            return [frozenset({allocation})] + [NONE] * (count - 1)
        if returns in ("borrowed", "static"):
            # Memory the library or an argument keeps (an element of a caller's pointer array
            # is not borrowed: the contracts call its ownership unknown).
            borrowed = self.fresh(self.obj(("result", call.start_byte, 0), "opaque", call, f"C.{cname}(...)",
                                           borrowed_from=f"C.{cname}"))
            return [frozenset({borrowed})] + [NONE] * (count - 1)
        return [self._opaque_result(call, i) for i in range(count)]

    def _out_params(self, call: Node, cname: str, args: list[Node], owned_out: object) -> None:
        """``C.get(&p)``: p now holds whatever C wrote (owned when the contract says so)."""
        for index, arg in enumerate(args):
            arg = unparen(arg)
            if arg is None or arg.type != "unary_expression" or text(arg.child_by_field_name("operator")) != "&":
                continue
            target = unparen(arg.child_by_field_name("operand"))
            if target is None or target.type not in ("identifier", "selector_expression"):
                continue
            if isinstance(owned_out, dict) and index in owned_out:
                dealloc = owned_out[index] or "free"
                allocation = self.allocate(arg, f"C.{cname} (through &{text(target)})", f"C.{dealloc}")
                self.objects[allocation].status = _status_of(call, text(target))
                value = frozenset({allocation})
            else:
                # C may or may not write through the pointer: keep what it held.
                written = self.fresh(self.obj(("out", arg.start_byte), "opaque", arg, text(target)))
                value = self.eval(target) | {written}
            self.assign(target, value)

    def allocate(self, node: Node, what: str, dealloc: str) -> int:
        allocation = self.obj(("alloc", node.start_byte), "alloc", node, what, owned=True, dealloc=dealloc)
        previous = self.state.flags.get(allocation)
        if previous is not None and ALLOC in previous and self.reporting and not any(
                allocation in contents for contents in self.state.heap.values()) and not any(
                allocation in self._deferred_freed(d) for d in self.state.defers if d.kind == "call"):
            self._report_leak(allocation, "when the loop runs this allocation again", None)
        self.state.flags[allocation] = frozenset({ALLOC})
        self.state.freed_at.pop(allocation, None)
        return allocation

    def _append(self, call: Node, values: list[Objs]) -> Objs:
        bases = (values[0] if values else NONE) - {NIL}
        if not bases:
            bases = frozenset({self.obj(("local", call.start_byte), "local", call, "slice")})
        added = frozenset().union(*values[1:]) if len(values) > 1 else NONE
        for base in bases:
            self.state.heap[(base, "[*]")] = self.state.heap.get((base, "[*]"), NONE) | added
        self.escape(added)
        return bases

    def _delete(self, args: list[Node], values: list[Objs]) -> None:
        if not values:
            return
        key = _index_key(args[1]) if len(args) > 1 else "[*]"
        bases = values[0] - {NIL}
        self.state.dangling = frozenset(d for d in self.state.dangling if d[2][0] not in bases)
        for base in bases:
            exact = (base, key)
            if key != "[*]" and (exact in self.state.heap or (base, _key_slot(key)) in self.state.heap):
                self.state.heap.pop(exact, None)
                self.state.heap.pop((base, _key_slot(key)), None)
            else:
                for loc in [loc for loc in self.state.heap if loc[0] == base and loc[1].startswith("[")]:
                    self.state.heap.pop(loc)

    def _go_call(self, call: Node, callee: FuncInfo, func: Node, values: list[Objs], count: int,
                 deferred: Node | None) -> list[Objs]:
        summary = self.pkg.summaries.get(callee.node.id, EMPTY_SUMMARY)
        has_receiver = bool(callee.receiver_type) and func.type == "selector_expression"
        by_param = {(RECEIVER if has_receiver and i == 0 else i - has_receiver): v for i, v in enumerate(values)}
        _, args = call_parts(call)
        for param, value in by_param.items():
            arg = args[param] if 0 <= param < len(args) else call
            if param in summary.frees:
                self.free(value, deferred or call, arg, via=callee.qualified_name, deferred=deferred)
            elif param in summary.escapes:
                self.escape(value)
        if self.reporting:
            for param, field_name in summary.uses_fields:
                self._check_field_use(call, callee, param, field_name, by_param.get(param, NONE))
        for param, field_name in summary.frees_fields:
            for base in by_param.get(param, NONE) - {NIL}:
                label = f"{self.objects[base].label}{field_name}"
                self.free(self.load((base, field_name), label), deferred or call, call,
                          via=callee.qualified_name, deferred=deferred, what=f"{label} (by {callee.qualified_name})")
        for param in summary.frees_contents:
            self.escape(by_param.get(param, NONE))  # the callee releases what the argument holds
        for param, field_name in summary.nils_fields:
            for base in by_param.get(param, NONE) - {NIL}:
                self.state.heap[(base, field_name)] = frozenset({NIL})
        results: list[Objs] = []
        for index in range(count):
            dealloc = summary.owned_result(index)
            aliased = summary.aliased_param(index)
            if dealloc is not None:
                allocation = self.allocate(call, f"{callee.qualified_name}()", dealloc)
                self.objects[allocation].status = _status_of(call, _assigned_name(call, index))
                results.append(frozenset({allocation}))
            elif aliased is not None:
                results.append(by_param.get(aliased, NONE))
            else:
                results.append(self._opaque_result(call, index))
        return results

    def _check_field_use(self, call: Node, callee: FuncInfo, param: int, field_name: str, bases: Objs) -> None:
        """`b.Close(); b.Len()` where Len reads b.c: report the read inside Len."""
        where = self.pkg.field_uses.get((callee.node.id, param, field_name))
        for base in bases - {NIL}:
            held = self.state.heap.get((base, field_name), NONE) - {NIL}
            if not held or any(self.objects[o].weak or self.state.flags.get(o) != frozenset({FREED}) for o in held):
                continue
            obj = min(held)
            free_site = self.sites[min(self.state.freed_at.get(obj, {0}))]
            label = f"{self._holder(base) or self.objects[base].label}{field_name}"
            if where is None:
                continue
            use_file, use_node = where
            self.emit("use-after-free", use_node, ("uaf-call", use_node.start_byte),
                      f"{text(use_node)}: {callee.qualified_name} reads {label}, but {self.file.display_path}:"
                      f"{_line(call)} calls it after {label} was freed at line {_line(free_site)}; do not use the "
                      f"value after releasing it (or nil the field when freeing and check it here)",
                      [(free_site, "freed here"), (call, f"{callee.qualified_name} called here")])
            self._buffer[-1][1].file = use_file
            return

    def inline_closure(self, literal: Node, deferred: Node | None = None) -> None:
        """Run the frees of a function literal that executes here (called now, or deferred)."""
        body = literal.child_by_field_name("body")
        if body is None:
            return
        shadowed = {text(n) for n in walk_skipping_funcs(body) if n.type == "identifier"
                    and n.parent is not None and n.parent.type == "expression_list"
                    and n.parent.parent is not None and n.parent.parent.type == "short_var_declaration"}
        for node in walk_skipping_funcs(body):
            if node.type == "assignment_statement":
                self._closure_assignment(node, shadowed)
            if node.type != "call_expression":
                continue
            func, args = call_parts(node)
            func = unparen(func)
            uses_outer = any(_root_identifier(a) in self.state.env and _root_identifier(a) not in shadowed
                             for a in args + ([func.child_by_field_name("operand")]
                                              if func is not None and func.type == "selector_expression" else []))
            if not uses_outer or not self._is_release(func):
                continue
            conditional = _nested_in(node, body, _CONDITIONAL_PARENTS)
            receiver = unparen(func.child_by_field_name("operand")) \
                if func.type == "selector_expression" and c_name(func) is None else None
            values = ([self.eval(receiver)] if receiver is not None else []) + [self.eval(a) for a in args]
            saved = self.reporting
            self.reporting, self.maybe_frees = saved and not conditional, conditional
            self.apply_call(node, values, deferred=deferred or node, count=1)
            self.reporting, self.maybe_frees = saved, False

    def _closure_assignment(self, node: Node, shadowed: set[str]) -> None:
        lefts = _expressions(node.child_by_field_name("left"))
        rights = _expressions(node.child_by_field_name("right"))
        for left, right in zip(lefts, rights, strict=False):
            if text(right) == "nil" and _root_identifier(left) in self.state.env \
                    and _root_identifier(left) not in shadowed:
                self.assign(left, frozenset({NIL}))

    def _is_release(self, func: Node | None) -> bool:
        cname = c_name(func)
        if cname is not None:
            return bool(getattr(self.pkg.ownership.contract(cname), "frees_args", None))
        callee = self._resolve(func) if func is not None else None
        if callee is None:
            return False
        summary = self.pkg.summaries.get(callee.node.id, EMPTY_SUMMARY)
        return bool(summary.frees or summary.frees_fields)

    # ----- resolution ----------------------------------------------------------------------
    def _is_conversion(self, func: Node) -> bool:
        if func.type in ("pointer_type", "slice_type", "array_type", "qualified_type", "generic_type",
                         "parenthesized_type", "map_type", "channel_type", "interface_type", "function_type"):
            return True
        if func.type == "unary_expression" and text(func.child_by_field_name("operator")) == "*":
            return True
        if func.type == "selector_expression":
            cname = c_name(func)
            if cname is not None:
                return _is_c_type_name(cname, self.pkg.package)
            return text(func) == "unsafe.Pointer"
        if func.type == "identifier":
            name = text(func)
            return name not in self.declared and (name in _GO_TYPES or name in self.pkg.package.symbols.types)
        return False

    def _is_package_ref(self, func: Node) -> bool:
        operand = unparen(func.child_by_field_name("operand"))
        return operand is not None and operand.type == "identifier" and text(operand) in self.file.imports \
            and text(operand) not in self.declared

    def _qualified(self, func: Node | None) -> str:
        if func is None or func.type != "selector_expression" or not self._is_package_ref(func):
            return ""
        operand = text(func.child_by_field_name("operand"))
        return f"{self.file.imports.get(operand, operand)}.{text(func.child_by_field_name('field'))}"

    def _resolve(self, func: Node) -> FuncInfo | None:
        symbols = self.pkg.package.symbols
        if func.type == "identifier":
            name = text(func)
            return symbols.funcs.get(name) if name not in self.declared else None
        if func.type != "selector_expression" or self._is_package_ref(func):
            return None
        method = text(func.child_by_field_name("field"))
        owners = [t for t, methods in symbols.methods.items() if method in methods]
        if not owners:
            return None
        receiver_type = self.local_types.type_of(func.child_by_field_name("operand"))
        while receiver_type.kind == "pointer" and receiver_type.elem is not None:
            receiver_type = receiver_type.elem
        if receiver_type.kind == "named":
            return symbols.method(receiver_type.name, method)
        return None

    @cached_property
    def local_types(self) -> LocalTypes:
        """Types of the enclosing declaration's locals (built only when a question needs them)."""
        top = self.func
        while top.type == "func_literal" and top.parent is not None:
            top = top.parent
        return LocalTypes(self.pkg.package, self.file, top)

    # ----- memory events -------------------------------------------------------------------
    def free(self, value: Objs, site_node: Node, arg: Node, *, via: str, deferred: Node | None = None,
             what: str = "") -> None:
        objs = value - {NIL}
        if not objs:
            return
        site = self.site(site_node)
        strong = len(objs) == 1 and not self.objects[next(iter(objs))].weak and not self.maybe_frees
        self._note_handled(objs, site_node)
        if self.reporting:
            self._check_free(objs, site_node, what or text(_strip_conversions(arg)), via, deferred, strong)
        for obj in objs:
            flags = self.state.flags.get(obj, frozenset())
            if self.objects[obj].weak:
                self.state.flags[obj] = flags | {FREED}  # never reported on, but the map now dangles
            elif strong:
                self.state.flags[obj] = frozenset({FREED})
                self.state.freed_at[obj] = frozenset({site})
            else:
                self.state.flags[obj] = (flags - {ALLOC}) | {FREED}
                self.state.freed_at[obj] = self.state.freed_at.get(obj, frozenset()) | {site}
        if not via.startswith("C.") or via[2:] not in self.pkg.ownership.paired_deallocators:
            # A wrapper's stale references are reported in the wrapper; and only a function
            # known to release what an allocator returned (not any `*_destroy` verb) counts.
            return
        for loc, contents in self.state.heap.items():
            for obj in objs & contents:
                if self.objects[obj].kind != "closure":
                    self.state.dangling = self.state.dangling | {(site, obj, loc)}

    def _check_free(self, objs: Objs, site_node: Node, what: str, via: str, deferred: Node | None,
                    strong: bool) -> None:
        for obj in objs:
            info = self.objects[obj]
            if info.borrowed_from:
                self.emit("bad-free", site_node, ("bad-free", obj),
                          f"{what} is freed with {via}, but it was returned by {info.borrowed_from}, which "
                          f"keeps ownership of it; do not free memory the library owns",
                          [(info.node, f"borrowed from {info.borrowed_from} here")] if info.node else [])
        if not strong:
            return
        obj = next(iter(objs))
        if self.state.flags.get(obj) != frozenset({FREED}):
            return
        first = self.sites[min(self.state.freed_at.get(obj, {0}))]
        related = [*self._alloc_related(obj), (first, "first freed here")]
        if deferred is None:
            message = (f"{what} is freed twice: {self._describe(obj)} was already freed at line {_line(first)}; "
                       f"remove one of the frees (or set the pointer to nil after the first)")
        elif first.type == "defer_statement":
            message = (f"{what} is freed again by this deferred call: the deferred call at line {_line(first)} runs "
                       f"first and already releases {self._describe(obj)}; remove one of the two defers")
        else:
            message = (f"{what} is freed again by this deferred {via} when the function returns: it was already "
                       f"freed at line {_line(first)}; remove that explicit free (the defer releases it) or "
                       f"defer a closure that skips a nil pointer and set it to nil after freeing")
        self.emit("double-free", deferred or site_node, ("double-free", obj), message, related)

    def _defer_frees(self, pending: Deferred, obj: int) -> bool:
        return obj in self._deferred_freed(pending)

    def _deferred_freed(self, pending: Deferred) -> Objs:
        """The objects a deferred call (arguments already evaluated) releases."""
        call = unparen(self.sites[pending.site].named_children[0])
        info = self.call_info(call)
        if info.kind == "c":
            frees = getattr(self.pkg.ownership.contract(info.cname), "frees_args", frozenset())
            return frozenset().union(*(pending.objs[i] for i in frees if i < len(pending.objs)))
        if info.callee is None:
            return NONE
        summary = self.pkg.summaries.get(info.callee.node.id, EMPTY_SUMMARY)
        offset = 1 if info.receiver is not None else 0
        return frozenset().union(*(pending.objs[i + offset] for i in summary.frees
                                   if 0 <= i + offset < len(pending.objs)))

    def use(self, value: Objs, node: Node, how: str) -> None:
        objs = value - {NIL}
        for obj in objs:
            param = self._field_of_param(obj)
            if param is not None and param not in self.field_uses:
                self.field_uses[param] = node
        if not self.reporting:
            return
        if not objs or any(self.objects[o].weak or self.state.flags.get(o) != frozenset({FREED}) for o in objs):
            return
        obj = min(objs)
        free_site = self.sites[min(self.state.freed_at.get(obj, {0}))]
        self.emit("use-after-free", node, ("uaf", node.start_byte),
                  f"{text(node)}: {how} {self._describe(obj)} after it was freed at line {_line(free_site)}; "
                  f"move the free after the last use",
                  [(free_site, "freed here"), *self._alloc_related(obj)])

    def _field_of_param(self, obj: int) -> tuple[int, str] | None:
        """(parameter index, ".field") for the object read from a parameter's field."""
        info = self.objects[obj]
        if info.kind != "field" or not info.field.startswith("."):
            return None
        base = self.objects[info.base]
        if base.kind != "var" or base.label not in self.params:
            return None
        return self.params[base.label], info.field

    def escape(self, value: Objs) -> None:
        """Hand memory off: everything reachable from ``value`` now belongs to someone else."""
        done: set[int] = set()
        pending = set(value - {NIL})
        while pending:
            batch = self.reachable(frozenset(pending)) - done
            done |= batch
            pending = set()
            self._note_handled(frozenset(batch))
            for obj in batch:
                info = self.objects[obj]
                if info.kind == "closure" and info.node is not None:
                    pending |= self.captured(info.node)  # a closure that outlives us keeps its captures
                if obj in self.interior:
                    pending.add(info.base)  # &x.f handed off hands off x
                flags = self.state.flags.get(obj, frozenset())
                if ESCAPED not in flags or ALLOC in flags:
                    self.state.flags[obj] = (flags - {ALLOC}) | {ESCAPED}
            pending -= done | {NIL}

    def reachable(self, value: Objs) -> Objs:
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

    def _reachable_from_roots(self, obj: int) -> bool:
        """Whether a (non-root) object is stored in a location hanging off a root object."""
        return self.objects[obj].base >= 0 and self.objects[self.objects[obj].base].root

    # ----- checks at returns ----------------------------------------------------------------
    def _check_returned_freed(self, node: Node, returned: Objs) -> None:
        if returned and all(self.state.flags.get(o) == frozenset({FREED}) and not self.objects[o].weak
                            for o in returned - {NIL}) and returned - {NIL}:
            exprs = _expressions(node.named_children[0] if node.named_children else None)
            self.use(returned, exprs[0] if len(exprs) == 1 else node, "returning")

    def _check_freed_by_defers(self, node: Node, reachable: Objs, before: dict[int, frozenset[str] | None]) -> None:
        """`defer C.free(p); return p` (or a struct holding p): the caller gets freed memory."""
        for obj in sorted(reachable):
            if not self.objects[obj].owned or before.get(obj) == frozenset({FREED}):
                continue
            if self.state.flags.get(obj) != frozenset({FREED}):
                continue
            defer_stmt = self.sites[min(self.state.freed_at.get(obj, {0}))]
            self.emit("use-after-free", node, ("returns-freed", node.start_byte, obj),
                      f"returns {self._describe(obj)}, but the deferred call at line {_line(defer_stmt)} "
                      f"frees it as the function returns, so the caller gets a dangling pointer; drop the "
                      f"defer and let the caller free it",
                      [(defer_stmt, "deferred free here"), *self._alloc_related(obj)])
            return

    def _check_leaks(self, node: Node) -> None:
        referenced: Objs | None = None
        for obj, flags in self.state.flags.items():
            if ALLOC not in flags or not self.objects[obj].owned:
                continue
            if FREED in flags:
                # Freed on some paths and no longer referenced here: the paths were merged after
                # a free-and-nil (`C.free(p); p = nil`), not a real leak.
                if referenced is None:
                    referenced = frozenset().union(*self.state.env.values(), *self.state.heap.values())
                if obj not in referenced:
                    continue
            self._report_leak(obj, f"when the function returns at line {_line(node)}", node)

    def _report_leak(self, obj: int, when: str, exit_node: Node | None) -> None:
        info = self.objects[obj]
        alloc = info.node
        if alloc is None or info.freed_on_status or (
                exit_node is not None and info.status and _on_failure_path(exit_node, info.status)):
            return
        parent = alloc.parent.parent if alloc.parent is not None else None
        holder = self._holder(obj)
        if holder:
            fix = f"free it with {info.dealloc} (e.g. `defer {_free_call(info.dealloc, holder)}` right after " \
                  f"the allocation)"
            subject = f"{info.label} result assigned to {holder}"
        elif parent is not None and parent.type == "call_expression":
            fix = f"assign it to a variable and call {info.dealloc} on it after the call"
            subject = f"{info.label} result passed directly to {text(parent.child_by_field_name('function'))}"
        else:
            fix = f"free it with {info.dealloc}"
            subject = f"{info.label} result"
        related = [(exit_node, "leaks when this return is taken")] if exit_node is not None else []
        self.emit("leak", alloc, ("leak", obj),
                  f"{subject} is never freed on some path: it leaks {when}; {fix}", related, obj=obj)

    def _holder(self, obj: int) -> str:
        for name, value in sorted(self.state.env.items()):
            if obj in value:
                return name
        for loc, value in self.state.heap.items():
            if obj in value and not loc[1].startswith("[") and loc[1] != "*":
                return self._location(loc)
        return ""

    def _check_dangling(self, node: Node) -> None:
        if not self.state.dangling or self.func.id in self.pkg.finalizers:
            return
        roots = {o.id for o in self.objects if o.root}
        live = self.reachable(frozenset(roots))
        reported_sites: set[int] = set()
        for site, obj, loc in sorted(self.state.dangling):
            base = loc[0]
            contents = self.state.heap.get(loc, NONE)
            if obj not in contents or base not in live or FREED not in self.state.flags.get(obj, frozenset()):
                continue
            if FREED in self.state.flags.get(base, frozenset()):
                continue  # the container itself was released: nothing can read the stale field
            if self.objects[base].weak or site in reported_sites:
                continue  # one report per free; summary objects stand for too much to name
            if loc[1] == "*" or (loc[1].startswith("[") and base not in self.maps):
                continue  # pointees and slice elements: the owner of the slice decides
            if self._is_c_record(base) or self._is_copy(base):
                continue  # a C struct's destructor frees its members; a value receiver is a copy
            if base != GLOBALS and base not in self.maps and self._marks_finished(base):
                continue  # `x.closed = true`: the object is flagged dead, as good as nil-ing the field
            where = self._location(loc)
            free_node = self.sites[site]
            fix = f"delete the entry (delete({self._location((base, ''))}, key)) after freeing" \
                if loc[1].startswith("[") else f"set {where} = nil after freeing"
            reported_sites.add(site)
            # A stale field of a receiver being torn down is often harmless (the object dies with
            # it); a stale map entry or package variable is reachable by everyone.
            confidence = Confidence.HIGH if base == GLOBALS or base in self.maps else Confidence.MEDIUM
            self.emit("dangling", free_node, ("dangling", site),
                      f"{where} still refers to memory freed here when the function returns at line "
                      f"{_line(node)}; later code can use or free it again; {fix}",
                      [(node, "function returns with the stale reference")], confidence)

    def _marks_finished(self, obj: int) -> bool:
        """Whether the function flags the object as finished: ``x.closed = true``,
        ``x.valid = false``. Teardown methods guarded by such a flag never touch the stale
        field again, which is the same protection as setting it to nil."""
        info = self.objects[obj]
        if info.kind != "var" or not info.label:
            return False
        for assign in nodes_of_type(self.func, "assignment_statement"):
            left, right = assign.child_by_field_name("left"), assign.child_by_field_name("right")
            if left is None or right is None:
                continue
            for target, value in zip(left.named_children, right.named_children, strict=False):
                if target.type != "selector_expression" or text(target.child_by_field_name("operand")) != info.label:
                    continue
                flag, literal = text(target.child_by_field_name("field")), text(value)
                if (literal == "true" and _FINISHED_FLAG.search(flag)) or \
                        (literal == "false" and _ALIVE_FLAG.search(flag)):
                    return True
        return False

    def _is_copy(self, obj: int) -> bool:
        """A struct parameter or receiver passed by value: nil-ing its field would change a copy."""
        info = self.objects[obj]
        if info.kind != "var" or info.label not in self.params:
            return False
        if self.info is not None and info.label == self.info.receiver_name:
            return not self.info.pointer_receiver
        kind = self.local_types.underlying(self.local_types.var_type(info.label)).kind
        return kind == "struct"

    def _is_go_memory(self, obj: int) -> bool:
        """A Go value made here (or an element or field of one), not C memory."""
        info = self.objects[obj]
        while info.base >= 0:
            info = self.objects[info.base]
        return info.kind == "local"

    def _is_c_record(self, obj: int) -> bool:
        """Whether an object is a C struct (a `*C.git_options` parameter, a C member of one)."""
        path: list[str] = []
        info = self.objects[obj]
        while info.kind == "field" and info.field.startswith("."):
            path.append(info.field[1:])
            info = self.objects[info.base]
        if info.kind != "var":
            return False
        go_type = self.local_types.var_type(info.label)
        for name in reversed(path):
            go_type = self.local_types.field_type(go_type, name)
        while go_type.kind == "pointer" and go_type.elem is not None:
            go_type = go_type.elem
        return go_type.kind == "c"

    def _location(self, loc: Loc) -> str:
        base, name = loc
        if base == GLOBALS:
            return f"package variable {name.lstrip('.')}"
        return f"{self.objects[base].label}{name if not name.startswith('[') else '[...]'}"

    def _describe(self, obj: int) -> str:
        info = self.objects[obj]
        holder = self._holder(obj)
        if info.kind == "alloc":
            return f"the memory from {info.label} (line {_line(info.node)})" if info.node else info.label
        return holder or info.label

    def _alloc_related(self, obj: int) -> list[tuple[Node, str]]:
        info = self.objects[obj]
        return [(info.node, "allocated here")] if info.kind == "alloc" and info.node is not None else []

    def emit(self, kind: str, node: Node, key: tuple, message: str, related: list[tuple[Node, str]],
             confidence: Confidence = Confidence.HIGH, obj: int = -1) -> None:
        if not self.reporting or kind not in self.report_kinds or any(k == key for k, _ in self._buffer):
            return
        self._buffer.append((key, Event(kind, node, message, related, confidence, obj)))

    # ----- summary ---------------------------------------------------------------------------
    def summary(self) -> FunctionSummary:
        owned: set[tuple[int, str]] = set()
        aliased: set[tuple[int, int]] = set()
        param_objs = {self.keys[("var", name)]: index for name, index in self.params.items()
                      if ("var", name) in self.keys}
        for values in self.results:
            for index, value in enumerate(values):
                for obj in value:
                    info = self.objects[obj]
                    if info.owned:
                        owned.add((index, info.dealloc))
                    elif obj in param_objs:
                        aliased.add((index, param_objs[obj]))
        frees: set[int] = set()
        escapes: set[int] = set()
        frees_fields: set[tuple[int, str]] = set()
        frees_contents: set[int] = set()
        nils: set[tuple[int, str]] = set()
        for state in self.exit_states:
            for obj, flags in state.flags.items():
                info = self.objects[obj]
                if FREED in flags and obj in param_objs:
                    frees.add(param_objs[obj])
                if FREED in flags and info.kind == "field" and info.base in param_objs:
                    frees_fields.add((param_objs[info.base], info.field))
                elif FREED in flags and (owner := self._owning_param(obj, param_objs)) is not None:
                    frees_contents.add(owner)
            for (base, name), contents in state.heap.items():
                if base in param_objs and contents == frozenset({NIL}):
                    nils.add((param_objs[base], name))
        escapes = {param_objs[o] for o in self.escaped if o in param_objs}
        return FunctionSummary(tuple(sorted(owned)), tuple(sorted(aliased)), frozenset(frees),
                               frozenset(escapes - frees), frozenset(frees_fields), frozenset(nils),
                               frozenset(frees_contents), frozenset(self.field_uses))

    def _owning_param(self, obj: int, param_objs: dict[int, int]) -> int | None:
        """The parameter an element or nested field object was read from, if any."""
        info = self.objects[obj]
        while info.base >= 0:
            if info.base in param_objs:
                return param_objs[info.base]
            info = self.objects[info.base]
        return None



_MAYBE_NIL = frozenset({"opaque", "var", "field", "weak"})
_SCOPES = frozenset({
    "block", "for_statement", "if_statement", "expression_switch_statement", "type_switch_statement",
    "expression_case", "type_case", "default_case", "communication_case", "func_literal", "function_declaration",
    "method_declaration",
})
_BUILTIN_CALLS = frozenset({"append", "delete", "clear", "copy", "new", "make", "len", "cap", "print", "println",
                            "panic", "min", "max", "complex", "real", "imag", "close"})
_CONSTANT_KEYS = frozenset({"int_literal", "interpreted_string_literal", "raw_string_literal"})
_C_SCALARS = frozenset(
    "char schar uchar short ushort int uint long ulong longlong ulonglong float double size_t ssize_t "
    "uintptr_t intptr_t int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t "
    "complexfloat complexdouble _Bool bool off_t time_t".split())
_GO_TYPES = frozenset(
    "bool byte rune string int int8 int16 int32 int64 uint uint8 uint16 uint32 uint64 uintptr "
    "float32 float64 complex64 complex128 any error".split())


_DESTRUCTOR_ARG = re.compile(r"\bC\.(?:\w*free\w*|\w*FREE\w*|\w*(?:destroy|release)\w*)\b(?!\s*\()")


def _only_nil_checked(call: Node) -> bool:
    """``if C.realpath(name, buf) == nil``: the result is only tested, never kept, so the caller
    does not treat it as memory to release (such APIs return the buffer they were given)."""
    node = call
    while node.parent is not None and node.parent.type == "parenthesized_expression":
        node = node.parent
    parent = node.parent
    if parent is None or parent.type != "binary_expression":
        return False
    if text(parent.child_by_field_name("operator")) not in ("==", "!="):
        return False
    other = parent.child_by_field_name("right") if parent.child_by_field_name("left") == node \
        else parent.child_by_field_name("left")
    return other is not None and other.type == "nil"


def _strip_conversions(node: Node) -> Node:
    """``p`` for ``unsafe.Pointer(p)`` or ``(*C.char)(p)``: the name users know the memory by."""
    while True:
        inner = unparen(node)
        if inner is None or inner.type not in ("call_expression", "type_conversion_expression"):
            return node
        if inner.type == "type_conversion_expression":
            node = inner.child_by_field_name("operand") or inner
            continue
        func, args = call_parts(inner)
        func = unparen(func)
        if len(args) != 1 or func is None or not (text(func) == "unsafe.Pointer" or func.type in (
                "pointer_type", "parenthesized_type") or (func.type == "unary_expression" and text(func).startswith("*"))):
            return node
        node = args[0]


def _names_destructor(arg: Node) -> bool:
    """An argument that hands C a release function or a "free it yourself" flag."""
    return bool(_DESTRUCTOR_ARG.search(text(arg)))


def _status_of(call: Node, holder: str) -> tuple[str | Node, ...]:
    """How the caller learns whether ``call`` failed: the other variables its results are
    assigned to (``rc``, ``err``), its out-parameters, or the `if` whose condition holds the call."""
    node = call.parent
    while node is not None and node.type not in ("block", "statement_list", "source_file"):
        if node.type in ("short_var_declaration", "assignment_statement"):
            left = node.child_by_field_name("left")
            names = tuple(text(n) for n in _expressions(left) if n.type == "identifier" and text(n) not in ("_", holder))
            return names + tuple(n for n in _out_names(call_parts(call)[1]) if n != holder and n not in names)
        if node.type == "if_statement":
            return (node,)
        node = node.parent
    return tuple(n for n in _out_names(call_parts(call)[1]) if n != holder)


def _out_names(args: list[Node]) -> tuple[str, ...]:
    """Variables passed by address (``&errmsg``): C reports through them."""
    names: list[str] = []
    for arg in args:
        arg = unparen(arg)
        if arg is not None and arg.type == "unary_expression" and text(arg.child_by_field_name("operator")) == "&":
            target = unparen(arg.child_by_field_name("operand"))
            if target is not None and target.type == "identifier":
                names.append(text(target))
    return tuple(names)


def _assigned_name(call: Node, index: int) -> str:
    """The variable result ``index`` of ``call`` is assigned to, if any."""
    statement = call.parent.parent if call.parent is not None else None
    if statement is None or statement.type not in ("short_var_declaration", "assignment_statement"):
        return ""
    lefts = _expressions(statement.child_by_field_name("left"))
    return text(lefts[index]) if index < len(lefts) else ""


def _on_failure_path(exit_node: Node, status: tuple[str | Node, ...]) -> bool:
    names = {s for s in status if isinstance(s, str)}
    current = exit_node.parent
    while current is not None:
        if current.type == "if_statement":
            if any(s == current for s in status if not isinstance(s, str)):
                return True
            tests = [current.child_by_field_name("condition"), current.child_by_field_name("initializer")]
            if names and any(text(n) in names
                             for test in tests if test is not None for n in nodes_of_type(test, "identifier")):
                return True
        current = current.parent
    return False


def _nil_tests(cond: Node, holds: bool) -> list[tuple[Node, bool]]:
    """(tested variable or field, is non-nil) facts implied by ``cond`` evaluating to ``holds``."""
    cond = unparen(cond)
    if cond is None or cond.type != "binary_expression":
        return []
    operator = text(cond.child_by_field_name("operator"))
    left, right = unparen(cond.child_by_field_name("left")), unparen(cond.child_by_field_name("right"))
    if operator in ("&&", "||"):
        if (operator == "&&") != holds:
            return []  # a false `&&` (or a true `||`) says nothing about either side alone
        return [*_nil_tests(left, holds), *_nil_tests(right, holds)]
    if operator not in ("==", "!=") or left is None or right is None:
        return []
    tested = left if right.type == "nil" else right if left.type == "nil" else None
    if tested is None or tested.type not in ("identifier", "selector_expression"):
        return []
    return [(tested, (operator == "!=") == holds)]


def _is_c_type_name(name: str, package: Package) -> bool:
    """Whether ``C.name`` names a type (so ``C.name(x)`` is a conversion, not a call)."""
    return name in _C_SCALARS or name.startswith(("struct_", "union_", "enum_")) or (
        name in package.c.typedefs and package.c.function(name) is None)


def _expressions(node: Node | None) -> list[Node]:
    if node is None:
        return []
    if node.type == "expression_list":
        return [c for c in node.named_children if c.type != "comment"]
    return [node]


def _key_slot(key: str) -> str:
    """The heap location holding the key itself of map entry ``key`` (``[k]`` -> ``[#k]``)."""
    return "[#" + key[1:]


def _index_key(index: Node | None) -> str:
    index = unparen(index)
    if index is None:
        return "[*]"
    if index.type in ("int_literal", "interpreted_string_literal", "raw_string_literal", "identifier",
                      "selector_expression"):
        return f"[{text(index)}]"
    return "[*]"


def _callee_name(func: Node | None) -> str:
    return text(func) if func is not None and func.type == "identifier" else ""


def _root_identifier(node: Node | None) -> str | None:
    node = unparen(node)
    while node is not None:
        if node.type == "identifier":
            return text(node)
        if node.type == "call_expression":
            _, args = call_parts(node)
            node = unparen(args[0]) if len(args) == 1 else None
        elif node.type in ("selector_expression", "index_expression", "slice_expression"):
            node = unparen(node.named_children[0]) if node.named_children else None
        elif node.type == "unary_expression":
            node = unparen(node.child_by_field_name("operand"))
        else:
            return None
    return None


def _nested_in(node: Node, stop: Node, kinds: frozenset[str]) -> bool:
    current = node.parent
    while current is not None and current != stop:
        if current.type in kinds:
            return True
        current = current.parent
    return False


def _line(node: Node | None) -> int:
    """1-based line of a node; the closing brace for a block (the implicit return)."""
    if node is None:
        return 0
    return node.end_point[0] + 1 if node.type == "block" else node.start_point[0] + 1


def _position(node: CfgNode) -> int:
    if node.ast is None:
        return 0
    return node.ast.end_byte if node.ast.type == "block" else node.ast.start_byte


def _free_call(dealloc: str, holder: str) -> str:
    if dealloc == "C.free":
        return f"C.free(unsafe.Pointer({holder}))"
    return f"{dealloc}({holder})"


_DECLARATIONS = """
(parameter_declaration name: (identifier) @name)
(variadic_parameter_declaration name: (identifier) @name)
(var_spec name: (identifier) @name)
(short_var_declaration left: (expression_list (identifier) @name))
(range_clause left: (expression_list (identifier) @name))
(receive_statement left: (expression_list (identifier) @name))
(type_switch_statement alias: (expression_list (identifier) @name))
"""


@cache
def _query(source: str) -> Query:
    return Query(GO_LANGUAGE, source)


def _captures(source: str, node: Node) -> list[Node]:
    return [n for nodes in QueryCursor(_query(source)).captures(node).values() for n in nodes]


def declared_names(func: Node) -> frozenset[str]:
    """Every name declared inside a function (parameters, results, locals, closures' too)."""
    return frozenset(text(n) for n in _captures(_DECLARATIONS, func))





# ----- the package driver ---------------------------------------------------------------------
_MAX_SUMMARY_ROUNDS = 4
_CALLED_NAME = re.compile(rb"\b([A-Za-z_]\w*)\s*\(")


@dataclass
class PackageLifetime:
    """Every lifetime event of a package, with the function summaries that produced them."""

    events: list[tuple[GoFile, Event]]  # (file of the analysed function, event)
    summaries: dict[int, FunctionSummary]


def analyze_package(package: Package, contracts: object) -> PackageLifetime:
    pkg = PackageContext(package, Ownership(contracts))
    pkg.finalizers = _finalizers(package)
    functions = _callees_first(package)
    by_name: dict[str, list[FuncInfo]] = {}
    for info in functions:
        by_name.setdefault(info.name, []).append(info)
    memory = _MemoryOps(pkg, by_name)
    analyses: dict[int, FunctionAnalysis] = {}
    dirty = {info.node.id for info in functions}
    clock = 0
    analysed_at: dict[int, int] = {}  # function -> when it was last analysed
    changed_at: dict[str, int] = {}  # function name -> when a function of that name last changed
    for _ in range(_MAX_SUMMARY_ROUNDS):
        for info in functions:
            if info.node.id not in dirty:
                continue
            clock += 1
            analysed_at[info.node.id] = clock
            if memory.touches(info.node):
                analysis = _run_guarded(pkg, info.file, info.node, info, info.node)
                if analysis is None:
                    continue
                analyses[info.node.id] = analysis
                summary = analysis.summary()
                for (param, field_name), node in analysis.field_uses.items():
                    pkg.field_uses[(info.node.id, param, field_name)] = (info.file, node)
            else:
                analyses.pop(info.node.id, None)
                summary = _syntactic_summary(info, pkg)
            if summary != pkg.summaries.get(info.node.id, EMPTY_SUMMARY):
                pkg.summaries[info.node.id] = summary
                changed_at[info.name] = clock
        # Callees come first, so a caller analysed after its callees saw their final summaries;
        # only recursion (or methods sharing a name) needs another round.
        dirty = {info.node.id for info in functions
                 if any(changed_at.get(name, 0) > analysed_at.get(info.node.id, 0) for name in memory.calls(info.node))}
        if not dirty:
            break
    events: list[tuple[GoFile, Event]] = []
    for info in functions:
        if info.node.id in analyses:
            events += [(info.file, e) for e in analyses[info.node.id].events]
        for literal in _captures("(func_literal) @f", info.node) if b"func(" in (info.node.text or b"") else ():
            if memory.touches(literal):
                closure = _run_guarded(pkg, info.file, literal, None, info.node)
                events += [(info.file, e) for e in closure.events] if closure is not None else []
    return PackageLifetime(events, pkg.summaries)


def _run_guarded(pkg: PackageContext, file: GoFile, func: Node, info: FuncInfo | None,
                 top: Node) -> FunctionAnalysis | None:
    """Analyse one function; a crash on odd code costs that function, not the package."""
    try:
        analysis = FunctionAnalysis(pkg, file, func, info, declared_names(top))
        analysis.run()
    except (RecursionError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        line = func.start_point[0] + 1
        pkg.package.errors.append(InputError(
            file.display_path, f"{line}: lifetime analysis skipped this function: internal error "
                               f"{type(exc).__name__}: {exc}"))
        return None
    return analysis


_C_CALLED = re.compile(rb"\bC\.(\w+)\s*\(")
_BUILTIN_MEMORY = frozenset({"CString", "CBytes", "malloc", "calloc", "realloc", "free"})


class _MemoryOps:
    """Which function bodies can allocate or free C memory (the others get a syntactic summary)."""

    def __init__(self, pkg: PackageContext, by_name: dict[str, list[FuncInfo]]) -> None:
        self.pkg = pkg
        self.by_name = by_name
        self._calls: dict[int, set[str]] = {}
        self._c_memory: dict[str, bool] = {}

    def calls(self, func: Node) -> set[str]:
        if func.id not in self._calls:
            self._calls[func.id] = _called_names(func)
        return self._calls[func.id]

    def touches(self, func: Node) -> bool:
        source = func.text or b""
        if any(self._c_function_matters(m.decode()) for m in _C_CALLED.findall(source)):
            return True
        for name in self.calls(func):
            for callee in self.by_name.get(name, ()):
                summary = self.pkg.summaries.get(callee.node.id, EMPTY_SUMMARY)
                if summary.returns_owned or summary.frees or summary.frees_fields:
                    return True
        return False

    def _c_function_matters(self, name: str) -> bool:
        if name not in self._c_memory:
            contract = self.pkg.ownership.contract(name)
            self._c_memory[name] = name in _BUILTIN_MEMORY or bool(contract is not None and (
                getattr(contract, "returns", "unknown") in ("owned", "borrowed", "static")
                or getattr(contract, "frees_args", None) or getattr(contract, "owned_out_args", None)))
        return self._c_memory[name]


def _called_names(func: Node) -> set[str]:
    return {m.decode() for m in _CALLED_NAME.findall(func.text or b"")}


def _callees_first(package: Package) -> list[FuncInfo]:
    """The package's functions, callees before callers (by name; cycles broken arbitrarily)."""
    functions = sorted(package.symbols.all_functions(), key=lambda i: (i.file.display_path, i.node.start_byte))
    by_name: dict[str, list[FuncInfo]] = {}
    for info in functions:
        by_name.setdefault(info.name, []).append(info)
    order: list[FuncInfo] = []
    state: dict[int, int] = {}  # 1: on the stack, 2: done
    for root in functions:
        if root.node.id in state:
            continue
        stack = [(root, iter(sorted(_called_names(root.node))))]
        state[root.node.id] = 1
        while stack:
            info, pending = stack[-1]
            callee = next((c for name in pending for c in by_name.get(name, ()) if c.node.id not in state), None)
            if callee is None:
                stack.pop()
                state[info.node.id] = 2
                order.append(info)
            else:
                state[callee.node.id] = 1
                stack.append((callee, iter(sorted(_called_names(callee.node)))))
    return order


def _syntactic_summary(info: FuncInfo, pkg: PackageContext) -> FunctionSummary:
    """What a function that never allocates or frees C memory does with its parameters."""
    params = {name: index for index, (name, _) in enumerate(info.params) if name}
    if info.receiver_name:
        params[info.receiver_name] = RECEIVER
    escapes: set[int] = set()
    returned: set[tuple[int, int]] = set()
    reads: set[tuple[int, str]] = set()
    body = info.body
    for node in _captures("(identifier) @id", body) if body is not None else ():
        if text(node) not in params:
            continue
        read = _field_read(node)
        if read is not None and (params[text(node)], read[0]) not in reads:
            reads.add((params[text(node)], read[0]))
            pkg.field_uses[(info.node.id, params[text(node)], read[0])] = (info.file, read[1])
        use = _use_context(node)
        if use == "returned" and info.results:
            returned.add((0, params[text(node)]))
        elif use == "escapes":
            escapes.add(params[text(node)])
    return FunctionSummary(returns_param=tuple(sorted(returned)), escapes=frozenset(escapes),
                           uses_fields=frozenset(reads))


def _field_read(ident: Node) -> tuple[str, Node] | None:
    """(".f", the reading expression) when ``p.f`` is dereferenced (``p.f.g``) or handed to C."""
    selector = ident.parent
    if selector is None or selector.type != "selector_expression" or selector.child_by_field_name("operand") != ident:
        return None
    name = "." + text(selector.child_by_field_name("field"))
    outer = selector.parent
    if outer is not None and outer.type == "selector_expression" and outer.child_by_field_name("operand") == selector:
        return name, outer
    node = selector
    while node.parent is not None and (node.parent.type == "parenthesized_expression" or (
            node.parent.type == "argument_list" and _is_conversion_call(node.parent.parent))):
        node = node.parent if node.parent.type == "parenthesized_expression" else node.parent.parent
    if node.parent is not None and node.parent.type == "argument_list":
        call = node.parent.parent
        if call is not None and c_name(call.child_by_field_name("function")) is not None:
            return name, selector
    return None


def _use_context(ident: Node) -> str:
    """How a parameter is used: "escapes" (stored, handed to Go code), "returned", or "" (read)."""
    node = ident
    parent = node.parent
    while parent is not None and (parent.type == "parenthesized_expression"
                                  or (parent.type == "argument_list" and _is_conversion_call(parent.parent))
                                  or (parent.type == "call_expression" and _is_conversion_call(parent))):
        node, parent = parent, parent.parent
    if parent is None:
        return ""
    kind = parent.type
    if kind == "selector_expression" or (kind == "index_expression" and node == parent.named_children[0]):
        return ""  # reading through it
    if kind == "expression_list" and parent.parent is not None and parent.parent.type == "return_statement":
        return "returned"
    if kind == "argument_list":
        call = parent.parent
        return "" if call is not None and c_name(call.child_by_field_name("function")) is not None else "escapes"
    if kind in ("binary_expression", "if_statement", "expression_statement", "inc_statement", "dec_statement"):
        return ""
    return "escapes"


def _is_conversion_call(call: Node | None) -> bool:
    if call is None or call.type != "call_expression":
        return False
    func = unparen(call.child_by_field_name("function"))
    return func is not None and (func.type in ("pointer_type", "parenthesized_type", "qualified_type")
                                 or text(func) in ("unsafe.Pointer", "uintptr")
                                 or (func.type == "unary_expression" and text(func).startswith("*")))


def _finalizers(package: Package) -> set[int]:
    """Function nodes registered with runtime.SetFinalizer (they run once nothing can see the object)."""
    found: set[int] = set()
    for file in package.files:
        for match in re.finditer(rb"SetFinalizer\s*\(", file.source):
            node = file.root.descendant_for_byte_range(match.start(), match.start())
            while node is not None and node.type != "call_expression":
                node = node.parent
            if node is None:
                continue
            _, args = call_parts(node)
            target = unparen(args[1]) if len(args) > 1 else None
            if target is None:
                continue
            if target.type == "func_literal":
                found.add(target.id)
                continue
            name = text(target).rsplit(".", 1)[-1].rstrip(")")
            found.update(info.node.id for info in package.symbols.all_functions() if info.name == name)
    return found


def report_events(ctx: RuleContext, meta: RuleMeta, kinds: frozenset[str]) -> None:
    """Report the package's lifetime events of ``kinds`` under rule ``meta``."""
    result: PackageLifetime = ctx.shared("lifetime", lambda: analyze_package(ctx.package, _contracts(ctx)))
    reported: set[tuple[str, int, str]] = set()
    for file, event in result.events:  # `file` holds the analysed function (and the related nodes)
        where = event.file or file
        key = (where.display_path, event.node.start_byte, event.kind)
        if event.kind not in kinds or key in reported:
            continue
        reported.add(key)
        related = [ctx.related(file, node, message) for node, message in event.related]
        ctx.report(meta, where, event.node, event.message, related=related, confidence=event.confidence)


def _contracts(ctx: RuleContext) -> object:
    if ctx.contracts is not None:
        return ctx.contracts
    from cgoguard.contracts import contracts_for_package

    return ctx.shared("contracts", lambda: contracts_for_package(ctx.package, called_only=True))
