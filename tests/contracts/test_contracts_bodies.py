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
    evidence = [e for e in contracts.get("owned_local").evidence if "NUL-terminated" not in e.fact]
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
    contracts = contracts_of_text(source, "chain.go", preamble=True)
    assert contracts.frees_arg("level1", 0)
    assert contracts.returns_owned("make1") and contracts.deallocator_of("make1") == "free"
    assert not contracts.get("recurse").is_known


def test_a_deep_release_in_vendored_c_needs_corroboration() -> None:
    """In C compiled with the package, a release carried through two internal helpers is a note
    (evidence kept, overridden), unless a release-named function or documentation backs it."""
    from contracts_support import contracts_of_text

    source = b"""
    #include <stdlib.h>
    void level3(void *p) { free(p); }
    void level2(void *p) { level3(p); }
    void level1(void *p) { level2(p); }
    void widget_free(void *p) { level2(p); }
    void api_set(void *p) { level1(p); }
    """
    contracts = contracts_of_text(source, "vendored.c")
    assert contracts.frees_arg("level2", 0), "one internal helper deep: claimed"
    assert contracts.get("level2").depth_of("frees", 0) == 2
    level1 = contracts.get("level1")
    assert not level1.frees_args and level1.doubtful_frees == {0}
    assert [(e.kind, e.overridden, e.depth) for e in level1.evidence] == [("body", True, 3)]
    assert "not claimed: carried through 3 bodies of vendored C" in level1.evidence[0].note
    assert contracts.frees_arg("widget_free", 0), "a release-named function corroborates its body"
    api_set = contracts.get("api_set")
    assert not api_set.frees_args and api_set.doubtful_frees == {0}, "the note travels up, still a note"
    assert "which a deep chain suggests frees it" in api_set.evidence[0].fact
    configured = contracts_of_text(source, "vendored.c", {"level1": {"frees": [0]}})
    assert configured.frees_arg("level1", 0) and configured.frees_arg("api_set", 0)


def test_agreeing_sources_corroborate_confidence() -> None:
    from contracts_support import contracts_of_text

    source = b"void *my_new(void);\nvoid my_release(void *p);\nunsigned long ZSTD_freeCCtx(void *cctx) { my_release(cctx); return 0; }\n"
    contract = contracts_of_text(source, "z.c").get("ZSTD_freeCCtx")
    assert contract.frees_args == {0}
    assert [e.kind for e in contract.evidence] == ["pack", "body"], "the pack wins, the body agrees"
    assert contract.confidence is Confidence.HIGH, "a guess-derived body fact is lifted by the curated pack"


HANDOFF = {
    # (frees_args, frees_members, retains_args, returns)
    "bind_owned": ([1], [], [], "unknown"),
    "bind_address_of_free": ([1], [], [], "unknown"),
    "bind_with_own_free": ([1], [], [], "unknown"),
    "bind_copy": ([], [], [], "unknown"),
    "bind_transient": ([], [], [], "unknown"),
    "bind_twice_removed": ([1], [], [], "unknown"),
    "kv_clear": ([], [0], [], "unknown"),
    "kv_clear_one": ([], [0], [], "unknown"),
    "strings_free": ([], [0], [], "unknown"),
    "kv_free": ([0], [0], [], "unknown"),
    "string_at": ([], [], [], "unknown"),  # the caller's element, not borrowed from the array
    "acl_by_idx": ([], [], [], "borrowed"),  # an element of a read-only (const) array
    "window_hide": ([], [], [], "unknown"),
    "backend2_shutdown": ([0], [], [], "unknown"),
    "lxc2_destroy": ([], [], [], "unknown"),
    "container_snapshot_destroy": ([], [], [], "unknown"),
    "win_close_request": ([], [], [], "unknown"),
    "win_destroy_context": ([], [], [], "unknown"),
    "wl_surface_destroy": ([0], [], [], "unknown"),
    "load_image": ([1], [], [], "unknown"),
    "workspace_free": ([], [], [], "unknown"),  # the member is cleared: the struct stays consistent
    "workspace_drop": ([], [0], [], "unknown"),  # left dangling
    "workspace_wipe": ([], [], [], "unknown"),
    "zbuf_grow": ([], [], [], "unknown"),
    "thing_release": ([0], [], [], "unknown"),  # MY_FREE(p) forwards to free
    "not_forwarded": ([], [], [], "unknown"),
}


def test_hand_offs_and_member_frees() -> None:
    from contracts_support import contracts_of

    contracts = contracts_of("handoff.c")
    actual = {name: (sorted(c.frees_args), sorted(c.frees_members), sorted(c.retains_args), c.returns)
              for name in HANDOFF if (c := contracts.get(name)) is not None}
    assert actual == HANDOFF
    bind = contracts.get("bind_owned")
    assert [e.fact for e in bind.evidence] == [
        "takes ownership of arg 1 (passes it to sqlite3_bind_text with free as its destructor)"]
    assert bind.evidence[0].text == "sqlite3_bind_text(stmt, 1, text, n, free)"
    assert contracts.frees_members_of("kv_clear", 0) and not contracts.frees_arg("kv_clear", 0)
    assert contracts.get("kv_clear").to_dict()["frees_members"] == [0]


def test_iterating_a_contract_set_yields_the_packages_functions_and_the_packs() -> None:
    from contracts_support import contracts_of

    contracts = contracts_of("handoff.c")
    names = {c.function for c in contracts}
    assert {"kv_clear", "bind_owned", "free", "sqlite3_free"} <= names
    assert [name for name, _ in contracts.items()] == contracts.names()
    assert "kv_clear" in contracts.names()


def test_a_copy_flag_documents_that_the_call_does_not_free() -> None:
    """SQLite's shape: a setter frees its string only when handed a real destructor; called with
    SQLITE_TRANSIENT it copies. The public function must not read as freeing its argument."""
    from contracts_support import contracts_of_text

    source = b"""
    #include <stdlib.h>
    #define SQLITE_TRANSIENT ((void (*)(void *))-1)
    typedef struct Mem { char *z; } Mem;
    void mem_set_str(Mem *m, const char *z, void (*xDel)(void *)) { if (xDel) free((void *)z); }
    void result_error(Mem *m, const char *z) { mem_set_str(m, z, SQLITE_TRANSIENT); }
    void result_owned(Mem *m, const char *z) { mem_set_str(m, z, free); }
    """
    contracts = contracts_of_text(source, "amalgamation.c")
    assert contracts.frees_arg("mem_set_str", 1)
    error = contracts.get("result_error")
    assert not error.frees_args
    assert [(e.fact.split(":")[0], e.overridden) for e in error.evidence
            if "arg 1" in e.fact and not e.fact.startswith("reads arg")] == [
        ("does not free arg 1", False)]
    assert contracts.frees_arg("result_owned", 1), "a real destructor still hands the string over"
