"""Bad C input never breaks inference: binary, non-UTF-8, truncated, recursive, odd shapes."""

from __future__ import annotations

from contracts_support import contracts_of_text, summary
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

C_FRAGMENTS = [
    "char *f(void *p)", "{", "}", "return", "malloc(4);", "free(p);", "p", "=", "g", ";", "static", "*",
    "/* must be freed with f_free() */", "// owned by p\n", "__attribute__((malloc(f_free, 1)))", "(", ")",
    "void f_free(void *q);", "#define A __attribute__((malloc))\n", "A", "struct s { char *x; };", "->x",
    "&", "[0]", "\"lit\"", "?", ":", ",", "\n", "\xff", "realloc(p, 2)", "*out = strdup(p);", "char **out",
]


def test_binary_and_invalid_utf8_input() -> None:
    contracts = contracts_of_text(bytes(range(256)) * 8, "garbage.h")
    assert contracts.returns_owned("strdup"), "the packs still answer"
    contracts = contracts_of_text(b"/* Caller owns the r\xe9sultat \xff. Caller owns it. */\nchar *f(void);\n")
    assert contracts.returns_owned("f")


def test_truncated_function_and_unbalanced_comment() -> None:
    contracts = contracts_of_text(b"#include <stdlib.h>\nchar *f(int n) { return malloc(n);\n/* unterminated")
    assert contracts.returns_owned("malloc")


def test_recursive_and_mutually_recursive_bodies_terminate() -> None:
    source = b"""
    #include <stdlib.h>
    char *a(char *p);
    char *b(char *p) { return p ? a(p + 1) : malloc(1); }
    char *a(char *p) { return b(p); }
    void loop(void *p) { loop(p); free(p); }
    char *self_alias(char *p) { char *q = q; return q; }
    """
    contracts = contracts_of_text(source, "rec.c")
    assert contracts.returns_owned("a") and contracts.returns_owned("b")
    assert contracts.frees_arg("loop", 0)
    assert summary(contracts.get("self_alias"))[0] == "unknown"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(C_FRAGMENTS), max_size=40))
def test_any_token_soup_infers_without_error(fragments: list[str]) -> None:
    contracts = contracts_of_text(" ".join(fragments).encode("utf-8", "surrogateescape"), "soup.c")
    for contract in contracts:
        assert contract.returns in ("owned", "borrowed", "static", "unknown")
        assert all(i >= 0 for i in contract.frees_args | contract.retains_args)


def test_bodies_with_many_reassignments_stay_linear() -> None:
    """Thousands of reassignments in cycles (a = b; b = a) once took exponential time."""
    lines = ["void g(char *a, char *b);", "char *big(char *p, char *q) {", "  char *a = p, *b = q, *c = 0;"]
    lines += [f"  if (p[{i}]) {{ a = b; b = c ? c : a; c = a + 1; q = a; }} g(a, b);" for i in range(1500)]
    lines += ["  return b;", "}"]
    contract = contracts_of_text("\n".join(lines).encode(), "big.c").get("big")
    assert (contract.returns, contract.borrows_from) == ("borrowed", None), "from p or q: no single owner"
