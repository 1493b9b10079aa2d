"""The lifetime dataflow of one function: the transfer functions solved over its CFG.

Each CFG node is transferred on each of the (up to four) states reaching it
(:class:`~.state.Paths`); "must" events are checked once more on the merged state, so they
are reported only when they hold on every path. On the edges out of a nil test the states
are refined, and paths a test proves impossible are dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgoguard.analysis.cfg import COND, DEFER, GO, RANGE, RETURN, STMT, Cfg, CfgNode, build_cfg
from cgoguard.analysis.dataflow import ForwardAnalysis
from cgoguard.analysis.lifetime.branches import nil_tests
from cgoguard.analysis.lifetime.calls import CallTransfer
from cgoguard.analysis.lifetime.callsites import CallSites
from cgoguard.analysis.lifetime.checks import ALL_KINDS, MAY_KINDS, MUST_KINDS
from cgoguard.analysis.lifetime.events import Event, EventLog
from cgoguard.analysis.lifetime.expressions import ExpressionTransfer
from cgoguard.analysis.lifetime.state import ALLOC, NIL, NONE, Loc, Objs, Paths, State
from cgoguard.analysis.lifetime.statements import StatementTransfer
from cgoguard.analysis.lifetime.syntax import DECLARATIONS, captures, expressions, source_position
from cgoguard.analysis.remedies import Release
from cgoguard.gofront.syntax import text, unparen

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.analysis.lifetime.context import PackageContext
    from cgoguard.gofront.gofile import GoFile
    from cgoguard.gofront.symbols import FuncInfo

# Objects that may be nil without the analysis knowing (`p == nil` can hold for them).
_MAYBE_NIL = frozenset({"opaque", "var", "field", "weak"})
_SCOPES = frozenset({
    "block", "for_statement", "if_statement", "expression_switch_statement", "type_switch_statement",
    "expression_case", "type_case", "default_case", "communication_case", "func_literal", "function_declaration",
    "method_declaration",
})


class FunctionAnalysis(StatementTransfer, CallTransfer, ExpressionTransfer):
    """The lifetime dataflow of one function body (a declaration or a function literal).

    After :meth:`run`, :attr:`result_events` holds its events and the model its summary facts
    (read by :func:`.summary.summarize`).
    """

    def __init__(self, pkg: PackageContext, file: GoFile, func: Node, info: FuncInfo | None,
                 declared: frozenset[str]) -> None:
        super().__init__(pkg, file, func, info, declared, EventLog(ALL_KINDS))
        self.callsites = CallSites(pkg.package, file, declared, self.build_local_types)
        self.closures: dict[str, Node] = {}
        self.closure_sites: dict[int, Node] = {}
        self._names: dict[int, str] = {}
        self.not_maps: set[int] = set()
        self._scopes: dict[str, list[tuple[int, int]]] | None = None  # local name -> byte ranges of its scopes
        self.cfg: Cfg = build_cfg(func)
        self.result_events: list[Event] = []

    def run(self) -> None:
        initial = State()
        if self.info is not None:
            for name, _ in self.info.results:
                if name:
                    initial.env[name] = frozenset({NIL})
        ForwardAnalysis(self.cfg, Paths((initial,)), self._transfer_paths, Paths.join, self._refine_paths).solve()
        # A leak is dismissed when its memory turned out to exist only on a failure path (a fact
        # that may have been learnt after the event was recorded).
        self.result_events = self.events.final(
            lambda node_id: source_position(self.cfg.nodes[node_id]),
            lambda event: event.obj >= 0 and self.objects[event.obj].freed_on_status)
        for event in self.result_events:
            if isinstance(event.remedy, Release) and event.obj >= 0:
                event.remedy = Release(event.remedy.dealloc, self._leaks_on_every_path(event.obj))

    def _leaks_on_every_path(self, obj: int) -> bool:
        """No exit state has the allocation freed or handed off: freeing it as the function
        returns cannot free it twice or under someone else."""
        return all(state.flags.get(obj, frozenset()) <= {ALLOC} for state in self.exit_states)

    def _transfer_paths(self, node: CfgNode, paths: Paths) -> Paths:
        self.events.visit(node.id)
        if len(paths.states) > 1:
            # "Must" facts (use after free, double free) hold on every path reaching the node...
            self.events.kinds = MUST_KINDS
            self._transfer(node, paths.merged())
            # ...while a leak or a dangling reference on any one path is a finding.
            self.events.kinds = MAY_KINDS
        else:
            self.events.kinds = ALL_KINDS
        return Paths(tuple(self._transfer(node, state) for state in paths.states)).deduplicated()

    def _transfer(self, node: CfgNode, state: State) -> State:
        if node.ast is None or node.kind not in (STMT, COND, RANGE, RETURN, DEFER, GO):
            return state
        self.state = state.copy()
        self.node = node
        if node.kind == RETURN:
            self.return_(node.ast)
        elif node.kind == DEFER:
            self.defer(node.ast)
        elif node.kind == GO:
            self.go(node.ast)
        elif node.kind == RANGE:
            self.range_(node.ast)
        elif node.kind == COND:
            value = self.eval(node.ast)
            self._bind_type_switch(node.ast, value)
        else:
            self.statement(node.ast)
        return self.state

    def _bind_type_switch(self, head: Node, value: Objs) -> None:
        """`switch x := v.(type)`: x denotes v's value, anew at each execution."""
        statement = head.parent
        if statement is None or statement.type != "type_switch_statement":
            return
        for alias in expressions(statement.child_by_field_name("alias")):
            if alias.type == "identifier":
                self.assign(alias, value)

    # ----- refinement on the edges out of a nil test -------------------------------------------
    def _refine_paths(self, node: CfgNode, succ: int, paths: Paths) -> Paths:
        if node.true_succ < 0:
            return paths
        refined = (self._refine(node, succ, state) for state in paths.states)
        return Paths(tuple(state for state in refined if state is not None))

    def _refine(self, node: CfgNode, succ: int, state: State) -> State | None:
        """On the edges out of `if p != nil` / `if p == nil`, p is (not) nil; None: infeasible."""
        if node.ast is None:
            return state
        holds = succ == node.true_succ
        refined = state
        for tested, non_nil in nil_tests(node.ast, holds):
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
            for ident in captures(DECLARATIONS, self.func):
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
