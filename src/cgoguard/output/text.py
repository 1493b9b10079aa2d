"""Text for people: one short first line per finding, the detail and related locations under it.

The first line keeps the ``path:line:col: severity: RULE [category] headline`` shape that
editors, ``grep`` and compilers' error parsers expect (``note:`` lines for related locations
follow gcc's convention). The headline is the message up to its first top-level ``:`` or
``;`` (outside parentheses and quotes); the rest of the message is wrapped and indented
under it, followed by the related locations. ``concise`` keeps one line per finding.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from dataclasses import dataclass

from cgoguard.findings import Finding, InputError, Severity

# A headline shorter than this says too little on its own ("use after free"): the split
# moves on to the next separator.
MIN_HEADLINE = 24
DEFAULT_WIDTH = 100
INDENT = "    "

_RESET = "\033[0m"
_BOLD = "\033[1m"
_DIM = "\033[2m"
_SEVERITY_STYLE = {Severity.ERROR: "\033[1;31m", Severity.WARNING: "\033[1;33m", Severity.INFO: "\033[1;36m"}
_NOTE_STYLE = "\033[1;34m"


@dataclass(frozen=True)
class TextStyle:
    colour: bool = False
    width: int = DEFAULT_WIDTH

    def paint(self, text: str, style: str) -> str:
        return f"{style}{text}{_RESET}" if self.colour and text else text


def split_message(message: str) -> tuple[str, str]:
    """(headline, detail): the message up to its first ``: `` or ``; `` outside parentheses
    that leaves a headline of at least MIN_HEADLINE characters, and the rest. Messages quote
    code that may be cut short (``f(g(x)...``): only brackets that close count."""
    inside = _bracketed(message)
    for index, char in enumerate(message):
        if (char in ":;" and index >= MIN_HEADLINE and not inside[index]
                and message[index + 1:index + 2] == " "):
            return message[:index].rstrip(), message[index + 1:].strip()
    return message, ""


def _bracketed(text: str) -> list[bool]:
    """For each character, whether it lies between a matched pair of brackets."""
    pairs = {")": "(", "]": "[", "}": "{"}
    open_at: list[tuple[str, int]] = []
    depth_change = [0] * (len(text) + 1)
    for index, char in enumerate(text):
        if char in "([{":
            open_at.append((char, index))
        elif char in pairs and open_at and open_at[-1][0] == pairs[char]:
            _, start = open_at.pop()
            depth_change[start] += 1
            depth_change[index + 1] -= 1
    inside, depth = [], 0
    for index in range(len(text)):
        depth += depth_change[index]
        inside.append(depth > 0)
    return inside


def render_text(findings: list[Finding], errors: list[InputError], style: TextStyle | None = None) -> str:
    style = style or TextStyle()
    lines: list[str] = []
    for finding in findings:
        lines += finding_lines(finding, style)
    lines += [f"{style.paint(e.path, _BOLD)}: {style.paint('error', _SEVERITY_STYLE[Severity.ERROR])}: "
              f"{e.message}" for e in errors]
    return "\n".join(lines) + ("\n" if lines else "")


def finding_lines(finding: Finding, style: TextStyle) -> list[str]:
    headline, detail = split_message(finding.message)
    seen = f" (seen {finding.count} times)" if finding.source == "runtime" and finding.count > 1 else ""
    severity = finding.severity
    lines = [f"{style.paint(_location(finding.path, finding.line, finding.column), _BOLD)}: "
             f"{style.paint(severity.value, _SEVERITY_STYLE[severity])}: "
             f"{style.paint(finding.rule, _BOLD)} {style.paint(f'[{finding.category}]', _DIM)} {headline}{seen}"
             f"{_build(finding)}"]
    if detail:
        lines += textwrap.wrap(detail, width=max(40, style.width), initial_indent=INDENT,
                               subsequent_indent=INDENT, break_on_hyphens=False, break_long_words=False)
    lines += [f"{INDENT}{line}" for line in _runtime_details(finding)]
    for related in finding.related:
        where = style.paint(_location(related.path, related.line, related.column), _BOLD)
        lines.append(f"{INDENT}{where}: {style.paint('note', _NOTE_STYLE)}: {related.message}")
    return lines


def render_concise(findings: list[Finding], errors: list[InputError]) -> str:
    """One line per finding with the whole message (for grep and editors' error parsers)."""
    lines = [f"{_location(f.path, f.line, f.column)}: {f.severity.value}: {f.rule} [{f.category}] {f.message}"
             f"{_build(f)}" for f in findings]
    lines += [f"{e.path}: error: {e.message}" for e in errors]
    return "\n".join(lines) + ("\n" if lines else "")


def render_statistics(findings: list[Finding], style: TextStyle | None = None) -> str:
    """Findings per rule, most frequent first: count, rule, category, severity (like ruff)."""
    style = style or TextStyle()
    counts = Counter(f.rule for f in findings)
    if not counts:
        return ""
    first = {f.rule: f for f in reversed(findings)}
    rows = [(str(n), rule, first[rule].category, first[rule].severity) for rule, n in
            sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"{count:>{widths[0]}}  {style.paint(rule.ljust(widths[1]), _BOLD)}  "
             f"{category.ljust(widths[2])}  {style.paint(severity.value, _SEVERITY_STYLE[severity])}"
             for count, rule, category, severity in rows]
    total = sum(counts.values())
    lines.append(f"{total:>{widths[0]}}  total")
    return "\n".join(lines) + "\n"


def _build(finding: Finding) -> str:
    """The build target a finding was seen under, when it is not the scan's."""
    return f" (build: {finding.extra['build']})" if finding.extra.get("build") else ""


def _runtime_details(finding: Finding) -> list[str]:
    """Why a runtime finding has no source line, and what its fault address is."""
    if finding.source != "runtime":
        return []
    details = []
    if finding.line <= 0 and finding.extra.get("mapping"):
        details.append(f"no source line: {finding.extra['mapping']}")
    if fault := finding.extra.get("fault_address"):
        details.append(f"fault address {fault['address']}: {fault['description']} (from {fault['evidence']})")
    return details


def _location(path: str, line: int, column: int) -> str:
    if line <= 0:
        return path or "(no location)"
    return f"{path}:{line}:{column}" if column > 0 else f"{path}:{line}"
