"""Summary facts the lifetime analysis does not track: where a function keeps a parameter (a
field, a package variable, a container, C memory), whether it hands it to a goroutine or a
channel or gives it a finalizer, and what kind of memory each of its results is.

Computed bottom-up over the package's call graph like the lifetime summaries, and merged into
them (:func:`effect_summaries`): a call ``keep(box, p)`` of a function that stores its second
parameter into C memory stores the caller's parameter ``p`` there too, with the site of the
store inside ``keep`` kept for messages (so a finding at the outermost caller can show the
chain). C memory is recognised by the pointer analysis (:mod:`cgoguard.analysis.memory`), in
packages that import "C"; elsewhere only callees can store into it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from tree_sitter import Node

from cgoguard.analysis.callgraph import CallGraph, ImportedCallee, call_graph, solve_bottom_up
from cgoguard.analysis.facts import function_key
from cgoguard.analysis.memory import FunctionMemory, Origin, package_facts
from cgoguard.analysis.memory.facts import PackageFacts as MemoryFacts
from cgoguard.analysis.summaries import (
    EMPTY_SUMMARY,
    RECEIVER,
    RESULT_C,
    RESULT_GO,
    RESULT_STATIC,
    STORED_IN_C_MEMORY,
    STORED_IN_CONTAINER,
    STORED_IN_FIELD,
    STORED_IN_GLOBAL,
    FunctionSummary,
    StoreSite,
)
from cgoguard.gofront.resolve import LocalTypes
from cgoguard.gofront.syntax import call_parts, nodes_of_type, text, unparen

if TYPE_CHECKING:
    from cgoguard.gofront.package import Package
    from cgoguard.gofront.symbols import FuncInfo

_MAX_ROUNDS = 4
_ORIGIN_KINDS = {Origin.C: RESULT_C, Origin.MMAP: RESULT_C, Origin.GO: RESULT_GO, Origin.STATIC: RESULT_STATIC}
_POINTER_CONVERSIONS = frozenset({"pointer_type", "parenthesized_type", "qualified_type"})
_POINTER_KINDS = frozenset({"pointer", "slice", "unsafe-pointer", "map", "chan", "func", "interface", "c", "unknown"})


def effect_summaries(package: Package, lifetime: dict[int, FunctionSummary], *,
                     everything: bool = False) -> dict[int, FunctionSummary]:
    """The lifetime summaries (by function node id) completed with the effects of each function
    (of all of them with ``everything``, else of those the reported files need)."""
    graph = call_graph(package)
    only = None if everything or package.only is None else graph.needed_by(package.only)
    constructors = package_facts(package) if package.uses_cgo else None
    summaries: dict[int, FunctionSummary] = {}

    def summarize(info: FuncInfo) -> FunctionSummary:
        base = lifetime.get(info.node.id, EMPTY_SUMMARY)
        if base.unknown or info.body is None:
            return base
        try:
            return replace(base, **_Effects(package, graph, info, summaries, constructors).collect())
        except (RecursionError, ValueError, KeyError, IndexError, TypeError, AttributeError):
            return replace(base, unknown=True)  # odd code: its callers see a call of unknown code

    solve_bottom_up(graph, summarize, summaries, _MAX_ROUNDS, only)
    return summaries


class _Effects:
    """The effects of one function (closures included)."""

    def __init__(self, package: Package, graph: CallGraph, info: FuncInfo, summaries: dict[int, FunctionSummary],
                 constructors: MemoryFacts | None) -> None:
        self.package = package
        self.graph = graph
        self.info = info
        self.summaries = summaries
        self.types = LocalTypes(package, info.file, info.node)
        self.constructors = constructors
        self._memory: FunctionMemory | None = None
        self.stores_a_parameter = False  # `x.f = p`, `*x = p`, `x[i] = p`: maybe into C memory
        self.params = {name: index for index, (name, _) in enumerate(info.params) if name}
        if info.receiver_name:
            self.params[info.receiver_name] = RECEIVER
        self.key = function_key(package.import_path, info)
        self.stores: dict[tuple[int, str], StoreSite] = {}
        self.hands_off: set[int] = set()
        self.finalized: set[int] = set()

    @property
    def memory(self) -> FunctionMemory | None:
        """The pointer analysis of the function, in packages that import "C" (built when needed)."""
        if self._memory is None and self.constructors is not None:
            self._memory = FunctionMemory(self.types, self.constructors)
        return self._memory

    def collect(self) -> dict[str, object]:
        for node in nodes_of_type(self.info.node, "assignment_statement", "go_statement", "send_statement"):
            if node.type == "assignment_statement":
                self._assignment(node)
            elif node.type == "go_statement":
                self._go(node)
            else:
                self._hand_off(node.child_by_field_name("value"))
        for call, callee in self.graph.resolved[self.graph.position[self.info.node.id]]:
            self._call(call, callee)
        self._finalizers()
        if self.constructors is not None and self.stores_a_parameter:
            self._c_memory_stores()
        return {"stores": tuple(sorted(self.stores.values(), key=lambda s: (s.param, s.place))),
                "hands_off": frozenset(self.hands_off), "sets_finalizer": frozenset(self.finalized),
                "result_kinds": self._result_kinds()}

    # ----- parameters kept -----------------------------------------------------------------
    def param_of(self, node: Node | None) -> int | None:
        """The parameter an expression is (through conversions), if it is one."""
        node = unparen(node)
        while node is not None and node.type == "call_expression":
            func, args = call_parts(node)
            func = unparen(func)
            if len(args) != 1 or func is None or not (
                    func.type in _POINTER_CONVERSIONS or text(func) == "unsafe.Pointer" or (
                        func.type == "unary_expression" and text(func).startswith("*"))):
                return None
            node = unparen(args[0])
        if node is None or node.type != "identifier":
            return None
        return self.params.get(text(node))

    def _keep(self, param: int, place: str, node: Node, site: StoreSite | None = None,
              reported_there: bool = False) -> None:
        self.stores.setdefault((param, place), site or StoreSite(
            param, place, self.info.file.display_path, node.start_point[0] + 1, self.key, reported_there))

    def _assignment(self, node: Node) -> None:
        if next((text(c) for c in node.children if not c.is_named), "=") != "=":
            return
        lefts = _expressions(node.child_by_field_name("left"))
        rights = _expressions(node.child_by_field_name("right"))
        for left, right in zip(lefts, rights, strict=False):
            param = self.param_of(right)
            container = False
            if param is None:
                param, container = self._appended_param(right), True
            if param is None:
                continue
            target = unparen(left)
            self.stores_a_parameter |= target is not None and target.type != "identifier"
            place = self._place(target, container)
            if place is not None:
                self._keep(param, place, node)

    def _appended_param(self, right: Node | None) -> int | None:
        right = unparen(right)
        if right is None or right.type != "call_expression":
            return None
        func, args = call_parts(right)
        if text(func) != "append" or self.types.is_local("append"):
            return None
        return next((p for arg in args[1:] if (p := self.param_of(arg)) is not None), None)

    def _place(self, left: Node | None, container: bool) -> str | None:
        """Where ``left = param`` keeps the parameter beyond the call (None: a local)."""
        if left is None:
            return None
        root = _root_name(left)
        lasting = root is not None and (root in self.params or self._is_global(root))
        if left.type == "identifier":
            if not self._is_global(text(left)):
                return None
            return STORED_IN_CONTAINER if container else STORED_IN_GLOBAL
        if not lasting:
            return None  # C memory is found by the pointer analysis, if this is in C memory
        if container or left.type == "index_expression":
            return STORED_IN_CONTAINER
        return STORED_IN_FIELD

    def _is_global(self, name: str) -> bool:
        return not self.types.is_local(name) and name in self.package.symbols.globals

    def _c_memory_stores(self) -> None:
        assert self.memory is not None
        for address, store in self.memory.resolved_stores:
            if address.origin not in (Origin.C, Origin.MMAP) or store.is_copy or not isinstance(store.rhs, Node):
                continue
            param = self.param_of(store.rhs)
            if param is not None:
                self.stores.pop((param, STORED_IN_FIELD), None)  # the field is in C memory
                stored = self.memory.eval(store.rhs, store.stmt.end_byte - 1)
                typed = stored.obj is not None and stored.obj.assumed  # `o *Owner`: reported here
                self._keep(param, STORED_IN_C_MEMORY, store.stmt, reported_there=typed)

    def _go(self, node: Node) -> None:
        call = unparen(node.named_children[0]) if node.named_children else None
        if call is None or call.type != "call_expression":
            return
        func, args = call_parts(call)
        for arg in args:
            self._hand_off(arg)
        func = unparen(func)
        if func is not None and func.type == "func_literal":
            for ident in nodes_of_type(func, "identifier"):
                if text(ident) in self.params:
                    self.hands_off.add(self.params[text(ident)])

    def _hand_off(self, value: Node | None) -> None:
        param = self.param_of(value)
        if param is not None:
            self.hands_off.add(param)

    def _finalizers(self) -> None:
        for call in nodes_of_type(self.info.node, "call_expression"):
            func, args = call_parts(call)
            if text(func) == "runtime.SetFinalizer" and args:
                param = self.param_of(args[0])
                if param is not None:
                    self.finalized.add(param)

    # ----- calls ---------------------------------------------------------------------------
    def _call(self, call: Node, callee: int | ImportedCallee) -> None:
        if isinstance(callee, ImportedCallee):
            summary, is_method, name = callee.summary, callee.is_method, callee.qualified_name
        else:
            target = self.graph.functions[callee]
            summary, is_method = self.summaries.get(target.node.id, EMPTY_SUMMARY), bool(target.receiver_type)
            name = target.qualified_name
        if summary.unknown:
            return
        func, args = call_parts(call)
        func = unparen(func)
        receiver = func.child_by_field_name("operand") if is_method and func is not None else None
        by_param = {i: a for i, a in enumerate(args)}
        if receiver is not None:
            by_param[RECEIVER] = receiver
        for callee_param, arg in by_param.items():
            param = self.param_of(arg)
            if param is None:
                continue
            hop = (self.info.file.display_path, call.start_point[0] + 1, name)
            for site in summary.stores_of(callee_param):
                self._keep(param, site.place, call, replace(site, param=param, chain=(hop, *site.chain)))
            if callee_param in summary.hands_off:
                self.hands_off.add(param)
            if callee_param in summary.sets_finalizer:
                self.finalized.add(param)

    # ----- results -------------------------------------------------------------------------
    def _result_kinds(self) -> tuple[tuple[int, str], ...]:
        """Per result, the kind of memory every return that is not nil agrees on."""
        count = len(self.info.results)
        if not count or not self._results_may_be_pointers():
            return ()
        kinds: list[set[str | None]] = [set() for _ in range(count)]
        for node in nodes_of_type(self.info.node, "return_statement"):
            if _enclosing_function(node) != self.info.node:
                continue  # a return of a function literal
            values = _expressions(node.named_children[0] if node.named_children else None)
            if len(values) != count:
                return ()
            for index, value in enumerate(values):
                kind = self._kind_of(value, node)
                if kind != "nil":
                    kinds[index].add(kind)
        return tuple((i, next(iter(k))) for i, k in enumerate(kinds) if len(k) == 1 and None not in k)

    def _results_may_be_pointers(self) -> bool:
        """Whether a result can point to memory (a struct or number result cannot be C memory)."""
        for _, result in self.info.results:
            underlying = self.package.symbols.underlying(result)
            if underlying.kind in _POINTER_KINDS or (underlying.kind == "named" and "." in underlying.name):
                return True
        return False

    def _kind_of(self, value: Node, at: Node) -> str | None:
        value = unparen(value) or value
        if value.type == "nil":
            return "nil"
        if value.type in ("interpreted_string_literal", "raw_string_literal"):
            return RESULT_STATIC
        if value.type in ("composite_literal", "func_literal") or (
                value.type == "unary_expression" and text(value).startswith("&")):
            return RESULT_GO
        if value.type == "call_expression":
            func, _ = call_parts(value)
            if text(func) in ("new", "make") and not self.types.is_local(text(func)):
                return RESULT_GO
        if self.memory is None:
            return None
        origin = self.memory.eval(value, at.start_byte).origin
        if origin is Origin.NIL:
            return "nil"
        return _ORIGIN_KINDS.get(origin)


def _expressions(node: Node | None) -> list[Node]:
    if node is None:
        return []
    if node.type == "expression_list":
        return [c for c in node.named_children if c.type != "comment"]
    return [node]


def _root_name(node: Node) -> str | None:
    while node is not None:
        node = unparen(node)
        if node is None:
            return None
        if node.type == "identifier":
            return text(node)
        if node.type in ("selector_expression", "index_expression") or node.type == "unary_expression":
            node = node.child_by_field_name("operand")
        else:
            return None
    return None


def _enclosing_function(node: Node) -> Node | None:
    current = node.parent
    while current is not None and current.type not in ("function_declaration", "method_declaration",
                                                       "func_literal"):
        current = current.parent
    return current

