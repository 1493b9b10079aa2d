"""Suppression comments: ``//cgoguard:ignore``, ``//cgoguard:file-ignore`` and ``//nolint``.

``//cgoguard:ignore RULE[,RULE...] -- reason`` at the end of a line covers that line; on a
line of its own it covers the next line that is not itself a comment (so several can be
stacked above one statement). ``//cgoguard:file-ignore RULE[,...] -- reason`` (put it near the
package clause) covers the whole file. A reason after `` -- `` is required: a suppression
without one, or naming no known rule, suppresses nothing and is reported (CG902).

golangci-lint's ``//nolint:cgoguard`` (optionally ``// reason`` after it, other linters in
its list, or a bare ``//nolint``/``//nolint:all``) covers every cgoguard rule on its line, or,
on a line of its own, the whole statement or declaration that follows (the whole file above
the package clause), as golangci-lint applies it. A valid suppression that matches no finding
is reported as information (CG901), so stale ones get cleaned up; a bare ``//nolint`` is not,
since it may serve another linter.

Comments are found as tree-sitter ``comment`` nodes, so the directive inside a string
literal or in the middle of other text is never mistaken for one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from tree_sitter import Query, QueryCursor

from cgoguard.findings import Finding, Severity, stable_fingerprint
from cgoguard.gofront.syntax import GO_LANGUAGE
from cgoguard.scan.selection import INVALID_SUPPRESSION, UNUSED_SUPPRESSION, RuleSelection, resolve_rule_key

if TYPE_CHECKING:
    from cgoguard.gofront.gofile import GoFile

# Cheap pre-checks on a file's bytes before its comments are queried.
_MARKERS = (b"cgoguard:", b"nolint")
_IGNORE = re.compile(r"^(?://|/\*)\s*cgoguard:(?P<kind>ignore|file-ignore)\b(?P<rest>.*?)(?:\*/)?\s*$", re.DOTALL)
# golangci-lint's form: `//nolint`, `//nolint:a,b`, `//nolint:a // reason` (`// nolint` too).
_NOLINT = re.compile(r"^//\s*nolint(?::(?P<linters>[^\s/]*))?(?P<rest>(?:\s.*)?)$", re.DOTALL)
_ALL = "ALL"
WHOLE_FILE = 1 << 30  # covers_end of a file-level suppression

LINE, NOLINT, FILE = "ignore", "nolint", "file-ignore"
# Nodes that hold a sequence of statements or declarations: a //nolint covers one of their items.
_CONTAINERS = frozenset({"source_file", "statement_list", "block", "expression_switch_statement",
                         "type_switch_statement", "select_statement", "field_declaration_list"})


@dataclass(frozen=True)
class Suppression:
    path: str  # display path of the file
    line: int  # where the comment is
    column: int
    covers: int  # the first line whose findings it suppresses
    rules: tuple[str, ...]  # keys as written (ids, names or categories); ("ALL",) for nolint
    reason: str
    text: str  # the comment, for fingerprints and messages
    fingerprint_path: str = ""  # the file's path relative to the project root
    covers_end: int = 0  # the last line it covers (0: covers only `covers`)
    kind: str = LINE  # LINE, NOLINT or FILE
    # A bare `//nolint` or `//nolint:all` also serves other linters: never reported as unused.
    shared: bool = False

    @property
    def last_line(self) -> int:
        return max(self.covers, self.covers_end)

    def covers_line(self, line: int) -> bool:
        return self.covers <= line <= self.last_line

    @property
    def problem(self) -> str:
        if not self.rules:
            return "names no rule"
        unknown = [key for key in self.rules if not resolve_rule_key(key)]
        if unknown:
            return f"names unknown rule {', '.join(unknown)}"
        if not self.reason and self.kind != NOLINT:  # golangci-lint makes the reason optional
            return "gives no reason"
        return ""

    def rule_ids(self) -> set[str]:
        return {rule_id for key in self.rules for rule_id in resolve_rule_key(key)}

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "column": self.column, "covers": self.covers,
                "rules": list(self.rules), "reason": self.reason, "text": self.text,
                "fingerprint_path": self.fingerprint_path, "covers_end": self.covers_end, "kind": self.kind,
                "shared": self.shared}

    @classmethod
    def from_dict(cls, data: dict) -> Suppression:
        return cls(data["path"], data["line"], data["column"], data["covers"], tuple(data["rules"]),
                   data["reason"], data["text"], data.get("fingerprint_path", ""), data.get("covers_end", 0),
                   data.get("kind", LINE), data.get("shared", False))


@cache
def _comment_query() -> Query:
    return Query(GO_LANGUAGE, "(comment) @comment")


def find_suppressions(file: GoFile, fingerprint_path: str = "") -> list[Suppression]:
    if not any(marker in file.source for marker in _MARKERS):  # most files have none: skip the query
        return []
    lines = file.source.split(b"\n")
    comments = QueryCursor(_comment_query()).captures(file.root).get("comment", [])
    found = []
    for node in sorted(comments, key=lambda n: n.start_byte):
        body = node.text.decode("utf-8", "replace") if node.text else ""
        parsed = _parse_comment(body)
        if parsed is None:
            continue
        kind, rules, reason, shared = parsed
        row, col = node.start_point
        covers = _covered_line(lines, node.start_point, node.end_point[0])
        covers_end = 0
        if kind == FILE:
            covers, covers_end = 1, WHOLE_FILE
        elif kind == NOLINT and covers != row + 1:  # on a line of its own: the next statement or declaration
            covers, covers_end = _node_span(file, covers)
        found.append(Suppression(
            path=file.display_path, line=row + 1, column=col + 1, covers=covers, rules=rules, reason=reason,
            text=" ".join(body.split()), fingerprint_path=fingerprint_path, covers_end=covers_end, kind=kind,
            shared=shared,
        ))
    return found


def _parse_comment(body: str) -> tuple[str, tuple[str, ...], str, bool] | None:
    """(kind, rule keys, reason, shared) of a suppression comment, None for other comments."""
    match = _IGNORE.match(body)
    if match is not None:
        rules, reason = _split_directive(match.group("rest"))
        return (FILE if match.group("kind") == "file-ignore" else LINE), rules, reason, False
    match = _NOLINT.match(body)
    if match is None:
        return None
    linters = [name.strip().lower() for name in (match.group("linters") or "").split(",") if name.strip()]
    if linters and "cgoguard" not in linters and "all" not in linters:
        return None  # addressed to other linters only
    _, _, reason = match.group("rest").partition("//")
    return NOLINT, (_ALL,), reason.strip(), "cgoguard" not in linters


def _split_directive(rest: str) -> tuple[tuple[str, ...], str]:
    rules_part, _, reason = rest.partition("--")
    rules = tuple(key for key in re.split(r"[\s,]+", rules_part.strip()) if key)
    return rules, reason.strip()


def _covered_line(lines: list[bytes], start: tuple[int, int], end_row: int) -> int:
    """1-based line a comment covers: its own line when code precedes it, else the next
    line that is not a comment-only line."""
    row, col = start
    if lines[row][:col].strip():
        return row + 1
    following = end_row + 1
    while following < len(lines) and lines[following].lstrip().startswith((b"//", b"/*")):
        following += 1
    return following + 1


def _node_span(file: GoFile, line: int) -> tuple[int, int]:
    """(first, last) line of the outermost statement or declaration starting on ``line``, as
    golangci-lint applies a `//nolint` on a line of its own; the package clause stands for the
    whole file."""
    row = line - 1
    text = file.source.split(b"\n")[row] if row < file.source.count(b"\n") + 1 else b""
    column = len(text) - len(text.lstrip())
    node = file.root.named_descendant_for_point_range((row, column), (row, column))
    if node is None:
        return line, line
    while (node.parent is not None and node.parent.type not in _CONTAINERS
           and node.parent.start_point == node.start_point):
        node = node.parent
    if node.type == "package_clause":
        return 1, WHOLE_FILE
    return line, max(line, node.end_point[0] + 1)


@dataclass
class SuppressionOutcome:
    kept: list[Finding]
    suppressed: list[Finding] = field(default_factory=list)
    meta: list[Finding] = field(default_factory=list)  # CG901/CG902 findings


def apply_suppressions(findings: Iterable[Finding], suppressions: Iterable[Suppression],
                       selection: RuleSelection) -> SuppressionOutcome:
    valid: dict[str, list[tuple[Suppression, set[str]]]] = {}
    outcome = SuppressionOutcome(kept=[])
    for suppression in suppressions:
        problem = suppression.problem
        if problem:
            if INVALID_SUPPRESSION in selection.ids:
                outcome.meta.append(_meta_finding(INVALID_SUPPRESSION, suppression, Severity.WARNING,
                                                  f"suppression {problem}, so it suppresses nothing: write "
                                                  f"`{_template(suppression)}`"))
            continue
        valid.setdefault(suppression.path, []).append((suppression, suppression.rule_ids()))
    used: set[Suppression] = set()
    for finding in findings:
        matching = [s for s, ids in valid.get(finding.path, [])
                    if finding.rule in ids and s.covers_line(finding.line)]
        if matching:
            used.update(matching)
            outcome.suppressed.append(finding)
        else:
            outcome.kept.append(finding)
    if UNUSED_SUPPRESSION in selection.ids:
        for candidates in valid.values():
            for suppression, ids in candidates:
                if suppression not in used and not suppression.shared and ids & selection.ids:
                    outcome.meta.append(_meta_finding(UNUSED_SUPPRESSION, suppression, Severity.INFO,
                                                      f"unused suppression: {_unused_detail(suppression)}"))
    return outcome


def _template(suppression: Suppression) -> str:
    if suppression.kind == FILE:
        return "//cgoguard:file-ignore RULE -- reason"
    return "//cgoguard:ignore RULE -- reason"


def _unused_detail(suppression: Suppression) -> str:
    names = ", ".join(suppression.rules)
    if suppression.kind == FILE:
        return f"no {names} finding in this file"
    if suppression.kind == NOLINT:
        span = (f"line {suppression.covers}" if suppression.last_line == suppression.covers
                else "the whole file" if suppression.last_line == WHOLE_FILE
                else f"lines {suppression.covers}-{suppression.last_line}")
        return f"no cgoguard finding on {span}"
    return f"no {names} finding on line {suppression.covers}"


def _meta_finding(rule: str, suppression: Suppression, severity: Severity, message: str) -> Finding:
    return Finding(rule=rule, category="suppression", message=message, path=suppression.path,
                   line=suppression.line, column=suppression.column, severity=severity,
                   fingerprint=stable_fingerprint(rule, suppression.fingerprint_path, suppression.text))
