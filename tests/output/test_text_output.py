"""Text output people read: severity, a short headline, detail and related locations under
it, colour only where wanted, per-rule statistics."""

from __future__ import annotations

import io
import json

import pytest

from cgoguard.findings import Finding, InputError, Related, Severity
from cgoguard.options import wants_colour
from cgoguard.output import render
from cgoguard.output.text import TextStyle, split_message

LEAK = Finding(rule="CG101", category="c-leak", severity=Severity.WARNING, path="pkg/a.go", line=45, column=20,
               message="C.buffer_string result passed directly to C.GoString is never freed on some path: it "
                       "leaks when the function returns at line 45; assign it to a variable and call C.free on "
                       "it after the call",
               related=[Related("pkg/a.go", 40, "allocated here", 7)])
DOUBLE = Finding(rule="CG103", category="double-free", severity=Severity.ERROR, path="pkg/a.go", line=51,
                 column=2, message="p is freed twice")


@pytest.mark.parametrize(("message", "headline", "detail"), [
    ("x leaks here: because of y; fix z", "x leaks here: because of y", "fix z"),  # headline too short at ':'
    ("a long enough headline for sure: the detail", "a long enough headline for sure", "the detail"),
    ("short", "short", ""),
    # Separators inside parentheses do not split, even when the quoted code is cut short.
    ("exported function f returns a Go pointer (to []byte(g(x)... (line 3)); C may keep it",
     "exported function f returns a Go pointer (to []byte(g(x)... (line 3))", "C may keep it"),
    ("a call of C.f (see: the docs; twice) never frees it; free it", "a call of C.f (see: the docs; twice) "
     "never frees it", "free it"),
])
def test_split_message(message: str, headline: str, detail: str) -> None:
    assert split_message(message) == (headline, detail)


def test_text_lines_carry_severity_headline_detail_and_related() -> None:
    text = render([DOUBLE, LEAK], [InputError("pkg/bad.go", "syntax error")], "text", style=TextStyle(width=60))
    assert text.splitlines() == [
        "pkg/a.go:45:20: warning: CG101 [c-leak] C.buffer_string result passed directly to C.GoString is "
        "never freed on some path",
        "    it leaks when the function returns at line 45; assign it",
        "    to a variable and call C.free on it after the call",
        "    pkg/a.go:40:7: note: allocated here",
        "pkg/a.go:51:2: error: CG103 [double-free] p is freed twice",
        "pkg/bad.go: error: syntax error",
    ]
    assert "\033[" not in text


def test_concise_is_one_line_per_finding() -> None:
    lines = render([LEAK, DOUBLE], [], "concise").splitlines()
    assert lines == [f"pkg/a.go:45:20: warning: CG101 [c-leak] {LEAK.message}",
                     "pkg/a.go:51:2: error: CG103 [double-free] p is freed twice"]


def test_colour_marks_severity_and_location() -> None:
    text = render([DOUBLE], [], "text", style=TextStyle(colour=True))
    assert text == ("\033[1mpkg/a.go:51:2\033[0m: \033[1;31merror\033[0m: \033[1mCG103\033[0m "
                    "\033[2m[double-free]\033[0m p is freed twice\n")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("env", "choice", "stream", "output", "expected"), [
    ({}, "auto", _Terminal(), None, True),
    ({}, "auto", io.StringIO(), None, False),  # a pipe
    ({"NO_COLOR": "1"}, "auto", _Terminal(), None, False),
    ({"NO_COLOR": ""}, "auto", _Terminal(), None, True),  # empty means unset (no-color.org)
    ({"FORCE_COLOR": "1"}, "auto", io.StringIO(), None, True),
    ({"FORCE_COLOR": "0"}, "auto", io.StringIO(), None, False),
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, "auto", _Terminal(), None, False),  # NO_COLOR wins
    ({"TERM": "dumb"}, "auto", _Terminal(), None, False),
    ({}, "auto", _Terminal(), "report.txt", False),  # a file never gets escape codes
    ({"NO_COLOR": "1"}, "always", io.StringIO(), None, True),
    ({"FORCE_COLOR": "1"}, "never", _Terminal(), None, False),
])
def test_when_to_colour(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], choice: str, stream: io.StringIO,
                        output: str | None, expected: bool) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert wants_colour(choice, stream, output) is expected


def test_statistics_count_findings_per_rule() -> None:
    findings = [LEAK, DOUBLE, LEAK]
    assert render(findings, [], "text", statistics=True).splitlines() == [
        "2  CG101  c-leak       warning",
        "1  CG103  double-free  error",
        "3  total",
    ]
    document = json.loads(render(findings, [], "json", statistics=True))
    assert document["statistics"] == [
        {"rule": "CG101", "category": "c-leak", "severity": "warning", "count": 2},
        {"rule": "CG103", "category": "double-free", "severity": "error", "count": 1}]
    assert render([], [], "text", statistics=True) == ""
