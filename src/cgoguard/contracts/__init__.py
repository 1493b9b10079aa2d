"""Ownership contracts of the C API a cgo package uses.

``contracts_for_package(package, config)`` answers, for every C function the package can
call: does the caller own the result (and release it with what), is it borrowed from an
argument or static, which arguments does the call free or keep. Facts come from the
user's configuration, GCC/Clang attributes, C bodies, the built-in packs, doc comments and
naming conventions, in that order of precedence, each with its evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cgoguard.contracts.infer import infer_contracts
from cgoguard.contracts.model import EVIDENCE_KINDS, RETURN_KINDS, Contract, ContractSet, Evidence

if TYPE_CHECKING:
    from cgoguard.gofront.package import Package

__all__ = ["EVIDENCE_KINDS", "RETURN_KINDS", "Contract", "ContractSet", "Evidence", "contracts_for_package",
           "infer_contracts"]


def contracts_for_package(package: Package, config: Mapping[str, Any] | None = None) -> ContractSet:
    """Contracts of every C function ``package`` can call.

    ``config`` is the ``[tool.cgoguard.contracts]`` table (function name -> spec); its
    entries override everything inferred.
    """
    return infer_contracts(package.c, config)
