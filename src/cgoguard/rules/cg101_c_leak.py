"""C memory leak: C memory allocated by the function is not freed on some path.

## What it finds

Memory from `C.CString`, `C.CBytes`, `C.malloc`/`calloc`/`realloc`, `strdup`, C functions
whose contract says the caller owns the result (`x_new` with `x_free`, bodies returning
`malloc`'d memory), and package wrappers that return such memory, when some path through
the function returns without freeing it and without handing it off (returning it, storing
it somewhere longer-lived, passing it to a function that takes ownership). This includes
`C.f(C.CString(s))`, where the string is never bound to a name, and
`var p *C.char; defer C.free(unsafe.Pointer(p)); C.get(&p)`, where the `defer` captured the
nil pointer. The message names the return (or loop iteration) on which the memory leaks.

## Why it matters

The Go garbage collector never sees C memory. Every leaked allocation stays until the
process exits; in a server, a leak on a request path grows without bound until the process
is OOM-killed, and no Go heap profile shows it.

## Example

```go
func greet(name string) {
    cs := C.CString(name)
    if name == "" {
        return // cs leaks here
    }
    C.greet(cs)
    C.free(unsafe.Pointer(cs))
}
```

## Fix

Free the memory right after allocating it with `defer C.free(unsafe.Pointer(cs))` (or the
library's deallocator), or free it on every return path. Bind inline allocations to a
variable first. When a `defer` must free a pointer that is filled in later, defer a
closure: `defer func() { C.free(unsafe.Pointer(p)) }()`.

`cgoguard scan --fix` adds the `defer` right after an allocation that no path frees or hands
off (binding an inline allocation to a variable first). The fix is safe when the pointer is
only lent to C functions known to borrow it; otherwise (a C function whose header is not in
the tree, a slice made from the memory, a defer in a loop) it needs `--unsafe-fixes`.

## Severity

`warning`, and low confidence when the allocation's contract is inferred (a naming pair, or
the package's own Go usage) rather than documented. See `cgoguard explain severity`.
"""

from __future__ import annotations

from tree_sitter import Node

from cgoguard.analysis.lifetime import Event
from cgoguard.analysis.remedies import Release
from cgoguard.findings import Applicability, Confidence, Edit, Fix, Severity
from cgoguard.fix.cgo import ReleaseCall, borrows, only_lent_to_c, release_call
from cgoguard.fix.edits import (
    enclosing_function,
    fresh_name,
    in_loop,
    indentation,
    insert_after,
    insert_before,
    make_fix,
    replace,
    statement_of,
    top_function,
)
from cgoguard.gofront.gofile import GoFile
from cgoguard.gofront.syntax import c_name, call_parts, nodes_of_type, text, unparen
from cgoguard.rules.analyses import report_lifetime_events
from cgoguard.rules.base import RuleContext, RuleMeta
from cgoguard.rules.severity import report_graded_by_contracts

META = RuleMeta(
    id="CG101",
    name="c-leak",
    category="c-leak",
    severity=Severity.WARNING,
    title="C memory not freed on some path",
    fixable=True,
)
# Statements whose expressions run more than once, or after the statement (hoisting an
# allocation out of them would change when it runs).
_NOT_HOISTABLE = frozenset({"for_statement", "go_statement", "defer_statement", "select_statement",
                            "labeled_statement"})
_CASES = frozenset({"expression_case", "type_case", "communication_case", "default_case"})


def check(ctx: RuleContext) -> None:
    report_graded_by_contracts(ctx, META, lambda: report_lifetime_events(ctx, META, frozenset({"leak"}), fixer=fix))


def fix(ctx: RuleContext, file: GoFile, event: Event) -> Fix | None:
    """``defer <release>(x)`` right after the allocation, when no path frees or hands off the
    memory (so freeing it at return cannot free it twice); an allocation passed straight to a
    call is first bound to a new variable. Safe only when the pointer is merely lent to C
    functions known to borrow it: where the analysis missed a hand-off, a deferred free would
    turn a leak into a use after free."""
    remedy = event.remedy
    allocation = event.node
    if not isinstance(remedy, Release) or not remedy.every_path or allocation.type != "call_expression":
        return None
    statement = statement_of(allocation)
    if statement is None:
        return None
    holder = _assigned_name(allocation, statement)
    scope = enclosing_function(statement)
    if holder and scope is not None:
        release = release_call(ctx.package, file, remedy.dealloc, holder)
        after = insert_after(file, statement, f"defer {release.code}") if release is not None else None
        if release is None or after is None:
            return None
        edits: list[Edit | None] = [after]
        hoisted_safely = only_lent_to_c(ctx.package, ctx.contracts, scope, holder, statement)
    else:
        hoisted = _hoist(ctx, file, allocation, statement, remedy.dealloc)
        if hoisted is None:
            return None
        edits, hoisted_safely, release = hoisted
    safe = hoisted_safely and release.certain and event.confidence is Confidence.HIGH and not in_loop(statement)
    return make_fix(file, f"free it with `defer {release.code}`", [*edits, *release.edits],
                    Applicability.SAFE if safe else Applicability.UNSAFE)


def _assigned_name(allocation: Node, statement: Node) -> str:
    """The variable ``x`` of ``x := alloc(...)``, ``x = alloc(...)`` or ``var x = alloc(...)``."""
    values = allocation.parent
    binding = values.parent if values is not None else None
    if values is None or binding is None or values.type != "expression_list":
        return ""
    if binding.type == "var_spec" and binding.parent == statement and binding.child_by_field_name("value") == values:
        names = binding.children_by_field_name("name")
    elif binding == statement and binding.type in ("short_var_declaration", "assignment_statement") and \
            binding.child_by_field_name("right") == values:
        if binding.type == "assignment_statement" and text(binding.child_by_field_name("operator")) != "=":
            return ""
        left = binding.child_by_field_name("left")
        names = left.named_children if left is not None else []
    else:
        return ""
    position = values.named_children.index(allocation) if allocation in values.named_children else -1
    if len(names) != len(values.named_children) or position < 0:
        return ""
    name = names[position]
    return text(name) if name.type == "identifier" and text(name) != "_" else ""


def _hoist(ctx: RuleContext, file: GoFile, allocation: Node, statement: Node,
           dealloc: str) -> tuple[list[Edit | None], bool, ReleaseCall] | None:
    """``f(C.alloc(...))`` becomes ``x := C.alloc(...); defer free(x); f(x)``; safe when nothing
    in the statement ran before the allocation and it ran unconditionally."""
    if allocation.parent is None or allocation.parent.type != "argument_list" or statement.type in _NOT_HOISTABLE:
        return None
    scope = top_function(statement)
    if scope is None:
        return None
    name = _variable_for(allocation, scope)
    release = release_call(ctx.package, file, dealloc, name)
    if release is None:
        return None
    indent = indentation(file, statement)
    edits = [insert_before(file, statement, f"{name} := {text(allocation)}\n{indent}defer {release.code}"),
             replace(file, allocation, name)]
    consumer = allocation.parent.parent
    lent = consumer is not None and borrows(ctx.package, ctx.contracts, consumer,
                                            allocation.parent.named_children.index(allocation))
    safe = lent and not _runs_earlier(allocation, statement) and not _conditional(allocation, statement)
    return edits, safe, release


def _variable_for(allocation: Node, scope: Node) -> str:
    """``cName`` for ``C.CString(name)`` (``cs`` for a literal), ``cBufferString`` for
    ``C.buffer_string(...)``; numbered past the names earlier hoists in the function take."""
    base = _base_name(allocation)
    earlier = sum(1 for call in nodes_of_type(scope, "call_expression")
                  if call.start_byte < allocation.start_byte and call.parent is not None
                  and call.parent.type == "argument_list" and _base_name(call) == base)
    return fresh_name(scope, base, skip=earlier)


def _base_name(call: Node) -> str:
    function = call.child_by_field_name("function")
    allocator = c_name(function) or text(function).rsplit(".", 1)[-1]
    if allocator in ("CString", "CBytes"):
        arguments = call_parts(call)[1]
        subject = unparen(arguments[0]) if arguments else None
        if subject is not None and subject.type == "selector_expression":
            subject = subject.child_by_field_name("field")
        word = text(subject) if subject is not None and subject.type in ("identifier", "field_identifier") else ""
        return f"c{word[:1].upper()}{word[1:]}" if word else "cs"
    words = [w for w in allocator.split("_") if w]
    return "c" + "".join(w[:1].upper() + w[1:] for w in words) if words else "cmem"


def _runs_earlier(allocation: Node, statement: Node) -> bool:
    """A call or receive in ``statement`` that Go evaluates before the allocation."""
    ancestors = set()
    node = allocation.parent
    while node is not None and node != statement:
        ancestors.add(node.id)
        node = node.parent
    for other in nodes_of_type(statement, "call_expression", "unary_expression"):
        if other.id in ancestors or other.end_byte > allocation.start_byte or _only_allocates(other):
            continue
        if other.type == "call_expression" or text(other.child_by_field_name("operator")) == "<-":
            return True
    return False


def _only_allocates(call: Node) -> bool:
    """``C.CString(s)`` or ``C.CBytes(b)`` of plain operands: nothing else can observe when it runs."""
    if call.type != "call_expression" or c_name(call.child_by_field_name("function")) not in ("CString", "CBytes"):
        return False
    return not any(n.type == "call_expression" for a in call_parts(call)[1] for n in nodes_of_type(a, "call_expression"))


def _conditional(allocation: Node, statement: Node) -> bool:
    """Whether the allocation may not run when the statement does: the right operand of
    ``&&`` or ``||``, or a case expression of a switch."""
    node = allocation
    while node.parent is not None and node != statement:
        parent = node.parent
        if parent.type in _CASES:
            return True
        if parent.type == "binary_expression" and text(parent.child_by_field_name("operator")) in ("&&", "||") \
                and parent.child_by_field_name("right") == node:
            return True
        node = parent
    return False
