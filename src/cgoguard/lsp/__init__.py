"""``cgoguard lsp``: findings as editor diagnostics and fixes as code actions, over the
Language Server Protocol (:mod:`.server` wires pygls, :mod:`.convert` translates values)."""
