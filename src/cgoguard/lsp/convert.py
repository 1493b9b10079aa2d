"""Findings and fixes as Language Server Protocol values.

cgoguard positions are 1-based lines and byte columns (and fixes byte offsets); LSP counts
0-based lines and characters in the encoding negotiated with the client (UTF-16 unless the
client prefers UTF-8 or UTF-32), so conversions go through the document's text.
"""

from __future__ import annotations

import os
from pathlib import Path

from lsprotocol import types

from cgoguard.findings import Applicability, Edit, Finding, Severity

SOURCE = "cgoguard"
SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.{SOURCE}"


class Positions:
    """Translates byte positions of one text to LSP positions."""

    def __init__(self, source: bytes, encoding: str = types.PositionEncodingKind.Utf16.value) -> None:
        self.source = source
        self.lines = source.split(b"\n")
        self.encoding = str(encoding)

    def at(self, line: int, byte_column: int) -> types.Position:
        """The position of 1-based ``line`` and 1-based byte column (0: the line's start)."""
        row = min(max(line - 1, 0), len(self.lines) - 1)
        prefix = self.lines[row][: max(byte_column - 1, 0)]
        return types.Position(line=row, character=self._units(prefix))

    def at_offset(self, offset: int) -> types.Position:
        offset = min(max(offset, 0), len(self.source))
        row = self.source.count(b"\n", 0, offset)
        line_start = self.source.rfind(b"\n", 0, offset) + 1
        return types.Position(line=row, character=self._units(self.source[line_start:offset]))

    def end(self) -> types.Position:
        return self.at_offset(len(self.source))

    def _units(self, prefix: bytes) -> int:
        if self.encoding == types.PositionEncodingKind.Utf8.value:
            return len(prefix)
        text = prefix.decode("utf-8", "replace")
        if self.encoding == types.PositionEncodingKind.Utf32.value:
            return len(text)
        return len(text.encode("utf-16-le")) // 2


def path_uri(path: str) -> str:
    return Path(os.path.abspath(path)).as_uri()


def diagnostic(finding: Finding, positions: Positions, related_positions: dict[str, Positions]) -> types.Diagnostic:
    start = positions.at(finding.line, finding.column)
    end = positions.at(finding.end_line, finding.end_column) if finding.end_line else start
    related = []
    for item in finding.related:
        where = related_positions.get(item.path)
        point = where.at(item.line, item.column) if where is not None else types.Position(max(item.line - 1, 0), 0)
        related.append(types.DiagnosticRelatedInformation(
            location=types.Location(uri=path_uri(item.path), range=types.Range(start=point, end=point)),
            message=item.message))
    return types.Diagnostic(
        range=types.Range(start=start, end=end),
        message=finding.message,
        severity=SEVERITIES[finding.severity],
        code=finding.rule,
        source=SOURCE,
        related_information=related or None,
        data={"fingerprint": finding.fingerprint, "rule": finding.rule, "line": finding.line,
              "column": finding.column},
    )


def text_edit(edit: Edit, positions: Positions) -> types.TextEdit:
    return types.TextEdit(range=types.Range(start=positions.at_offset(edit.start), end=positions.at_offset(edit.end)),
                          new_text=edit.content)


def quick_fix(finding: Finding, uri: str, positions: Positions, diagnostic_value: types.Diagnostic
              ) -> types.CodeAction | None:
    fix = finding.fix
    if fix is None or fix.paths != [finding.path]:
        return None
    unsafe = fix.applicability is Applicability.UNSAFE
    title = f"{fix.message} ({finding.rule}{', unsafe fix: review it' if unsafe else ''})"
    return types.CodeAction(
        title=title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic_value],
        is_preferred=not unsafe,
        edit=types.WorkspaceEdit(changes={uri: [text_edit(e, positions) for e in fix.edits]}),
    )


def whole_document_edit(uri: str, positions: Positions, new_text: str) -> types.WorkspaceEdit:
    everything = types.Range(start=types.Position(line=0, character=0), end=positions.end())
    return types.WorkspaceEdit(changes={uri: [types.TextEdit(range=everything, new_text=new_text)]})
