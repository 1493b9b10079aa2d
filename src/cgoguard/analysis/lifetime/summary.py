"""Function summaries (:class:`~cgoguard.analysis.summaries.FunctionSummary`): what a function
does with C memory, as its callers see it.

A function the dataflow analysed is summarised from its model (:func:`summarize`): the results
it hands back owned, the parameters it frees, stores or nils, the fields it reads, and the
module-wide facts read off its exit states (:func:`_exit_effects`: parameters freed on every
path, what becomes of parameters' fields and of package variables). A function
that never touches C memory gets a cheaper summary from its syntax alone
(:func:`syntactic_summary`). A new summary fact is a field of ``FunctionSummary``, filled here
and read where calls are transferred (:meth:`.calls.CallTransfer._go_call`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from cgoguard.analysis.lifetime.state import FREED, GLOBALS, NIL
from cgoguard.analysis.lifetime.syntax import captures
from cgoguard.analysis.summaries import RECEIVER, FunctionSummary
from cgoguard.gofront.syntax import c_name, text, unparen

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.analysis.lifetime.context import PackageContext
    from cgoguard.analysis.lifetime.model import FunctionModel
    from cgoguard.gofront.symbols import FuncInfo


def summarize(model: FunctionModel) -> FunctionSummary:
    """The summary of a function whose dataflow ran (facts gathered at its returns)."""
    owned: set[tuple[int, str]] = set()
    aliased: set[tuple[int, int]] = set()
    param_objs = {model.keys[("var", name)]: index for name, index in model.params.items()
                  if ("var", name) in model.keys}
    for values in model.results:
        for index, value in enumerate(values):
            for obj in value:
                info = model.objects[obj]
                if info.owned:
                    owned.add((index, info.dealloc))
                elif obj in param_objs:
                    aliased.add((index, param_objs[obj]))
    frees: set[int] = set()
    frees_fields: set[tuple[int, str]] = set()
    frees_contents: set[int] = set()
    nils: set[tuple[int, str]] = set()
    for state in model.exit_states:
        for obj, flags in state.flags.items():
            info = model.objects[obj]
            if FREED in flags and obj in param_objs:
                frees.add(param_objs[obj])
            if FREED in flags and info.kind == "field" and info.base in param_objs:
                frees_fields.add((param_objs[info.base], info.field))
            elif FREED in flags and (owner := _owning_param(model, obj, param_objs)) is not None:
                frees_contents.add(owner)
        for (base, name), contents in state.heap.items():
            if base in param_objs and contents == frozenset({NIL}):
                nils.add((param_objs[base], name))
    escapes = {param_objs[o] for o in model.escaped if o in param_objs}
    summary = FunctionSummary(tuple(sorted(owned)), tuple(sorted(aliased)), frozenset(frees),
                              frozenset(escapes - frees), frozenset(frees_fields), frozenset(nils),
                              frozenset(frees_contents), frozenset(model.field_uses))
    return replace(summary, **_exit_effects(model, param_objs))


def _exit_effects(model: FunctionModel, param_objs: dict[int, int]) -> dict[str, frozenset]:
    """Module-wide summary facts read off the states at the returns: parameters freed on
    every path, and what happens to fields of parameters and to package variables."""
    freed_everywhere = set(param_objs) if model.exit_states else set()
    fills: set[tuple[int, str, str]] = set()
    overwrites: set[tuple[int, str]] = set()
    global_frees: set[str] = set()
    global_nils: set[str] = set()
    global_fills: set[tuple[str, str]] = set()
    global_overwrites: set[str] = set()
    for state in model.exit_states:
        freed_everywhere = {o for o in freed_everywhere if state.flags.get(o) == frozenset({FREED})}
        for obj, flags in state.flags.items():
            info = model.objects[obj]
            if FREED in flags and info.kind == "field" and info.base == GLOBALS:
                global_frees.add(info.field[1:])
        for (base, name), contents in state.heap.items():
            owned = {model.objects[o].dealloc for o in contents if model.objects[o].owned}
            # Contents read from the location itself (field objects of ``base``) are its old value.
            replaced = not owned and contents - {NIL} and all(model.objects[o].base != base for o in contents)
            if base == GLOBALS:
                global_nils.update([name[1:]] if contents == frozenset({NIL}) else [])
                global_fills.update((name[1:], dealloc) for dealloc in owned)
                global_overwrites.update([name[1:]] if replaced else [])
            elif base in param_objs and name.startswith("."):
                fills.update((param_objs[base], name, dealloc) for dealloc in owned)
                overwrites.update([(param_objs[base], name)] if replaced else [])
    return {"frees_always": frozenset(param_objs[o] for o in freed_everywhere),
            "fills_fields": frozenset(fills), "overwrites_fields": frozenset(overwrites),
            "frees_globals": frozenset(global_frees), "nils_globals": frozenset(global_nils),
            "fills_globals": frozenset(global_fills), "overwrites_globals": frozenset(global_overwrites)}


def _owning_param(model: FunctionModel, obj: int, param_objs: dict[int, int]) -> int | None:
    """The parameter an element or nested field object was read from, if any."""
    info = model.objects[obj]
    while info.base >= 0:
        if info.base in param_objs:
            return param_objs[info.base]
        info = model.objects[info.base]
    return None


def syntactic_summary(info: FuncInfo, pkg: PackageContext) -> FunctionSummary:
    """What a function that never allocates or frees C memory does with its parameters.

    Records in ``pkg.field_uses`` where it reads the C memory of a parameter's field."""
    params = {name: index for index, (name, _) in enumerate(info.params) if name}
    if info.receiver_name:
        params[info.receiver_name] = RECEIVER
    escapes: set[int] = set()
    returned: set[tuple[int, int]] = set()
    reads: set[tuple[int, str]] = set()
    body = info.body
    for node in captures("(identifier) @id", body) if body is not None else ():
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
