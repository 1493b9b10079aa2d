"""The operations the transfer functions apply to the state: store, hand off, free, use.

A free and a use are where the checks of the bug classes they can complete are called
(:mod:`.checks`); storing and handing off only change what the function still owns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgoguard.analysis.lifetime.branches import on_failure_path
from cgoguard.analysis.lifetime.checks import bad_free, double_free, use_after_free
from cgoguard.analysis.lifetime.model import FunctionModel
from cgoguard.analysis.lifetime.state import ALLOC, ESCAPED, FREED, NIL, NONE, Loc, Objs
from cgoguard.analysis.lifetime.syntax import strip_conversions
from cgoguard.gofront.syntax import text

if TYPE_CHECKING:
    from tree_sitter import Node


class MemoryOperations(FunctionModel):
    def store(self, loc: Loc, value: Objs) -> None:
        """``loc = value``: stored into memory that outlives the call, the value escapes."""
        self.note_handled(value)
        # A summary location ("[*]": any element) only accumulates.
        self.state.heap[loc] = value | self.state.heap.get(loc, NONE) if loc[1] == "[*]" else value
        base = self.objects[loc[0]]
        # Stored into memory that outlives us, or into C memory we did not allocate (a list
        # element a C function handed back): the owner of that memory takes this over.
        if base.root or base.kind == "opaque" or self.reachable_from_roots(loc[0]):
            self.escape(value)

    def escape(self, value: Objs) -> None:
        """Hand memory off: everything reachable from ``value`` now belongs to someone else."""
        done: set[int] = set()
        pending = set(value - {NIL})
        while pending:
            batch = self.reachable(frozenset(pending)) - done
            done |= batch
            pending = set()
            self.note_handled(frozenset(batch))
            for obj in batch:
                info = self.objects[obj]
                if info.kind == "closure" and info.node is not None:
                    pending |= self.captured(info.node)  # a closure that outlives us keeps its captures
                if obj in self.interior:
                    pending.add(info.base)  # &x.f handed off hands off x
                flags = self.state.flags.get(obj, frozenset())
                if ESCAPED not in flags or ALLOC in flags:
                    self.state.flags[obj] = (flags - {ALLOC}) | {ESCAPED}
            pending -= done | {NIL}

    def note_handled(self, objs: Objs, at: Node | None = None) -> None:
        """Memory with a status (see :attr:`.state.Obj.status`) freed, stored or handed off inside
        a branch that tests the status: the other branch is the one where C returned nothing."""
        at = at or (self.node.ast if self.node is not None else None)
        if at is None:
            return
        for obj in objs:
            info = self.objects[obj]
            if info.status and not info.freed_on_status and on_failure_path(at, info.status):
                info.freed_on_status = True

    def free(self, value: Objs, site_node: Node, arg: Node, *, via: str, deferred: Node | None = None,
             what: str = "") -> None:
        """``via`` releases ``value`` (the argument ``arg``) at ``site_node``, or at the return
        that runs the ``deferred`` statement."""
        objs = value - {NIL}
        if not objs:
            return
        site = self.site(site_node)
        strong = len(objs) == 1 and not self.objects[next(iter(objs))].weak and not self.maybe_frees
        self.note_handled(objs, site_node)
        if self.events.enabled:
            what = what or text(strip_conversions(arg))
            bad_free.check_free(self, objs, site_node, what, via)
            if strong:
                double_free.check_free(self, next(iter(objs)), site_node, what, via, deferred)
        for obj in objs:
            flags = self.state.flags.get(obj, frozenset())
            if self.objects[obj].weak:
                self.state.flags[obj] = flags | {FREED}  # never reported on, but the map now dangles
            elif strong:
                self.state.flags[obj] = frozenset({FREED})
                self.state.freed_at[obj] = frozenset({site})
            else:
                self.state.flags[obj] = (flags - {ALLOC}) | {FREED}
                self.state.freed_at[obj] = self.state.freed_at.get(obj, frozenset()) | {site}
        if not via.startswith("C.") or via[2:] not in self.pkg.ownership.paired_deallocators:
            # A wrapper's stale references are reported in the wrapper; and only a function
            # known to release what an allocator returned (not any `*_destroy` verb) counts.
            return
        for loc, contents in self.state.heap.items():
            for obj in objs & contents:
                if self.objects[obj].kind != "closure":
                    self.state.dangling = self.state.dangling | {(site, obj, loc)}

    def use(self, value: Objs, node: Node, how: str) -> None:
        """``node`` reads or passes on the memory of ``value``."""
        objs = value - {NIL}
        for obj in objs:
            param = self.field_of_param(obj)
            if param is not None and param not in self.field_uses:
                self.field_uses[param] = node
        if self.events.enabled:
            use_after_free.check_use(self, objs, node, how)
