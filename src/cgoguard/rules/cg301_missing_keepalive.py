"""Missing runtime.KeepAlive: a finalizer can free a C handle while a C call still uses it.

## What it finds

A type whose values get `runtime.SetFinalizer` (or `runtime.AddCleanup`) somewhere in the
package, with a finalizer that releases C resources (`C.free`, or a C deallocator such as
`git_blob_free`, directly or through a method like `Free`/`Close`). A function loads a C
handle from such a value (`v.ptr`, a promoted field, a local copy of it, or memory a C
getter returned for it), passes it to C (directly, or through a package function that hands
it to C, as govips' `vipsJoin(a, b)` does), and then neither uses the value again nor calls
`runtime.KeepAlive(v)` after the last C use. Also reported: a `runtime.KeepAlive(v)` placed
*before* a later use of memory owned by `v`, such as converting a C string a getter returned.
The C call (or the late use) is reported.

Not reported: when the value is used after the call (another method call, a field access,
returning it), in an unexported function whose every caller keeps its argument alive across
the call, when `runtime.KeepAlive(v)` follows (a `defer runtime.KeepAlive(v)` covers the
whole function), inside the finalizer and its `Free` (after `runtime.SetFinalizer(v, nil)`),
when the value itself is passed on (to the C call, a `runtime.Pinner`, `cgo.NewHandle` or a
handle table) or stored in another object (`&Iterator{repo: r}`), and for types without a
finalizer. In a loop, a use earlier in the loop body
counts as a later use.

## Why it matters

The Go compiler considers a variable dead after its last use, and loading `v.ptr` is that
last use. The GC may then collect `v` while the C function is still running, run its
finalizer, and free the C object under C's feet: a use-after-free that shows up only under
GC pressure (git2go #352/#393, gpgme #23, govips #543).

## Example

```go
func (b *Blob) Size() int64 {
	return int64(C.git_blob_rawsize(b.ptr)) // b can be finalized during the call
}
```

## Fix

Keep the value reachable until C is done with everything it owns:

```go
func (b *Blob) Size() int64 {
	size := C.git_blob_rawsize(b.ptr)
	runtime.KeepAlive(b)
	return int64(size)
}
```

`cgoguard scan --fix` adds `runtime.KeepAlive(v)` on the line after the statement making the C
call, or `defer runtime.KeepAlive(v)` before a statement nothing can follow (a `return`, an
`if` whose condition makes the call). Keeping a value alive longer never changes what the
program computes, so the fix is safe, except for a `defer` inside a loop.

## Severity

`error` when the owner is certain to be unreachable during the call: this function made it
(a constructor call, `&T{...}`) and nothing else references it. `warning` when the owner is
a receiver or parameter, or was loaded from another object: a caller or that object usually
keeps it alive, so the hazard is latent. `warning` too when the finalizer's release is known
only from an inferred contract. Set `severity = { CG301 = "error" }` to fail on every
finding. See `cgoguard explain severity`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from cgoguard.analysis.finalizers import (
    FinalizedTypes,
    Finalizer,
    c_forwarders,
    field_path,
    find_finalized_types,
    find_method,
    is_handle_type,
)
from cgoguard.analysis.unsafeflow import (
    CGO_GO_RESULTS,
    FunctionScope,
    c_call_name,
    conversion,
    describe,
    is_unsafe_pointer_call,
)
from cgoguard.findings import Applicability, Confidence, Fix, Severity
from cgoguard.fix.edits import in_loop, insert_after, insert_before, make_fix, require_import, statement_of
from cgoguard.gofront.gofile import GoFile
from cgoguard.gofront.syntax import call_parts, line_of, nodes_of_type, text, unparen
from cgoguard.gofront.types import GoType
from cgoguard.rules.analyses import shared_scopes
from cgoguard.rules.base import RuleContext, RuleMeta
from cgoguard.rules.severity import Certainty, graded

META = RuleMeta(
    id="CG301",
    name="missing-keepalive",
    category="missing-keepalive",
    severity=Severity.ERROR,
    title="finalizer may free a C handle while a C call still uses it (missing runtime.KeepAlive)",
    fixable=True,
)
# Callees that keep the value they are given reachable (pinning, handle tables).
_RETAINING_WORDS = ("pin", "track", "handle", "register", "retain")
_LOOPS = frozenset({"for_statement"})
_CASES = frozenset({"expression_case", "default_case", "type_case", "communication_case"})
_SWITCHES = frozenset({"expression_switch_statement", "type_switch_statement", "select_statement"})
# Statements after which `runtime.KeepAlive(v)` can simply follow on the next line.
_SIMPLE_STATEMENTS = frozenset({"expression_statement", "short_var_declaration", "assignment_statement",
                                "inc_statement", "dec_statement", "send_statement", "var_declaration"})
# A goroutine uses the handle after the statement: no KeepAlive here can cover it.
_NO_KEEPALIVE_AFTER = frozenset({"go_statement"})


@dataclass(frozen=True)
class Handle:
    """C memory a C use needs its owner kept alive for."""

    root: str  # the local variable that owns it
    owner_decl: int | None  # declaration offset of that variable
    finalizer: Finalizer
    shown: str  # how the message names it: "b.ptr", "p (b.ptr, line 3)"
    field: str  # the field holding the handle, to name the deallocator that frees it
    producer: Node | None = None  # for memory a C getter returned: that call

    @property
    def release(self) -> str:
        return self.finalizer.release_for(self.field)


def check(ctx: RuleContext) -> None:
    scopes: list[FunctionScope] = shared_scopes(ctx)
    finalized: FinalizedTypes = ctx.shared(
        "finalizers.types", lambda: find_finalized_types(ctx.package, scopes, ctx.contracts))
    if not finalized.by_type:
        return
    forwarders = ctx.shared("finalizers.forwarders", lambda: c_forwarders(ctx.package, scopes))
    package = _PackageCheck(ctx, scopes, finalized, forwarders)
    for scope in scopes:
        if not finalized.runs_under_finalizer(scope.node, scope.file):
            package.function(scope).run()


class _PackageCheck:
    """Per-function checks, plus the one question that crosses functions: do all callers of an
    unexported function keep the argument alive themselves?"""

    def __init__(self, ctx: RuleContext, scopes: list[FunctionScope], finalized: FinalizedTypes,
                 forwarders: dict[str, frozenset[int]]) -> None:
        self.ctx = ctx
        self.scopes = scopes
        self.finalized = finalized
        self.forwarders = forwarders
        self._checks: dict[int, _FunctionCheck] = {}
        self._sites: dict[tuple[int, int], list[tuple[FunctionScope, Node, Node] | None]] = {}

    def function(self, scope: FunctionScope) -> _FunctionCheck:
        if scope.node.id not in self._checks:
            self._checks[scope.node.id] = _FunctionCheck(self, scope)
        return self._checks[scope.node.id]

    def callers_keep_alive(self, scope: FunctionScope, root: str, depth: int = 0) -> bool:
        """Whether ``root``, a parameter or the receiver of an unexported function, stays alive in
        every caller across the call (a caller that uses its argument afterwards keeps it
        reachable for the whole call)."""
        name = text(scope.node.child_by_field_name("name"))
        position = _parameter_position(scope.node, root)
        if depth > 2 or not name or name[0].isupper() or position is None:
            return False
        key = (scope.node.id, position)
        if key not in self._sites:
            self._sites[key] = list(self._call_sites(scope, name, position))
        sites = self._sites[key]
        if not sites or any(site is None for site in sites):
            return False  # never called here, or used as a function value: callers unknown
        return all(self._kept_by_caller(*site, depth) for site in sites if site is not None)

    def _kept_by_caller(self, caller: FunctionScope, call: Node, argument: Node, depth: int) -> bool:
        argument = unparen(argument) or argument
        chain = _selector_chain(argument) if argument.type == "selector_expression" else None
        variable = chain[0] if chain is not None else argument
        name = text(variable)
        if variable.type != "identifier" or not caller.types.is_local(name):
            return False
        check = self.function(caller)
        return check.root_kept_alive(call, name, caller.types.declaration_of(name, variable)) or \
            self.callers_keep_alive(caller, name, depth + 1)

    def _call_sites(self, callee: FunctionScope, name: str,
                    position: int) -> Iterator[tuple[FunctionScope, Node, Node] | None]:
        """(caller, call, argument bound to the parameter) of each call of ``callee``; None for a
        reference that is not a call (a function value)."""
        method = callee.node.type == "method_declaration"
        wanted = "field_identifier" if method else "identifier"
        for caller in self.scopes:
            for node in nodes_of_type(caller.node, wanted):
                if text(node) != name:
                    continue
                reference = node.parent if method else node
                if reference is None or node.parent.type == "function_declaration" or (
                        method and reference.type != "selector_expression"):
                    continue  # the declaration's own name, or another type's field
                call = reference.parent
                if call is None or call.type != "call_expression" or call.child_by_field_name("function") != reference:
                    yield None
                    continue
                args = call_parts(call)[1]
                if position < 0:
                    operand = reference.child_by_field_name("operand")
                    yield (caller, call, operand) if operand is not None else None
                else:
                    yield (caller, call, args[position]) if position < len(args) else None


def _parameter_position(func: Node, name: str) -> int | None:
    """-1 for the receiver, the index of a parameter, None when ``name`` is neither."""
    receiver = func.child_by_field_name("receiver")
    if receiver is not None and any(text(n) == name for d in receiver.named_children
                                    for n in d.children_by_field_name("name")):
        return -1
    parameters = func.child_by_field_name("parameters")
    names = [text(n) for d in (parameters.named_children if parameters is not None else [])
             for n in d.children_by_field_name("name")]
    return names.index(name) if name in names else None


class _FunctionCheck:
    def __init__(self, package: _PackageCheck, scope: FunctionScope) -> None:
        self.package = package
        self.ctx = package.ctx
        self.scope = scope
        self.finalized = package.finalized
        self.forwarders = package.forwarders

    # ----- finding handles ----------------------------------------------------------
    def handle_load(self, node: Node) -> Handle | None:
        """``v.ptr`` / ``v.inner.ptr`` / ``v.native()`` where ``v`` is a local finalized value."""
        node = unparen(node)
        if node is None:
            return None
        if node.type == "call_expression":
            return self._accessor_call(node)
        if node.type != "selector_expression":
            return None
        chain = _selector_chain(node)
        if chain is None:
            return None
        root, fields = chain
        return self._owner(root, fields, node)

    def _owner(self, root: Node, fields: list[str], node: Node) -> Handle | None:
        name = text(root)
        types = self.scope.types
        if not types.is_local(name):
            return None
        current = types.var_type(name, root)
        finalizer: Finalizer | None = None
        for index, field_name in enumerate(fields):
            named = _named(current, self.scope)
            if named is None:
                return None
            found = field_path(self.scope.package, named, field_name)
            if found is None:
                return None
            path, current = found
            # Types embedded by value are one object with their container: the container's own
            # finalizer is the one that runs. A later step through a field is another object.
            finalizer = next((self.finalized.by_type[t] for t in path if t in self.finalized.by_type), finalizer)
            if index == 0 and self.scope.underlying(types.var_type(name, root)).kind != "pointer":
                return None  # a copy of the value: KeepAlive on it would not help either
        if finalizer is None or not is_handle_type(current, self.scope.package):
            return None
        return Handle(name, types.declaration_of(name, root), finalizer, describe(node, 40), fields[-1])

    def _accessor_call(self, call: Node) -> Handle | None:
        func, args = call_parts(call)
        func = unparen(func)
        if args or func is None or func.type != "selector_expression":
            return None
        receiver = unparen(func.child_by_field_name("operand"))
        if receiver is None or receiver.type != "identifier":
            return None
        named = _named(self.scope.types.var_type(text(receiver), receiver), self.scope)
        finalizer = self.finalized.by_type.get(named or "")
        method = find_method(self.scope.package, named, text(func.child_by_field_name("field"))) if named else None
        if finalizer is None or method is None or not is_handle_type(method.result_type, self.scope.package):
            return None
        name = text(receiver)
        return Handle(name, self.scope.types.declaration_of(name, receiver), finalizer, describe(call, 40),
                      text(func.child_by_field_name("field")))

    def handles_in(self, node: Node) -> Iterator[tuple[Node, Handle]]:
        """Handles used in ``node``: loads, and locals that copied a handle or C memory it owns."""
        for inner in nodes_of_type(node, "selector_expression", "call_expression", "identifier"):
            if inner.type in ("selector_expression", "call_expression"):
                if inner.parent is not None and inner.parent.type == "selector_expression" and \
                        inner.parent.child_by_field_name("operand") == inner:
                    continue  # only the whole chain v.a.b, not its prefix v.a
                handle = self.handle_load(inner)
                if handle is not None:
                    yield inner, handle
            elif inner.type == "identifier":
                handle = self.local_handle(inner)
                if handle is not None:
                    yield inner, handle

    def local_handle(self, identifier: Node) -> Handle | None:
        name = text(identifier)
        binding = self.scope.reaching(name, identifier)
        if binding is None or binding.value is None or binding.name_node == identifier:
            return None
        value = _strip_conversions(binding.value, self.scope)
        line = line_of(binding.name_node)
        loaded = self.handle_load(value) if value is not None else None
        if loaded is not None:
            return Handle(loaded.root, loaded.owner_decl, loaded.finalizer, f"{name} ({loaded.shown}, line {line})",
                          loaded.field)
        if value is None or value.type != "call_expression":
            return None
        function = c_call_name(value, self.scope)
        if function is None or function in CGO_GO_RESULTS or not self._returns_borrowed(function, identifier):
            return None
        owner = next((h for _, h in self.handles_in(value)), None)
        if owner is None:
            return None
        return Handle(owner.root, owner.owner_decl, owner.finalizer,
                      f"{name}, memory owned by {owner.root} (returned by {describe(value, 50)} at line {line})",
                      owner.field, producer=value)

    def _returns_borrowed(self, function: str, use: Node) -> bool:
        """Whether C.function returns a pointer into its argument rather than new memory."""
        contracts = self.ctx.contracts
        if contracts is not None and (contracts.returns_owned(function) or contracts.returns_static(function)):
            return False
        declared = self.scope.package.c.function(function)
        if declared is not None:
            return declared.returns_pointer
        return _read_as_pointer(use, self.scope)  # unknown declaration: trust how it is used

    # ----- checking -----------------------------------------------------------------
    def run(self) -> None:
        reported: set[tuple[int, str]] = set()
        for use, function, searched in self._c_uses():
            for node, handle in (found for part in searched for found in self.handles_in(part)):
                key = (use.start_byte, handle.root)
                if key in reported or self._frees_handle(function, handle) or self._kept_alive(use, handle):
                    continue
                reported.add(key)
                self._report(use, self._receiving_call(node, use) or function, handle)

    def _c_uses(self) -> Iterator[tuple[Node, str, list[Node]]]:
        """(call, what it is, the parts that reach C): the outermost C calls, calls of package
        functions that pass handle arguments on to C, and unsafe.Slice/String."""
        unsafe = self.scope.imports_as("unsafe")
        for node in nodes_of_type(self.scope.body, "call_expression"):
            if _inside_c_call(node, self.scope):
                continue
            function = c_call_name(node, self.scope)
            callee = text(unparen(node.child_by_field_name("function")))
            if function is not None:
                yield node, f"C.{function}", [node]
            elif callee in self.forwarders and not self.scope.types.is_local(callee):
                args = call_parts(node)[1]
                yield node, f"{callee} (which hands it to C)", [args[i] for i in self.forwarders[callee]
                                                                if i < len(args)]
            elif unsafe is not None and callee in (f"{unsafe}.Slice", f"{unsafe}.String"):
                yield node, callee, [node]

    def _frees_handle(self, function: str, handle: Handle) -> bool:
        """An explicit release (``Close`` calling ``C.x_free(v.ptr)``): a double-free question,
        not a keep-alive one. Deleting things (``git_reference_delete``) is an ordinary use."""
        return function == "C.free" or function in {name for name, _ in handle.finalizer.releases}

    def _receiving_call(self, node: Node, use: Node) -> str | None:
        """The innermost C call inside ``use`` that gets ``node`` as (part of) an argument."""
        parent = node.parent
        while parent is not None and _within(parent, use):
            name = c_call_name(parent, self.scope) if parent.type == "call_expression" else None
            if name is not None:
                return f"C.{name}"
            parent = parent.parent
        return None

    def _kept_alive(self, use: Node, handle: Handle) -> bool:
        return self.root_kept_alive(use, handle.root, handle.owner_decl) or \
            self.package.callers_keep_alive(self.scope, handle.root)

    def root_kept_alive(self, use: Node, root: str, declaration: int | None) -> bool:
        """Whether variable ``root`` (or a plain copy of it, ``obj := r``) is used, or otherwise
        kept reachable, after ``use``."""
        names = {(root, declaration), *self._copies(root, declaration)}
        for occurrence in self.scope.occurrences({name for name, _ in names}):
            if not any(self._is_use_of(occurrence, name, decl) for name, decl in names):
                continue
            if _within(occurrence, use):
                if _passed_itself(occurrence, use) and c_call_name(use, self.scope) is not None:
                    return True  # C gets the value itself: cgo keeps call arguments alive
                continue
            if self._keeps_alive(occurrence, use, declaration):
                return True
        return False

    def _copies(self, root: str, declaration: int | None) -> set[tuple[str, int | None]]:
        """Locals bound to exactly ``root`` (``obj := r``), what ``root`` itself copied, and the
        slice or map it was taken from (``for _, r := range rs``, ``r := rs[i]``): keeping the
        container alive keeps its elements reachable."""
        types = self.scope.types
        copies: set[tuple[str, int | None]] = set(self._containers(root, declaration))
        for name, bindings in self.scope.bindings.items():
            for binding in bindings:
                value = unparen(binding.value)
                if value is None or value.type != "identifier":
                    continue
                if text(value) == root and types.declaration_of(root, value) == declaration:
                    copies.add((name, types.declaration_of(name, binding.name_node)))
                elif name == root and types.declaration_of(root, binding.name_node) == declaration:
                    copies.add((text(value), types.declaration_of(text(value), value)))
        return copies

    def _containers(self, root: str, declaration: int | None) -> Iterator[tuple[str, int | None]]:
        types = self.scope.types
        for node in nodes_of_type(self.scope.node, "range_clause", "short_var_declaration", "assignment_statement"):
            if node.type == "range_clause":
                left, right = node.child_by_field_name("left"), unparen(node.child_by_field_name("right"))
                values = left.named_children[1:2] if left is not None else []
            elif node.type == "short_var_declaration" or node.type == "assignment_statement":
                left, right = node.child_by_field_name("left"), None
                value_list = node.child_by_field_name("right")
                values = left.named_children[:1] if left is not None else []
                inner = unparen(value_list.named_children[0]) if value_list is not None and \
                    len(value_list.named_children) == 1 else None
                right = unparen(inner.child_by_field_name("operand")) if inner is not None and \
                    inner.type == "index_expression" else None
            else:
                continue
            bound = values[0] if values else None
            if bound is None or right is None or right.type != "identifier" or text(bound) != root or \
                    types.declaration_of(root, bound) != declaration:
                continue
            yield text(right), types.declaration_of(text(right), right)

    def _is_use_of(self, node: Node, root: str, declaration: int | None) -> bool:
        if node.type != "identifier" or text(node) != root:
            return False
        parent = node.parent
        if parent is not None and parent.type in ("parameter_declaration", "var_spec"):
            return False
        if parent is not None and parent.type == "expression_list" and parent.parent is not None and \
                parent.parent.type in ("short_var_declaration", "assignment_statement") and \
                parent.parent.child_by_field_name("left") == parent:
            return False  # assigning a new value is not a use of the old one
        return self.scope.types.declaration_of(root, node) == declaration

    def _keeps_alive(self, occurrence: Node, use: Node, declaration: int | None) -> bool:
        if _enclosing(occurrence, ("defer_statement",)) is not None:
            return True
        if _is_finalizer_cleared(occurrence, self.scope) and occurrence.start_byte < use.start_byte:
            return True
        if _passed_to_retainer(occurrence) or _stored(occurrence):
            return True
        literal = _enclosing(occurrence, ("func_literal",))
        if literal is not None and not _within(use, literal):
            return True  # captured by a closure that may run later
        if _statement(occurrence) == _statement(use):
            return True
        if occurrence.start_byte >= use.end_byte:
            return _reachable_after(use, occurrence)
        return _in_same_loop(use, occurrence, declaration)

    def _report(self, use: Node, function: str, handle: Handle) -> None:
        finalizer = handle.finalizer
        early = self._early_keepalive(use, handle)
        related = [self.ctx.related(finalizer.file, finalizer.call,
                                    f"finalizer {finalizer.description} set here; it calls {handle.release}")]
        if handle.producer is not None:
            late = f" after {early}" if early else ""
            message = (f"{handle.shown} is used by {function}{late}; {handle.root} may be unreachable by then, and "
                       f"its finalizer {finalizer.description} ({finalizer.where}) can run {handle.release} and "
                       f"free it first. Move runtime.KeepAlive({handle.root}) after this use")
        else:
            early_note = f" ({early} comes before this call)" if early else ""
            message = (f"{handle.shown} is passed to {function} and {handle.root} is not used afterwards"
                       f"{early_note}: its finalizer {finalizer.description} ({finalizer.where}) can run "
                       f"{handle.release} while C still uses the handle. Add runtime.KeepAlive({handle.root}) "
                       f"after the call")
        # Through a Go wrapper, or C memory judged borrowed from how it is used: one inference more.
        inferred = not function.startswith(("C.", "unsafe.")) or (
            handle.producer is not None and self.scope.package.c.function(c_call_name(handle.producer, self.scope)
                                                                          or "") is None)
        confidence = self._release_confidence(handle, Confidence.MEDIUM if inferred else Confidence.HIGH)
        self.ctx.report(META, self.scope.file, use, message, related=related, confidence=confidence,
                        severity=graded(META, self._certainty(use, handle), confidence),
                        fix=keepalive_fix(self.scope.file, use, handle.root, handle.owner_decl))

    def _certainty(self, use: Node, handle: Handle) -> Certainty:
        """Certain when this function made the owner and nothing else references it; latent when
        the owner came from a caller (a receiver, a parameter) or from another object, which
        usually keeps it alive."""
        root = handle.root
        if _parameter_position(self.scope.node, root) is not None:
            return Certainty.LATENT
        binding = self.scope.reaching(root, use)
        made = _strip_conversions(binding.value, self.scope) if binding is not None else None
        if made is not None and made.type == "unary_expression" and text(made.child_by_field_name("operator")) == "&":
            made = unparen(made.child_by_field_name("operand"))
        if made is not None and (made.type == "composite_literal" or (
                made.type == "call_expression" and conversion(made, self.scope) is None)):
            return Certainty.CERTAIN
        return Certainty.LATENT

    def _release_confidence(self, handle: Handle, confidence: Confidence) -> Confidence:
        """A finalizer known to release only from a low-confidence contract lowers the finding's."""
        contract = self.ctx.contracts.get(handle.release.removeprefix("C.")) if self.ctx.contracts else None
        return Confidence.LOW if contract is not None and contract.confidence is Confidence.LOW else confidence

    def _early_keepalive(self, use: Node, handle: Handle) -> str:
        runtime = self.scope.imports_as("runtime")
        for node in nodes_of_type(self.scope.body, "call_expression"):
            if node.end_byte <= use.start_byte and \
                    text(unparen(node.child_by_field_name("function"))) == f"{runtime}.KeepAlive":
                args = call_parts(node)[1]
                if args and text(unparen(args[0])) == handle.root:
                    return f"runtime.KeepAlive({handle.root}) at line {line_of(node)}"
        return ""


# ----- the fix -------------------------------------------------------------------------
def keepalive_fix(file: GoFile, use: Node, root: str, declared_at: int | None) -> Fix | None:
    """``runtime.KeepAlive(root)`` on the line after the statement that uses the handle, or a
    ``defer runtime.KeepAlive(root)`` before it when nothing can follow it (a return, an if
    whose condition makes the call). Keeping a value alive longer never changes what the
    program computes, so the fix is safe; a defer inside a loop piles up, so that one is not."""
    statement = statement_of(use)
    if statement is None or statement.type in _NO_KEEPALIVE_AFTER:
        return None
    declared_inside = declared_at is not None and statement.start_byte <= declared_at < statement.end_byte
    runtime, import_edit = require_import(file, "runtime")
    if statement.type in _SIMPLE_STATEMENTS and not _assigns(statement, root):
        placed = insert_after(file, statement, f"{runtime}.KeepAlive({root})")
        applicability = Applicability.SAFE
    elif not declared_inside:
        placed = insert_before(file, statement, f"defer {runtime}.KeepAlive({root})")
        applicability = Applicability.UNSAFE if in_loop(statement) else Applicability.SAFE
    else:
        return None
    if placed is None:
        return None
    return make_fix(file, f"add runtime.KeepAlive({root}) after the C call", [placed, import_edit], applicability)


def _assigns(statement: Node, name: str) -> bool:
    """Whether the statement gives ``name`` a new value (KeepAlive after it would keep the new one)."""
    left = statement.child_by_field_name("left")
    targets = left.named_children if left is not None else [
        n for spec in statement.named_children if spec.type == "var_spec" for n in spec.children_by_field_name("name")]
    return any(t.type == "identifier" and text(t) == name for t in targets)


# ----- syntax helpers ------------------------------------------------------------------
def _named(t: GoType, scope: FunctionScope) -> str | None:
    resolved = scope.underlying(t)
    if resolved.kind == "pointer" and resolved.elem is not None:
        t = resolved.elem
    return t.name if t.kind == "named" and "." not in t.name else None


def _selector_chain(node: Node) -> tuple[Node, list[str]] | None:
    fields: list[str] = []
    while node is not None and node.type == "selector_expression":
        fields.append(text(node.child_by_field_name("field")))
        node = unparen(node.child_by_field_name("operand"))
    if node is None or node.type != "identifier":
        return None
    return node, fields[::-1]


def _strip_conversions(node: Node | None, scope: FunctionScope) -> Node | None:
    node = unparen(node)
    while node is not None:
        inner = is_unsafe_pointer_call(node, scope)
        if inner is None:
            converted = conversion(node, scope)
            inner = converted[1] if converted is not None and converted[0].kind == "pointer" else None
        if inner is None:
            return node
        node = unparen(inner)
    return node


def _read_as_pointer(identifier: Node, scope: FunctionScope) -> bool:
    """Whether ``identifier`` sits where only a pointer makes sense (GoString's argument,
    a pointer conversion, unsafe.Slice, a dereference)."""
    parent = identifier.parent
    if parent is None:
        return False
    if parent.type == "unary_expression" and text(parent.child_by_field_name("operator")) == "*":
        return True
    if parent.type == "argument_list" and parent.parent is not None:
        call = parent.parent
        first = call_parts(call)[1][:1] == [identifier]
        name = c_call_name(call, scope)
        if name in CGO_GO_RESULTS and first:
            return True
        callee = text(unparen(call.child_by_field_name("function")))
        unsafe = scope.imports_as("unsafe")
        if first and callee in (f"{unsafe}.Slice", f"{unsafe}.String", f"{unsafe}.Pointer"):
            return True
        converted = conversion(call, scope)
        return converted is not None and converted[0].kind == "pointer"
    return parent.type == "call_expression" and _read_as_pointer(parent, scope)


def _inside_c_call(node: Node, scope: FunctionScope) -> bool:
    parent = node.parent
    while parent is not None and parent.type not in ("statement_list", "block", "func_literal"):
        if parent.type == "call_expression" and c_call_name(parent, scope) is not None:
            return True
        parent = parent.parent
    return False


def _within(node: Node, container: Node) -> bool:
    return container.start_byte <= node.start_byte and node.end_byte <= container.end_byte


def _enclosing(node: Node, kinds: tuple[str, ...]) -> Node | None:
    parent = node.parent
    while parent is not None:
        if parent.type in kinds:
            return parent
        parent = parent.parent
    return None


def _statement(node: Node) -> Node:
    while node.parent is not None and node.parent.type not in ("statement_list", "block", "source_file"):
        node = node.parent
    return node


def _passed_itself(occurrence: Node, call: Node) -> bool:
    """``C.f(v.ptr, unsafe.Pointer(v))``: the value itself, not one of its fields, is an argument."""
    parent = occurrence.parent
    return parent is not None and parent.type != "selector_expression" and _within(occurrence, call)


def _passed_to_retainer(occurrence: Node) -> bool:
    parent = occurrence.parent
    if parent is None or parent.type != "argument_list" or parent.parent is None:
        return False
    callee = text(unparen(parent.parent.child_by_field_name("function"))).lower()
    return any(word in callee.rsplit(".", 1)[-1] for word in _RETAINING_WORDS)


def _stored(occurrence: Node) -> bool:
    """``&Iter{owner: v}`` or ``it.owner = v``: another object now references the value, and
    whatever keeps that object alive keeps it alive too."""
    parent = occurrence.parent
    if parent is not None and parent.type == "literal_element":
        return True
    if parent is None or parent.type != "expression_list" or parent.parent is None:
        return False
    statement = parent.parent
    if statement.type != "assignment_statement" or statement.child_by_field_name("right") != parent:
        return False
    targets = statement.child_by_field_name("left")
    return targets is not None and any(t.type in ("selector_expression", "index_expression")
                                       for t in targets.named_children)


def _is_finalizer_cleared(occurrence: Node, scope: FunctionScope) -> bool:
    """``runtime.SetFinalizer(v, nil)``: from here on no finalizer can free the handle."""
    parent = occurrence.parent
    call = parent.parent if parent is not None and parent.type == "argument_list" else None
    if call is None:
        return False
    _, args = call_parts(call)
    callee = text(unparen(call.child_by_field_name("function")))
    return callee == f"{scope.imports_as('runtime')}.SetFinalizer" and len(args) == 2 and \
        args[0] == occurrence and text(args[1]) == "nil"


def _ancestors(node: Node) -> list[Node]:
    chain = [node]
    while chain[-1].parent is not None:
        chain.append(chain[-1].parent)
    return chain


def _reachable_after(use: Node, later: Node) -> bool:
    """Whether ``later`` (after ``use`` in the source) can execute after ``use``: not in another
    branch of the same if/switch, and no unconditional return in between."""
    use_chain, later_chain = _ancestors(use), _ancestors(later)
    later_ids = {n.id for n in later_chain}
    common = next(n for n in use_chain if n.id in later_ids)
    toward_use = use_chain[[n.id for n in use_chain].index(common.id) - 1]
    toward_later = later_chain[[n.id for n in later_chain].index(common.id) - 1]
    if common.type == "if_statement":
        branches = {n.id for n in (common.child_by_field_name("consequence"),
                                   common.child_by_field_name("alternative")) if n is not None}
        if toward_use.id in branches and toward_later.id in branches and toward_use.id != toward_later.id:
            return False
    if common.type in _SWITCHES and toward_use.type in _CASES and toward_later.type in _CASES \
            and toward_use.id != toward_later.id:
        return False
    # A return inside a closure ends only the closure: its caller, and the code after it, go on.
    ids = [n.id for n in use_chain]
    closure = next((i for i, n in enumerate(use_chain[: ids.index(common.id)]) if n.type == "func_literal"), -1)
    for index, node in enumerate(use_chain):
        if node.id == common.id:
            break
        parent = node.parent
        if index > closure and parent is not None and parent.type == "statement_list":
            siblings = parent.named_children
            start = next(i for i, s in enumerate(siblings) if s.id == node.id)
            for sibling in siblings[start:]:
                if parent.id == common.id and sibling.id == toward_later.id:
                    break
                if _terminates(sibling):
                    return False
    return True


def _terminates(statement: Node) -> bool:
    if statement.type in ("return_statement", "goto_statement"):
        return True
    if statement.type == "expression_statement":
        call = statement.named_children[0] if statement.named_children else None
        return call is not None and call.type == "call_expression" and \
            text(call.child_by_field_name("function")) in ("panic", "os.Exit", "log.Fatal", "log.Fatalf")
    return False


def _in_same_loop(use: Node, earlier: Node, declaration: int | None) -> bool:
    """An earlier use inside a loop around ``use`` runs again on the next iteration."""
    loop = _enclosing(use, tuple(_LOOPS))
    while loop is not None:
        if not _reaches_loop_end(use, loop):
            return False  # the iteration ends in a return: there is no next one
        if _within(earlier, loop) and (declaration is None or declaration < loop.start_byte):
            return True
        loop = _enclosing(loop, tuple(_LOOPS))
    return False


def _reaches_loop_end(use: Node, loop: Node) -> bool:
    node = use
    while node.parent is not None and node.id != loop.id:
        parent = node.parent
        if parent.type == "statement_list":
            siblings = parent.named_children
            start = next(i for i, s in enumerate(siblings) if s.id == node.id)
            if any(_terminates(s) for s in siblings[start:]):
                return False
        node = parent
    return True
