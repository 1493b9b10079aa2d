"""Helpers for the contracts tests: contracts of a C fixture file, compact fact tuples."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analysistest import FIXTURES

from cgoguard.cfront.build import CSourceInput, build_c_model
from cgoguard.contracts import Contract, ContractSet, infer_contracts

C_FIXTURES = FIXTURES / "contracts" / "c"


def contracts_of(name: str, config: Mapping[str, Any] | None = None) -> ContractSet:
    path = C_FIXTURES / name
    return contracts_of_text(path.read_bytes(), path.name, config, directory=path.parent)


def contracts_of_text(source: bytes, name: str = "input.h", config: Mapping[str, Any] | None = None,
                      directory: Path = C_FIXTURES, *, preamble: bool = False) -> ContractSet:
    """Contracts of one C text: a C file compiled with the package, or (``preamble``) a Go file's preamble."""
    model = build_c_model([CSourceInput(name, source, directory, is_preamble=preamble)], [])
    return infer_contracts(model, config)


def summary(contract: Contract | None) -> tuple[Any, ...]:
    """(returns, deallocator, frees, retains, borrows_from) of a contract, for table-driven tests."""
    assert contract is not None
    return (contract.returns, contract.deallocator, sorted(contract.frees_args), sorted(contract.retains_args),
            contract.borrows_from)
