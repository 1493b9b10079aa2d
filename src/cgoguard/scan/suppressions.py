"""``//cgoguard:ignore RULE[,RULE...] -- reason`` comments.

A suppression at the end of a line covers that line; one on a line of its own covers the
next line that is not itself a comment (so several suppressions can be stacked above one
statement). A reason after `` -- `` is required: a suppression without one, or naming no
known rule, suppresses nothing and is reported (CG902). A valid suppression that matches
no finding is reported as information (CG901), so stale ones get cleaned up.

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

DIRECTIVE = b"cgoguard:ignore"
_COMMENT_BODY = re.compile(r"^(?://|/\*)\s*cgoguard:ignore\b(?P<rest>.*?)(?:\*/)?\s*$", re.DOTALL)


@dataclass(frozen=True)
class Suppression:
    path: str  # display path of the file
    line: int  # where the comment is
    column: int
    covers: int  # the line whose findings it suppresses
    rules: tuple[str, ...]  # keys as written (ids, names or categories)
    reason: str
    text: str  # the comment, for fingerprints and messages
    fingerprint_path: str = ""  # the file's path relative to the project root

    @property
    def problem(self) -> str:
        if not self.rules:
            return "names no rule"
        unknown = [key for key in self.rules if not resolve_rule_key(key)]
        if unknown:
            return f"names unknown rule {', '.join(unknown)}"
        if not self.reason:
            return "gives no reason"
        return ""

    def rule_ids(self) -> set[str]:
        return {rule_id for key in self.rules for rule_id in resolve_rule_key(key)}

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "column": self.column, "covers": self.covers,
                "rules": list(self.rules), "reason": self.reason, "text": self.text,
                "fingerprint_path": self.fingerprint_path}

    @classmethod
    def from_dict(cls, data: dict) -> Suppression:
        return cls(data["path"], data["line"], data["column"], data["covers"], tuple(data["rules"]),
                   data["reason"], data["text"], data.get("fingerprint_path", ""))


@cache
def _comment_query() -> Query:
    return Query(GO_LANGUAGE, "(comment) @comment")


def find_suppressions(file: GoFile, fingerprint_path: str = "") -> list[Suppression]:
    if DIRECTIVE not in file.source:  # most files have none: skip the query
        return []
    lines = file.source.split(b"\n")
    comments = QueryCursor(_comment_query()).captures(file.root).get("comment", [])
    found = []
    for node in sorted(comments, key=lambda n: n.start_byte):
        body = node.text.decode("utf-8", "replace") if node.text else ""
        match = _COMMENT_BODY.match(body)
        if match is None:
            continue
        rules, reason = _split_directive(match.group("rest"))
        row, col = node.start_point
        found.append(Suppression(
            path=file.display_path, line=row + 1, column=col + 1,
            covers=_covered_line(lines, node.start_point, node.end_point[0]),
            rules=rules, reason=reason, text=" ".join(body.split()), fingerprint_path=fingerprint_path,
        ))
    return found


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


@dataclass
class SuppressionOutcome:
    kept: list[Finding]
    suppressed: list[Finding] = field(default_factory=list)
    meta: list[Finding] = field(default_factory=list)  # CG901/CG902 findings


def apply_suppressions(findings: Iterable[Finding], suppressions: Iterable[Suppression],
                       selection: RuleSelection) -> SuppressionOutcome:
    valid: dict[tuple[str, int], list[tuple[Suppression, set[str]]]] = {}
    outcome = SuppressionOutcome(kept=[])
    for suppression in suppressions:
        problem = suppression.problem
        if problem:
            if INVALID_SUPPRESSION in selection.ids:
                outcome.meta.append(_meta_finding(INVALID_SUPPRESSION, suppression, Severity.WARNING,
                                                  f"suppression {problem}, so it suppresses nothing: write "
                                                  f"`//cgoguard:ignore RULE -- reason`"))
            continue
        valid.setdefault((suppression.path, suppression.covers), []).append(
            (suppression, suppression.rule_ids()))
    used: set[Suppression] = set()
    for finding in findings:
        matching = [s for s, ids in valid.get((finding.path, finding.line), []) if finding.rule in ids]
        if matching:
            used.update(matching)
            outcome.suppressed.append(finding)
        else:
            outcome.kept.append(finding)
    if UNUSED_SUPPRESSION in selection.ids:
        for candidates in valid.values():
            for suppression, ids in candidates:
                if suppression not in used and ids & selection.ids:
                    names = ", ".join(suppression.rules)
                    outcome.meta.append(_meta_finding(UNUSED_SUPPRESSION, suppression, Severity.INFO,
                                                      f"unused suppression: no {names} finding on line "
                                                      f"{suppression.covers}"))
    return outcome


def _meta_finding(rule: str, suppression: Suppression, severity: Severity, message: str) -> Finding:
    return Finding(rule=rule, category="suppression", message=message, path=suppression.path,
                   line=suppression.line, column=suppression.column, severity=severity,
                   fingerprint=stable_fingerprint(rule, suppression.fingerprint_path, suppression.text))
