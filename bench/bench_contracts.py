#!/usr/bin/env python3
"""Time contract inference on a generated header tree of many declarations.

    python bench/bench_contracts.py [--declarations 5000] [--headers 50] [--repeat 3]

Generates a cgo package whose preamble includes ``headers`` headers (through a ``-I``
directory) declaring ``declarations`` functions in the shapes real C libraries use:
allocator/deallocator naming pairs, doc comments ("must be freed with ..."), GCC
``malloc(dealloc)`` attributes, borrowed accessors, setters that keep a pointer, and plain
functions; a tenth of them also get a body in a .c file. Then measures, fastest of
``--repeat`` runs:

* parse: discovering the package and building its C model (tree-sitter over every header);
* infer: ``contracts_for_package`` without a cache (all evidence, the body fixpoint);
* cache write and cache hit: the same with an on-disk cache, cold then warm;
* document: ``cgoguard contracts --format json`` end to end, as a process;
* system headers: a package including libc headers, with ``system-headers = true``, without
  and with the cache.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from cgoguard.contracts import contracts_for_package  # noqa: E402
from cgoguard.gofront import DiscoveryOptions, Package, discover, load_packages  # noqa: E402

SYSTEM_HEADERS = ("stdio.h", "stdlib.h", "string.h", "unistd.h", "pthread.h")


def declaration(index: int) -> tuple[str, str]:
    """(header text, body text or "") of the index-th generated function group member."""
    kind = index % 6
    stem = f"obj{index // 6}"
    if kind == 0:
        return f"typedef struct {stem} {stem}_t;\n{stem}_t *{stem}_new(const char *name);\n", ""
    if kind == 1:
        body = f"void {stem}_free({stem}_t *o) {{ free(o); }}\n" if index % 10 == 1 else ""
        return f"void {stem}_free({stem}_t *o);\n", body
    if kind == 2:
        return (f"/* Describes o. The result must be freed with {stem}_free(). */\n"
                f"char *{stem}_describe(const {stem}_t *o);\n"), ""
    if kind == 3:
        return (f"__attribute__((malloc({stem}_free, 1))) char *{stem}_render(const {stem}_t *o, int flags);\n",
                "")
    if kind == 4:
        return f"/* Returns the name; it is owned by o. */\nconst char *{stem}_name(const {stem}_t *o);\n", ""
    body = (f"static void *{stem}_kept;\nvoid {stem}_set_data({stem}_t *o, void *data) "
            f"{{ (void)o; {stem}_kept = data; }}\n") if index % 10 == 5 else ""
    return f"/* data must remain valid until o is freed. */\nvoid {stem}_set_data({stem}_t *o, void *data);\n", body


def generate(root: Path, declarations: int, headers: int) -> Path:
    package = root / "pkg"
    include = package / "include"
    include.mkdir(parents=True)
    per_header = -(-declarations // headers)
    bodies: list[str] = ["#include <stdlib.h>\n", '#include "all.h"\n']
    calls: list[str] = []
    for h in range(headers):
        texts = [f"#ifndef H{h}\n#define H{h}\n#include <stddef.h>\n"]
        for index in range(h * per_header, min(declarations, (h + 1) * per_header)):
            header, body = declaration(index)
            texts.append(header)
            bodies.append(body)
            if index % 25 == 0:
                calls.append(f"\t_ = C.obj{index // 6}_new(nil)\n")
        texts.append("#endif\n")
        (include / f"h{h}.h").write_text("".join(texts))
    (include / "all.h").write_text("".join(f'#include "h{h}.h"\n' for h in range(headers)))
    (package / "lib.c").write_text("".join(bodies))
    (package / "pkg.go").write_text(
        'package pkg\n\n// #cgo CFLAGS: -I${SRCDIR}/include\n// #include "all.h"\nimport "C"\n\n'
        "func Use() {\n" + "".join(calls) + "}\n")
    return package


def load(package_dir: Path) -> Package:
    package = load_packages(discover([str(package_dir)], DiscoveryOptions()).packages[0])[0]
    _ = package.c
    return package


def fastest(measure: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        measure()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--declarations", type=int, default=5000)
    parser.add_argument("--headers", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cgoguard-bench-contracts-") as tmp:
        root = Path(tmp)
        package_dir = generate(root, args.declarations, args.headers)
        package = load(package_dir)
        functions = len(package.c.functions)
        parse = fastest(lambda: load(package_dir), args.repeat)
        infer = fastest(lambda: contracts_for_package(package), args.repeat)
        cache_dirs = iter(root / f"cache{i}" for i in range(args.repeat))
        write = fastest(lambda: contracts_for_package(package, cache_dir=next(cache_dirs)), args.repeat)
        hit = fastest(lambda: contracts_for_package(package, cache_dir=root / "cache0"), args.repeat)
        contracts = contracts_for_package(package)
        known = sum(1 for c in contracts if c.is_known and c.function in package.c.functions)
        command = [sys.executable, "-m", "cgoguard", "contracts", str(package_dir), "--format", "json",
                   "--no-cache", "-o", str(root / "doc.json")]
        document = fastest(lambda: subprocess.run(command, check=True, cwd=root,
                                                  env={"PYTHONPATH": str(REPO / "src")}), 1)
    print(f"declarations: {functions} functions in {args.headers} headers "
          f"({known} with a contract; bodies for a tenth)")
    print(f"parse (discover + C model): {parse:7.3f} s")
    print(f"infer (no cache):           {infer:7.3f} s  ({functions / infer:,.0f} functions/s)")
    print(f"infer + cache write:        {write:7.3f} s")
    print(f"cache hit:                  {hit:7.3f} s")
    print(f"cgoguard contracts (json):  {document:7.3f} s end to end")
    system_headers_benchmark(args.repeat)


def system_headers_benchmark(repeat: int) -> None:
    """Opt-in system headers: the cache saves parsing the compiler's headers again."""
    with tempfile.TemporaryDirectory(prefix="cgoguard-bench-contracts-") as tmp:
        root = Path(tmp)
        (root / "p.go").write_text(
            "package p\n\n/*\n" + "".join(f"#include <{h}>\n" for h in SYSTEM_HEADERS) + "*/\nimport \"C\"\n\n"
            "func F() { _ = C.tempnam(nil, nil); _ = C.fopen(nil, nil); _ = C.strdup(nil) }\n")
        package = load(root)
        options = {"system-headers": True}
        cold = fastest(lambda: contracts_for_package(package, options), repeat)
        contracts_for_package(package, options, cache_dir=root / "cache")
        hit = fastest(lambda: contracts_for_package(package, options, cache_dir=root / "cache"), repeat)
    print(f"system headers ({', '.join(SYSTEM_HEADERS)}): infer {cold:.3f} s, cache hit {hit:.3f} s")


if __name__ == "__main__":
    main()
