"""The cgo preamble: the comment right before ``import "C"``, and its ``#cgo`` lines.

The preamble is returned as C source *laid over the Go file*: every character outside the
preamble comment is blanked (newlines kept) and the comment markers become spaces, so a
node of the C parse tree has the same line and column as the text in the Go file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tree_sitter import Node

from cgoguard.gofront.syntax import text

_CGO_DIRECTIVE = re.compile(r"^\s*#cgo\s+(?P<cond>[^:]*?)\s*(?P<kind>\w[\w-]*)\s*:\s*(?P<value>.*)$")
_CGO_ANNOTATION = re.compile(r"^\s*#cgo\s+(?P<kind>noescape|nocallback)\s+(?P<value>\w+)\s*$")


@dataclass
class CgoDirective:
    kind: str  # CFLAGS, CPPFLAGS, CXXFLAGS, LDFLAGS, pkg-config, noescape, nocallback
    value: str
    condition: str  # GOOS/GOARCH/tag list before the kind ("" when unconditional)
    line: int


@dataclass
class Preamble:
    c_source: bytes  # same length and line structure as the Go file
    start_line: int  # 1-based, first line of the preamble comment
    end_line: int
    import_line: int  # line of the `import "C"`
    directives: list[CgoDirective] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.c_source.strip()


def find_import_c(root: Node) -> list[Node]:
    """The import_spec nodes importing "C"."""
    specs = []
    for decl in root.named_children:
        if decl.type != "import_declaration":
            continue
        for spec in _import_specs(decl):
            path = spec.child_by_field_name("path")
            if path is not None and text(path).strip('"`') == "C":
                specs.append(spec)
    return specs


def _import_specs(decl: Node) -> list[Node]:
    specs = []
    for child in decl.named_children:
        if child.type == "import_spec":
            specs.append(child)
        elif child.type == "import_spec_list":
            specs.extend(c for c in child.named_children if c.type == "import_spec")
    return specs


def extract_preamble(source: bytes, root: Node) -> Preamble | None:
    specs = find_import_c(root)
    if not specs:
        return None
    spec = specs[0]
    decl = spec.parent
    # A grouped import takes the comment above the spec; a single one, above the declaration.
    anchor = spec if decl is not None and decl.type == "import_spec_list" else (decl or spec)
    comments = _comment_group_before(anchor)
    import_line = spec.start_point[0] + 1
    blank = bytearray(b" " * len(source))
    for i, byte in enumerate(source):
        if byte in (0x0A, 0x0D):
            blank[i] = byte
    if not comments:
        return Preamble(bytes(blank), import_line, import_line - 1, import_line)
    for comment in comments:
        start, end = comment.start_byte, comment.end_byte
        body = source[start:end]
        if body.startswith(b"//"):
            blank[start + 2:end] = body[2:]
        else:
            inner_end = end - 2 if body.endswith(b"*/") else end
            blank[start + 2:inner_end] = source[start + 2:inner_end]
    preamble = Preamble(
        c_source=bytes(blank),
        start_line=comments[0].start_point[0] + 1,
        end_line=comments[-1].end_point[0] + 1,
        import_line=import_line,
    )
    preamble.c_source, preamble.directives = _take_directives(preamble.c_source)
    return preamble


def _comment_group_before(anchor: Node) -> list[Node]:
    """Comments directly above ``anchor`` with no blank line between them (go/ast's Doc)."""
    group: list[Node] = []
    expected_end_row = anchor.start_point[0]
    node = anchor.prev_sibling
    while node is not None and node.type == "comment":
        if node.end_point[0] < expected_end_row - 1:
            break
        group.insert(0, node)
        expected_end_row = node.start_point[0]
        node = node.prev_sibling
    return group


def _take_directives(c_source: bytes) -> tuple[bytes, list[CgoDirective]]:
    """Parse ``#cgo`` lines and blank them out of the C text (the C compiler never sees them)."""
    directives: list[CgoDirective] = []
    lines = c_source.split(b"\n")
    for index, raw in enumerate(lines):
        stripped = raw.lstrip()
        if not stripped.startswith(b"#cgo"):
            continue
        line = raw.decode("utf-8", "replace")
        annotation = _CGO_ANNOTATION.match(line)
        match = annotation or _CGO_DIRECTIVE.match(line)
        if match:
            directives.append(CgoDirective(
                kind=match.group("kind"),
                value=match.group("value").strip(),
                condition=match.groupdict().get("cond") or "",
                line=index + 1,
            ))
        lines[index] = b" " * len(raw)
    return b"\n".join(lines), directives
