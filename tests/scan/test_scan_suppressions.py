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
