"""Ownership contracts of C functions, the evidence behind them, and queries over a set of them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from cgoguard.findings import Confidence

RETURN_KINDS = ("owned", "borrowed", "static", "unknown")
# Where a fact came from. The order is the precedence used to resolve conflicts: a user's
# configuration beats everything, a compiler attribute is a checked promise, a pack is the
# library's documentation as we curated it, a body is what the code does (read without its
# conditions, so a mode or flag that guards a release is lost on the way up a call chain), a
# comment is documentation the author wrote (often stale), Go usage is what the package's own
# Go code does with the function (which may be the very bug to find), and a naming convention
# is a guess.
EVIDENCE_KINDS = ("config", "attribute", "pack", "body", "comment", "go-usage", "naming")
# Kinds that document an API rather than infer it: agreeing with one of them makes an inferred
# fact as good as documented.
DOCUMENTED_KINDS = frozenset({"config", "attribute", "pack", "comment"})
PRECEDENCE: Mapping[str, int] = MappingProxyType({kind: rank for rank, kind in enumerate(EVIDENCE_KINDS)})
_CONFIDENCE_RANK = {Confidence.HIGH: 0, Confidence.MEDIUM: 1, Confidence.LOW: 2}


def weakest(confidences: Iterable[Confidence]) -> Confidence:
    """The least confidence of several (LOW when there are none)."""
    return max(confidences, key=_CONFIDENCE_RANK.__getitem__, default=Confidence.LOW)


def strongest(confidences: Iterable[Confidence]) -> Confidence:
    """The greatest confidence of several (LOW when there are none)."""
    return min(confidences, key=_CONFIDENCE_RANK.__getitem__, default=Confidence.LOW)


@dataclass(frozen=True)
class Evidence:
    """Why a contract says what it says."""

    kind: str  # one of EVIDENCE_KINDS
    fact: str  # "returns owned (release with free)", "frees arg 0 (p)", ...
    location: str  # "file.h:12", a pack reference URL or "config"
    text: str = ""  # the code, attribute or comment sentence that shows it
    overridden: bool = False  # a fact that does not count: it lost to another, or lacks corroboration
    # Body evidence: how many bodies of vendored C (C files compiled with the package, not its
    # Go preambles) the fact was carried through, the function's own included.
    depth: int = 0
    note: str = ""  # why an overridden fact does not count

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "fact": self.fact, "location": self.location,
                                "text": self.text}
        if self.overridden:
            data["overridden"] = True
        if self.depth:
            data["depth"] = self.depth
        if self.note:
            data["note"] = self.note
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        return cls(data["kind"], data["fact"], data["location"], data.get("text", ""),
                   bool(data.get("overridden", False)), int(data.get("depth", 0)), data.get("note", ""))


@dataclass(frozen=True)
class Fact:
    """One claim about a function, before conflicts between claims are resolved.

    ``aspect`` is ``returns`` (value: a RETURN_KINDS entry), ``deallocator`` (value: a
    function name), ``frees``/``retains``/``frees_members`` (value: bool, for ``arg``), ``borrows`` (value:
    the argument index owning the result) or ``out`` (value: deallocator name or None, for
    ``arg``: an owned object written through that pointer-to-pointer argument),
    ``reads_string`` (value: bool, for ``arg``: the call reads the argument as a NUL-terminated
    string) or ``format`` (value: the index of a printf-style format argument, whose ``%s``
    conversions read the matching variadic arguments as strings).
    """

    aspect: str
    value: Any
    evidence: Evidence
    confidence: Confidence = Confidence.HIGH
    arg: int | None = None

    @property
    def key(self) -> tuple[str, int | None]:
        return (self.aspect, self.arg)

    @property
    def rank(self) -> tuple[int, int]:
        return (PRECEDENCE[self.evidence.kind], _CONFIDENCE_RANK[self.confidence])

    @property
    def depth(self) -> int:
        return self.evidence.depth


@dataclass(frozen=True)
class Contract:
    """What calling ``function`` means for the ownership of memory.

    ``returns``: ``owned`` (the caller must release the result with ``deallocator``),
    ``borrowed`` (someone else owns it: argument ``borrows_from`` when known, else the
    library), ``static`` (never released), ``unknown``. ``frees_args`` are the argument
    indexes whose memory the call releases or takes over; ``retains_args`` those whose
    pointer the C side keeps after returning. ``frees_members`` are the argument indexes
    whose members or elements the call releases (``free(p->key)``, ``free(v[i])``) while the
    argument itself stays the caller's. ``owned_out_args`` maps an argument index to the
    deallocator of the object written through it (``sqlite3_open(name, &db)``).
    ``doubtful_frees`` are arguments a body only suggests the call frees, through too long a
    chain of vendored C with nothing to corroborate it: not claimed, but passed on to callers'
    evidence. ``depths`` gives, per claimed aspect, the vendored bodies its fact went through
    (0: documented).
    ``string_args`` are the argument indexes the call reads as NUL-terminated strings
    (``strlen(s)``, ``fopen(path, mode)``), and ``format_arg`` the index of a printf-style format.
    """

    function: str
    returns: str = "unknown"
    deallocator: str | None = None
    frees_args: frozenset[int] = frozenset()
    retains_args: frozenset[int] = frozenset()
    borrows_from: int | None = None
    evidence: list[Evidence] = field(default_factory=list, compare=False, hash=False)
    confidence: Confidence = Confidence.LOW
    owned_out_args: Mapping[int, str | None] = field(default_factory=dict, compare=False, hash=False)
    params: tuple[str, ...] = field(default=(), compare=False, hash=False)  # parameter names, for documents
    declared_at: str = field(default="", compare=False, hash=False)  # "file.h:12" when declared in the package
    frees_members: frozenset[int] = frozenset()
    doubtful_frees: frozenset[int] = field(default=frozenset(), compare=False, hash=False)
    depths: Mapping[tuple[str, int | None], int] = field(default_factory=dict, compare=False, hash=False)

    string_args: frozenset[int] = frozenset()
    format_arg: int | None = None

    def depth_of(self, aspect: str, arg: int | None = None) -> int:
        """How many vendored bodies the claim about ``aspect`` (of ``arg``) was carried through."""
        return self.depths.get((aspect, arg), 0)

    @property
    def is_known(self) -> bool:
        """Whether any ownership fact is known (what a function does with strings is not ownership)."""
        return bool(self.returns != "unknown" or self.frees_args or self.retains_args or self.owned_out_args
                    or self.frees_members)

    @property
    def must_not_free_result(self) -> bool:
        return self.returns in ("borrowed", "static")

    def to_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "returns": self.returns,
            "deallocator": self.deallocator,
            "frees_args": sorted(self.frees_args),
            "retains_args": sorted(self.retains_args),
            "frees_members": sorted(self.frees_members),
            "borrows_from": self.borrows_from,
            "owned_out_args": {str(k): v for k, v in sorted(self.owned_out_args.items())},
            "doubtful_frees": sorted(self.doubtful_frees),
            "string_args": sorted(self.string_args),
            "format_arg": self.format_arg,
            "confidence": self.confidence.value,
            "params": list(self.params),
            "declared_at": self.declared_at,
            "evidence": [e.to_dict() for e in self.evidence],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Contract:
        return cls(
            function=data["function"],
            returns=data["returns"],
            deallocator=data.get("deallocator"),
            frees_args=frozenset(data.get("frees_args", ())),
            retains_args=frozenset(data.get("retains_args", ())),
            frees_members=frozenset(data.get("frees_members", ())),
            borrows_from=data.get("borrows_from"),
            evidence=[Evidence.from_dict(e) for e in data.get("evidence", ())],
            confidence=Confidence(data.get("confidence", "low")),
            owned_out_args={int(k): v for k, v in data.get("owned_out_args", {}).items()},
            doubtful_frees=frozenset(data.get("doubtful_frees", ())),
            params=tuple(data.get("params", ())),
            declared_at=data.get("declared_at", ""),
            string_args=frozenset(data.get("string_args", ())),
            format_arg=data.get("format_arg"),
        )

    def string_evidence(self, index: int) -> Evidence | None:
        """The evidence that the call reads argument ``index`` as a NUL-terminated string."""
        prefix = f"reads arg {index} as a "
        return next((e for e in self.evidence if e.fact.startswith(prefix) and not e.overridden), None)


class ContractSet:
    """The contracts of every C function a package can call, by name.

    ``get`` also answers for macro aliases (``#define my_free free``) and for library
    functions known only from the built-in packs.
    """

    def __init__(self, contracts: Mapping[str, Contract], aliases: Mapping[str, str] | None = None) -> None:
        self._contracts = dict(contracts)
        self._aliases = dict(aliases or {})
        self._deallocators = frozenset(
            {c.deallocator for c in self._contracts.values() if c.deallocator}
            | {d for c in self._contracts.values() for d in c.owned_out_args.values() if d}
            | {name for name, c in self._contracts.items() if c.frees_args})

    def get(self, name: str) -> Contract | None:
        seen: set[str] = set()
        while name in self._aliases and name not in seen and name not in self._contracts:
            seen.add(name)
            name = self._aliases[name]
        return self._contracts.get(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[Contract]:
        """Every contract: the package's own functions and the packs' alike."""
        return iter(self._contracts.values())

    def __len__(self) -> int:
        return len(self._contracts)

    def names(self) -> list[str]:
        return sorted(self._contracts)

    def items(self) -> Iterator[tuple[str, Contract]]:
        """(name, contract) pairs, sorted by name."""
        return ((name, self._contracts[name]) for name in self.names())

    @property
    def aliases(self) -> dict[str, str]:
        """Macro aliases (``#define my_free free``) that ``get`` resolves."""
        return dict(self._aliases)

    # ----- convenience queries ---------------------------------------------------------
    def returns_owned(self, name: str) -> bool:
        contract = self.get(name)
        return contract is not None and contract.returns == "owned"

    def returns_borrowed(self, name: str) -> bool:
        """The result must not be released by the caller (borrowed or static)."""
        contract = self.get(name)
        return contract is not None and contract.must_not_free_result

    def returns_static(self, name: str) -> bool:
        contract = self.get(name)
        return contract is not None and contract.returns == "static"

    def borrowed_from(self, name: str) -> int | None:
        contract = self.get(name)
        return contract.borrows_from if contract is not None and contract.returns == "borrowed" else None

    def deallocator_of(self, name: str) -> str | None:
        contract = self.get(name)
        return contract.deallocator if contract is not None and contract.returns == "owned" else None

    def frees_arg(self, name: str, index: int) -> bool:
        contract = self.get(name)
        return contract is not None and index in contract.frees_args

    def frees_members_of(self, name: str, index: int) -> bool:
        """The call releases what argument ``index`` points to (``free(p->key)``), not the argument."""
        contract = self.get(name)
        return contract is not None and index in contract.frees_members

    def retains_arg(self, name: str, index: int) -> bool:
        contract = self.get(name)
        return contract is not None and index in contract.retains_args

    def owned_out_arg(self, name: str, index: int) -> bool:
        contract = self.get(name)
        return contract is not None and index in contract.owned_out_args

    def reads_string(self, name: str, index: int) -> bool:
        """The call reads argument ``index`` as a NUL-terminated C string."""
        contract = self.get(name)
        return contract is not None and index in contract.string_args

    def is_deallocator(self, name: str) -> bool:
        contract = self.get(name)
        target = contract.function if contract is not None else name
        return target in self._deallocators or name in self._deallocators
