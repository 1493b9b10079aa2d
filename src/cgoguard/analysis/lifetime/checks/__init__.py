"""The lifetime checks: one module per bug class, each deciding what is an :class:`~.events.Event`.

The transfer functions keep the state; at a few points they ask the checks whether what just
happened is a bug (the checks only read the :class:`~.model.FunctionModel`):

* at a free (``operations.free``): :func:`.bad_free.check_free`, :func:`.double_free.check_free`;
* at a use of memory (``operations.use``): :func:`.use_after_free.check_use`;
* at a call of a package function (``calls._go_call``): :func:`.use_after_free.check_callee_reads_freed_field`;
* at an allocation (``calls.allocate``): :func:`.leak.check_reallocation`;
* at an assignment to a variable a ``defer`` saw nil (``statements.assign``): :func:`.leak.report_nil_defer`;
* at a return, after the deferred calls (``statements._return``): :func:`check_exit`.

A new bug class is a new module here with its ``KIND``, added to :data:`MUST_KINDS` or
:data:`MAY_KINDS`, and a hook where the transfer functions see the event happen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgoguard.analysis.lifetime.checks import bad_free, dangling, double_free, leak, use_after_free
from cgoguard.analysis.lifetime.state import Objs

if TYPE_CHECKING:
    from tree_sitter import Node

    from cgoguard.analysis.lifetime.model import FunctionModel

# Where several paths reach a node, these are reported only when they hold on every path
# (checked on the merged state)...
MUST_KINDS = frozenset({use_after_free.KIND, double_free.KIND, bad_free.KIND})
# ...and these when they hold on any one path.
MAY_KINDS = frozenset({leak.KIND, dangling.KIND})
ALL_KINDS = MUST_KINDS | MAY_KINDS


def check_exit(model: FunctionModel, node: Node, returned: Objs,
               flags_before_defers: dict[int, frozenset[str] | None]) -> None:
    """At a return, once the deferred calls ran: ``returned`` is everything the caller gets
    (reachable from the results), ``flags_before_defers`` their flags before the defers."""
    use_after_free.check_freed_by_defers(model, node, returned, flags_before_defers)
    leak.check_exit(model, node)
    dangling.check_exit(model, node)
