"""What a branch condition says about the paths through it.

* Nil tests: on the edges out of ``if p != nil`` / ``if p == nil`` the state is refined, so a
  free-then-nil on one branch stays correlated with a later test (see
  :meth:`.function.FunctionAnalysis.refine`).
* Failure status: C functions often report failure through a status (``rc := C.open(&h)``,
  an ``&errmsg`` out-parameter, a Go wrapper's ``err``). Memory a call returns is recorded
  with the names that carry its status (:attr:`.state.Obj.status`); a path leaving through a
  branch that tests them is the call's failure path, where the memory does not exist (C
  returned NULL), so it cannot leak there.
"""

from __future__ import annotations

from tree_sitter import Node

from cgoguard.analysis.lifetime.syntax import expressions
from cgoguard.gofront.syntax import call_parts, nodes_of_type, text, unparen


def nil_tests(cond: Node, holds: bool) -> list[tuple[Node, bool]]:
    """(tested variable or field, is non-nil) facts implied by ``cond`` evaluating to ``holds``."""
    cond = unparen(cond)
    if cond is None or cond.type != "binary_expression":
        return []
    operator = text(cond.child_by_field_name("operator"))
    left, right = unparen(cond.child_by_field_name("left")), unparen(cond.child_by_field_name("right"))
    if operator in ("&&", "||"):
        if (operator == "&&") != holds:
            return []  # a false `&&` (or a true `||`) says nothing about either side alone
        return [*nil_tests(left, holds), *nil_tests(right, holds)]
    if operator not in ("==", "!=") or left is None or right is None:
        return []
    tested = left if right.type == "nil" else right if left.type == "nil" else None
    if tested is None or tested.type not in ("identifier", "selector_expression"):
        return []
    return [(tested, (operator == "!=") == holds)]


def status_of(call: Node, holder: str) -> tuple[str | Node, ...]:
    """How the caller learns whether ``call`` failed: the other variables its results are
    assigned to (``rc``, ``err``), its out-parameters, or the `if` whose condition holds the call."""
    node = call.parent
    while node is not None and node.type not in ("block", "statement_list", "source_file"):
        if node.type in ("short_var_declaration", "assignment_statement"):
            left = node.child_by_field_name("left")
            names = tuple(text(n) for n in expressions(left) if n.type == "identifier" and text(n) not in ("_", holder))
            return names + tuple(n for n in out_names(call_parts(call)[1]) if n != holder and n not in names)
        if node.type == "if_statement":
            return (node,)
        node = node.parent
    return tuple(n for n in out_names(call_parts(call)[1]) if n != holder)


def out_names(args: list[Node]) -> tuple[str, ...]:
    """Variables passed by address (``&errmsg``): C reports through them."""
    names: list[str] = []
    for arg in args:
        arg = unparen(arg)
        if arg is not None and arg.type == "unary_expression" and text(arg.child_by_field_name("operator")) == "&":
            target = unparen(arg.child_by_field_name("operand"))
            if target is not None and target.type == "identifier":
                names.append(text(target))
    return tuple(names)


def assigned_name(call: Node, index: int) -> str:
    """The variable result ``index`` of ``call`` is assigned to, if any."""
    statement = call.parent.parent if call.parent is not None else None
    if statement is None or statement.type not in ("short_var_declaration", "assignment_statement"):
        return ""
    lefts = expressions(statement.child_by_field_name("left"))
    return text(lefts[index]) if index < len(lefts) else ""


def on_failure_path(exit_node: Node, status: tuple[str | Node, ...]) -> bool:
    """Whether ``exit_node`` lies in a branch testing ``status`` (see :func:`status_of`)."""
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
