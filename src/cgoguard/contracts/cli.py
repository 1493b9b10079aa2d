"""``cgoguard contracts PATH...``: the ownership contract document of cgo packages."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "contracts", help="document the ownership contracts of the C functions a package calls",
        description="For each C function a cgo package calls: who owns the result and how to release it, "
                    "which arguments the call frees or keeps, the evidence, and the Go call sites. "
                    "Contracts come from [tool.cgoguard.contracts], GCC/Clang attributes, C bodies, built-in "
                    "packs (libc, sqlite3, libgit2, zstd, librdkafka, libbpf), doc comments and naming pairs.")
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                        help="package directories, Go files or DIR/... (default: .)")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the document here instead of stdout")
    parser.add_argument("--all", action="store_true",
                        help="document every C function the package declares, not only those Go calls")
    parser.add_argument("--system-headers", action="store_true", default=None,
                        help="also read <...> headers from the C compiler's and pkg-config's include dirs for "
                             "called functions (runs cc -E -v and pkg-config --cflags-only-I; a configuration "
                             "found in the scanned tree cannot turn this on)")
    parser.add_argument("--config", metavar="FILE", help="configuration file (default: nearest cgoguard.toml "
                                                         "or pyproject.toml)")
    parser.add_argument("--isolated", action="store_true",
                        help="ignore every configuration file (for code you do not trust)")
    parser.add_argument("--tags", default=None, help="comma-separated build tags")
    parser.add_argument("--cache-dir", metavar="DIR", help="contracts cache (default: ~/.cache/cgoguard/contracts)")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the contracts cache")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from cgoguard.contracts.assemble import document_packages
    from cgoguard.contracts.cache import default_cache_dir
    from cgoguard.output import write_output
    from cgoguard.scan.config import common_start, load_config

    overrides = {"tags": tuple(t for t in args.tags.split(",") if t) if args.tags is not None else None,
                 "system_headers": args.system_headers}
    config = load_config(common_start(args.paths), overrides, config_file=args.config, isolated=args.isolated)
    for warning in config.warnings:
        print(f"cgoguard: warning: {warning}", file=sys.stderr)
    cache_dir = None if args.no_cache else Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    documents, errors = document_packages(args.paths, config, include_all=args.all,
                                          system_headers=config.system_headers,
                                          cache_dir=cache_dir)
    if args.format == "json":
        from cgoguard.contracts.document import render_json

        text = render_json(documents)
    else:
        from cgoguard.contracts.document import render_markdown

        text = render_markdown(documents)
    write_output(text, args.output)
    for error in errors:
        print(f"cgoguard: {error.path}: {error.message}", file=sys.stderr)
    return 0
