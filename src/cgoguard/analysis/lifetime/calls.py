"""Transfer functions of calls: what a call frees, keeps, hands off and returns.

C functions act by their ownership contract, Go functions of the package or of an imported
module package by their summary (:class:`~cgoguard.analysis.summaries.FunctionSummary`; one
that could not be analysed like unknown code), builtins by their meaning; anything
else keeps what it is given and returns something unknown. A function literal that runs
here (called now, or deferred) has its releases applied in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cgoguard.analysis.callgraph import ImportedCallee
from cgoguard.analysis.lifetime.branches import assigned_name, out_names, status_of
from cgoguard.analysis.lifetime.callsites import HARMLESS_CALLS, CallSites
from cgoguard.analysis.lifetime.checks import leak, use_after_free
from cgoguard.analysis.lifetime.operations import MemoryOperations
from cgoguard.analysis.lifetime.state import ALLOC, NIL, NONE, Deferred, Objs
from cgoguard.analysis.lifetime.syntax import (
    expressions,
    index_key,
    key_slot,
    nested_in,
    only_nil_checked,
    root_identifier,
)
from cgoguard.analysis.summaries import RECEIVER
from cgoguard.gofront.syntax import c_name, call_parts, text, unparen, walk_skipping_funcs

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.gofront.symbols import FuncInfo

# cgo helpers that read C memory (a use) and return Go memory.
_C_READERS = frozenset({"GoString", "GoStringN", "GoBytes"})
_CONDITIONAL_PARENTS = frozenset({
    "if_statement", "for_statement", "expression_switch_statement", "type_switch_statement", "select_statement",
})


class CallTransfer(MemoryOperations):
    callsites: CallSites
    closures: dict[str, Node]  # local variable -> function literal bound to it
    eval: Callable[[Node | None], Objs]  # from ExpressionTransfer
    assign: Callable[[Node, Objs], None]  # from StatementTransfer

    def call(self, call: Node, count: int) -> list[Objs]:
        """Evaluate a call's receiver and arguments, then apply its effects."""
        info = self.callsites.info(call)
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
        info = self.callsites.info(call)
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

    def _opaque_result(self, call: Node, index: int) -> Objs:
        key = ("result", call.start_byte, index)
        result = self.keys.get(key)
        if result is None:
            result = self.obj(key, "opaque", call, text(call))
        # Each execution yields a new value (think of a loop): forget what happened to the last one.
        return frozenset({self.fresh(result)})

    def allocate(self, node: Node, what: str, dealloc: str) -> int:
        """New owned memory at ``node``, to be released with ``dealloc``."""
        allocation = self.obj(("alloc", node.start_byte), "alloc", node, what, owned=True, dealloc=dealloc)
        leak.check_reallocation(self, allocation, self._deferred_frees)
        self.state.flags[allocation] = frozenset({ALLOC})
        self.state.freed_at.pop(allocation, None)
        return allocation

    def _deferred_frees(self, pending: Deferred) -> Objs:
        """The objects a deferred call (arguments already evaluated) releases."""
        call = unparen(self.sites[pending.site].named_children[0])
        info = self.callsites.info(call)
        if info.kind == "c":
            frees = getattr(self.pkg.ownership.contract(info.cname), "frees_args", frozenset())
            return frozenset().union(*(pending.objs[i] for i in frees if i < len(pending.objs)))
        if info.callee is None:
            return NONE
        summary = self.pkg.summary_of(info.callee)
        offset = 1 if info.receiver is not None else 0
        return frozenset().union(*(pending.objs[i + offset] for i in summary.frees
                                   if 0 <= i + offset < len(pending.objs)))

    # ----- builtins ----------------------------------------------------------------------------
    def _builtin(self, call: Node, name: str, args: list[Node], values: list[Objs], count: int) -> list[Objs]:
        if name in HARMLESS_CALLS:
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
        key = index_key(args[1]) if len(args) > 1 else "[*]"
        bases = values[0] - {NIL}
        self.state.dangling = frozenset(d for d in self.state.dangling if d[2][0] not in bases)
        for base in bases:
            exact = (base, key)
            if key != "[*]" and (exact in self.state.heap or (base, key_slot(key)) in self.state.heap):
                self.state.heap.pop(exact, None)
                self.state.heap.pop((base, key_slot(key)), None)
            else:
                for loc in [loc for loc in self.state.heap if loc[0] == base and loc[1].startswith("[")]:
                    self.state.heap.pop(loc)

    # ----- C functions -------------------------------------------------------------------------
    def _c_call(self, call: Node, cname: str, args: list[Node], values: list[Objs], count: int,
                deferred: Node | None) -> list[Objs]:
        contract = self.pkg.ownership.contract(cname)
        frees = getattr(contract, "frees_args", frozenset())
        # `free(hdrs[i].key)`: what the argument points to is released, not the argument.
        retains = getattr(contract, "retains_args", frozenset()) | getattr(contract, "frees_members", frozenset())
        if self.callsites.info(call).passes_destructor:
            # `C.bind(stmt, p, n, C.free_cb)` / `..., C.SQLITE_DESERIALIZE_FREEONCLOSE)`: C takes the pointers.
            retains = retains | frozenset(range(len(args)))
        out_args = getattr(contract, "owned_out_args", {})
        for index, (arg, value) in enumerate(zip(args, values, strict=False)):
            if index in frees and value and all(self.is_go_memory(o) for o in value - {NIL}):
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
        if returns == "owned" and not only_nil_checked(call):
            dealloc = getattr(contract, "deallocator", None) or "free"
            allocation = self.allocate(call, f"C.{cname}", f"C.{dealloc}")
            # `db := C.open(name, &errmsg)`: the error output says whether db exists.
            self.objects[allocation].status = out_names(args)
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
                self.objects[allocation].status = status_of(call, text(target))
                value = frozenset({allocation})
            else:
                # C may or may not write through the pointer: keep what it held.
                written = self.fresh(self.obj(("out", arg.start_byte), "opaque", arg, text(target)))
                value = self.eval(target) | {written}
            self.assign(target, value)

    # ----- Go functions of the package and of the module -------------------------------------------
    def _go_call(self, call: Node, callee: FuncInfo | ImportedCallee, func: Node, values: list[Objs], count: int,
                 deferred: Node | None) -> list[Objs]:
        summary = self.pkg.summary_of(callee)
        if summary.unknown:  # not analysable: like a call of code we cannot see
            for value in values:
                self.escape(value)
            return [self._opaque_result(call, i) for i in range(count)]
        is_method = callee.is_method if isinstance(callee, ImportedCallee) else bool(callee.receiver_type)
        has_receiver = is_method and func.type == "selector_expression"
        by_param = {(RECEIVER if has_receiver and i == 0 else i - has_receiver): v for i, v in enumerate(values)}
        _, args = call_parts(call)
        for param, value in by_param.items():
            arg = args[param] if 0 <= param < len(args) else call
            if param in summary.frees:
                self.free(value, deferred or call, arg, via=callee.qualified_name, deferred=deferred)
            elif param in summary.escapes or param in summary.hands_off:
                self.escape(value)
        if self.events.enabled:
            for param, field_name in summary.uses_fields:
                use_after_free.check_callee_reads_freed_field(self, call, callee, param, field_name,
                                                              by_param.get(param, NONE))
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
                self.objects[allocation].status = status_of(call, assigned_name(call, index))
                results.append(frozenset({allocation}))
            elif aliased is not None:
                results.append(by_param.get(aliased, NONE))
            else:
                results.append(self._opaque_result(call, index))
        return results

    # ----- function literals that run here ----------------------------------------------------
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
            uses_outer = any(root_identifier(a) in self.state.env and root_identifier(a) not in shadowed
                             for a in args + ([func.child_by_field_name("operand")]
                                              if func is not None and func.type == "selector_expression" else []))
            if not uses_outer or not self._is_release(func):
                continue
            conditional = nested_in(node, body, _CONDITIONAL_PARENTS)
            receiver = self.callsites.info(node).receiver  # (not `pkg` in `pkg.Free(p)`)
            values = ([self.eval(receiver)] if receiver is not None else []) + [self.eval(a) for a in args]
            # A free in a branch of the closure may not run: it settles nothing and reports nothing.
            enabled = self.events.enabled
            self.events.enabled, self.maybe_frees = enabled and not conditional, conditional
            self.apply_call(node, values, deferred=deferred or node, count=1)
            self.events.enabled, self.maybe_frees = enabled, False

    def _closure_assignment(self, node: Node, shadowed: set[str]) -> None:
        """``p = nil`` inside the closure, for a variable of the enclosing function."""
        lefts = expressions(node.child_by_field_name("left"))
        rights = expressions(node.child_by_field_name("right"))
        for left, right in zip(lefts, rights, strict=False):
            if text(right) == "nil" and root_identifier(left) in self.state.env \
                    and root_identifier(left) not in shadowed:
                self.assign(left, frozenset({NIL}))

    def _is_release(self, func: Node | None) -> bool:
        """Whether a callee frees one of its arguments (by its contract or its summary)."""
        cname = c_name(func)
        if cname is not None:
            return bool(getattr(self.pkg.ownership.contract(cname), "frees_args", None))
        callee = self.callsites.resolve(func) if func is not None else None
        if callee is None:
            return False
        summary = self.pkg.summary_of(callee)
        return bool(summary.frees or summary.frees_fields)
