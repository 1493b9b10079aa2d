"""Build constraints: ``//go:build`` expressions, ``// +build`` lines and file-name suffixes.

Follows go/build: a file is included when its name suffixes (``_GOOS``, ``_GOARCH``,
``_GOOS_GOARCH``, ``_test``) match the target and its constraint expression is true.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KNOWN_OS = frozenset(
    "aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 "
    "solaris wasip1 windows zos".split()
)
KNOWN_ARCH = frozenset(
    "386 amd64 amd64p32 arm armbe arm64 arm64be loong64 mips mipsle mips64 mips64le mips64p32 "
    "mips64p32le ppc ppc64 ppc64le riscv riscv64 s390 s390x sparc sparc64 wasm".split()
)
UNIX_OS = frozenset(
    "aix android darwin dragonfly freebsd hurd illumos ios linux netbsd openbsd solaris".split()
)


@dataclass(frozen=True)
class BuildTarget:
    goos: str = "linux"
    goarch: str = "amd64"
    cgo: bool = True
    tags: frozenset[str] = field(default_factory=frozenset)
    go_version_minor: int = 99  # go1.N tags are satisfied up to this N
    include_tests: bool = False

    def satisfied(self, tag: str) -> bool:
        if tag in (self.goos, self.goarch) or tag in self.tags:
            return True
        if tag == "cgo":
            return self.cgo
        if tag == "unix":
            return self.goos in UNIX_OS
        if tag == "gc":
            return True
        if self.goos == "android" and tag == "linux":
            return True
        if self.goos in ("illumos",) and tag == "solaris":
            return True
        if self.goos == "ios" and tag == "darwin":
            return True
        match = re.fullmatch(r"go1\.(\d+)", tag)
        return bool(match and int(match.group(1)) <= self.go_version_minor)


_TOKEN = re.compile(r"\s*(\|\||&&|!|\(|\)|[\w.]+)")


class ConstraintSyntaxError(ValueError):
    pass


def eval_expression(expr: str, target: BuildTarget) -> bool:
    """Evaluate a ``//go:build`` expression (``||``, ``&&``, ``!``, parentheses)."""
    tokens: list[str] = []
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        match = _TOKEN.match(expr, pos)
        if not match:
            raise ConstraintSyntaxError(f"bad build constraint near {expr[pos:]!r}")
        tokens.append(match.group(1))
        pos = match.end()
        while pos < len(expr) and expr[pos].isspace():
            pos += 1
    index = 0

    def peek() -> str | None:
        return tokens[index] if index < len(tokens) else None

    def take() -> str:
        nonlocal index
        if index >= len(tokens):
            raise ConstraintSyntaxError("unexpected end of build constraint")
        index += 1
        return tokens[index - 1]

    def parse_or() -> bool:
        value = parse_and()
        while peek() == "||":
            take()
            value = parse_and() or value
        return value

    def parse_and() -> bool:
        value = parse_not()
        while peek() == "&&":
            take()
            value = parse_not() and value
        return value

    def parse_not() -> bool:
        token = take()
        if token == "!":
            return not parse_not()
        if token == "(":
            value = parse_or()
            if take() != ")":
                raise ConstraintSyntaxError("missing ')' in build constraint")
            return value
        if token in ("||", "&&", ")"):
            raise ConstraintSyntaxError(f"unexpected {token!r} in build constraint")
        return target.satisfied(token)

    value = parse_or()
    if index != len(tokens):
        raise ConstraintSyntaxError(f"unexpected {tokens[index]!r} in build constraint")
    return value


def eval_plus_build(lines: list[str], target: BuildTarget) -> bool:
    """Legacy ``// +build`` lines: lines AND together, space-separated terms OR, commas AND."""
    for line in lines:
        options = line.split()
        if not any(all(_term(t, target) for t in option.split(",")) for option in options):
            return False
    return True


def _term(term: str, target: BuildTarget) -> bool:
    return not target.satisfied(term[1:]) if term.startswith("!") else target.satisfied(term)


def header_constraints(source: str) -> tuple[str | None, list[str]]:
    """The ``//go:build`` expression and ``// +build`` lines before the package clause."""
    go_build: str | None = None
    plus_build: list[str] = []
    in_block = False
    for raw in source.splitlines():
        line = raw.strip()
        if in_block:
            if "*/" in line:
                in_block = False
            continue
        if not line:
            continue
        if line.startswith("/*"):
            in_block = "*/" not in line[2:]
            continue
        if not line.startswith("//"):
            break  # the package clause (or anything else) ends the header
        if line.startswith("//go:build") and go_build is None:
            go_build = line[len("//go:build"):].strip()
        elif re.match(r"//\s*\+build\s", line):
            plus_build.append(line.split("+build", 1)[1])
    return go_build, plus_build


def filename_matches(name: str, target: BuildTarget) -> bool:
    """go/build's ``goodOSArchFile`` plus the ``_test`` rule."""
    stem = name.rsplit(".", 1)[0]
    if stem.endswith("_test"):
        if not target.include_tests:
            return False
        stem = stem[: -len("_test")]
    parts = stem.split("_")
    if len(parts) >= 3 and parts[-2] in KNOWN_OS and parts[-1] in KNOWN_ARCH:
        return _os_ok(parts[-2], target) and parts[-1] == target.goarch
    if len(parts) >= 2:
        last = parts[-1]
        if last in KNOWN_OS:
            return _os_ok(last, target)
        if last in KNOWN_ARCH:
            return last == target.goarch
    return True


def _os_ok(goos: str, target: BuildTarget) -> bool:
    return target.satisfied(goos)


def file_included(name: str, source: str, target: BuildTarget) -> bool:
    """Whether a Go file is part of the build for ``target``.

    Raises ConstraintSyntaxError for a malformed ``//go:build`` line.
    """
    if not filename_matches(name, target):
        return False
    go_build, plus_build = header_constraints(source)
    if go_build is not None:
        return eval_expression(go_build, target)
    return eval_plus_build(plus_build, target)
