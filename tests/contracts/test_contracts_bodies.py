"""Facts inferred from C bodies (tests/fixtures/contracts/c/bodies.c)."""

from __future__ import annotations

import pytest
from contracts_support import contracts_of, summary

from cgoguard.findings import Confidence

EXPECTED = {
    # function: (returns, deallocator, frees, retains, borrows_from)
    "owned_direct": ("owned", "free", [], [], None),
    "owned_local": ("owned", "free", [], [], None),
    "owned_grow": ("owned", "free", [0], [], None),
    "owned_via_helper": ("owned", "free", [], [], None),
    "owned_strdup": ("owned", "free", [], [], None),
    "node_new": ("owned", "node_destroy", [], [], None),
    "node_destroy": ("unknown", None, [0], [], None),
    "static_literal": ("static", None, [], [], None),
    "static_global": ("static", None, [], [], None),
    "static_buffer": ("static", None, [], [], None),
    "borrow_member": ("borrowed", None, [], [], 0),
    "borrow_field_address": ("borrowed", None, [], [], 0),
    "borrow_next": ("borrowed", None, [], [], 0),
    "borrow_arg": ("borrowed", None, [], [], 0),
    "frees_direct": ("unknown", None, [0], [], None),
    "frees_wrapped": ("unknown", None, [0], [], None),
    "frees_second": ("unknown", None, [1], [], None),
    "retains_global": ("unknown", None, [], [0], None),
    "retains_static_local": ("unknown", None, [], [0], None),
    "retains_registry": ("unknown", None, [], [0], None),
    "retains_via_alias": ("unknown", None, [], [0], None),
    "retains_helper": ("unknown", None, [], [0], None),
    "retains_into_arg": ("unknown", None, [], [1], None),
    "node_wrap": ("owned", "node_destroy", [], [0], None),
    "retains_relative_wrapper": ("unknown", None, [], [], None),
    "fills_local": ("unknown", None, [], [], None),
    "borrow_via_callee": ("borrowed", None, [], [], 0),
    "borrow_from_local": ("unknown", None, [], [], None),
    "temp_use": ("unknown", None, [], [], None),
    "free_headers": ("unknown", None, [], [], None),
    "backend_free": ("unknown", None, [0], [], None),
    "pure": ("unknown", None, [], [], None),
    "reads_only": ("unknown", None, [], [], None),
    "unknown_result": ("unknown", None, [], [], None),
}


@pytest.fixture(scope="module")
def contracts():
    return contracts_of("bodies.c")


@pytest.mark.parametrize("function", sorted(EXPECTED))
def test_body_fact(contracts, function: str) -> None:
    assert summary(contracts.get(function)) == EXPECTED[function]


def test_owned_out_parameters_directly_and_through_a_wrapper(contracts) -> None:
    assert contracts.get("out_direct").owned_out_args == {0: "free"}
    assert contracts.get("out_wrapped").owned_out_args == {0: "free"}


def test_body_evidence_names_the_line_and_statement(contracts) -> None:
    evidence = contracts.get("owned_local").evidence
    assert [(e.kind, e.location, e.text) for e in evidence] == [("body", "bodies.c:19", "return copy;")]


def test_store_into_another_arguments_structure_is_less_certain(contracts) -> None:
    assert contracts.get("retains_global").confidence is Confidence.HIGH
    assert contracts.get("retains_into_arg").confidence is Confidence.MEDIUM
    assert "a structure another argument points to" in contracts.get("retains_into_arg").evidence[0].fact


def test_fixpoint_follows_chains_of_wrappers() -> None:
    from contracts_support import contracts_of_text

    source = b"""
    #include <stdlib.h>
    void level3(void *p) { free(p); }
    void level2(void *p) { level3(p); }
    void level1(void *p) { level2(p); }
    char *make3(void) { return malloc(1); }
    char *make2(void) { return make3(); }
    char *make1(void) { char *r = make2(); return r; }
    int recurse(void *p) { return recurse(p); }
    """
    contracts = contracts_of_text(source, "chain.c")
    assert contracts.frees_arg("level1", 0)
    assert contracts.returns_owned("make1") and contracts.deallocator_of("make1") == "free"
    assert not contracts.get("recurse").is_known


def test_agreeing_sources_corroborate_confidence() -> None:
    from contracts_support import contracts_of_text

    source = b"void *my_new(void);\nvoid my_release(void *p);\nunsigned long ZSTD_freeCCtx(void *cctx) { my_release(cctx); return 0; }\n"
    contract = contracts_of_text(source, "z.c").get("ZSTD_freeCCtx")
    assert contract.frees_args == {0}
    assert [e.kind for e in contract.evidence] == ["body", "pack"], "the body wins, the pack agrees"
    assert contract.confidence is Confidence.HIGH, "a guess-derived body fact is lifted by the curated pack"
