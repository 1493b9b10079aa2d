"""Conflicting sources resolve by precedence (config > attribute > pack > body > comment >
go-usage > naming), and the losing evidence stays visible, marked overridden with a note."""

from __future__ import annotations

import pytest
from contracts_support import contracts_of, contracts_of_text, summary

from cgoguard.contracts import EVIDENCE_KINDS
from cgoguard.errors import UsageError

CONFIG = {"config_beats_all": {"returns": "static", "ref": "team wiki: config_beats_all"}}


@pytest.fixture(scope="module")
def contracts():
    return contracts_of("conflicts.h", CONFIG)


def test_precedence_order_is_documented() -> None:
    assert EVIDENCE_KINDS == ("config", "attribute", "pack", "body", "comment", "go-usage", "naming")


@pytest.mark.parametrize(("function", "expected", "winner", "loser"), [
    ("attribute_beats_comment", ("owned", "conflict_free", [], [], None), "attribute", "comment"),
    ("body_beats_comment", ("static", None, [], [], None), "body", "comment"),
    ("conflict_new", ("static", None, [], [], None), "body", "naming"),
    ("config_beats_all", ("static", None, [], [], None), "config", "comment"),
    ("strdup", ("owned", "free", [], [], None), "pack", "comment"),
])
def test_conflict_resolution(contracts, function: str, expected: tuple, winner: str, loser: str) -> None:
    contract = contracts.get(function)
    assert summary(contract) == expected
    kept = {(e.kind, e.overridden) for e in contract.evidence}
    assert (winner, False) in kept
    assert (loser, True) in kept, "the losing evidence is kept, marked overridden"


def test_config_lists_are_complete() -> None:
    """A user's `frees = []` says the call frees nothing, whatever the body suggests."""
    source = b"#include <stdlib.h>\nvoid consume(void *p, void *q) { free(p); free(q); }\n"
    contracts = contracts_of_text(source, "c.c", {"consume": {"frees": ["q"]}})
    assert sorted(contracts.get("consume").frees_args) == [1]


@pytest.mark.parametrize(("spec", "expected"), [
    ({"returns": "owned", "free": "sqlite3_free"}, ("owned", "sqlite3_free", [], [], None)),
    ({"free": "my_free"}, ("owned", "my_free", [], [], None)),
    ({"borrows": "stmt"}, ("borrowed", None, [], [], 0)),
    ({"retains": [1]}, ("unknown", None, [], [1], None)),
    ({"frees": 0}, ("unknown", None, [0], [], None)),
])
def test_user_contract_forms(spec: dict, expected: tuple) -> None:
    contracts = contracts_of_text(b"char *api(void *stmt, void *data);\n", "api.h", {"api": spec})
    assert summary(contracts.get("api")) == expected


def test_user_contract_out_argument() -> None:
    contracts = contracts_of_text(b"int open_it(const char *n, void **out);\n", "api.h",
                                  {"open_it": {"out": {"out": "close_it"}}})
    assert contracts.get("open_it").owned_out_args == {1: "close_it"}


def test_user_contract_for_an_undeclared_function() -> None:
    contracts = contracts_of_text(b"", "empty.h", {"lib_get": {"returns": "static"}})
    assert contracts.returns_static("lib_get")


@pytest.mark.parametrize(("spec", "message"), [
    ({"returns": "mine"}, "returns must be one of owned, borrowed, static, unknown"),
    ({"retruns": "owned"}, "unknown key(s) retruns"),
    ({"frees": ["nope"]}, "neither an argument index nor a parameter name (parameters: stmt, data)"),
    ({"free": 3}, "free must be a function name"),
    ({"out": {"0": 5}}, "out.0 must be a deallocator name"),
    ("owned", "expected a table"),
])
def test_user_contract_errors_are_clear(spec: object, message: str) -> None:
    with pytest.raises(UsageError, match="api") as raised:
        contracts_of_text(b"char *api(void *stmt, void *data);\n", "api.h", {"api": spec})
    assert message in str(raised.value)


def test_a_name_guessing_the_freed_argument_yields_to_any_stronger_source() -> None:
    contracts = contracts_of_text(b"void rd_kafka_mem_free(void *rk, void *ptr);\n"
                                  b"typedef struct obj obj;\nobj *obj_new(void);\nvoid obj_free(obj *o);\n")
    assert sorted(contracts.get("rd_kafka_mem_free").frees_args) == [1], "the pack names ptr"
    assert sorted(contracts.get("obj_free").frees_args) == [0], "the naming pair is all there is"


def test_config_can_withdraw_a_wrong_inference() -> None:
    source = b"#include <stdlib.h>\nchar *pooled(void) { return malloc(8); }\n"
    contracts = contracts_of_text(source, "p.c", {"pooled": {"returns": "unknown", "ref": "pool owns it"}})
    assert summary(contracts.get("pooled")) == ("unknown", None, [], [], None)
    assert [(e.kind, e.overridden) for e in contracts.get("pooled").evidence] == [("config", False), ("body", True)]


def test_the_documented_release_beats_the_one_a_body_inherits() -> None:
    source = (b"typedef struct ZSTD_CCtx_s ZSTD_CCtx;\ntypedef ZSTD_CCtx ZSTD_CStream;\nZSTD_CCtx *ZSTD_createCCtx(void);\n"
              b"ZSTD_CStream *ZSTD_createCStream(void) { return ZSTD_createCCtx(); }\n")
    contract = contracts_of_text(source, "z.c").get("ZSTD_createCStream")
    assert (contract.returns, contract.deallocator) == ("owned", "ZSTD_freeCStream")
    assert [(e.kind, e.overridden) for e in contract.evidence] == [("pack", False), ("body", True)]


def test_a_curated_pack_beats_a_body() -> None:
    """The vendored SQLite amalgamation's body of sqlite3_column_name returns static storage on
    one path; the documentation says the name belongs to the statement."""
    source = (b"typedef struct sqlite3_stmt sqlite3_stmt;\n"
              b"const char *sqlite3_column_name(sqlite3_stmt *s, int i) { if (!s) return \"\"; return 0; }\n")
    contract = contracts_of_text(source, "sqlite3.c").get("sqlite3_column_name")
    assert (contract.returns, contract.borrows_from) == ("borrowed", 0)
    lost = next(e for e in contract.evidence if e.kind == "body")
    assert lost.overridden and lost.note == "pack evidence says otherwise"


def test_a_pack_entry_lists_every_release_of_its_function() -> None:
    """A body suggesting a pack-documented function frees an argument the pack does not list
    loses, and stays visible as a note; a function without a pack entry keeps its body facts."""
    source = (b"#include <stdlib.h>\ntypedef struct sqlite3_stmt sqlite3_stmt;\n"
              b"int sqlite3_finalize(sqlite3_stmt *s) { free(s); return 0; }\n"
              b"const unsigned char *sqlite3_column_text(sqlite3_stmt *s, int i) { free(s); return 0; }\n"
              b"int my_stmt_drop(sqlite3_stmt *s) { free(s); return 0; }\n")
    contracts = contracts_of_text(source, "sqlite3.c")
    assert contracts.frees_arg("sqlite3_finalize", 0), "listed by the pack, and the body agrees"
    column = contracts.get("sqlite3_column_text")
    assert not column.frees_args
    note = next(e for e in column.evidence if e.kind == "body")
    assert note.overridden and "does not list this argument as freed" in note.note
    assert contracts.frees_arg("my_stmt_drop", 0), "no pack entry: the body stands"
