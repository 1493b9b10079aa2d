"""Pinner leak: a `runtime.Pinner` pins memory that is not unpinned on every path.

## What it finds

A call `p.Pin(x)` on a local `runtime.Pinner` after which some path returns from the
function without calling `p.Unpin()` (directly, or through `defer p.Unpin()` or a deferred
closure that calls it). Pinners that outlive the function (fields, parameters, pinners
whose address is handed to other code) are left alone: their owner unpins them.

## Why it matters

Pinned objects cannot be moved or freed by the garbage collector. A Pinner that is never
unpinned keeps everything it pinned alive forever, and the runtime panics when a Pinner
that still holds pins becomes unreachable ("runtime.Pinner: found leaking pinned pointer;
forgot to call Unpin()?"), so a missed path is a crash waiting for the next GC.

## Example

```go
var pinner runtime.Pinner
pinner.Pin(&buf[0])
if err := C.submit(unsafe.Pointer(&buf[0])); err != 0 {
    return errSubmit // pinner is never unpinned on this path
}
pinner.Unpin()
```

## Fix

Unpin on every path, most simply with `defer pinner.Unpin()` right after declaring the
Pinner (or right after the first `Pin`).
"""

from __future__ import annotations

from collections.abc import Callable

from tree_sitter import Node

from cgoguard.analysis.cfg import DEFER, RETURN, CfgNode, build_cfg
from cgoguard.analysis.dataflow import ForwardAnalysis
from cgoguard.findings import Severity
from cgoguard.gofront.gofile import GoFile
from cgoguard.gofront.syntax import nodes_of_type, text, unparen, walk_skipping_funcs
from cgoguard.rules.base import RuleContext, RuleMeta

META = RuleMeta(
    id="CG401",
    name="pinner-leak",
    category="pinner-leak",
    severity=Severity.WARNING,
    title="runtime.Pinner not unpinned on every path",
)

Pins = frozenset[tuple[str, int]]  # (pinner variable, byte offset of the Pin call)


def check(ctx: RuleContext) -> None:
    for info in ctx.package.symbols.all_functions():
        if b".Pin(" not in (info.node.text or b""):
            continue
        runtime = info.file.imported_as("runtime")
        if runtime is None:
            continue
        functions = [info.node, *nodes_of_type(info.node, "func_literal")]
        for func in functions:
            pinners = _local_pinners(func, runtime)
            if pinners:
                _check_function(ctx, info.file, func, pinners)


def _local_pinners(func: Node, runtime: str) -> set[str]:
    """Names of runtime.Pinner variables declared in ``func`` whose address does not escape."""
    pinner_type = f"{runtime}.Pinner"
    declared: set[str] = set()
    for node in walk_skipping_funcs(func):
        if node.type == "var_spec" and text(node.child_by_field_name("type")) == pinner_type:
            declared.update(text(n) for n in node.children_by_field_name("name"))
        elif node.type == "short_var_declaration":
            right = text(node.child_by_field_name("right"))
            if right in (f"{pinner_type}{{}}", f"&{pinner_type}{{}}", f"new({pinner_type})"):
                left = node.child_by_field_name("left")
                declared.update(text(n) for n in (left.named_children if left else []))
    return {name for name in declared if not _escapes(func, name)}


def _escapes(func: Node, name: str) -> bool:
    """A pinner handed to other code (``&p``, returned, stored, captured by a goroutine)."""
    for node in nodes_of_type(func, "identifier"):
        if text(node) != name:
            continue
        parent = node.parent
        if parent is None or parent.type == "selector_expression":
            continue  # p.Pin / p.Unpin
        if parent.type == "unary_expression" or parent.type in ("argument_list", "expression_list",
                                                                  "keyed_element", "literal_element"):
            grand = parent.parent
            if grand is not None and grand.type in ("var_spec", "short_var_declaration") and \
                    parent == grand.child_by_field_name("left"):
                continue  # its own declaration
            return True
    return False


def _check_function(ctx: RuleContext, file: GoFile, func: Node, pinners: set[str]) -> None:
    cfg = build_cfg(func)
    initial: State = (frozenset(), frozenset())
    before = ForwardAnalysis(cfg, initial, _transfer(pinners), _join).solve()
    reported: set[int] = set()
    for node in sorted(cfg.returns(), key=lambda n: n.ast.end_byte if n.ast is not None else 0):
        pins, _ = before.get(node.id, initial)
        for name, offset in sorted(pins):
            if offset in reported:
                continue
            reported.add(offset)
            pin = func.descendant_for_byte_range(offset, offset)
            while pin is not None and pin.type != "call_expression":
                pin = pin.parent
            line = (node.ast.end_point[0] if node.ast.type == "block" else node.ast.start_point[0]) + 1
            ctx.report(META, file, pin or func,
                       f"{name}.Pin here is not followed by {name}.Unpin() when the function returns at line "
                       f"{line}; the pinned memory stays pinned (and the runtime panics when {name} is "
                       f"collected); add `defer {name}.Unpin()` after declaring the Pinner",
                       related=[ctx.related(file, node.ast, "returns without Unpin")])


# (pins still held, pinners whose Unpin is deferred on every path so far)
State = tuple[Pins, frozenset[str]]


def _join(a: State, b: State) -> State:
    return a[0] | b[0], a[1] & b[1]


def _transfer(pinners: set[str]) -> Callable[[CfgNode, State], State]:
    def transfer(node: CfgNode, state: State) -> State:
        if node.ast is None or node.kind == RETURN:
            return state
        pins, deferred = state
        is_defer = node.kind == DEFER
        for name, action in _pinner_calls(node.ast, pinners, deferred=is_defer):
            if action == "pin" and name not in deferred:
                pins = pins | {(name, _pin_offset(node.ast, name))}
            elif action == "unpin":
                pins = frozenset(p for p in pins if p[0] != name)
                if is_defer:
                    deferred = deferred | {name}
        return pins, deferred

    return transfer


def _pinner_calls(stmt: Node, pinners: set[str], *, deferred: bool) -> list[tuple[str, str]]:
    """(pinner, "pin" | "unpin") for each Pin/Unpin call a statement makes, in order.

    A deferred call or closure only matters for Unpin: it runs at every return.
    """
    calls: list[tuple[str, str]] = []
    for node in nodes_of_type(stmt, "call_expression"):
        func = unparen(node.child_by_field_name("function"))
        if func is None or func.type != "selector_expression":
            continue
        operand = unparen(func.child_by_field_name("operand"))
        method = text(func.child_by_field_name("field"))
        if operand is None or text(operand) not in pinners or method not in ("Pin", "Unpin"):
            continue
        inside_closure = any(a.type == "func_literal" for a in _ancestors(node, stmt))
        if inside_closure and not deferred:
            continue  # a closure that runs later (or never): not this statement's effect
        if method == "Unpin":
            calls.append((text(operand), "unpin"))
        elif not deferred:
            calls.append((text(operand), "pin"))
    return calls


def _ancestors(node: Node, stop: Node) -> list[Node]:
    found: list[Node] = []
    current = node.parent
    while current is not None and current != stop:
        found.append(current)
        current = current.parent
    return found


def _pin_offset(stmt: Node, name: str) -> int:
    for node in nodes_of_type(stmt, "call_expression"):
        if text(node.child_by_field_name("function")) == f"{name}.Pin":
            return node.start_byte
    return stmt.start_byte
