"""``cgoguard profile INPUT... [--binary BIN] [--source DIR] [--format text|json|html|folded] [-o FILE]``.

Exit status: 0 when the profile was analysed, 2 on a usage error or when no input could be
read (a profile has no findings, so there is no ``--fail-on``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cgoguard.errors import UsageError

if TYPE_CHECKING:
    from cgoguard.profile.attribute import Attribution

FORMATS = ("text", "json", "html", "folded")
EPILOG = """inputs (told apart by their content):
  perf script text   perf record -g -e cpu-clock ./prog; perf script > perf.txt
  perf.data          read with `perf script` when perf is installed
  Go CPU profile     go test -cpuprofile cpu.out, runtime/pprof, /debug/pprof/profile
                     (C time is only visible as runtime.cgocall under the Go caller)
mappings: record syscalls:sys_enter_mmap,syscalls:sys_exit_mmap,syscalls:sys_enter_munmap,
syscalls:sys_enter_brk,syscalls:sys_exit_brk with -g as well to see the mappings made from C
and not unmapped, by Go call site.

examples:
  perf record -e cpu-clock -g -o perf.data ./server; cgoguard profile perf.data --source .
  cgoguard profile cpu.out --format html -o profile.html
  perf script | cgoguard profile - --binary ./server --format json
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    from cgoguard.options import add_output_options

    parser = subparsers.add_parser(
        "profile", help="where CPU time goes across the cgo boundary, by Go call site of each C function",
        description="Attribute the samples of a perf or Go CPU profile to the Go call sites of C functions: "
                    "time in C under each site, the C functions under it, the cost of the cgo transition, "
                    "and C time that cannot be attributed (with why).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="perf script text, perf.data or a Go CPU profile; - reads perf script text from stdin")
    parser.add_argument("--binary", metavar="BIN",
                        help="the profiled program, for source lines (default: the path the profile names)")
    parser.add_argument("--source", action="append", default=[], metavar="DIR",
                        help="Go source root, to map call sites to C.f(...) calls (repeatable; default: .)")
    add_output_options(parser, FORMATS, statistics=False, fail_on=False)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from cgoguard.options import wants_colour
    from cgoguard.output import write_output
    from cgoguard.profile import analyze_profiles

    for name in args.inputs:
        if name != "-" and not Path(name).exists():
            raise UsageError(f"{name}: no such file or directory")
    if args.inputs.count("-") > 1:
        raise UsageError("- (standard input) can be given once")
    if "-" in args.inputs and sys.stdin.isatty():
        raise UsageError("- reads perf script text from standard input: pipe it in (perf script | cgoguard profile -)")
    binary = Path(args.binary) if args.binary else None
    if binary is not None and not binary.is_file():
        raise UsageError(f"--binary {binary}: no such file")
    roots = [Path(s) for s in args.source] or [Path(".")]
    for root in roots:
        if not root.exists():
            raise UsageError(f"--source {root}: no such file or directory")
    result = analyze_profiles(args.inputs, binary=binary, source_roots=roots,
                              stdin=sys.stdin.buffer if "-" in args.inputs else None)
    write_output(render(result.attribution, result.inputs, args.format,
                        colour=wants_colour(args.color, output=args.output)), args.output)
    for error in result.unreadable:
        print(f"cgoguard: warning: {error.path}: {error.message}", file=sys.stderr)
    return 0


def render(attribution: Attribution, inputs: list[str], fmt: str, *, colour: bool = False) -> str:
    from cgoguard.output.text import TextStyle
    from cgoguard.profile.render import render_json, render_text

    if fmt == "json":
        return render_json(attribution, inputs)
    if fmt == "html":
        from cgoguard.profile.page import render_html

        return render_html(attribution, inputs)
    if fmt == "folded":
        from cgoguard.profile.flamegraph import folded_text

        return folded_text(attribution.folded)
    return render_text(attribution, inputs, TextStyle(colour=colour))
