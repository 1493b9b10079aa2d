"""Built-in contract packs: curated contracts of libc and C libraries cgo users call.

Each pack is a TOML data file in ``cgoguard/contracts/packs/``; every function entry
carries ``ref``, the documentation its facts come from.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from cgoguard.contracts.model import Fact
from cgoguard.contracts.spec import spec_facts
from cgoguard.errors import CgoguardError


@dataclass(frozen=True)
class Pack:
    name: str
    library: str
    reference: str
    functions: dict[str, dict[str, Any]]


@cache
def load_packs() -> tuple[Pack, ...]:
    packs: list[Pack] = []
    for entry in sorted(resources.files("cgoguard.contracts").joinpath("packs").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        try:
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise CgoguardError(f"built-in contract pack {entry.name} is invalid: {exc}") from exc
        meta = data.get("pack", {})
        packs.append(Pack(meta.get("name", entry.name.removesuffix(".toml")), meta.get("library", ""),
                          meta.get("reference", ""), data.get("functions", {})))
    return tuple(packs)


@cache
def pack_facts() -> dict[str, tuple[Fact, ...]]:
    """Facts of every function in every pack, by function name."""
    facts: dict[str, list[Fact]] = {}
    for pack in load_packs():
        for function, spec in pack.functions.items():
            facts.setdefault(function, []).extend(
                spec_facts(function, spec, kind="pack", origin=f"pack {pack.name}"))
    return {name: tuple(items) for name, items in facts.items()}
