"""The built-in packs: well-formed data with a documentation reference for every fact."""

from __future__ import annotations

import pytest
from contracts_support import contracts_of_text, summary

from cgoguard.contracts.packs import load_packs, pack_facts
from cgoguard.contracts.spec import SPEC_KEYS

PACKS = {pack.name: pack for pack in load_packs()}


def test_libc_and_at_least_three_libraries_ship() -> None:
    assert {"cgo", "libc"} <= set(PACKS)
    assert len(set(PACKS) - {"cgo", "libc"}) >= 3


@pytest.mark.parametrize("pack", sorted(PACKS))
def test_every_entry_is_valid_and_referenced(pack: str) -> None:
    for name, spec in PACKS[pack].functions.items():
        assert set(spec) <= SPEC_KEYS, name
        assert str(spec.get("ref", "")).startswith("https://"), f"{pack}: {name} lacks a documentation reference"
        assert set(spec) - {"ref", "note"}, f"{pack}: {name} states no fact"
    assert pack_facts()  # every spec parses


def test_no_function_is_in_two_packs() -> None:
    seen: dict[str, str] = {}
    for pack in load_packs():
        for name in pack.functions:
            assert name not in seen, f"{name} is in {seen.get(name)} and {pack.name}"
            seen[name] = pack.name


def test_every_named_deallocator_frees_its_argument() -> None:
    contracts = contracts_of_text(b"")
    for contract in contracts:
        for dealloc in [contract.deallocator, *contract.owned_out_args.values()]:
            if dealloc:
                assert contracts.is_deallocator(dealloc), f"{contract.function}: {dealloc}"
                assert contracts.get(dealloc) is not None and contracts.get(dealloc).frees_args, dealloc


@pytest.mark.parametrize(("function", "expected"), [
    ("CString", ("owned", "free", [], [], None)),
    ("strdup", ("owned", "free", [], [], None)),
    ("getenv", ("static", None, [], [], None)),
    ("strerror", ("static", None, [], [], None)),
    ("fopen", ("owned", "fclose", [], [], None)),
    ("opendir", ("owned", "closedir", [], [], None)),
    ("putenv", ("unknown", None, [], [0], None)),
    ("sqlite3_expanded_sql", ("owned", "sqlite3_free", [], [], None)),
    ("sqlite3_column_text", ("borrowed", None, [], [], 0)),
    ("git_tree_entry_byname", ("borrowed", None, [], [], 0)),
    ("ZSTD_createCCtx", ("owned", "ZSTD_freeCCtx", [], [], None)),
    ("rd_kafka_new", ("owned", "rd_kafka_destroy", [1], [], None)),
    ("ring_buffer__new", ("owned", "ring_buffer__free", [], [2], None)),
])
def test_pack_contracts(function: str, expected: tuple) -> None:
    contracts = contracts_of_text(b"")
    assert summary(contracts.get(function)) == expected
    assert contracts.get(function).evidence[0].kind == "pack"


@pytest.mark.parametrize(("function", "out"), [
    ("getaddrinfo", {3: "freeaddrinfo"}), ("getline", {0: "free"}), ("asprintf", {0: "free"}),
    ("sqlite3_open_v2", {1: "sqlite3_close"}), ("git_repository_open", {0: "git_repository_free"}),
])
def test_pack_out_arguments(function: str, out: dict) -> None:
    assert contracts_of_text(b"").get(function).owned_out_args == out


def test_macro_alias_resolves_to_the_pack_contract() -> None:
    contracts = contracts_of_text(b"#define my_dup strdup\n")
    assert contracts.returns_owned("my_dup") and contracts.deallocator_of("my_dup") == "free"
