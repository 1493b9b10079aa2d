"""C-memory lifetime analysis: a forward dataflow over each function's CFG.

Abstract objects stand for memory: one per allocation site (``C.CString``, ``C.malloc``, an
owned C result per the contracts, an owned result of a package wrapper), one per parameter,
captured variable or unknown value, one per field/element read from another object
(k-limited: past a small depth they become *weak* summary objects that are never
reported on), and one per Go composite value. The state maps

* local variables to the objects they may point to (``env``),
* ``(object, ".field" | "[key]" | "*")`` locations to their contents (``heap``; package
  variables are fields of one ``globals`` object),
* objects to the set of states they may be in: ``A`` allocated and owned here, ``F`` freed,
  ``E`` escaped (returned, stored somewhere longer-lived, handed to code that keeps it),
* pending deferred calls (arguments evaluated at the ``defer``), pending frees of memory still
  reachable from long-lived locations, and ``defer`` statements that captured a nil pointer.

Joins are unions, so ``{A, F}`` means "freed on some paths". Up to four states are kept
apart per CFG node, and ``if p == nil`` / ``if p != nil`` refine them, so a free-then-nil on
one branch stays correlated with the later test. Use-after-free and double free are reported
only when *every* object the expression may denote is freed on every path reaching it
(``{F}`` in the merged state); leaks and dangling references when they hold on some path at a
``return`` (panics and ``os.Exit`` are ignored).

C functions often report failure through a status (``rc := C.open(&h)``, an ``&errmsg``
out-parameter, a Go wrapper's ``err``): memory that is freed, stored or handed off only in a
branch testing that status is assumed not to exist on the other branch (NULL on failure).
Package-level summaries (see :mod:`cgoguard.analysis.summaries`) make wrappers transparent.

The modules, lowest layer first (each imports only from those above it in this list):

* :mod:`.state` — the abstract domain: objects, ``State``, ``Paths`` and the join;
* :mod:`.events` — ``Event`` and the per-CFG-node event log;
* :mod:`.syntax`, :mod:`.branches` — questions asked of the Go tree (what a condition implies);
* :mod:`.context` — the package around a function: contracts, summaries so far;
* :mod:`.callsites` — what a call expression calls;
* :mod:`.model` — one function's objects, sites and current state (what the checks read);
* :mod:`.checks` — one module per bug class, deciding what is an event;
* :mod:`.operations` — store, hand off, free, use (where the checks are called);
* :mod:`.expressions`, :mod:`.calls`, :mod:`.statements` — the transfer functions;
* :mod:`.function` — the dataflow of one function (solving, nil-test refinement);
* :mod:`.summary` — a function's summary for its callers;
* :mod:`.driver` — the package: functions bottom-up to a fixpoint of the summaries.

Rules read the results through :func:`analyze_package` (see ``cgoguard.rules.analyses``).
"""

from cgoguard.analysis.lifetime.driver import PackageLifetime, analyze_package
from cgoguard.analysis.lifetime.events import Event
from cgoguard.analysis.lifetime.syntax import declared_names

__all__ = ["Event", "PackageLifetime", "analyze_package", "declared_names"]
