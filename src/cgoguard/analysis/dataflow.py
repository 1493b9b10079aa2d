"""A generic forward dataflow solver over :class:`~cgoguard.analysis.cfg.Cfg`.

States are immutable values; the analysis supplies ``transfer(node, state) -> state`` and
``join(a, b) -> state``. Nodes are visited in reverse post-order with a worklist, so
acyclic regions converge in one pass and loops in a few. A visit budget bounds the work on
pathological graphs: analyses must stay sound-ish (they only under-report) when it trips.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Generic, TypeVar

from cgoguard.analysis.cfg import Cfg, CfgNode

S = TypeVar("S")

# Visits per node before giving up on convergence (lattices here are finite and small).
_VISITS_PER_NODE = 24


class ForwardAnalysis(Generic[S]):
    def __init__(self, cfg: Cfg, initial: S, transfer: Callable[[CfgNode, S], S],
                 join: Callable[[S, S], S], refine: Callable[[CfgNode, int, S], S] | None = None) -> None:
        self.cfg = cfg
        self.refine = refine  # edge-specific refinement (e.g. `p != nil` holds on the true edge)
        self.initial = initial
        self.transfer = transfer
        self.join = join
        self.before: dict[int, S] = {}  # state on entry to each reached node

    def solve(self) -> dict[int, S]:
        cfg = self.cfg
        order = cfg.reverse_postorder()
        rank = {node: index for index, node in enumerate(order)}
        self.before = {cfg.entry: self.initial}
        after: dict[int, S] = {}
        heap = [0]  # ranks of nodes to visit; `queued` mirrors it to avoid duplicates
        queued = {cfg.entry}
        budget = _VISITS_PER_NODE * max(len(order), 1)
        while heap and budget > 0:
            budget -= 1
            current = order[heapq.heappop(heap)]
            queued.discard(current)
            node = cfg.nodes[current]
            out = self.transfer(node, self.before[current])
            if current in after and after[current] == out:
                continue
            after[current] = out
            for succ in node.succs:
                if succ not in rank:
                    continue
                edge_out = self.refine(node, succ, out) if self.refine is not None else out
                previous = self.before.get(succ)
                merged = edge_out if previous is None else self.join(previous, edge_out)
                if previous is None or merged != previous:
                    self.before[succ] = merged
                    if succ not in queued:
                        queued.add(succ)
                        heapq.heappush(heap, rank[succ])
        return self.before
