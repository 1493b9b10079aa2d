"""Package summaries of Go wrappers, computed to a fixpoint by the lifetime analysis."""

from __future__ import annotations

import pytest
from analysistest import FIXTURES

from cgoguard.analysis.lifetime import analyze_package
from cgoguard.analysis.summaries import EMPTY_SUMMARY, RECEIVER, FunctionSummary
from cgoguard.contracts import contracts_for_package
from cgoguard.gofront import discover, load_packages
from cgoguard.gofront.discover import DiscoveryOptions
from cgoguard.gofront.package import Package


def _package(case: str) -> Package:
    found = discover([str(FIXTURES / "lifetime" / case)], DiscoveryOptions())
    return load_packages(found.packages[0])[0]


@pytest.fixture(scope="module")
def summaries() -> dict[str, FunctionSummary]:
    by_name: dict[str, FunctionSummary] = {}
    for case in ("leak", "doublefree"):
        package = _package(case)
        result = analyze_package(package, contracts_for_package(package))
        for info in package.symbols.all_functions():
            by_name[f"{case}.{info.qualified_name}"] = result.summaries.get(info.node.id, EMPTY_SUMMARY)
    return by_name


def test_allocating_wrapper_returns_owned_memory(summaries: dict[str, FunctionSummary]) -> None:
    assert summaries["leak.newBuf"].owned_result(0) == "C.free"
    # NewBuf stores newBuf()'s memory in the struct it returns: the caller owns a Buf, not C memory.
    assert summaries["leak.NewBuf"].owned_result(0) is None


def test_close_frees_the_receiver_field_and_nils_it(summaries: dict[str, FunctionSummary]) -> None:
    close = summaries["leak.Buf.Close"]
    assert (RECEIVER, ".p") in close.frees_fields
    assert (RECEIVER, ".p") in close.nils_fields


def test_free_helpers_and_their_callers(summaries: dict[str, FunctionSummary]) -> None:
    assert summaries["doublefree.freeHelper"].frees == {0}
    assert summaries["doublefree.fromCError"].frees == {0}


def test_storing_a_parameter_is_an_escape(summaries: dict[str, FunctionSummary]) -> None:
    assert 0 in summaries["leak.wrapHandle"].escapes
    assert summaries["leak.inlineCString"] == EMPTY_SUMMARY
