"""Lifetime events (the bugs the checks find) and how they are collected while solving."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cgoguard.findings import Confidence

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.analysis.remedies import Remedy
    from cgoguard.gofront.gofile import GoFile


@dataclass(slots=True)
class Event:
    kind: str  # leak | use-after-free | double-free | dangling | bad-free (see checks/)
    node: Node
    message: str
    related: list[tuple[Node, str]] = field(default_factory=list)
    confidence: Confidence = Confidence.HIGH
    obj: int = -1  # the leaked object, for leaks (re-checked once the analysis is complete)
    file: GoFile | None = None  # where ``node`` is, when not in the analysed function's file
    remedy: Remedy | None = None  # what a fix needs to know (cgoguard.analysis.remedies)


class EventLog:
    """The events of one function, per CFG node.

    Events are recorded while the dataflow is solved: a node is visited again whenever its
    input changes, so the events of its last visit, which saw its final state, are the answer.
    """

    def __init__(self, kinds: frozenset[str]) -> None:
        self.enabled = True  # off while a free may or may not run (a conditional one in a closure)
        self.kinds = kinds  # the kinds the current transfer may report (see checks.MUST_KINDS)
        self._by_node: dict[int, list[tuple[tuple, Event]]] = {}
        self._current: list[tuple[tuple, Event]] = []

    def visit(self, node_id: int) -> None:
        """Start the events of a new visit of CFG node ``node_id`` (forgetting the last one's)."""
        self._current = self._by_node[node_id] = []

    def emit(self, key: tuple, event: Event) -> None:
        """Record ``event`` once per ``key`` and visit, when its kind may be reported now."""
        if not self.enabled or event.kind not in self.kinds or any(k == key for k, _ in self._current):
            return
        self._current.append((key, event))

    def final(self, position: Callable[[int], int], dismissed: Callable[[Event], bool]) -> list[Event]:
        """Every node's last events, in source order of the nodes, one per key."""
        events: list[Event] = []
        reported: set[tuple] = set()
        for node_id in sorted(self._by_node, key=position):
            for key, event in self._by_node[node_id]:
                if key in reported or dismissed(event):
                    continue
                reported.add(key)
                events.append(event)
        return events
