"""``cgoguard mem``: attribute a process's memory and judge whether its non-Go part leaks."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cgoguard.options import add_output_options

MB = 1024 * 1024


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "mem", help="where a live cgo process's memory goes, and is it leaking",
        description="Sample /proc/PID/smaps over time, attribute resident memory to the Go heap, the "
                    "Go runtime, the C heap, thread stacks and files, and fit growth rates.")
    parser.add_argument("snapshots", nargs="*", type=Path,
                        help="analyse saved snapshots (--save output or raw smaps files) instead of --pid")
    parser.add_argument("--pid", type=int, help="process to sample")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples (default 1)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds to sample (default 10)")
    parser.add_argument("--pprof", metavar="URL", help="pprof base URL (e.g. http://127.0.0.1:6060) for "
                        "the runtime's MemStats: an exact Go/non-Go split")
    parser.add_argument("--gctrace", type=Path, metavar="FILE", help="gctrace log: live Go heap over time")
    parser.add_argument("--save", type=Path, metavar="DIR", help="save each sample as JSON in DIR")
    parser.add_argument("--plot", type=Path, metavar="FILE", help="plot to FILE.png or FILE.html")
    add_output_options(parser, ("text", "json"), statistics=False, color=False)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from cgoguard.errors import UsageError
    from cgoguard.mem import analyse, load, watch
    from cgoguard.mem.plot import plot
    from cgoguard.output import write_output

    if (args.pid is None) == (not args.snapshots):
        raise UsageError("give either --pid PID or snapshot files, not both")
    if args.pid is not None:
        progress = _progress_printer() if sys.stderr.isatty() else None
        result = watch(args.pid, interval=args.interval, duration=args.duration, pprof=args.pprof,
                       save_dir=args.save, on_sample=progress)
        samples, stopped = result.samples, result.stopped
    else:
        samples, stopped = load(args.snapshots), ""
    if not samples:
        raise UsageError("no samples to analyse")
    verdict = analyse(samples)
    gc_live = _gctrace_live(args.gctrace) if args.gctrace else None
    if args.plot:
        plot(samples, verdict, args.plot)
    document = _document(samples, verdict, stopped, gc_live)
    text = json.dumps(document, indent=2) + "\n" if args.format == "json" else _text(document)
    write_output(text, args.output)
    from cgoguard.findings import Finding
    from cgoguard.options import exit_status

    return exit_status([Finding.from_dict(f) for f in document["findings"]], args.fail_on)


def _progress_printer() -> Callable[[Any], None]:
    def show(sample: Any) -> None:
        go = (sample.classes["go-heap"] + sample.classes["go-runtime"]) / MB
        c = sample.classes["c-heap"] / MB
        print(f"\rrss {sample.rss / MB:8.1f} MiB  go {go:8.1f}  c-heap {c:8.1f}", end="", file=sys.stderr)
    return show


def _gctrace_live(path: Path) -> dict[str, float] | None:
    """Live heap at the first and last GC of a gctrace log (the gc module parses it)."""
    try:
        from cgoguard.gc import analyze_gctrace
    except ImportError:
        return None
    analysis = analyze_gctrace(path)
    cycles = getattr(analysis, "cycles", [])
    if not cycles:
        return None
    first, last = cycles[0], cycles[-1]
    return {"first_live_mb": float(getattr(first, "heap_live_mb", 0.0)),
            "last_live_mb": float(getattr(last, "heap_live_mb", 0.0)), "cycles": len(cycles)}


def _document(samples: list, verdict: Any, stopped: str, gc_live: dict[str, float] | None) -> dict[str, Any]:
    from cgoguard.findings import Finding

    last = samples[-1]
    findings = []
    if verdict.kind in ("c-leak", "both", "go-growth"):
        category_severity = "warning"
        findings.append(Finding(
            rule="MEM001", category="memory-growth", message=verdict.message,
            path=f"pid:{last.pid}" if last.pid else "snapshots", line=0, column=0,
            severity=category_severity, source="runtime",
            extra={"verdict": verdict.kind}).to_dict())
    return {
        "tool": {"name": "cgoguard"},
        "process": {"pid": last.pid, "name": last.name},
        "samples": len(samples),
        "duration_s": round(samples[-1].time - samples[0].time, 3),
        "attribution": "memstats" if last.source == "memstats" else "heuristic (mappings)",
        "stopped_early": stopped,
        "latest_mb": {k: round(v / MB, 2) for k, v in last.classes.items()} | {"rss": round(last.rss / MB, 2)},
        "growth_mb_per_min": {k: round(g.mb_per_min, 3) for k, g in verdict.growth.items()},
        "warmup_s": verdict.warmup_s,
        "verdict": {"kind": verdict.kind, "message": verdict.message},
        "gctrace": gc_live,
        "findings": findings,
        "errors": [],
    }


def _text(doc: dict[str, Any]) -> str:
    lines = [f"process {doc['process']['pid']} {doc['process']['name']}: {doc['samples']} samples over "
             f"{doc['duration_s']:.1f} s (attribution: {doc['attribution']})"]
    if doc["stopped_early"]:
        lines.append(f"sampling stopped early: {doc['stopped_early']}")
    if doc["warmup_s"]:
        lines.append(f"warm-up: the first {doc['warmup_s']:.1f} s are left out of the growth rates")
    lines.append(f"{'class':<15}{'latest MiB':>12}{'MB/min':>10}")
    for name, mb in doc["latest_mb"].items():
        rate = doc["growth_mb_per_min"].get(name)
        lines.append(f"{name:<15}{mb:>12.1f}{'' if rate is None else f'{rate:>10.2f}'}")
    if doc["gctrace"]:
        g = doc["gctrace"]
        lines.append(f"gctrace: live heap {g['first_live_mb']:.1f} -> {g['last_live_mb']:.1f} MB "
                     f"over {g['cycles']} cycles")
    lines.append(f"verdict: {doc['verdict']['kind']}: {doc['verdict']['message']}")
    return "\n".join(lines) + "\n"
