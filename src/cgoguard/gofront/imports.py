"""The package clause and import declarations of a Go file, read without parsing it.

Like go/build's ``readImports``: only the header is tokenised (comments, identifiers,
string literals and parentheses), so the module's package graph is known before any file
is parsed, and a file that is not Go at all yields what could be read (never an exception).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_TOKEN = re.compile(
    rb"""\s+|//[^\n]*|/\*.*?(?:\*/|\Z)|"(?:[^"\\\n]|\\.)*"|`[^`]*`|[A-Za-z_\x80-\xff][\w\x80-\xff]*|[().;]|.""",
    re.DOTALL)
# Imports come first in a Go file; a pathological header is not read past this.
_MAX_HEADER_BYTES = 256 * 1024


@dataclass(frozen=True)
class FileHeader:
    package: str  # "" when there is no package clause
    imports: tuple[str, ...]  # import paths, in order
    # Whether anything follows the imports (a file of only `#cgo` lines has no declarations).
    has_declarations: bool = True


def read_header(data: bytes) -> FileHeader:
    tokens = _tokens(data[:_MAX_HEADER_BYTES])
    if next(tokens, b"") != b"package":
        return FileHeader("", ())
    package = next(tokens, b"").decode("utf-8", "replace")
    imports: list[str] = []
    token = next(tokens, b"")
    while token == b"import":
        token = next(tokens, b"")
        if token == b"(":
            token = next(tokens, b"")
            while token not in (b")", b""):
                path, token = _spec(token, tokens)
                if path is None:
                    return FileHeader(package, tuple(imports))
                imports.append(path)
            token = next(tokens, b"")
        else:
            path, token = _spec(token, tokens)
            if path is None:
                break
            imports.append(path)
    return FileHeader(package, tuple(imports), has_declarations=token != b"")


def _spec(token: bytes, tokens: Iterator[bytes]) -> tuple[str | None, bytes]:
    """One import spec starting at ``token``: (its path, the token after it)."""
    if token not in (b"", b"(", b")") and token[:1] not in (b'"', b"`"):
        token = next(tokens, b"")  # after the local name (or "." or "_")
    if token[:1] not in (b'"', b"`") or len(token) < 2:
        return None, token
    return token[1:-1].decode("utf-8", "replace"), next(tokens, b"")


def _tokens(data: bytes) -> Iterator[bytes]:
    """Significant tokens of ``data``: no blanks, comments or semicolons."""
    for match in _TOKEN.finditer(data):
        token = match.group()
        if token[:1].isspace() or token.startswith((b"//", b"/*")) or token == b";":
            continue
        yield token
