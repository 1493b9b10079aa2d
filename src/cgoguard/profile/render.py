"""``cgoguard profile`` output: JSON for tools, a ranked table for people, HTML with a flame graph.

JSON::

    {"tool": {"name", "version"},
     "profile": {"inputs", "source", "event", "unit", "total_samples", "c_samples", ...},
     "call_sites": [{"path", "line", "function", "c_function", "samples", "share", "c_share",
                     "column", "package", "transition_samples", "method", "split",
                     "c_functions": [{"function", "self", "total"}]}],
     "transitions": {"samples", "share", "c_share", "phases": {"runtime.cgocall": n, ...}},
     "unattributed": {"samples", "share", "c_share", "reasons": [{"reason", "description", "samples",
                                                                  "c_functions"}]},
     "other": {"go", "kernel", "unknown"}, "mappings": {...}, "notes": [...], "errors": [...]}

``share`` is of all samples, ``c_share`` of the samples in C (attributed or not).
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from cgoguard import __version__
from cgoguard.output.text import TextStyle
from cgoguard.profile.attribute import PHASE_ORDER, Attribution, CallSite

PPROF_NOTE = ("Go CPU profile: a sample taken while a thread runs C is charged to runtime.cgocall under the "
              "Go caller, so the time charged to each call site is C time and cgo transition together, and the C functions, their "
              "libraries and the transition's own cost are not visible (record with perf for those)")
_BOLD, _DIM = "\033[1m", "\033[2m"
MAX_C_FUNCTIONS = 5  # per call site in the text table


def _number(value: float) -> float | int:
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded


def _ratio(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def site_dict(site: CallSite, total: float, c_total: float) -> dict[str, Any]:
    functions = sorted(set(site.self_functions) | set(site.total_functions),
                       key=lambda name: (-site.total_functions.get(name, 0), -site.self_functions.get(name, 0), name))
    data: dict[str, Any] = {
        "path": site.path, "line": site.line, "function": site.function, "c_function": site.c_function,
        "samples": _number(site.samples), "share": _ratio(site.samples, total),
        "c_share": _ratio(site.samples, c_total), "column": site.column, "package": site.package,
        "transition_samples": site.transition, "method": site.method,
        "c_functions": [{"function": name, "self": _number(site.self_functions.get(name, 0)),
                         "total": _number(site.total_functions.get(name, 0))} for name in functions],
    }
    if site.estimated:
        data["unwound_samples"] = _number(site.unwound)
        data["estimated_samples"] = _number(site.estimated)
        data["split"] = site.split
    return data


def to_dict(result: Attribution, inputs: list[str]) -> dict[str, Any]:
    total = result.total
    c_total = result.c_samples
    transition = result.transition_samples
    unattributed = sum(u.samples for u in result.unattributed.values())
    profile: dict[str, Any] = {
        "inputs": inputs, "source": result.source, "event": result.event, "unit": result.unit,
        "total_samples": total, "c_samples": _number(c_total), "c_share": _ratio(c_total, total),
        "c_frames_visible": result.c_visible,
    }
    if result.nanoseconds:
        profile["cpu_seconds"] = round(result.nanoseconds / 1e9, 3)
    document: dict[str, Any] = {
        "tool": {"name": "cgoguard", "version": __version__},
        "profile": profile,
        "call_sites": [site_dict(site, total, c_total) for site in result.call_sites],
        "transitions": {"samples": transition, "share": _ratio(transition, total),
                        "c_share": _ratio(transition, c_total + transition),
                        "phases": {phase: result.transitions.get(phase, 0) for phase in PHASE_ORDER}},
        "unattributed": {"samples": _number(unattributed), "share": _ratio(unattributed, total),
                         "c_share": _ratio(unattributed, c_total),
                         "reasons": [{"reason": u.reason, "description": u.description, "samples": _number(u.samples),
                                      "c_functions": dict(u.c_functions.most_common(10))}
                                     for u in sorted(result.unattributed.values(), key=lambda u: -u.samples)]},
        "other": {"go": result.go_samples, "kernel": result.kernel_samples, "unknown": result.unknown_samples},
        "notes": notes(result),
        "errors": [error.to_dict() for error in result.errors],
    }
    if result.memory_summary:
        document["mappings"] = {**result.memory_summary, "by_site": result.memory}
    return document


def render_json(result: Attribution, inputs: list[str]) -> str:
    return json.dumps(to_dict(result, inputs), indent=2) + "\n"


def notes(result: Attribution) -> list[str]:
    found = [] if result.c_visible else [PPROF_NOTE]
    return found + [note for note in result.notes if note not in found]


# -- text ------------------------------------------------------------------------------------------
def render_text(result: Attribution, inputs: list[str], style: TextStyle | None = None) -> str:
    style = style or TextStyle()
    total, c_total = result.total, result.c_samples
    lines = [_headline(result, inputs)]
    if not total:
        lines.append("no samples: nothing to attribute")
    if result.call_sites:
        lines += ["", style.paint("Go call sites of C functions, by samples in C:", _BOLD)]
        lines += _site_table(result, style)
    lines += ["", _transition_line(result)]
    unattributed = sum(u.samples for u in result.unattributed.values())
    if unattributed:
        lines.append(f"Unattributed C time: {_count(unattributed)} samples ({_percent(unattributed, total)} of all, "
                     f"{_percent(unattributed, c_total)} of C)")
        for entry in sorted(result.unattributed.values(), key=lambda u: -u.samples):
            top = ", ".join(f"{name} {n}" for name, n in entry.c_functions.most_common(4))
            lines.append(f"  {_count(entry.samples):>8}  {entry.description}" + (f" [{top}]" if top else ""))
    lines.append(f"Other: {result.go_samples} in Go, {result.kernel_samples} in the kernel only, "
                 f"{result.unknown_samples} unknown")
    if result.memory_summary:
        lines += ["", *_memory_lines(result)]
    for note in notes(result):
        lines.append(style.paint(f"note: {note}", _DIM))
    lines += [f"{error.path}: error: {error.message}" for error in result.errors]
    return "\n".join(lines) + "\n"


def _headline(result: Attribution, inputs: list[str]) -> str:
    names = ", ".join(inputs[:3]) + (f" and {len(inputs) - 3} more" if len(inputs) > 3 else "")
    seconds = f", {result.nanoseconds / 1e9:.2f} s of CPU" if result.nanoseconds else ""
    c_total = result.c_samples
    return (f"cgoguard profile: {result.total} {result.event or 'CPU'} samples{seconds} from {names} "
            f"({result.source}); {_count(c_total)} in C ({_percent(c_total, result.total)})")


def _site_table(result: Attribution, style: TextStyle) -> list[str]:
    total, c_total = result.total, result.c_samples
    header = ("#", "samples", "share", "C share", "trans", "call site", "C function", "split")
    rows = []
    for rank, site in enumerate(result.call_sites, 1):
        where = f"{site.path}:{site.line}" if site.line else site.path or "(no line)"
        rows.append((str(rank), _count(site.samples), _percent(site.samples, total), _percent(site.samples, c_total),
                     str(site.transition), f"{where} {site.function}", f"C.{site.c_function}", site.method))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    right = {0, 1, 2, 3, 4}
    lines = ["  " + "  ".join(cell.rjust(w) if i in right else cell.ljust(w)
                              for i, (cell, w) in enumerate(zip(header, widths, strict=True))).rstrip()]
    for site, row in zip(result.call_sites, rows, strict=True):
        cells = [cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths,
                                                                                                 strict=True))]
        cells[5] = style.paint(cells[5], _BOLD)
        lines.append("  " + "  ".join(cells).rstrip())
        indent = " " * (2 + sum(widths[:5]) + 10)
        under = _c_functions_line(site, result.c_visible)
        if under:
            lines.append(indent + style.paint(under, _DIM))
        if site.split:
            lines += [style.paint(line, _DIM) for line in textwrap.wrap(
                f"split: {site.split}", width=max(style.width, len(indent) + 40), initial_indent=indent,
                subsequent_indent=indent + "  ", break_on_hyphens=False)]
    return lines


def _c_functions_line(site: CallSite, c_visible: bool) -> str:
    if not c_visible:
        return ""
    names = sorted(site.total_functions, key=lambda name: -site.total_functions[name])[:MAX_C_FUNCTIONS]
    parts = [f"{name} {_count(site.self_functions.get(name, 0))} self/{_count(site.total_functions[name])} total"
             for name in names]
    return ("C: " + ", ".join(parts)) if parts else ""


def _transition_line(result: Attribution) -> str:
    transition = result.transition_samples
    if not result.c_visible:
        return ("cgo transition: not measurable from a Go CPU profile (charged to runtime.cgocall together "
                "with the C time)")
    phases = ", ".join(f"{phase} {result.transitions[phase]}" for phase in PHASE_ORDER if result.transitions[phase])
    return (f"cgo transition: {transition} samples ({_percent(transition, result.total)} of all, "
            f"{_percent(transition, result.c_samples + transition)} of cgo calls)" + (f": {phases}" if phases else ""))


def _memory_lines(result: Attribution) -> list[str]:
    summary = result.memory_summary
    lines = [f"Mappings ({summary['events']} mmap/munmap/brk events): {_bytes(summary['mapped_bytes'])} mapped, "
             f"{_bytes(summary['unmapped_bytes'])} unmapped, {_bytes(summary['live_bytes'])} still mapped at the end"]
    if "mmap" not in summary["exit_events"]:
        lines.append("  (sys_exit_mmap was not recorded: only MAP_FIXED mappings have a known address; record "
                     "syscalls:sys_exit_mmap too)")
    for row in result.memory[:15]:
        where = f"{row['path']}:{row['line']} " if row["line"] else ""
        what = f" C.{row['c_function']}" if row["c_function"] else ""
        lines.append(f"  {_bytes(row['live_bytes']):>10} live  {_bytes(row['mapped_bytes']):>10} mapped in "
                     f"{row['mmaps']} mmap  {_bytes(row['unmapped_bytes']):>10} unmapped  "
                     f"{where}{row['function']}{what}")
    return lines


def _count(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def _percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _bytes(value: object) -> str:
    number = int(value) if isinstance(value, int | float) else 0
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if number >= size:
            return f"{number / size:.1f} {unit}"
    return f"{number} B"


# -- cgoguard run --check profile -------------------------------------------------------------------
def summary(result: Attribution, label: str) -> dict[str, Any]:
    """One process's attribution, in the shape :func:`merge_summaries` adds up."""
    total, c_total = result.total, result.c_samples
    return {"processes": [label], "total_samples": total, "c_samples": _number(c_total),
            "transition_samples": result.transition_samples,
            "unattributed_samples": _number(sum(u.samples for u in result.unattributed.values())),
            "call_sites": [site_dict(site, total, c_total) for site in result.call_sites],
            "notes": notes(result)}


def merge_summaries(summaries: list[dict[str, Any]], max_sites: int) -> dict[str, Any]:
    """Several processes' summaries as one: call sites added up and ranked, ``max_sites`` kept."""
    merged: dict[str, Any] = {"processes": [], "total_samples": 0, "c_samples": 0, "transition_samples": 0,
                              "unattributed_samples": 0, "call_sites": [], "notes": []}
    sites: dict[tuple[str, int, str, str], dict[str, Any]] = {}
    for part in summaries:
        for key in ("total_samples", "c_samples", "transition_samples", "unattributed_samples"):
            merged[key] = _number(merged[key] + part[key])
        merged["processes"] += part["processes"]
        merged["notes"] += [note for note in part["notes"] if note not in merged["notes"]]
        for site in part["call_sites"]:
            key = (site["path"], site["line"], site["function"], site["c_function"])
            if key not in sites:
                sites[key] = {**site, "c_functions": [dict(f) for f in site["c_functions"]]}
                continue
            into = sites[key]
            into["samples"] = _number(into["samples"] + site["samples"])
            into["transition_samples"] += site["transition_samples"]
            if into["method"] != site["method"]:
                into["method"] = "+".join(sorted(set(into["method"].split("+")) | set(site["method"].split("+"))))
            functions = {f["function"]: f for f in into["c_functions"]}
            for function in site["c_functions"]:
                if function["function"] in functions:
                    functions[function["function"]]["self"] = _number(functions[function["function"]]["self"]
                                                                      + function["self"])
                    functions[function["function"]]["total"] = _number(functions[function["function"]]["total"]
                                                                       + function["total"])
                else:
                    into["c_functions"].append(dict(function))
    ranked = sorted(sites.values(), key=lambda s: (-s["samples"], -s["transition_samples"], s["path"], s["line"]))
    for site in ranked:
        site["share"] = _ratio(site["samples"], merged["total_samples"])
        site["c_share"] = _ratio(site["samples"], merged["c_samples"])
    merged["call_sites"] = ranked[:max_sites]
    merged["more_call_sites"] = max(len(ranked) - max_sites, 0)
    return merged


def run_report_lines(profile: dict[str, Any]) -> list[str]:
    """The ranked call sites for ``cgoguard run``'s text report."""
    total, c_total = profile.get("total_samples", 0), profile.get("c_samples", 0)
    processes = len(profile.get("processes", []))
    lines = [f"profile: {total} samples in {processes} process{'es' if processes != 1 else ''}, "
             f"{_count(c_total)} in C ({_percent(c_total, total)}), cgo transition "
             f"{profile.get('transition_samples', 0)}, unattributed {_count(profile.get('unattributed_samples', 0))}"]
    for rank, site in enumerate(profile.get("call_sites", []), 1):
        where = f"{site['path']}:{site['line']}" if site["line"] else site["path"] or "(no line)"
        lines.append(f"  {rank:>2}. {_count(site['samples']):>7} {100 * site['share']:5.1f}% "
                     f"{where} {site['function']} C.{site['c_function']} ({site['method']})")
    if profile.get("more_call_sites"):
        lines.append(f"  ... {profile['more_call_sites']} more (--format json lists the top {len(profile['call_sites'])})")
    return lines
