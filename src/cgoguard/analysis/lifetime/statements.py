"""Transfer functions of statements: assignments and declarations, ``return`` (where the
deferred calls run and the exit checks apply), ``defer``, ``go``, ``range`` and sends."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cgoguard.analysis.lifetime.checks import check_exit, leak
from cgoguard.analysis.lifetime.operations import MemoryOperations
from cgoguard.analysis.lifetime.state import ALLOC, ESCAPED, GLOBALS, NIL, NONE, Deferred, Objs
from cgoguard.analysis.lifetime.syntax import expressions, index_key, key_slot, root_identifier
from cgoguard.gofront.syntax import c_name, call_parts, text, unparen, walk_skipping_funcs

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.analysis.lifetime.callsites import CallSites

_NIL_TYPES = frozenset({"pointer_type", "slice_type", "map_type", "channel_type", "function_type", "interface_type"})


class StatementTransfer(MemoryOperations):
    callsites: CallSites
    closures: dict[str, Node]  # local variable -> function literal bound to it
    closure_sites: dict[int, Node]  # deferred-closure site -> its function literal
    # From ExpressionTransfer and CallTransfer:
    eval: Callable[[Node | None], Objs]
    eval_multi: Callable[[Node, int], list[Objs]]
    note_map: Callable[[Node | None, Objs], None]
    apply_call: Callable[..., list[Objs]]
    inline_closure: Callable[..., None]

    def statement(self, stmt: Node) -> None:
        """A simple statement (not a return, defer, go or branch condition)."""
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
            for left in expressions(stmt.child_by_field_name("left")):
                self.assign(left, NONE)
        elif kind in ("inc_statement", "dec_statement"):
            return
        else:
            for child in stmt.named_children:
                if child.type.endswith("expression"):
                    self.eval(child)

    # ----- assignments and declarations ---------------------------------------------------------
    def _assignment(self, stmt: Node) -> None:
        lefts = expressions(stmt.child_by_field_name("left"))
        rights = expressions(stmt.child_by_field_name("right"))
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
        values = expressions(spec.child_by_field_name("value"))
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
        if declared is None or declared.type in _NIL_TYPES or text(declared) == "unsafe.Pointer" \
                or c_name(declared) == "uintptr_t":
            return frozenset({NIL})
        return frozenset({self.fresh(self.obj(("local", name.start_byte), "local", name, text(name)))})

    def assign(self, left: Node, value: Objs) -> None:
        """``left = value`` for a variable, field, element or pointee."""
        left = unparen(left)
        if left is None:
            return
        if left.type == "identifier":
            name = text(left)
            if name == "_":
                return
            self._settle_nil_defers(name, left, value)
            if self.is_global(name):
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
            key = index_key(left.child_by_field_name("index"))
            index = self.eval(left.child_by_field_name("index"))
            bases = self.eval(left.child_by_field_name("operand"))
            self.note_map(left.child_by_field_name("operand"), bases)
            if not bases & self.maps:
                key = "[*]"  # slice and array elements are one summary location
            for base in bases - {NIL}:
                self.store((base, key), value)
                if base in self.maps and index - {NIL}:
                    self.store((base, key_slot(key)), index)  # a C pointer used as a map key
            self.escape(value | index)
            return
        if left.type == "unary_expression" and text(left.child_by_field_name("operator")) == "*":
            for base in self.eval(left.child_by_field_name("operand")) - {NIL}:
                self.store((base, "*"), value)

    def _settle_nil_defers(self, name: str, at: Node, value: Objs) -> None:
        """``name`` gets ``value``: a ``defer`` that evaluated ``name`` while it was nil frees nothing."""
        pending = [site for var, site in self.state.nil_defers if var == name]
        if not pending:
            return
        self.state.nil_defers = frozenset(p for p in self.state.nil_defers if p[0] != name)
        if not any(self.objects[o].owned for o in value):
            return  # borrowed or unknown: the deferred free of nil is harmless
        self.escape(value)  # reported here, not again as an ordinary leak
        if self.events.enabled:
            leak.report_nil_defer(self, name, at, self.sites[min(pending)])

    # ----- return ---------------------------------------------------------------------------------
    def return_(self, node: Node) -> None:
        """A ``return`` (or the end of the body): results, deferred calls, the exit checks."""
        values: list[Objs] = []
        if node.type == "return_statement":
            exprs = expressions(node.named_children[0] if node.named_children else None)
            if len(exprs) == 1 and self.info is not None and len(self.info.results) > 1:
                values = self.eval_multi(exprs[0], len(self.info.results))
            else:
                values = [self.eval(e) for e in exprs]
            if not exprs and self.info is not None:
                values = [self.state.env.get(name, NONE) for name, _ in self.info.results if name]
        returned = frozenset().union(*values) if values else NONE
        reachable = self.reachable(returned)
        if self.freed_on_every_path(returned - {NIL}):  # handing the caller freed memory uses it
            exprs = expressions(node.named_children[0] if node.named_children else None)
            self.use(returned, exprs[0] if len(exprs) == 1 else node, "returning")
        # Escaped parameters, for the summary: stored or handed off before returning, or
        # returned inside something else (`return &T{p: p}`); returning p itself is an alias.
        self.escaped |= {o for o, flags in self.state.flags.items() if ESCAPED in flags}
        self.escaped |= reachable - returned
        # The caller owns what is still ours here, not what we already stored elsewhere.
        self.results.append(self._caller_owned(values))
        self.escape(returned)
        before_defers = {o: self.state.flags.get(o) for o in reachable}
        self._run_defers(node)
        self.exit_states.append(self.state)
        check_exit(self, node, reachable, before_defers)

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

    # ----- defer, go, range -------------------------------------------------------------------
    def defer(self, stmt: Node) -> None:
        """Arguments are evaluated now; a deferred closure runs with the values at the return."""
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
        receiver = self.callsites.info(call).receiver  # (not `pkg` in `pkg.Free(p)`)
        evaluated = tuple(self.eval(a) for a in ([receiver] if receiver is not None else []) + args)
        for arg, objs in zip(args, evaluated[len(evaluated) - len(args):], strict=True):
            target = root_identifier(arg)
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

    def go(self, stmt: Node) -> None:
        """``go f(x)``: the goroutine gets the arguments and what a function literal captures."""
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

    def range_(self, clause: Node) -> None:
        """``for k, v := range x``: v denotes the elements stored in x."""
        collection = self.eval(clause.child_by_field_name("right"))
        self.note_map(clause.child_by_field_name("right"), collection)
        names = expressions(clause.child_by_field_name("left"))
        elements: set[int] = set()
        for base in collection - {NIL}:
            entries = [v for (b, f), v in self.state.heap.items() if b == base and f.startswith("[")]
            for value in entries:
                elements |= value
            elements |= self.load((base, "[*]"), f"{text(clause.child_by_field_name('right'))}[...]", weak=True)
        for index, name in enumerate(names):
            self.assign(name, frozenset(elements) if index == 1 else NONE)
