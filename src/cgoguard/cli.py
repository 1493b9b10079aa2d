"""Command-line entry point: wires the library's capabilities to sub-commands.

Each capability package owns a ``cli`` module with two functions:

``register(subparsers) -> argparse.ArgumentParser``
    adds its sub-command and sets ``func`` on the parser's defaults;
``func(args) -> int``
    runs the command and returns the exit code (0 clean, 1 findings, 2 usage/internal error).

Heavy imports happen inside ``func`` so that ``cgoguard --help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from cgoguard import __version__
from cgoguard.errors import CgoguardError

# Sub-command modules, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "cgoguard.scan.cli",
    "cgoguard.rules.cli",
    "cgoguard.contracts.cli",
    "cgoguard.reports.cli",
    "cgoguard.runner.cli",
    "cgoguard.gc.cli",
    "cgoguard.mem.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cgoguard",
        description="Find memory-safety bugs in Go code that calls C through cgo.",
    )
    parser.add_argument("--version", action="version", version=f"cgoguard {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # A capability still being built must not break the others.
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except CgoguardError as exc:
        print(f"cgoguard: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cgoguard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed: not an error of ours.
        with contextlib.suppress(OSError):
            # Silence the interpreter's final flush of the closed pipe.
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except Exception as exc:  # an internal error must still exit 2 with a readable message
        if os.environ.get("CGOGUARD_DEBUG"):
            traceback.print_exc()
        print(f"cgoguard: internal error: {type(exc).__name__}: {exc} "
              "(set CGOGUARD_DEBUG=1 for the traceback)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
