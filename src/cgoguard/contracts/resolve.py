"""Turn the facts claimed about one function into its contract, by precedence.

For every aspect (what the result is, how to release it, whether argument N is freed or
retained, which argument owns the result) the fact from the highest-precedence evidence
kind wins (config > attribute > pack > body > comment > go-usage > naming; ties go to the
more confident fact). Losing facts that disagree stay in the contract's evidence, marked
``overridden`` with a note saying why, so a reader sees the conflict.

Before the contest, some facts are set aside (kept as overridden evidence):

* a name only guesses *that* a function frees its first argument: once any other source
  says which argument is freed, the guess is dropped;
* a curated pack documents a function's releases completely: an argument its entry does not
  list as freed is not freed, whatever a body, comment, Go usage or name suggests;
* a fact that could make an error-severity finding (the call frees an argument, or its
  result must never be freed) carried through :data:`DEEP` or more bodies of vendored C
  needs corroboration: a documented source agreeing, another shallower fact agreeing, or,
  for a release, a function named as one (``sqlite3DbFree``). Without it, it is not claimed.
  A body reads every path at once, so a release that only happens in one mode
  (``sqlite3_stmt_status`` measuring memory, ``sqlite3VdbeMemSetStr`` with a dynamic
  destructor) turns into "frees its argument" a few callers up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from cgoguard.contracts.model import DOCUMENTED_KINDS, Contract, Evidence, Fact, strongest, weakest
from cgoguard.contracts.naming import deallocator_word
from cgoguard.findings import Confidence

# The order evidence is listed in: what the result is first, then what happens to arguments.
_ASPECT_ORDER = ("returns", "deallocator", "borrows", "out", "frees", "frees_members", "retains", "format",
                 "reads_string")
# Facts about how arguments are read, not about ownership: they do not set a contract's confidence.
_READING_ASPECTS = frozenset({"format", "reads_string"})
# A fact carried through this many bodies of vendored C needs corroboration: a direct release
# is depth 1, a release through one internal helper depth 2.
DEEP = 3
# Results the caller must never free: wrongly claimed, they make a free of the caller's own
# memory a "double free".
_NEVER_FREED = ("borrowed", "static")


def resolve(function: str, facts: Iterable[Fact], *, params: tuple[str, ...] = (),
            declared_at: str = "") -> Contract:
    contested, set_aside = _set_aside(function, list(facts))
    by_key: dict[tuple[str, int | None], list[Fact]] = {}
    for fact in contested:
        by_key.setdefault(fact.key, []).append(fact)
    keys = sorted(by_key, key=lambda k: (_ASPECT_ORDER.index(k[0]), k[1] or 0))
    for key in keys:
        by_key[key].sort(key=lambda f: f.rank)
    winners = {key: by_key[key][0] for key in keys}
    returns = _value(winners, ("returns", None), "unknown")
    # How to release, or whom the result is borrowed from, only matters for that kind of result.
    moot = {"deallocator": returns != "owned", "borrows": returns != "borrowed"}
    evidence: list[Evidence] = []
    support: dict[tuple[str, int | None], Confidence] = {}
    depths: dict[tuple[str, int | None], int] = {}
    for key in keys:
        agreeing = [f for f in by_key[key] if f.value == winners[key].value and not moot.get(key[0], False)]
        # Agreeing sources corroborate: a curated pack lifts a body fact derived from a guess.
        support[key] = strongest(f.confidence for f in agreeing)
        depth = 0 if any(f.evidence.kind in DOCUMENTED_KINDS for f in agreeing) else max(
            (f.depth for f in agreeing), default=0)
        if depth:
            depths[key] = depth
        evidence += [f.evidence if f in agreeing else _lost(f.evidence, winners[key]) for f in by_key[key]]
    evidence += [f.evidence for f in set_aside]
    frees = _flagged(winners, "frees")
    outs = {arg: f.value for (aspect, arg), f in winners.items() if aspect == "out" and arg is not None}
    deciding = [support[key] for key, f in winners.items()
                if key[0] not in _READING_ASPECTS and _decides(key[0], returns, f)]
    doubtful = frozenset(f.arg for f in set_aside if f.aspect == "frees" and f.value and f.arg is not None
                         and f.evidence.depth >= DEEP) - frees
    return Contract(
        function=function,
        returns=returns,
        deallocator=_value(winners, ("deallocator", None), None) if returns == "owned" else None,
        frees_args=frees,
        retains_args=_flagged(winners, "retains"),
        frees_members=_flagged(winners, "frees_members"),
        borrows_from=_value(winners, ("borrows", None), None) if returns == "borrowed" else None,
        evidence=_dedupe(evidence),
        confidence=weakest(deciding),
        owned_out_args=outs,
        params=params,
        declared_at=declared_at,
        doubtful_frees=doubtful,
        depths=depths,
        string_args=_flagged(winners, "reads_string"),
        format_arg=_value(winners, ("format", None), None),  # type: ignore[arg-type]
    )


def _lost(evidence: Evidence, winner: Fact) -> Evidence:
    return replace(evidence, overridden=True, note=evidence.note or f"{winner.evidence.kind} evidence says otherwise")


# ----- facts set aside before the contest ---------------------------------------------------
def _set_aside(function: str, facts: list[Fact]) -> tuple[list[Fact], list[Fact]]:
    """(facts that take part in the contest, facts set aside as overridden evidence)."""
    kept: list[Fact] = []
    aside: list[Fact] = []
    for fact in facts:
        note = (_superseded_guess(fact, facts) or _undocumented_release(fact, facts)
                or _uncorroborated(function, fact, facts))
        if note:
            aside.append(replace(fact, evidence=replace(fact.evidence, overridden=True, note=note)))
        else:
            kept.append(fact)
    return kept, aside


def _superseded_guess(fact: Fact, facts: list[Fact]) -> str:
    """A naming guess about which argument is freed yields to any other source naming one.

    ``rd_kafka_mem_free(rk, ptr)`` frees ``ptr`` per its documentation; its name alone would
    suggest the first argument.
    """
    if fact.aspect != "frees" or fact.evidence.kind != "naming":
        return ""
    named = {f.arg for f in facts if f.aspect == "frees" and f.value and f.evidence.kind != "naming"}
    if named and fact.arg not in named:
        return f"another source names the freed argument ({', '.join(f'arg {i}' for i in sorted(named))})"
    return ""


def _undocumented_release(fact: Fact, facts: list[Fact]) -> str:
    """A release that the function's curated pack entry does not list."""
    if fact.aspect != "frees" or not fact.value or fact.evidence.kind in ("config", "attribute", "pack"):
        return ""
    packs = [f for f in facts if f.evidence.kind == "pack"]
    if not packs or any(f.aspect == "frees" and f.arg == fact.arg and f.value for f in packs):
        return ""
    return "the curated pack documents this function and does not list this argument as freed"


def _uncorroborated(function: str, fact: Fact, facts: list[Fact]) -> str:
    """A fact that could make an error-severity finding, carried too deep to stand alone."""
    if fact.depth < DEEP or not _error_prone(fact):
        return ""
    if any(f is not fact and f.key == fact.key and f.value == fact.value
           and (f.evidence.kind != "body" or f.depth < DEEP) for f in facts):
        return ""
    if fact.aspect == "frees" and deallocator_word(function) is not None:
        return ""
    return (f"not claimed: carried through {fact.depth} bodies of vendored C, and no pack, attribute, comment, "
            "shallower body or release-named function corroborates it")


def _error_prone(fact: Fact) -> bool:
    """A claim that, wrong, makes an error out of correct code (a "double free")."""
    if fact.aspect == "frees":
        return bool(fact.value)
    if fact.aspect == "returns":
        return fact.value in _NEVER_FREED
    return fact.aspect == "borrows"  # goes with a "returns borrowed" fact of the same evidence


# ----- the contract's fields --------------------------------------------------------------
def _flagged(winners: dict[tuple[str, int | None], Fact], aspect: str) -> frozenset[int]:
    """The arguments a boolean per-argument aspect (``frees``, ``retains``...) holds for."""
    return frozenset(arg for (kind, arg), f in winners.items() if kind == aspect and f.value and arg is not None)


def _value(winners: dict[tuple[str, int | None], Fact], key: tuple[str, int | None], default: object) -> object:
    fact = winners.get(key)
    return fact.value if fact is not None else default


def _decides(aspect: str, returns: str, fact: Fact) -> bool:
    if aspect == "returns":
        return returns != "unknown"
    if aspect == "deallocator":
        return returns == "owned"
    if aspect == "borrows":
        return returns == "borrowed"
    return bool(fact.value) or aspect == "out"


def _dedupe(evidence: list[Evidence]) -> list[Evidence]:
    """Each evidence once, in first-seen order; overridden if any of its claims lost."""
    merged: dict[Evidence, Evidence | None] = {}
    for item in evidence:
        key = replace(item, overridden=False, note="")
        if item.overridden and merged.get(key) is None:
            merged[key] = item
        else:
            merged.setdefault(key, None)
    return [lost if lost is not None else item for item, lost in merged.items()]
