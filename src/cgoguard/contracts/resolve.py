"""Turn the facts claimed about one function into its contract, by precedence.

For every aspect (what the result is, how to release it, whether argument N is freed or
retained, which argument owns the result) the fact from the highest-precedence evidence
kind wins (config > attribute > body > pack > comment > naming; ties go to the more
confident fact). Losing facts that disagree stay in the contract's evidence, marked
``overridden``, so a reader sees the conflict. One refinement: a name only guesses *that* a
function frees its first argument, so once any other source says which argument is freed,
the guess is dropped. Another: for how to release a result, a curated pack, an attribute
or the configuration beats a body (which only knows the release of what it returns).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from cgoguard.contracts.model import PRECEDENCE, Contract, Evidence, Fact, strongest, weakest
from cgoguard.findings import Confidence

# The order evidence is listed in: what the result is first, then what happens to arguments.
_ASPECT_ORDER = ("returns", "deallocator", "borrows", "out", "frees", "frees_members", "retains", "format",
                 "reads_string")
# Facts about how arguments are read, not about ownership: they do not set a contract's confidence.
_READING_ASPECTS = frozenset({"format", "reads_string"})


def resolve(function: str, facts: Iterable[Fact], *, params: tuple[str, ...] = (),
            declared_at: str = "") -> Contract:
    by_key: dict[tuple[str, int | None], list[Fact]] = {}
    for fact in _without_superseded_guesses(list(facts)):
        by_key.setdefault(fact.key, []).append(fact)
    keys = sorted(by_key, key=lambda k: (_ASPECT_ORDER.index(k[0]), k[1] or 0))
    for key in keys:
        by_key[key].sort(key=_rank)
    winners = {key: by_key[key][0] for key in keys}
    returns = _value(winners, ("returns", None), "unknown")
    # How to release, or whom the result is borrowed from, only matters for that kind of result.
    moot = {"deallocator": returns != "owned", "borrows": returns != "borrowed"}
    evidence: list[Evidence] = []
    support: dict[tuple[str, int | None], Confidence] = {}
    for key in keys:
        agreeing = [f for f in by_key[key] if f.value == winners[key].value and not moot.get(key[0], False)]
        # Agreeing sources corroborate: a curated pack lifts a body fact derived from a guess.
        support[key] = strongest(f.confidence for f in agreeing)
        evidence += [f.evidence if f in agreeing else replace(f.evidence, overridden=True) for f in by_key[key]]
    frees = _flagged(winners, "frees")
    retains = _flagged(winners, "retains")
    outs = {arg: f.value for (aspect, arg), f in winners.items() if aspect == "out" and arg is not None}
    deciding = [support[key] for key, f in winners.items()
                if key[0] not in _READING_ASPECTS and _decides(key[0], returns, f)]
    return Contract(
        function=function,
        returns=returns,
        deallocator=_value(winners, ("deallocator", None), None) if returns == "owned" else None,
        frees_args=frees,
        retains_args=retains,
        frees_members=_flagged(winners, "frees_members"),
        borrows_from=_value(winners, ("borrows", None), None) if returns == "borrowed" else None,
        evidence=_dedupe(evidence),
        confidence=weakest(deciding),
        owned_out_args=outs,
        params=params,
        declared_at=declared_at,
        string_args=_flagged(winners, "reads_string"),
        format_arg=_value(winners, ("format", None), None),  # type: ignore[arg-type]
    )


def _rank(fact: Fact) -> tuple[int, int, int]:
    """Precedence, except that which release to use is documentation: a body that returns
    ``ZSTD_createCCtx()`` proves ``ZSTD_createCStream``'s result is owned, but the release the
    API documents for it (``ZSTD_freeCStream``) is the one to name."""
    documented_release = fact.aspect == "deallocator" and fact.evidence.kind == "body"
    kind, confidence = fact.rank
    return (PRECEDENCE["pack"] if documented_release else kind, int(documented_release), confidence)


def _without_superseded_guesses(facts: list[Fact]) -> list[Fact]:
    """A naming guess about which argument is freed yields to any other source naming one.

    ``rd_kafka_mem_free(rk, ptr)`` frees ``ptr`` per its documentation; its name alone would
    suggest the first argument.
    """
    named = {f.arg for f in facts if f.aspect == "frees" and f.value and f.evidence.kind != "naming"}
    if not named:
        return facts
    return [f for f in facts if not (f.aspect == "frees" and f.evidence.kind == "naming" and f.arg not in named)]


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
    merged: dict[Evidence, bool] = {}
    for item in evidence:
        key = replace(item, overridden=False)
        merged[key] = merged.get(key, False) or item.overridden
    return [replace(item, overridden=True) if lost else item for item, lost in merged.items()]
