"""Analyses shared by rules: control flow, data flow, C-memory lifetime, memory origin, finalizers,
and the function summaries a package exports to the packages importing it (call graph, effects,
facts).

An analysis takes a package (and the contracts of its C functions) and returns results; it
never imports ``cgoguard.rules``. Rules ask for the results through
:mod:`cgoguard.rules.analyses`, which computes each once per package and turns them into
findings.
"""
