"""Which arguments a C function reads as NUL-terminated strings: packs, declarations, comments, bodies."""

from __future__ import annotations

import pytest
from contracts_support import contracts_of_text

from cgoguard.contracts.infer import pack_contract
from cgoguard.contracts.strings import format_string_reads
from cgoguard.errors import UsageError

SOURCE = b"""
#include <stdio.h>
#include <string.h>
/** Greets someone.
 * @param who  a NUL-terminated name
 * @param out  receives a NUL-terminated copy
 */
void greet(const char *who, char *out);
void log_msg(const char *m) { printf("log: %d %s\\n", 1, m); }
void log_number(const char *m, int n) { printf("log: %s %d\\n", "x", n); (void)m; }
void log_bounded(const char *m, int n) { printf("log: %.*s\\n", n, m); }
size_t measure(const char *p) { return strlen(p); }
size_t outer(const char *q) { return measure(q); }
void open_db(const char *filename);
void set_key(const char *key, size_t key_len);
void send_name(const char *name, size_t len);
void fill(char *s, int n);
void copy_out(const char *src, void *dst, size_t n) { memcpy(dst, src, n); }
"""


@pytest.fixture(scope="module")
def contracts():
    return contracts_of_text(SOURCE)


@pytest.mark.parametrize(("function", "args", "kind"), [
    ("greet", [0], "comment"),  # `out` receives a string: not read
    ("log_msg", [0], "body"),  # the %s of printf's format
    ("log_number", [], None),  # m is never formatted
    ("log_bounded", [], None),  # %.*s is bounded by n
    ("measure", [0], "body"),
    ("outer", [0], "body"),  # through measure's contract
    ("open_db", [0], "naming"),
    ("set_key", [], None),  # a length travels with the key
    ("send_name", [], None),
    ("fill", [], None),  # a non-const `char *s` is an output buffer as often
    ("copy_out", [], None),  # memcpy reads n bytes, not a string
])
def test_string_arguments(contracts, function: str, args: list[int], kind: str | None) -> None:
    contract = contracts.get(function)
    assert sorted(contract.string_args) == args
    if kind is not None:
        assert contract.string_evidence(args[0]).kind == kind


def test_string_facts_do_not_change_ownership_confidence(contracts) -> None:
    assert not contracts.get("measure").is_known
    assert pack_contract("fopen").confidence.value == "high"


@pytest.mark.parametrize(("function", "args", "format_arg"), [
    ("puts", [0], None), ("strcmp", [0, 1], None), ("fopen", [0, 1], None), ("strcpy", [1], None),
    ("printf", [0], 0), ("snprintf", [2], 2), ("memcpy", [], None), ("strncpy", [], None),
    ("sqlite3_exec", [1], None),
])
def test_pack_string_arguments(function: str, args: list[int], format_arg: int | None) -> None:
    contract = pack_contract(function)
    assert (sorted(contract.string_args), contract.format_arg) == (args, format_arg)


@pytest.mark.parametrize(("text", "reads"), [
    ("%s", [True]), ("%d %s", [False, True]), ("%.*s", [False, False]), ("%.5s", [False]),
    ("%*d %s", [False, False, True]), ("100%% %s", [True]), ("%-10s|%ld", [True, False]), ("", []),
])
def test_format_string_reads(text: str, reads: list[bool]) -> None:
    assert format_string_reads(text) == reads


def test_configuration_states_string_arguments_completely() -> None:
    contracts = contracts_of_text(b"void use(const char *name, const char *path);",
                                  config={"use": {"strings": ["path"]}})
    assert sorted(contracts.get("use").string_args) == [1]
    with pytest.raises(UsageError, match="strings entry 'nope'"):
        contracts_of_text(b"void use(const char *name);", config={"use": {"strings": ["nope"]}})
