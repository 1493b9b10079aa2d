"""An index of the syntax trees of one package, built by a single traversal.

Rules and analyses look at the same trees again and again (every call of a function, every
identifier of a body, ...); walking a tree-sitter subtree with a cursor costs about a
microsecond per node, and a package's rules used to walk each file some twenty times. The
index lists every named node once, in pre-order, so that the nodes below any indexed node are
one slice of that list, and the nodes of a given type below it are found by bisection. It
also remembers answers about single nodes that several analyses ask for (:meth:`SyntaxIndex.memo`:
a call's parts, ``C.name`` selectors, a function's declarations and expression types).

While an index is active (:func:`using_index`, entered by the scan for the package being
analysed), :func:`cgoguard.gofront.syntax.walk` and
:func:`cgoguard.gofront.syntax.nodes_of_type` answer from it; outside, they walk the tree.
Node ids are addresses of tree-sitter subtrees: unique among the trees alive, and the index
keeps its trees alive by holding their nodes.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from tree_sitter import Node

T = TypeVar("T")


class SyntaxIndex:
    """Every named node of some trees in pre-order, with each node's subtree extent."""

    def __init__(self, roots: Iterable[Node]) -> None:
        self.nodes: list[Node] = []
        self.subtree_end: list[int] = []  # position just past the node's last descendant
        self.position: dict[int, int] = {}  # node id -> position
        kinds: list[int] = []
        for root in roots:
            self._add_tree(root, kinds)
        self._memos: dict[Hashable, dict[int, Any]] = {}
        names: dict[int, str] = {}  # kind id -> type name (several ids may share a name)
        self.types: list[str] = []
        self.by_type: dict[str, list[int]] = {}
        for position, kind in enumerate(kinds):
            name = names.get(kind)
            if name is None:
                name = names[kind] = self.nodes[position].type
            self.types.append(name)
            self.by_type.setdefault(name, []).append(position)

    def _add_tree(self, root: Node, kinds: list[int]) -> None:
        """One cursor traversal; the loops are written out because this visits every node."""
        nodes, subtree_end, position_of = self.nodes, self.subtree_end, self.position
        cursor = root.walk()
        open_positions: list[int] = []  # one per cursor depth; -1 for anonymous nodes
        node = cursor.node
        while True:
            if node.is_named:
                position = len(nodes)
                nodes.append(node)
                kinds.append(node.kind_id)
                subtree_end.append(position + 1)
                position_of[node.id] = position
                open_positions.append(position)
            else:
                open_positions.append(-1)
            if cursor.goto_first_child():
                node = cursor.node
                continue
            while True:  # close finished nodes until one has a next sibling
                closed = open_positions.pop()
                if closed >= 0:
                    subtree_end[closed] = len(nodes)
                if cursor.goto_next_sibling():
                    node = cursor.node
                    break
                if not cursor.goto_parent():
                    return

    def subtree(self, node: Node) -> list[Node] | None:
        """``node`` and its named descendants in pre-order; None when ``node`` is not indexed."""
        position = self.position.get(node.id)
        if position is None:
            return None
        return self.nodes[position:self.subtree_end[position]]

    def of_type(self, node: Node, types: tuple[str, ...]) -> list[Node] | None:
        """The nodes of ``types`` in ``node``'s subtree (``node`` included), in pre-order;
        None when ``node`` is not indexed."""
        start = self.position.get(node.id)
        if start is None:
            return None
        end = self.subtree_end[start]
        positions: list[int] = []
        for node_type in types:
            candidates = self.by_type.get(node_type)
            if candidates:
                positions += candidates[bisect_left(candidates, start):bisect_left(candidates, end)]
        if len(types) > 1:
            positions.sort()
        return [self.nodes[p] for p in positions]

    def memo(self, purpose: Hashable, node: Node, compute: Callable[[], T]) -> T:
        """``compute()``, a pure function of ``node``'s syntax, computed once per indexed node
        and ``purpose`` and shared by every analysis of the package (not kept for other nodes)."""
        position = self.position.get(node.id)
        if position is None:
            return compute()
        memo = self._memos.setdefault(purpose, {})
        if position not in memo:
            memo[position] = compute()
        return memo[position]

    def skipping_func_literals(self, node: Node) -> Iterator[Node] | None:
        """Like :meth:`subtree` but without the function literals below ``node`` (nor their
        bodies); None when ``node`` is not indexed."""
        start = self.position.get(node.id)
        if start is None:
            return None
        return self._skipping_func_literals(start)

    def _skipping_func_literals(self, start: int) -> Iterator[Node]:
        nodes, types, subtree_end = self.nodes, self.types, self.subtree_end
        yield nodes[start]
        position, end = start + 1, subtree_end[start]
        while position < end:
            if types[position] == "func_literal":
                position = subtree_end[position]
                continue
            yield nodes[position]
            position += 1


_active: list[SyntaxIndex] = []


def active_index() -> SyntaxIndex | None:
    return _active[-1] if _active else None


@contextmanager
def using_index(index: SyntaxIndex) -> Iterator[SyntaxIndex]:
    """Answer tree walks from ``index`` until the block ends (blocks may nest)."""
    _active.append(index)
    try:
        yield index
    finally:
        _active.pop()
