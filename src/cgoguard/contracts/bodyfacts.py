"""The facts a summarised C body proves, given its callees' current contracts.

Each fact records its *depth*: how many bodies of vendored C (C files compiled with the
package) it was carried through, the function's own included. A direct ``free(p)`` in
vendored code is depth 1; ``outer(p) { inner(p); }`` over that is depth 2. A callee's fact
that documentation backs (a pack, an attribute) starts again from 0. The resolver asks for
corroboration of deep facts (see :mod:`cgoguard.contracts.resolve`).

A destructor argument that asks the callee to copy (``SQLITE_TRANSIENT``) or to leave the
memory alone (``SQLITE_STATIC``) is documentation at the call site: that call does not free
the argument, whatever the callee does with other destructors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from cgoguard.contracts.body import ArgPass, BodySummary, Origin, Site
from cgoguard.contracts.model import Contract, Evidence, Fact, weakest
from cgoguard.contracts.resolve import DEEP
from cgoguard.contracts.strings import format_string_reads
from cgoguard.findings import Confidence

Lookup = Callable[[str], Contract | None]

# A constant asking the callee to release what it is given: WL_MARSHAL_FLAG_DESTROY (Wayland's
# generated *_destroy functions), SQLITE_DESERIALIZE_FREEONCLOSE.
_DESTROY_FLAG = re.compile(r"^[A-Z][A-Z0-9_]*(?:DESTROY|FREE)[A-Z0-9_]*$")
# A constant in a destructor's place asking the callee to copy what it is given, or to use it
# without taking it over (SQLITE_TRANSIENT, SQLITE_STATIC).
_KEEP_FLAG = re.compile(r"^[A-Z][A-Z0-9_]*_(?:TRANSIENT|STATIC)$")
# The wording of "argument" is part of the API: CG203 reports such a store only when the other
# argument is C memory.
_STORE_TARGETS = {
    "global": "a global/static",
    "argument": "a structure another argument points to",
    "allocation": "an object it allocates and hands back",
}


def body_facts(summary: BodySummary, lookup: Lookup, *, type_deallocator: str | None = None) -> list[Fact]:
    """Facts a summarised body proves, given the current contracts of its callees."""
    step = 1 if summary.vendored else 0
    kept = _kept_by_flag(summary)
    facts = _return_facts(summary, lookup, type_deallocator, step)
    facts += _pass_facts(summary, lookup, step, kept)
    facts += _member_facts(summary, lookup) + _hand_off_facts(summary, lookup, step)
    facts += body_string_facts([p for p in summary.passes if p.param in summary.text_params], lookup)
    for item in summary.indirect_releases:
        evidence = Evidence("body", f"frees arg {item.param} (passes it to {item.callee})",
                            item.site.location, item.site.text, depth=step)
        facts.append(Fact("frees", True, evidence, Confidence.LOW, arg=item.param))
    for store in summary.stores:
        if store.into == "allocation" and not all(_owned(Origin("call", a), lookup) for a in store.allocators):
            continue
        evidence = Evidence("body", f"keeps arg {store.param} (stores it in {_STORE_TARGETS[store.into]})",
                            store.site.location, store.site.text)
        confidence = Confidence.HIGH if store.into == "global" else Confidence.MEDIUM
        facts.append(Fact("retains", True, evidence, confidence, arg=store.param))
    for out in summary.outs:
        owned = _owned(out.origin, lookup)
        if owned is not None:
            dealloc, confidence, depth = owned
            evidence = Evidence("body", f"hands back an owned object through arg {out.param}",
                                out.site.location, out.site.text, depth=depth + step)
            facts.append(Fact("out", dealloc, evidence, confidence, arg=out.param))
    return facts


def _kept_by_flag(summary: BodySummary) -> dict[tuple[Site, str, int], str]:
    """(call site, callee, parameter) -> the flag that asks the callee to copy or borrow it."""
    return {(h.site, h.callee, h.param): h.destructor for h in summary.hand_offs if _KEEP_FLAG.match(h.destructor)}


def _pass_facts(summary: BodySummary, lookup: Lookup, step: int, kept: dict[tuple[Site, str, int], str]) -> list[Fact]:
    """``callee(..., p, ...)``: what the callee's contract says it does with that argument."""
    facts: list[Fact] = []
    for item in summary.passes:
        callee = lookup(item.callee)
        if callee is None:
            continue
        flag = kept.get((item.site, item.callee, item.param))
        if flag is not None:
            if item.position in callee.frees_args | callee.doubtful_frees:
                evidence = Evidence("body", f"does not free arg {item.param}: passes it to {item.callee} with "
                                    f"{flag}, which asks the callee to copy it or leave it alone",
                                    item.site.location, item.site.text, depth=step)
                facts.append(Fact("frees", False, evidence, Confidence.LOW, arg=item.param))
            continue
        retained = {i for i in callee.retains_args if _keeps_beyond_its_arguments(callee, i)}
        for aspect, args, verb in (("frees", callee.frees_args, "frees"), ("retains", retained, "keeps")):
            if item.position in args:
                evidence = Evidence("body", f"{verb} arg {item.param} (passes it to {item.callee})",
                                    item.site.location, item.site.text,
                                    depth=callee.depth_of(aspect, item.position) + step if aspect == "frees" else 0)
                facts.append(Fact(aspect, True, evidence, callee.confidence, arg=item.param))
        if item.position in callee.doubtful_frees:
            evidence = Evidence("body", f"frees arg {item.param} (passes it to {item.callee}, which a deep chain "
                                "suggests frees it)", item.site.location, item.site.text, depth=DEEP + step)
            facts.append(Fact("frees", True, evidence, Confidence.LOW, arg=item.param))
        if item.position in callee.frees_members:
            evidence = Evidence("body", f"frees the members of arg {item.param} (passes it to {item.callee})",
                                item.site.location, item.site.text)
            facts.append(Fact("frees_members", True, evidence, callee.confidence, arg=item.param))
        if item.position in callee.owned_out_args:
            evidence = Evidence("body", f"hands back an owned object through arg {item.param} (via {item.callee})",
                                item.site.location, item.site.text,
                                depth=callee.depth_of("out", item.position) + step)
            facts.append(Fact("out", callee.owned_out_args[item.position], evidence, callee.confidence,
                              arg=item.param))
    return facts


def _member_facts(summary: BodySummary, lookup: Lookup) -> list[Fact]:
    """``free(p->key)``, ``free(v[i])``: what the argument points to is released, not the argument."""
    facts: list[Fact] = []
    for item in summary.member_passes:
        callee = lookup(item.callee)
        if callee is None or not (item.position in callee.frees_args or item.position in callee.frees_members):
            continue
        evidence = Evidence("body", f"frees the members of arg {item.param} (passes them to {item.callee})",
                            item.site.location, item.site.text)
        facts.append(Fact("frees_members", True, evidence, callee.confidence, arg=item.param))
    return facts


def _hand_off_facts(summary: BodySummary, lookup: Lookup, step: int) -> list[Fact]:
    """``bind(stmt, i, p, n, free)``: whoever calls that destructor later owns ``p`` now; and
    ``marshal(proxy, ..., FLAG_DESTROY)`` destroys ``proxy``."""
    facts: list[Fact] = []
    for item in summary.hand_offs:
        if _DESTROY_FLAG.match(item.destructor):
            evidence = Evidence("body", f"frees arg {item.param} (passes it to {item.callee} with {item.destructor})",
                                item.site.location, item.site.text, depth=step)
            facts.append(Fact("frees", True, evidence, Confidence.LOW, arg=item.param))
            continue
        destructor = lookup(item.destructor)
        if destructor is None or 0 not in destructor.frees_args:
            continue
        evidence = Evidence("body", f"takes ownership of arg {item.param} (passes it to {item.callee} with "
                            f"{item.destructor} as its destructor)", item.site.location, item.site.text,
                            depth=destructor.depth_of("frees", 0) + step)
        confidence = weakest([Confidence.MEDIUM, destructor.confidence])
        facts.append(Fact("frees", True, evidence, confidence, arg=item.param))
    return facts


def _keeps_beyond_its_arguments(contract: Contract, index: int) -> bool:
    """Whether a callee keeps argument ``index`` somewhere that outlives every call chain.

    A store into a structure another argument points to (or into an object the callee hands
    back) keeps the pointer only as long as that structure lives; the caller may pass a
    local, so such retention is not passed up the call graph.
    """
    relative = (_STORE_TARGETS["argument"], _STORE_TARGETS["allocation"])
    prefix = f"keeps arg {index}"
    return any(not e.overridden and (e.fact == prefix or e.fact.startswith(prefix + " "))
               and not any(r in e.fact for r in relative) for e in contract.evidence)


def _owned(origin: Origin, lookup: Lookup) -> tuple[str | None, Confidence, int] | None:
    if origin.kind != "call":
        return None
    callee = lookup(origin.name)
    if callee is None or callee.returns != "owned":
        return None
    return callee.deallocator, callee.confidence, callee.depth_of("returns")


def _return_facts(summary: BodySummary, lookup: Lookup, type_deallocator: str | None, step: int) -> list[Fact]:
    kinds = [(*_classify(origin, lookup), site) for origin, site in summary.returns]
    known = [k for k in kinds if k[0] != "unknown"]
    if not known or len({k[0] for k in known}) > 1:
        return []
    kind = known[0][0]
    # Some returns we cannot classify: the claim holds for the others only.
    ceiling = Confidence.HIGH if len(known) == len(kinds) else Confidence.MEDIUM
    confidence = weakest([ceiling, *(k[2] for k in known)])
    depth = max(k[3] for k in known) + step
    site = known[0][4]
    facts: list[Fact] = []
    if kind == "owned":
        dealloc = type_deallocator or next((k[1] for k in known if k[1]), None)
        how = f" (release with {dealloc})" if dealloc else ""
        evidence = Evidence("body", f"returns owned memory{how}", site.location, site.text, depth=depth)
        facts.append(Fact("returns", "owned", evidence, confidence))
        if dealloc:
            facts.append(Fact("deallocator", dealloc, evidence, confidence))
    elif kind == "borrowed":
        owners = {k[1] for k in known}
        owner = next(iter(owners)) if len(owners) == 1 else None
        if isinstance(owner, int):
            evidence = Evidence("body", f"returns memory inside arg {owner}", site.location, site.text, depth=depth)
            facts += [Fact("returns", "borrowed", evidence, confidence), Fact("borrows", owner, evidence, confidence)]
        else:
            evidence = Evidence("body", "returns memory owned by someone else", site.location, site.text, depth=depth)
            facts.append(Fact("returns", "borrowed", evidence, confidence))
    else:
        facts.append(Fact("returns", "static", Evidence("body", "returns static storage (never freed)",
                                                        site.location, site.text, depth=depth), confidence))
    return facts


def _classify(origin: Origin, lookup: Lookup) -> tuple[str, object, Confidence, int]:
    """(result kind, deallocator or owning parameter, confidence, depth of the callee's claim)."""
    if origin.kind in ("param", "param_member"):
        return ("borrowed", origin.index, Confidence.HIGH, 0)
    if origin.kind == "static":
        return ("static", None, Confidence.HIGH, 0)
    if origin.kind == "call":
        callee = lookup(origin.name)
        if callee is not None and callee.returns != "unknown":
            confidence = callee.confidence
            depth = callee.depth_of("returns")
            if callee.returns == "owned":
                return ("owned", callee.deallocator, confidence, depth)
            if callee.returns == "static":
                return ("static", None, confidence, depth)
            if callee.borrows_from is None:
                return ("borrowed", None, confidence, depth)  # owned by the library
            owner = origin.args[callee.borrows_from] if callee.borrows_from < len(origin.args) else -1
            if owner >= 0:
                return ("borrowed", owner, confidence, depth)
            # Borrowed from a local or an allocation of ours: what that is, we cannot say.
    return ("unknown", None, Confidence.LOW, 0)


# ----- string reads ---------------------------------------------------------------------------


def body_string_facts(passes: Iterable[ArgPass], lookup: Lookup) -> list[Fact]:
    """``strlen(p)``, ``wrap(p)`` where ``wrap`` reads its argument as a string, and
    ``printf("%s", p)``: parameter ``p`` is read as a NUL-terminated string.

    """
    facts: list[Fact] = []
    for item in passes:
        callee = lookup(item.callee)
        if callee is None:
            continue
        how = _how_read(callee, item.position, item.literals)
        if how is None:
            continue
        evidence = Evidence("body", f"reads arg {item.param} as a NUL-terminated string ({how} {item.callee})",
                            item.site.location, item.site.text)
        facts.append(Fact("reads_string", True, evidence, _strength(callee, item.position), item.param))
    return facts


def _how_read(callee: Contract, position: int, literals: tuple[tuple[int, str], ...]) -> str | None:
    if position in callee.string_args:
        return "passes it to"
    if callee.format_arg is None or position <= callee.format_arg:
        return None
    format_text = next((text for at, text in literals if at == callee.format_arg), None)
    if format_text is None:
        return None
    reads = format_string_reads(format_text)
    vararg = position - callee.format_arg - 1
    return "formats it with %s in" if vararg < len(reads) and reads[vararg] else None


def _strength(callee: Contract, position: int) -> Confidence:
    """A callee's string read proven by its pack, the configuration or a body is as strong here;
    one guessed from a name or read in a comment is not."""
    evidence = callee.string_evidence(position)
    if evidence is None or evidence.kind in ("config", "attribute", "body", "pack"):
        return Confidence.HIGH
    return Confidence.MEDIUM if evidence.kind == "comment" else Confidence.LOW
