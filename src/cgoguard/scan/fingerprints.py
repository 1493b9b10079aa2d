"""Fingerprints that survive code motion: rule, file, enclosing function, the offending line's
normalised text and its occurrence index among identical lines — never a line number.

Baselines match on them and SARIF carries them as ``partialFingerprints``, so inserting a
line above a finding, or reformatting indentation, does not turn an old finding into a new one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from tree_sitter import Node

from cgoguard.findings import Finding, stable_fingerprint
from cgoguard.gofront.syntax import text

FUNCTION_NODES = ("function_declaration", "method_declaration")

# (path relative to the project root, enclosing function, normalised line text)
FingerprintContext = tuple[str, str, str]


def assign_fingerprints(findings: Iterable[Finding], context: Callable[[Finding], FingerprintContext]) -> None:
    """Give every finding without a fingerprint one; identical contexts are numbered in
    source order so that two equal findings in one function stay distinct."""
    occurrences: Counter[tuple[str, ...]] = Counter()
    for finding in sorted(findings, key=lambda f: f.sort_key):
        if finding.fingerprint:
            continue
        key = (finding.rule, *context(finding))
        finding.fingerprint = stable_fingerprint(*key, occurrences[key])
        occurrences[key] += 1


def normalise_line(line: str) -> str:
    return " ".join(line.split())


def enclosing_function(root: Node, line: int, column: int) -> str:
    """``Func``, ``Type.Method`` or ``""`` (package level) for a 1-based position."""
    point = (max(line - 1, 0), max(column - 1, 0))
    node: Node | None = root.descendant_for_point_range(point, point)
    while node is not None and node.type not in FUNCTION_NODES:
        node = node.parent
    if node is None:
        return ""
    name = text(node.child_by_field_name("name"))
    if node.type == "method_declaration":
        return f"{_receiver_type(node)}.{name}"
    return name


def _receiver_type(method: Node) -> str:
    receiver = method.child_by_field_name("receiver")
    for param in receiver.named_children if receiver is not None else []:
        type_node = param.child_by_field_name("type")
        if type_node is not None:
            return text(type_node).lstrip("*").split("[")[0]
    return ""
