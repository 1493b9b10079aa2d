"""Command-line entry point: wires the library's capabilities to sub-commands.

Each capability package owns a ``cli`` module with two functions (listed in ``COMMANDS``):

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

# Sub-commands in the order ``--help`` lists them: the module that registers each, and the
# one-line help shown before that module is imported. Only the chosen command's module is
# imported, so start-up stays fast whatever the other capabilities import.
COMMANDS: dict[str, tuple[str, str]] = {
    "scan": ("cgoguard.scan.cli", "find C-memory and cgo pointer-rule bugs in Go source"),
    "rules": ("cgoguard.rules.cli", "list the static-analysis rules"),
    "explain": ("cgoguard.rules.cli", "show a rule's documentation"),
    "contracts": ("cgoguard.contracts.cli", "document the ownership contracts of the C functions a package calls"),
    "report": ("cgoguard.reports.cli", "turn sanitizer, race, cgocheck and panic output into findings"),
    "run": ("cgoguard.runner.cli", "run tests or a program under asan, leak, cgocheck, cgocheck2, race, gc"),
    "gc": ("cgoguard.gc.cli", "analyse GC pauses and their relation to cgo calls"),
    "mem": ("cgoguard.mem.cli", "where a live cgo process's memory goes, and is it leaking"),
    "profile": ("cgoguard.profile.cli", "where CPU time goes across the cgo boundary, by Go call site"),
    "lsp": ("cgoguard.lsp.cli", "language server for editors (diagnostics and fixes, over stdio)"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser, with ``command``'s full sub-parser and one-line stubs for the rest."""
    parser = argparse.ArgumentParser(
        prog="cgoguard",
        description="Find memory-safety bugs in Go code that calls C through cgo.",
    )
    parser.add_argument("--version", action="version", version=f"cgoguard {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = COMMANDS.get(command or "", ("", ""))[0]
    for name, (module_name, summary) in COMMANDS.items():
        if name in subparsers.choices:
            continue  # registered along with another command of the same module
        if module_name == chosen:
            importlib.import_module(module_name).register(subparsers)
        else:
            subparsers.add_parser(name, help=summary, description=summary)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_in(argv))
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
