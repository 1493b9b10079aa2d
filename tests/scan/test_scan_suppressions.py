"""``//cgoguard:ignore`` comments: placement, rule keys, required reasons, unused ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scanhelpers import RunCli, write_tree

pytestmark = pytest.mark.usefixtures("test_rules")


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

HEADER = 'package p\n\n// #include <stdlib.h>\nimport "C"\n\n'


def scan_findings(tmp_path: Path, body: str, cli: RunCli, *args: str) -> list[tuple[int, str, str]]:
    write_tree(tmp_path, {"p/p.go": HEADER + body})
    status, out, err = cli("scan", str(tmp_path / "p"), "--no-cache", "--format", "json", *args)
    assert status in (0, 1), err
    return [(f["line"], f["rule"], f["severity"]) for f in json.loads(out)["findings"]]


def test_trailing_comment_suppresses_its_line(tmp_path: Path, cli: RunCli) -> None:
    body = "func F() {\n\t_ = C.CString(\"a\") //cgoguard:ignore CG990 -- handed to C, which frees it\n" \
           "\t_ = C.CString(\"b\")\n}\n"
    assert scan_findings(tmp_path, body, cli) == [(8, "CG990", "warning")]


def test_comment_above_suppresses_the_next_line_only(tmp_path: Path, cli: RunCli) -> None:
    body = "func F() {\n\t//cgoguard:ignore CG990 -- reviewed\n\t_ = C.CString(\"a\")\n\t_ = C.CString(\"b\")\n}\n"
    assert scan_findings(tmp_path, body, cli) == [(9, "CG990", "warning")]


def test_stacked_comments_and_names_and_comma_lists(tmp_path: Path, cli: RunCli) -> None:
    body = ("func F() {\n"
            "\t//cgoguard:ignore test-cstring -- by rule name\n"
            "\t// an ordinary comment in between\n"
            "\t//cgoguard:ignore CG991 -- another rule on the same statement\n"
            "\t_, _ = C.CString(\"a\"), C.malloc(1)\n"
            "\t_, _ = C.CString(\"b\"), C.malloc(1) //cgoguard:ignore CG990,CG991 -- both\n"
            "}\n")
    assert scan_findings(tmp_path, body, cli) == []


def test_category_key_suppresses_its_rules(tmp_path: Path, cli: RunCli) -> None:
    body = "func F() {\n\t_, _ = C.CString(\"a\"), C.malloc(1) // cgoguard:ignore c-leak -- both rules\n}\n"
    assert scan_findings(tmp_path, body, cli) == []


def test_suppression_without_reason_is_reported_and_suppresses_nothing(tmp_path: Path, cli: RunCli) -> None:
    body = "func F() {\n\t_ = C.CString(\"a\") //cgoguard:ignore CG990\n}\n"
    assert scan_findings(tmp_path, body, cli) == [(7, "CG990", "warning"), (7, "CG902", "warning")]


def test_unknown_rule_is_reported(tmp_path: Path, cli: RunCli) -> None:
    body = "func F() {\n\t_ = C.CString(\"a\") //cgoguard:ignore CG99O -- typo\n}\n"
    write_tree(tmp_path, {"p/p.go": HEADER + body})
    _, out, _ = cli("scan", str(tmp_path / "p"), "--no-cache", "--format", "json")
    messages = [f["message"] for f in json.loads(out)["findings"] if f["rule"] == "CG902"]
    assert messages == ["suppression names unknown rule CG99O, so it suppresses nothing: "
                        "write `//cgoguard:ignore RULE -- reason`"]


def test_unused_suppression_is_info_and_does_not_fail(tmp_path: Path, cli: RunCli) -> None:
    body = "func F() {\n\t//cgoguard:ignore CG991 -- nothing allocated here any more\n\t_ = 1\n}\n"
    write_tree(tmp_path, {"p/p.go": HEADER + body})
    status, out, _ = cli("scan", str(tmp_path / "p"), "--no-cache")
    assert status == 0
    assert out == "p/p.go:7:2: info: CG901 [suppression] unused suppression: no CG991 finding on line 8\n"
    status, _, _ = cli("scan", str(tmp_path / "p"), "--no-cache", "--fail-on", "info")
    assert status == 1


def test_unused_suppression_of_a_deselected_rule_is_not_reported(tmp_path: Path, cli: RunCli) -> None:
    body = "func F() {\n\t//cgoguard:ignore CG991 -- turned off in this project\n\t_ = 1\n}\n"
    assert scan_findings(tmp_path, body, cli, "--ignore", "CG991") == []


def test_directive_inside_a_string_is_not_a_suppression(tmp_path: Path, cli: RunCli) -> None:
    body = 'func F() {\n\t_ = C.CString("//cgoguard:ignore CG990 -- not a comment")\n}\n'
    assert scan_findings(tmp_path, body, cli) == [(7, "CG990", "warning")]


def test_suppressed_count_in_summary(tmp_path: Path, cli: RunCli) -> None:
    write_tree(tmp_path, {"p/p.go": HEADER + "func F() {\n\t_ = C.CString(\"a\") //cgoguard:ignore CG990 -- ok\n}\n"})
    status, out, err = cli("scan", str(tmp_path / "p"), "--no-cache")
    assert (status, out) == (0, "")
    assert "1 suppressed" in err


# golangci-lint's //nolint, the file-level form, and per-file-ignores.

def test_nolint_cgoguard_covers_its_line_with_or_without_a_reason(tmp_path: Path, cli: RunCli) -> None:
    body = ("func F() {\n"
            "\t_ = C.CString(\"a\") //nolint:cgoguard\n"
            "\t_ = C.CString(\"b\") //nolint:errcheck,cgoguard // C owns it now\n"
            "\t_ = C.CString(\"c\") // nolint:cgoguard // the spaced form golangci-lint accepts\n"
            "\t_ = C.CString(\"d\") //nolint:errcheck // another linter only\n"
            "}\n")
    assert scan_findings(tmp_path, body, cli) == [(10, "CG990", "warning")]


def test_nolint_on_its_own_line_covers_the_statement_or_declaration_below(tmp_path: Path, cli: RunCli) -> None:
    body = ("//nolint:cgoguard // legacy wrapper, rewritten in #12\n"
            "// F allocates.\n"
            "func F() {\n\t_ = C.CString(\"a\")\n\t_ = C.malloc(1)\n}\n\n"
            "func G() {\n"
            "\t//nolint:cgoguard\n"
            "\tif true {\n\t\t_ = C.CString(\"b\")\n\t}\n"
            "\t_ = C.CString(\"c\")\n"
            "}\n")
    assert scan_findings(tmp_path, body, cli) == [(18, "CG990", "warning")]


def test_nolint_above_the_package_clause_covers_the_file(tmp_path: Path, cli: RunCli) -> None:
    write_tree(tmp_path, {"p/p.go": "//nolint:cgoguard // generated bindings\n" + HEADER
                          + "func F() {\n\t_ = C.CString(\"a\")\n}\n"})
    status, out, _ = cli("scan", str(tmp_path / "p"), "--no-cache", "--format", "json")
    assert status == 0 and json.loads(out)["findings"] == []


def test_unused_nolint_is_reported_but_a_bare_one_is_not(tmp_path: Path, cli: RunCli) -> None:
    body = "func F() {\n\t_ = 1 //nolint:cgoguard\n\t_ = 2 //nolint\n\t_ = 3 //nolint:all\n}\n"
    write_tree(tmp_path, {"p/p.go": HEADER + body})
    _, out, _ = cli("scan", str(tmp_path / "p"), "--no-cache", "--format", "json")
    unused = [(f["line"], f["message"]) for f in json.loads(out)["findings"]]
    assert unused == [(7, "unused suppression: no cgoguard finding on line 7")]


def test_bare_nolint_serves_every_linter_including_cgoguard(tmp_path: Path, cli: RunCli) -> None:
    body = "func F() {\n\t_ = C.CString(\"a\") //nolint\n\t_ = C.CString(\"b\") //nolint:all // vendored\n}\n"
    assert scan_findings(tmp_path, body, cli) == []


def test_file_ignore_covers_the_named_rules_in_the_whole_file(tmp_path: Path, cli: RunCli) -> None:
    body = "func F() {\n\t_ = C.CString(\"a\")\n\t_ = C.malloc(1)\n}\n"
    write_tree(tmp_path, {"p/p.go": "//cgoguard:file-ignore CG990 -- strings are handed to C, which frees them\n"
                          + HEADER + body,
                          "p/q.go": HEADER + "func G() {\n\t_ = C.CString(\"b\")\n}\n"})
    _, out, _ = cli("scan", str(tmp_path / "p"), "--no-cache", "--format", "json")
    assert [(f["path"], f["line"], f["rule"]) for f in json.loads(out)["findings"]] == [
        ("p/p.go", 9, "CG991"), ("p/q.go", 7, "CG990")]


def test_file_ignore_needs_a_reason_and_is_reported_when_unused(tmp_path: Path, cli: RunCli) -> None:
    write_tree(tmp_path, {"p/p.go": "//cgoguard:file-ignore CG990\n" + HEADER + "func F() {\n\t_ = C.CString(\"a\")\n}\n",
                          "p/q.go": "//cgoguard:file-ignore CG991 -- no longer mallocs\n" + HEADER + "func G() {}\n"})
    _, out, _ = cli("scan", str(tmp_path / "p"), "--no-cache", "--format", "json")
    found = [(f["path"], f["rule"], f["message"]) for f in json.loads(out)["findings"]]
    assert found == [
        ("p/p.go", "CG902", "suppression gives no reason, so it suppresses nothing: write "
                            "`//cgoguard:file-ignore RULE -- reason`"),
        ("p/p.go", "CG990", "C.CString call"),
        ("p/q.go", "CG901", "unused suppression: no CG991 finding in this file"),
    ]


def test_per_file_ignores_in_configuration(tmp_path: Path, cli: RunCli) -> None:
    leak = "func F() {\n\t_ = C.CString(\"a\")\n\t_ = C.malloc(1)\n}\n"
    write_tree(tmp_path, {
        "pyproject.toml": """
            [tool.cgoguard.per-file-ignores]
            "internal/legacy" = ["ALL"]
            "*_gen.go" = ["test-cstring"]
            "cmd/tool/main.go" = ["CG991"]
            """,
        "internal/legacy/old/p.go": HEADER + leak, "api/bindings_gen.go": HEADER.replace("package p", "package api") + leak,
        "cmd/tool/main.go": HEADER.replace("package p", "package main") + leak,
    })
    _, out, _ = cli("scan", "--no-cache", "--format", "json")
    assert [(f["path"], f["rule"]) for f in json.loads(out)["findings"]] == [
        ("api/bindings_gen.go", "CG991"), ("cmd/tool/main.go", "CG990")]
    _, _, err = cli("scan", "--no-cache")
    assert "4 by per-file-ignores" in err


def test_per_file_ignores_with_an_unknown_rule_is_a_usage_error(tmp_path: Path, cli: RunCli) -> None:
    write_tree(tmp_path, {"cgoguard.toml": '[per-file-ignores]\n"x/*" = ["CG9999"]\n', "p/p.go": HEADER})
    status, _, err = cli("scan", "--no-cache")
    assert status == 2 and "per-file-ignores 'x/*'" in err and "CG9999" in err
