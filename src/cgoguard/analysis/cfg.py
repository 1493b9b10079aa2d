"""Control-flow graphs of Go function bodies, built from tree-sitter nodes.

One CFG node per simple statement (or per branch condition), which keeps the dataflow
transfer functions simple and the reported positions exact. Exits are explicit:

* ``return`` nodes (one per ``return`` statement plus an implicit one at the closing brace)
  lead to ``exit``; deferred calls run when control reaches a return node;
* calls that never return normally (``panic``, ``log.Fatal*``, ``os.Exit``,
  ``runtime.Goexit``, ``t.Fatal*``) lead to ``abort``: analyses may ignore those paths.

Function literals are not part of their enclosing function's graph; they get their own.
``goto`` is approximated by an edge to its label when the label is in the same function.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from cgoguard.gofront.syntax import qualified_call_name, text, unparen

# Node kinds.
ENTRY, EXIT, ABORT = "entry", "exit", "abort"
STMT, COND, RANGE, RETURN, DEFER, GO, JOIN = "stmt", "cond", "range", "return", "defer", "go", "join"

_NO_RETURN_CALLS = frozenset({
    "panic", "os.Exit", "log.Fatal", "log.Fatalf", "log.Fatalln", "log.Panic", "log.Panicf",
    "log.Panicln", "runtime.Goexit", "t.Fatal", "t.Fatalf", "t.FailNow", "t.Skip", "t.Skipf",
    "b.Fatal", "b.Fatalf", "b.Skip", "b.Skipf", "klog.Fatal", "klog.Fatalf",
})
_SIMPLE_STATEMENTS = frozenset({
    "expression_statement", "short_var_declaration", "assignment_statement", "inc_statement",
    "dec_statement", "send_statement", "var_declaration", "receive_statement",
})
_IGNORED_STATEMENTS = frozenset({
    "empty_statement", "const_declaration", "type_declaration", "comment", "fallthrough_statement",
})


@dataclass(slots=True)
class CfgNode:
    id: int
    kind: str
    ast: Node | None
    succs: list[int] = field(default_factory=list)
    preds: list[int] = field(default_factory=list)
    true_succ: int = -1  # for an `if` condition: the successor taken when it holds


@dataclass
class Cfg:
    func: Node  # function_declaration, method_declaration or func_literal
    nodes: list[CfgNode]
    entry: int
    exit: int
    abort: int

    def node(self, index: int) -> CfgNode:
        return self.nodes[index]

    def returns(self) -> list[CfgNode]:
        return [n for n in self.nodes if n.kind == RETURN]

    def reverse_postorder(self) -> list[int]:
        """Node ids in reverse post-order from the entry (good worklist order for forward flow)."""
        order: list[int] = []
        seen = {self.entry}
        stack: list[tuple[int, int]] = [(self.entry, 0)]
        while stack:
            node, index = stack[-1]
            succs = self.nodes[node].succs
            if index < len(succs):
                stack[-1] = (node, index + 1)
                nxt = succs[index]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, 0))
            else:
                stack.pop()
                order.append(node)
        order.reverse()
        return order


@dataclass
class _Loop:
    label: str
    break_target: int
    continue_target: int | None  # None for switch/select (break only)


class _Builder:
    def __init__(self, func: Node) -> None:
        self.func = func
        self.nodes: list[CfgNode] = []
        self.entry = self._new(ENTRY, None)
        self.exit = self._new(EXIT, None)
        self.abort = self._new(ABORT, None)
        self.loops: list[_Loop] = []
        self.labels: dict[str, int] = {}
        self.gotos: list[tuple[int, str]] = []
        self.pending_label = ""

    def _new(self, kind: str, ast: Node | None) -> int:
        self.nodes.append(CfgNode(len(self.nodes), kind, ast))
        return len(self.nodes) - 1

    def _edge(self, src: int | None, dst: int) -> None:
        if src is not None and dst not in self.nodes[src].succs:
            self.nodes[src].succs.append(dst)
            self.nodes[dst].preds.append(src)

    def _link(self, current: list[int], kind: str, ast: Node | None) -> int:
        node = self._new(kind, ast)
        for src in current:
            self._edge(src, node)
        return node

    def build(self) -> Cfg:
        body = self.func.child_by_field_name("body")
        current = [self.entry]
        if body is not None:
            current = self._block(body, current)
        if current:
            implicit = self._link(current, RETURN, body)  # falling off the closing brace
            self._edge(implicit, self.exit)
        for src, label in self.gotos:
            if label in self.labels:
                self._edge(src, self.labels[label])
        return Cfg(self.func, self.nodes, self.entry, self.exit, self.abort)

    # Each statement method takes the live predecessor ids and returns those after it
    # (an empty list when control cannot fall through).
    def _block(self, block: Node, current: list[int]) -> list[int]:
        for stmt in _statements(block):
            current = self._statement(stmt, current)
        return current

    def _statement(self, stmt: Node, current: list[int]) -> list[int]:
        kind = stmt.type
        label, self.pending_label = self.pending_label, ""
        if kind in _IGNORED_STATEMENTS:
            return current
        if kind == "block":
            return self._block(stmt, current)
        if kind in _SIMPLE_STATEMENTS:
            node = self._link(current, STMT, stmt)
            if kind == "expression_statement" and _never_returns(stmt):
                self._edge(node, self.abort)
                return []
            return [node]
        handler = _HANDLERS.get(kind)
        if handler is not None:
            return handler(self, stmt, current, label)
        return [self._link(current, STMT, stmt)]  # unknown statement: keep it in sequence

    def _labeled(self, stmt: Node, current: list[int], _label: str) -> list[int]:
        name = text(stmt.child_by_field_name("label"))
        target = self._link(current, JOIN, stmt)
        self.labels[name] = target
        inner = [c for c in stmt.named_children if c.type != "label_name"]
        if not inner:
            return [target]
        self.pending_label = name
        return self._statement(inner[0], [target])

    def _return(self, stmt: Node, current: list[int], _label: str) -> list[int]:
        node = self._link(current, RETURN, stmt)
        self._edge(node, self.exit)
        return []

    def _defer(self, stmt: Node, current: list[int], _label: str) -> list[int]:
        return [self._link(current, DEFER, stmt)]

    def _go(self, stmt: Node, current: list[int], _label: str) -> list[int]:
        return [self._link(current, GO, stmt)]

    def _if(self, stmt: Node, current: list[int], _label: str) -> list[int]:
        init = stmt.child_by_field_name("initializer")
        if init is not None:
            current = self._statement(init, current)
        cond = self._link(current, COND, stmt.child_by_field_name("condition"))
        first_new = len(self.nodes)
        after = self._block_or_stmt(stmt.child_by_field_name("consequence"), [cond])
        if first_new < len(self.nodes) and cond in self.nodes[first_new].preds:
            self.nodes[cond].true_succ = first_new
        alternative = stmt.child_by_field_name("alternative")
        if alternative is None:
            return [*after, cond]
        return after + self._block_or_stmt(alternative, [cond])

    def _block_or_stmt(self, node: Node | None, current: list[int]) -> list[int]:
        if node is None:
            return current
        return self._block(node, current) if node.type == "block" else self._statement(node, current)

    def _for(self, stmt: Node, current: list[int], label: str) -> list[int]:
        clause = next((c for c in stmt.named_children if c.type in ("for_clause", "range_clause")), None)
        body = stmt.child_by_field_name("body")
        condition: Node | None = None
        update: Node | None = None
        if clause is not None and clause.type == "for_clause":
            init = clause.child_by_field_name("initializer")
            if init is not None:
                current = self._statement(init, current)
            condition = clause.child_by_field_name("condition")
            update = clause.child_by_field_name("update")
        elif clause is None:
            condition = next((c for c in stmt.named_children if c != body and c.type != "comment"), None)
        head_kind = RANGE if clause is not None and clause.type == "range_clause" else COND
        head = self._link(current, head_kind, clause if head_kind == RANGE else condition)
        after = self._new(JOIN, None)
        continue_target = self._new(JOIN, None)
        self.loops.append(_Loop(label, after, continue_target))
        end = self._block(body, [head]) if body is not None else [head]
        self.loops.pop()
        for src in end:
            self._edge(src, continue_target)
        tail = [continue_target]
        if update is not None:
            tail = self._statement(update, tail)
        for src in tail:
            self._edge(src, head)
        if head_kind == RANGE or condition is not None:
            self._edge(head, after)
        return [after] if self.nodes[after].preds else []

    def _switch(self, stmt: Node, current: list[int], label: str) -> list[int]:
        init = stmt.child_by_field_name("initializer")
        if init is not None:
            current = self._statement(init, current)
        head = self._link(current, COND, stmt.child_by_field_name("value"))
        after = self._new(JOIN, None)
        self.loops.append(_Loop(label, after, None))
        cases = [c for c in stmt.named_children
                 if c.type in ("expression_case", "type_case", "default_case", "communication_case")]
        fall: list[int] = []
        for case in cases:
            entry = [head]
            communication = case.child_by_field_name("communication")
            if communication is not None:
                entry = [self._link(entry, STMT, communication)]
            end = self._block(case, entry + fall) if _statements(case) else entry + fall
            body = _statements(case)
            if body and body[-1].type == "fallthrough_statement":
                fall = end
            else:
                fall = []
                for src in end:
                    self._edge(src, after)
        self.loops.pop()
        if not any(c.type == "default_case" for c in cases) and stmt.type != "select_statement":
            self._edge(head, after)
        return [after] if self.nodes[after].preds else []

    def _jump(self, stmt: Node, current: list[int], _label: str) -> list[int]:
        target_label = text(next((c for c in stmt.named_children if c.type == "label_name"), None))
        node = self._link(current, STMT, stmt)
        if stmt.type == "goto_statement":
            self.gotos.append((node, target_label))
            return []
        breaking = stmt.type == "break_statement"
        for loop in reversed(self.loops):
            if target_label and loop.label != target_label:
                continue
            if breaking:
                self._edge(node, loop.break_target)
                return []
            if loop.continue_target is not None:
                self._edge(node, loop.continue_target)
                return []
        return []


_HANDLERS = {
    "labeled_statement": _Builder._labeled,
    "return_statement": _Builder._return,
    "defer_statement": _Builder._defer,
    "go_statement": _Builder._go,
    "if_statement": _Builder._if,
    "for_statement": _Builder._for,
    "expression_switch_statement": _Builder._switch,
    "type_switch_statement": _Builder._switch,
    "select_statement": _Builder._switch,
    "break_statement": _Builder._jump,
    "continue_statement": _Builder._jump,
    "goto_statement": _Builder._jump,
}


def _statements(container: Node) -> list[Node]:
    """The statements of a block or case clause (tree-sitter nests them in a statement_list)."""
    result: list[Node] = []
    for child in container.named_children:
        if child.type == "statement_list":
            result.extend(c for c in child.named_children if c.type != "comment")
        elif child.type not in ("comment",) and container.type == "block":
            result.append(child)
    return result


def _never_returns(stmt: Node) -> bool:
    call = unparen(stmt.named_children[0]) if stmt.named_children else None
    return call is not None and call.type == "call_expression" and qualified_call_name(call) in _NO_RETURN_CALLS


def build_cfg(func: Node) -> Cfg:
    """The CFG of a function_declaration, method_declaration or func_literal."""
    return _Builder(func).build()
