import pytest

from cgoguard.gofront.buildtags import (
    BuildTarget,
    ConstraintSyntaxError,
    eval_expression,
    file_included,
    filename_matches,
)

LINUX = BuildTarget()


@pytest.mark.parametrize(("expr", "expected"), [
    ("linux", True),
    ("linux && cgo", True),
    ("!cgo", False),
    ("windows || darwin", False),
    ("(linux || darwin) && !386", True),
    ("unix", True),
    ("go1.21", True),
    ("customtag", False),
    ("!(windows && amd64)", True),
])
def test_go_build_expressions(expr: str, expected: bool) -> None:
    assert eval_expression(expr, LINUX) is expected


def test_tags_and_targets() -> None:
    assert eval_expression("customtag", BuildTarget(tags=frozenset({"customtag"})))
    assert not eval_expression("cgo", BuildTarget(cgo=False))
    assert eval_expression("darwin && arm64", BuildTarget(goos="darwin", goarch="arm64"))


@pytest.mark.parametrize("expr", ["linux &&", "(linux", "linux )", "&& cgo", "linux $ cgo"])
def test_malformed_expressions_raise_a_clear_error(expr: str) -> None:
    with pytest.raises(ConstraintSyntaxError):
        eval_expression(expr, LINUX)


@pytest.mark.parametrize(("name", "expected"), [
    ("a.go", True),
    ("a_linux.go", True),
    ("a_windows.go", False),
    ("a_linux_amd64.go", True),
    ("a_linux_arm64.go", False),
    ("a_amd64.go", True),
    ("a_test.go", False),
    ("linux.go", True),  # a bare GOOS name is not a suffix
    ("a_unknownos.go", True),
])
def test_filename_suffixes(name: str, expected: bool) -> None:
    assert filename_matches(name, LINUX) is expected


def test_test_files_behind_an_option() -> None:
    assert filename_matches("a_test.go", BuildTarget(include_tests=True))


def test_header_constraints() -> None:
    assert not file_included("a.go", "// Copyright\n\n//go:build windows\n\npackage a\n", LINUX)
    assert file_included("a.go", "/* block */\n// +build linux darwin\n\npackage a\n", LINUX)
    assert not file_included("a.go", "// +build !cgo\n\npackage a\n", LINUX)
    # A constraint after the package clause is just a comment.
    assert file_included("a.go", "package a\n\n//go:build windows\n", LINUX)
