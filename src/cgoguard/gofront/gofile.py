"""One parsed Go source file: its tree, package clause, imports and cgo preamble."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node, Tree

from cgoguard.findings import InputError
from cgoguard.gofront.discover import SourceFile
from cgoguard.gofront.preamble import Preamble, extract_preamble
from cgoguard.gofront.syntax import first_error, parse_go, text


@dataclass
class GoFile:
    path: Path
    display_path: str
    source: bytes
    tree: Tree
    package_name: str
    imports: dict[str, str]  # local name -> import path ("C" -> "C")
    preamble: Preamble | None = None
    syntax_error: str = ""  # "line:col: message" when the file has parse errors

    @property
    def root(self) -> Node:
        return self.tree.root_node

    @property
    def uses_cgo(self) -> bool:
        return self.preamble is not None

    def text(self, node: Node | None) -> str:
        return text(node)

    def line_text(self, line: int) -> str:
        """Source text of a 1-based line (for fingerprints and messages)."""
        lines = self.source.split(b"\n")
        return lines[line - 1].decode("utf-8", "replace") if 0 < line <= len(lines) else ""

    def imported_as(self, import_path: str) -> str | None:
        """The local name under which ``import_path`` is imported, if it is."""
        for local, path in self.imports.items():
            if path == import_path:
                return local
        return None



def load_go_file(source: SourceFile) -> tuple[GoFile, InputError | None]:
    tree = parse_go(source.data)
    root = tree.root_node
    package_name = ""
    imports: dict[str, str] = {}
    for node in root.named_children:
        if node.type == "package_clause":
            package_name = text(node.named_children[0]) if node.named_children else ""
        elif node.type == "import_declaration":
            imports.update(_imports(node))
    file = GoFile(source.path, source.display_path, source.data, tree, package_name, imports)
    error = None
    bad = first_error(root)
    if bad is not None:
        row, col = bad.start_point
        what = f"missing {bad.type}" if bad.is_missing else "syntax error"
        file.syntax_error = f"{row + 1}:{col + 1}: {what}"
        error = InputError(source.display_path, f"{row + 1}:{col + 1}: {what}; the rest of the package is scanned")
    try:
        source.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = source.data[: exc.start].count(b"\n") + 1
        error = error or InputError(source.display_path, f"line {line}: invalid UTF-8 (Go source must be UTF-8)")
    if "C" in imports.values():
        file.preamble = extract_preamble(source.data, root)
    return file, error


def _imports(decl: Node) -> dict[str, str]:
    result: dict[str, str] = {}
    specs = [c for c in decl.named_children if c.type == "import_spec"]
    for group in (c for c in decl.named_children if c.type == "import_spec_list"):
        specs += [c for c in group.named_children if c.type == "import_spec"]
    for spec in specs:
        path = text(spec.child_by_field_name("path")).strip('"`')
        name_node = spec.child_by_field_name("name")
        local = text(name_node) if name_node is not None else path.rsplit("/", 1)[-1]
        result[local] = path
    return result
