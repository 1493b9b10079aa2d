#!/usr/bin/env python3
"""Time ``cgoguard scan`` and ``go vet ./...`` on the same Go code, in one run.

    python bench/bench_scan.py [PATH] [--repeat N] [--jobs N] [--cold] [--synthetic PACKAGES]

PATH defaults to the repository's ``examples/``; any directory holding Go modules works.
Both tools run end to end as a user runs them (process start-up included). Each timing is
the fastest of ``--repeat`` runs after one untimed warm-up. Compared like for like:

* **fresh analysis**: ``cgoguard scan --no-cache`` against ``go vet`` on a copy of each
  module whose Go files were just edited (a comment appended), so vet re-analyses the
  module's own packages while the standard library comes from the Go build cache — what a
  developer waits for after changing code;
* **unchanged code**: cgoguard with its result cache against ``go vet`` with nothing to redo;
* with ``--cold``, also ``go vet`` with an empty Go build cache (a CI runner without cache).
* **after a one-file edit**: with the result cache warm, a comment appended to one file of a
  package nothing imports, then to one file of the package most others import (its facts do
  not change: the importers stay cached), and, on the synthetic module, an edit that changes
  that package's facts (its importers are analysed again); each prints the packages analysed.

Printed: the times, the ratios, and Go lines per second (overall and, from a ``--jobs 1``
run, per core).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {"vendor", "testdata", "node_modules"}


def run_timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    # cgoguard and go vet both exit 1 when they report something: still a completed run,
    # unless the go command itself failed (it says "go: ..." then).
    if result.returncode not in (0, 1) or result.stderr.startswith("go: "):
        sys.exit(f"{' '.join(command)} failed in {cwd} (exit {result.returncode}):\n{result.stderr[-2000:]}")
    return elapsed


def vet_build_failure(go: str, roots: list[Path]) -> str:
    """Why ``go vet`` cannot build a module (say, a C library that pkg-config does not find),
    or "". Plain ``go vet`` exits 1 both for findings and for build failures (it would then
    look fast); with ``-json`` findings exit 0."""
    for root in roots:
        result = subprocess.run([go, "vet", "-json", "./..."], cwd=root, capture_output=True, text=True)
        if result.returncode != 0:
            errors = [line for line in result.stderr.splitlines() if line and not line.startswith(("#", "{", "}", "\t"))]
            return f"{root}: {errors[-1] if errors else f'exit {result.returncode}'}"
    return ""


def fastest(measure: Callable[[], float], repeat: int) -> float:
    measure()  # warm-up: OS page cache, Go build cache, .pyc files
    return min(measure() for _ in range(repeat))


def module_roots(path: Path) -> tuple[list[Path], bool]:
    """Where to run ``go vet ./...``, and whether those directories are whole modules that
    can be copied (the "after edit" measurement needs that). A PATH inside a module (say
    ``$(go env GOROOT)/src/net``) is vetted in place."""
    roots = []
    for current, dirnames, filenames in os.walk(path):
        dirnames[:] = [d for d in dirnames if not d.startswith((".", "_")) and d not in SKIPPED_DIRS]
        if "go.mod" in filenames:
            roots.append(Path(current))
            dirnames[:] = []
    if roots:
        return roots, True
    inside_module = any((parent / "go.mod").is_file() for parent in path.parents)
    return ([path] if inside_module else []), False


def edited_copy(root: Path, workdir: Path, nonce: str) -> Path:
    """A copy of a module with a comment appended to each Go file (new content hashes)."""
    copy = workdir / root.name
    shutil.copytree(root, copy, symlinks=True,
                    ignore=shutil.ignore_patterns(".git", ".cgoguard_cache", "node_modules"))
    for go_file in copy.rglob("*.go"):
        with go_file.open("a", encoding="utf-8") as handle:
            handle.write(f"\n// bench {nonce}\n")
    return copy


def time_vet_after_edit(go: str, roots: list[Path], repeat: int) -> float:
    counter = iter(range(1_000_000))

    def measure() -> float:
        with tempfile.TemporaryDirectory(prefix="cgoguard-bench-") as tmp:
            copies = [edited_copy(root, Path(tmp) / str(i), f"{time.time_ns()}-{next(counter)}")
                      for i, root in enumerate(roots)]
            return sum(run_timed([go, "vet", "./..."], copy) for copy in copies)

    return fastest(measure, repeat)


_PREAMBLE = """package {pkg}

/*
#include <stdlib.h>
#include <string.h>
typedef struct widget {{ int id; char *name; }} widget;
static widget *widget_new(int id) {{ widget *w = calloc(1, sizeof *w); w->id = id; return w; }}
static void widget_free(widget *w) {{ if (w) {{ free(w->name); free(w); }} }}
static size_t name_len(const char *s) {{ return strlen(s); }}
*/
import "C"

import (
	"sync"
	"unsafe"

	"example.com/bench/internal/cstr"
)

type Registry struct {{
	mu      sync.Mutex
	widgets map[int]*C.widget
}}

func NewRegistry() *Registry {{ return &Registry{{widgets: map[int]*C.widget{{}}}} }}
"""

_CGO_FUNCS = """
func (r *Registry) Add{k}(id int, name string) int {{
	w := C.widget_new(C.int(id))
	w.name = C.CString(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.widgets[id] = w
	return int(C.name_len(w.name))
}}

func (r *Registry) Remove{k}(id int) {{
	r.mu.Lock()
	defer r.mu.Unlock()
	if w, ok := r.widgets[id]; ok {{
		delete(r.widgets, id)
		C.widget_free(w)
	}}
}}

func Length{k}(s string) int {{
	cs := (*C.char)(cstr.New(s))
	defer cstr.Free(unsafe.Pointer(cs))
	n := 0
	for i := 0; i < 3; i++ {{
		if i%2 == 0 {{
			n += int(C.name_len(cs))
		}} else {{
			n--
		}}
	}}
	return n
}}

func Copy{k}(b []byte) []byte {{
	if len(b) == 0 {{
		return nil
	}}
	p := C.CBytes(b)
	defer C.free(p)
	return C.GoBytes(p, C.int(len(b)))
}}
"""

_GO_FUNCS = """
type Item{k} struct {{
	Name  string
	Count int
	Tags  []string
}}

func Summarise{k}(items []Item{k}) (map[string]int, error) {{
	out := make(map[string]int, len(items))
	for _, it := range items {{
		if it.Name == "" {{
			return nil, fmt.Errorf("item %d: empty name", it.Count)
		}}
		out[it.Name] += it.Count
		for _, tag := range it.Tags {{
			out[strings.ToLower(tag)]++
		}}
	}}
	return out, nil
}}
"""


# The helper package every synthetic package imports (its facts reach them all).
_CSTR = """package cstr

// #include <stdlib.h>
import "C"

import "unsafe"

// New copies s into C memory; the caller frees it with Free.
func New(s string) unsafe.Pointer { return unsafe.Pointer(C.CString(s)) }

// Free releases memory from New.
func Free(p unsafe.Pointer) { C.free(p) }
"""
# An edit of the helper package that changes its facts: Free no longer frees.
CSTR_FACTS_EDIT = ("func Free(p unsafe.Pointer) { C.free(p) }", "func Free(p unsafe.Pointer) { _ = p }")


def synthetic_module(root: Path, packages: int) -> Path:
    """A cgo module of ``packages`` packages written like everyday cgo wrapper code, all
    importing one helper package (internal/cstr)."""
    (root / "go.mod").write_text("module example.com/bench\n\ngo 1.22\n")
    (root / "internal" / "cstr").mkdir(parents=True)
    (root / "internal" / "cstr" / "cstr.go").write_text(_CSTR)
    for index in range(packages):
        pkg = f"pkg{index:03d}"
        directory = root / pkg
        directory.mkdir()
        cgo = _PREAMBLE.format(pkg=pkg) + "".join(_CGO_FUNCS.format(k=k) for k in range(8))
        (directory / "widgets.go").write_text(cgo)
        plain = f'package {pkg}\n\nimport (\n\t"fmt"\n\t"strings"\n)\n' + "".join(
            _GO_FUNCS.format(k=k) for k in range(12))
        (directory / "items.go").write_text(plain)
    return root


def go_lines(path: Path) -> tuple[int, int]:
    """(Go files, lines) that cgoguard analyses under ``path`` with the default build target."""
    sys.path.insert(0, str(REPO / "src"))
    from cgoguard.gofront.discover import discover

    files = [f for p in discover([str(path)]).packages for f in p.go_files]
    return len(files), sum(f.data.count(b"\n") for f in files)


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", default=str(REPO / "examples"), help="Go code to scan")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement (default 3)")
    parser.add_argument("--jobs", type=int, default=cores(), help="cgoguard workers (default: all cores)")
    parser.add_argument("--cold", action="store_true", help="also time go vet with an empty Go build cache")
    parser.add_argument("--synthetic", type=int, metavar="PACKAGES",
                        help="instead of PATH, generate a cgo module of PACKAGES packages (~780 lines each)")
    args = parser.parse_args()
    if args.synthetic:
        with tempfile.TemporaryDirectory(prefix="cgoguard-bench-module-") as tmp:
            return benchmark(synthetic_module(Path(tmp), args.synthetic), args)
    path = Path(args.path).resolve()
    if not path.is_dir():
        parser.error(f"{args.path} is not a directory")
    return benchmark(path, args)


def benchmark(path: Path, args: argparse.Namespace) -> int:
    files, lines = go_lines(path)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))
    # An installed cgoguard has its bytecode compiled; without it every run recompiles every module.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    scan = [sys.executable, "-m", "cgoguard", "scan", str(path), "--quiet", "--format", "json",
            "--output", os.devnull]
    fresh = fastest(lambda: run_timed([*scan, "--no-cache", "--jobs", str(args.jobs)], path), args.repeat)
    serial = fastest(lambda: run_timed([*scan, "--no-cache", "--jobs", "1"], path), args.repeat)
    with tempfile.TemporaryDirectory(prefix="cgoguard-bench-cache-") as cache_dir:
        cached = fastest(lambda: run_timed([*scan, "--cache-dir", cache_dir], path), args.repeat)

    print(f"code:               {path} ({files} Go files, {lines:,} lines)")
    print(f"cgoguard, fresh:    {fresh:7.3f} s  --jobs {args.jobs}, --no-cache  ({lines / fresh:,.0f} lines/s)")
    print(f"cgoguard, 1 core:   {serial:7.3f} s  --jobs 1, --no-cache  ({lines / serial:,.0f} lines/s per core)")
    print(f"cgoguard, cached:   {cached:7.3f} s  unchanged code, result cache warm")
    print(f"per core:           {lines / serial:,.0f} lines/s (target: at least 25,000)")
    edit_rescans(path, scan, args.jobs, synthetic=bool(args.synthetic))
    go = shutil.which("go")
    roots, copyable = module_roots(path)
    if go is None or not roots:
        print("go vet ./...:       skipped (" + ("no go on PATH" if go is None else "no Go module found") + ")")
        return 0
    unbuildable = vet_build_failure(go, roots)
    if unbuildable:
        print(f"go vet ./...:       skipped (go vet cannot build the code here: {unbuildable})")
        return 0
    vet_warm = fastest(lambda: sum(run_timed([go, "vet", "./..."], root) for root in roots), args.repeat)
    if copyable:
        vet_edit = time_vet_after_edit(go, roots, args.repeat)
        print(f"go vet, after edit: {vet_edit:7.3f} s  own packages re-analysed, dependencies cached "
              f"({len(roots)} module(s))")
    print(f"go vet, unchanged:  {vet_warm:7.3f} s  everything cached")
    if copyable:
        print(f"ratio, fresh:       cgoguard {vet_edit / fresh:.1f}x faster than go vet after an edit "
              "(target: at least 10x)")
    print(f"ratio, unchanged:   cgoguard {vet_warm / cached:.1f}x faster than go vet")
    if args.cold:
        with tempfile.TemporaryDirectory(prefix="cgoguard-bench-gocache-") as gocache:
            vet_cold = sum(run_timed([go, "vet", "./..."], root, {"GOCACHE": gocache}) for root in roots)
        print(f"go vet, cold cache: {vet_cold:7.3f} s  (cgoguard fresh is {vet_cold / fresh:.1f}x faster)")
    return 0


def edit_rescans(path: Path, scan: list[str], jobs: int, synthetic: bool) -> None:
    """Cached re-scans after one-file edits, on a copy of ``path``: which packages are analysed
    again, and how long the scan takes."""
    sys.path.insert(0, str(REPO / "src"))
    from cgoguard.gofront.discover import DiscoveryOptions, discover
    from cgoguard.gofront.graph import build_graph

    with tempfile.TemporaryDirectory(prefix="cgoguard-bench-edit-") as tmp:
        copy = Path(tmp) / "tree"
        shutil.copytree(path, copy, symlinks=True, ignore=shutil.ignore_patterns(".git", ".cgoguard_cache"))
        options = DiscoveryOptions()
        graph = build_graph(discover([str(copy)], options), options)
        users = [0] * len(graph.nodes)
        for index in range(len(graph.nodes)):
            for dep in graph.closure(index):
                users[dep] += 1
        scanned = [i for i, n in enumerate(graph.nodes) if not n.facts_only and n.sources.go_files]
        if not scanned:
            return
        leaf = max((i for i in scanned if not users[i]), default=scanned[0],
                   key=lambda i: sum(len(f.data) for f in graph.nodes[i].sources.go_files))
        shared = max(scanned, key=lambda i: users[i])
        command = [str(copy) if arg == str(path) else arg for arg in scan]
        command += ["-v", "--jobs", str(jobs), "--cache-dir", str(Path(tmp) / "cache")]
        run_timed(command, copy)  # warm the cache
        edits = [("leaf package, comment", leaf, None)]
        if users[shared]:
            edits.append(("shared package, comment", shared, None))
            if synthetic:
                edits.append(("shared package, facts change", shared, CSTR_FACTS_EDIT))
        for label, node, change in edits:
            edited = graph.nodes[node].sources.go_files[0].path
            text = edited.read_text()
            edited.write_text(text.replace(*change) if change else text + f"\n// edit {time.time_ns()}\n")
            start = time.perf_counter()
            result = subprocess.run(command, cwd=copy, capture_output=True, text=True)
            elapsed = time.perf_counter() - start
            analysed = _analysed_packages(result.stderr, copy)
            print(f"edit, {label + ':':29} {elapsed:7.3f} s  {edited.relative_to(copy)} "
                  f"({users[node]} importer(s)); analysed {len(analysed)}: {', '.join(analysed) or '-'}")


def _analysed_packages(stderr: str, root: Path) -> list[str]:
    """The package directories ``cgoguard scan -v`` lists as analysed, relative to ``root``."""
    lines = stderr.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("cgoguard: analysed")), len(lines))
    listed = [line.strip() for line in lines[start + 1:] if line.startswith("  ")]
    return [os.path.relpath(p, root) if os.path.isabs(p) else p for p in listed]


if __name__ == "__main__":
    sys.exit(main())
