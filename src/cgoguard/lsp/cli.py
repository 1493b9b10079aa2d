"""``cgoguard lsp``: start the language server on stdin/stdout (what editors launch)."""

from __future__ import annotations

import argparse

from cgoguard.errors import CgoguardError


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "lsp", help="language server for editors (diagnostics and fixes, over stdio)",
        description="Run cgoguard as a language server over stdin/stdout, next to gopls: diagnostics "
                    "on open and save, with related locations, and code actions for the fixes.")
    parser.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default; "
                                                             "accepted because editors pass it)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    try:
        from cgoguard.lsp.server import serve
    except ImportError as exc:
        raise CgoguardError(f"cgoguard lsp needs pygls ({exc}); install it with: "
                            "python3 -m pip install 'cgoguard[lsp]'") from exc
    serve()
    return 0
