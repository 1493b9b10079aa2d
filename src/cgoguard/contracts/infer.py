"""Infer the contracts of every C function a C model declares, plus the packs' functions.

Facts that need no call graph (configuration, attributes, packs, comments, naming) are
gathered first; then bodies are re-read against their callees' current contracts until
nothing changes (a worklist over the reverse call graph), so ``wrap(p) { free(p); }``
frees its argument and ``outer(p) { wrap(p); }`` does too.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from cgoguard.cfront.model import CFunction, CModel
from cgoguard.contracts.attributes import attribute_facts, attribute_macros
from cgoguard.contracts.body import BodySummary, summarize
from cgoguard.contracts.bodyfacts import body_facts
from cgoguard.contracts.comments import comment_facts
from cgoguard.contracts.declarations import canonical_type, function_aliases, returns_pointer
from cgoguard.contracts.model import Contract, ContractSet, Fact
from cgoguard.contracts.naming import named_release_facts, naming_facts
from cgoguard.contracts.packs import pack_facts
from cgoguard.contracts.resolve import resolve
from cgoguard.contracts.spec import spec_facts
from cgoguard.contracts.strings import declaration_string_facts

# A body is re-read at most this many times: enough for realistic call chains, and a bound
# on recursive cycles whose contracts could otherwise keep flipping.
_MAX_VISITS = 8


def infer_contracts(model: CModel, config: Mapping[str, Any] | None = None, *,
                    focus: frozenset[str] | None = None,
                    go_usage: Mapping[str, list[Fact]] | None = None) -> ContractSet:
    """Contracts of ``model``'s functions and the packs' (``config``: function name -> spec).

    With ``focus`` (the functions Go calls, see :func:`reachable_functions`), only those
    bodies and their callees' are read; the others keep the facts that need no body.
    ``go_usage`` are facts read from the package's Go code (:mod:`cgoguard.contracts.gosite`).
    """
    fixed = _fixed_facts(model, config or {}, go_usage or {})
    bodies = model.functions.values() if focus is None else (
        f for name, f in model.functions.items() if name in focus)
    summaries = {f.name: s for f in bodies if (s := summarize(model, f)) is not None}
    for name, summary in summaries.items():
        fixed[name] = [f for f in fixed[name] if not _contradicted_by_body(f, summary)]
    packs = pack_facts()
    contracts = {name: pack_contract(name) if name not in model.functions and facts == list(packs.get(name, ()))
                 else _resolve(model, name, facts) for name, facts in fixed.items()}
    aliases = function_aliases(model)
    _fixpoint(model, fixed, summaries, contracts, aliases)
    return ContractSet(contracts, aliases)


def _fixed_facts(model: CModel, config: Mapping[str, Any],
                 go_usage: Mapping[str, list[Fact]]) -> dict[str, list[Fact]]:
    """Facts of every known function that need no call graph, by function name."""
    packs = pack_facts()
    user = {name: spec_facts(name, spec, kind="config", origin="[tool.cgoguard.contracts]",
                             params=_param_names(model.functions.get(name)))
            for name, spec in config.items()}
    names = set(model.functions) | set(packs) | set(user) | set(go_usage)
    attributes = attribute_facts(model, attribute_macros(model))
    names |= set(attributes)
    naming = naming_facts(model, names)
    for name, guessed in declaration_string_facts(model).items():
        naming.setdefault(name, []).extend(guessed)
    comments = {f.name: comment_facts(f, returns_pointer=returns_pointer(model, f), is_function=names.__contains__)
                for f in model.functions.values() if f.comment}
    facts = {name: [*user.get(name, ()), *attributes.get(name, ()), *packs.get(name, ()), *comments.get(name, ()),
                    *go_usage.get(name, ()), *naming.get(name, ())] for name in names}
    for name, released in named_release_facts(model, facts).items():
        facts[name] += released
    return facts


def _contradicted_by_body(fact: Fact, summary: BodySummary) -> bool:
    """A naming guess that a function frees an argument its body never hands to anything.

    ``free_headers(h, n)`` frees the members of ``h[i]``, not ``h``: its name misleads.
    """
    return (fact.evidence.kind == "naming" and fact.aspect == "frees" and fact.arg is not None
            and fact.arg not in summary.passed_params)


@cache
def pack_contract(name: str) -> Contract:
    """The contract of a function known only from the packs (the same for every package)."""
    return resolve(name, pack_facts()[name])


def _param_names(function: CFunction | None) -> tuple[str, ...]:
    return tuple(p.name for p in function.params) if function is not None else ()


def _resolve(model: CModel, name: str, facts: list[Fact]) -> Contract:
    function = model.functions.get(name)
    declared_at = f"{function.path}:{function.line}" if function is not None else ""
    return resolve(name, facts, params=_param_names(function), declared_at=declared_at)


def _fixpoint(model: CModel, fixed: dict[str, list[Fact]], summaries: dict[str, BodySummary],
              contracts: dict[str, Contract], aliases: dict[str, str]) -> None:
    def lookup(name: str) -> Contract | None:
        return contracts.get(aliases.get(name, name))

    callers: dict[str, set[str]] = {}
    for name, summary in summaries.items():
        for callee in summary.callees:
            callers.setdefault(aliases.get(callee, callee), set()).add(name)
    destructors = _destructors_by_type(model)
    pending = list(summaries)
    queued = set(pending)
    visits: dict[str, int] = {}
    while pending:
        name = pending.pop()
        queued.discard(name)
        visits[name] = visits.get(name, 0) + 1
        dealloc = _type_deallocator(model, model.functions[name], destructors, contracts)
        facts = fixed[name] + body_facts(summaries[name], lookup, type_deallocator=dealloc)
        updated = _resolve(model, name, facts)
        if updated == contracts[name] and updated.evidence == contracts[name].evidence:
            continue
        contracts[name] = updated
        for caller in callers.get(name, ()):
            if caller not in queued and visits.get(caller, 0) < _MAX_VISITS:
                pending.append(caller)
                queued.add(caller)


def _destructors_by_type(model: CModel) -> dict[str, list[str]]:
    """Single-argument functions taking ``T *``, by T, for T a struct or union."""
    found: dict[str, list[str]] = {}
    for function in model.functions.values():
        if len(function.params) != 1 or function.params[0].pointer_depth != 1:
            continue
        target = canonical_type(model, function.params[0].type)
        if target.startswith(("struct ", "union ")):
            found.setdefault(target, []).append(function.name)
    return found


def _type_deallocator(model: CModel, function: CFunction, destructors: dict[str, list[str]],
                      contracts: dict[str, Contract]) -> str | None:
    """The destructor of the struct a function returns a pointer to, when the package has one.

    ``foo_new`` mallocs a ``struct foo`` and fills it: the right release is ``foo_free``
    (which frees the members too), not the ``free`` its body's malloc suggests.
    """
    if function.return_pointer_depth != 1:
        return None
    target = canonical_type(model, function.return_type)
    for name in destructors.get(target, ()):
        contract = contracts.get(name)
        if name != function.name and contract is not None and 0 in contract.frees_args:
            return name
    return None


def reachable_functions(model: CModel, roots: set[str]) -> frozenset[str]:
    """``roots`` and every C function their bodies call or pass as a value (``bind(..., my_free)``),
    transitively (through macro aliases)."""
    aliases = function_aliases(model)
    seen: set[str] = set()
    pending = [aliases.get(name, name) for name in roots]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        function = model.functions.get(name)
        if function is None or function.body is None:
            continue
        for called in _named_functions(function):
            pending.append(aliases.get(called, called))
    return frozenset(seen)


def _named_functions(function: CFunction) -> list[str]:
    """Identifiers a body calls, and identifiers it passes as call arguments (possible callbacks)."""
    found: list[str] = []
    stack = [function.body]
    while stack:
        node = stack.pop()
        if node.type == "call_expression":
            callee = node.child_by_field_name("function")
            if callee is not None and callee.type == "identifier":
                found.append(function.unit.text(callee))
            arguments = node.child_by_field_name("arguments")
            found += [function.unit.text(a) for a in (arguments.named_children if arguments else ())
                      if a.type == "identifier"]
        stack.extend(node.named_children)
    return found
