"""``--plot``: pauses, heap live/goal and cgo call rate on one time axis (PNG or HTML).

With an execution trace everything is drawn on the trace clock (the gctrace heap is shifted
by the measured alignment); without one, on the gctrace clock, runs placed one after the other.
The HTML page is self-contained (inline SVG, no scripts, no network).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from cgoguard.errors import CgoguardError, UsageError
from cgoguard.gc.analysis import NS_PER_S, GcAnalysis
from cgoguard.gc.correlate import Correlation
from cgoguard.gc.stats import ms

RATE_BIN_NS = 10_000_000  # cgo call rate resolution on the plot
Series = list[tuple[float, float]]


@dataclass(slots=True)
class PlotData:
    title: str
    gc_pauses: Series = field(default_factory=list)  # (time s, pause ms)
    other_pauses: Series = field(default_factory=list)
    heap_live: Series = field(default_factory=list)  # (time s, MB)
    heap_goal: Series = field(default_factory=list)
    cgo_rate: Series = field(default_factory=list)  # (time s, calls/s)
    restarts: list[float] = field(default_factory=list)  # where a new process run begins
    heap_live_label: str = "heap live"
    clock: str = "gctrace"


def plot_data(analysis: GcAnalysis | None, correlation: Correlation | None) -> PlotData:
    data = PlotData(title="cgoguard gc")
    shift_s = 0.0
    if correlation is not None and correlation.ok:
        trace = correlation.data
        data.clock = "execution trace"
        data.title = f"cgoguard gc: {Path(correlation.trace_path).name}"
        for p in trace.pauses:
            (data.gc_pauses if p.is_gc else data.other_pauses).append((p.begin_ns / NS_PER_S, ms(p.duration_ns)))
        data.cgo_rate = _rate_series(trace.bins, trace.bin_ns, trace.end_ns)
        if correlation.gctrace_offset_s is None:
            _trace_heap(data, trace.metrics)
            return data
        shift_s = correlation.gctrace_offset_s
    if analysis is not None and analysis.cycles:
        _gctrace_series(data, analysis, shift_s, with_pauses=data.clock == "gctrace")
        if data.clock == "gctrace":
            data.title = f"cgoguard gc: {', '.join(Path(s).name for s in analysis.sources)}"
    return data


def _rate_series(bins: dict[int, tuple[int, int]], bin_ns: int, end_ns: int) -> Series:
    per_plot_bin = max(1, RATE_BIN_NS // bin_ns)
    counts: dict[int, int] = {}
    for index, (begun, _) in bins.items():
        counts[index // per_plot_bin] = counts.get(index // per_plot_bin, 0) + begun
    width_ns = per_plot_bin * bin_ns
    return [(i * width_ns / NS_PER_S, counts.get(i, 0) * NS_PER_S / width_ns)
            for i in range(end_ns // width_ns + 1)]


def _trace_heap(data: PlotData, metrics: dict[str, list[tuple[int, int]]]) -> None:
    # Go 1.22-1.25 traces carry /gc/heap/live:bytes; 1.26 samples the heap in use instead.
    live = metrics.get("/gc/heap/live:bytes")
    if not live:
        live = metrics.get("/memory/classes/heap/objects:bytes", [])
        data.heap_live_label = "heap in use (objects)"
    data.heap_live = [(t / NS_PER_S, v / (1 << 20)) for t, v in live]
    data.heap_goal = [(t / NS_PER_S, v / (1 << 20)) for t, v in metrics.get("/gc/heap/goal:bytes", [])]


def _gctrace_series(data: PlotData, analysis: GcAnalysis, shift_s: float, *, with_pauses: bool) -> None:
    run_offset: dict[int, float] = {}
    cursor = 0.0
    for run in analysis.runs:
        members = [c for c in analysis.cycles if c.run == run.index]
        run_offset[run.index] = cursor - members[0].start_ns / NS_PER_S
        if run.index:
            data.restarts.append(cursor)
        cursor += run.span_s + 0.001
    if shift_s:  # aligned to a trace: only the traced (last) run is meaningful on that clock
        last = analysis.cycles[-1].run
        run_offset = {last: -shift_s}
        data.restarts = []
    for c in analysis.cycles:
        if c.run not in run_offset or c.format == "go1.4":
            continue
        t = run_offset[c.run] + c.start_ns / NS_PER_S
        if with_pauses:
            mark_term_at = t + (c.sweep_term_ns + c.concurrent_ns) / NS_PER_S
            data.gc_pauses += [(t, ms(c.sweep_term_ns)), (mark_term_at, ms(c.mark_term_ns))]
        if c.heap_live_mb is not None:
            data.heap_live.append((t + c.wall_ns / NS_PER_S, c.heap_live_mb))
        if c.heap_goal_mb is not None:
            data.heap_goal.append((t, c.heap_goal_mb))


def write_plot(path: str, analysis: GcAnalysis | None, correlation: Correlation | None) -> None:
    data = plot_data(analysis, correlation)
    if not data.gc_pauses and not data.heap_live and not data.cgo_rate:
        raise UsageError("nothing to plot: no GC cycles or trace events were read")
    try:
        if path.lower().endswith(".png"):
            _write_png(path, data)
        else:
            Path(path).write_text(render_html(data), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _write_png(path: str, data: PlotData) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise CgoguardError("PNG plots need matplotlib: pip install 'cgoguard[plot]' "
                            "(or use --plot FILE.html, which needs nothing)") from exc
    panels = [p for p in ("pauses", "heap", "cgo") if _has_panel(data, p)]
    fig, axes = plt.subplots(len(panels), 1, sharex=True, figsize=(11, 2.6 * len(panels) + 0.6),
                             squeeze=False)
    for ax, panel in zip(axes[:, 0], panels, strict=True):
        if panel == "pauses":
            _stems(ax, data.gc_pauses, "GC stop-the-world", "tab:red")
            _stems(ax, data.other_pauses, "other stop-the-world", "tab:gray")
            ax.set_ylabel("pause (ms)")
        elif panel == "heap":
            if data.heap_live:
                ax.step(*zip(*data.heap_live, strict=True), where="post", color="tab:blue",
                        label=data.heap_live_label)
            if data.heap_goal:
                ax.step(*zip(*data.heap_goal, strict=True), where="post", color="tab:orange",
                        linestyle="--", label="heap goal")
            ax.set_ylabel("heap (MB)")
        else:
            ax.fill_between(*zip(*data.cgo_rate, strict=True), step="post", color="tab:green", alpha=0.5,
                            label=f"cgo calls begun ({RATE_BIN_NS // 1_000_000} ms bins)")
            ax.set_ylabel("cgo calls/s")
        for x in data.restarts:
            ax.axvline(x, color="black", linestyle=":", linewidth=1)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize="small")
    restarts = "; dotted lines: process restarts" if data.restarts else ""
    axes[-1, 0].set_xlabel(f"time (s, {data.clock} clock){restarts}")
    fig.suptitle(data.title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _stems(ax: object, series: Series, label: str, color: str) -> None:
    if series:
        xs, ys = zip(*series, strict=True)
        ax.vlines(xs, 0, ys, color=color, linewidth=1, label=label)  # type: ignore[attr-defined]
        ax.plot(xs, ys, "o", color=color, markersize=2.5)  # type: ignore[attr-defined]


def _has_panel(data: PlotData, panel: str) -> bool:
    return bool({"pauses": data.gc_pauses or data.other_pauses,
                 "heap": data.heap_live or data.heap_goal, "cgo": data.cgo_rate}[panel])


# ---------------------------------------------------------------------------------------------
# HTML: hand-written SVG so that the page needs no library and no network.

_W, _PANEL_H, _LEFT, _RIGHT, _TOP = 960, 170, 70, 20, 24


def render_html(data: PlotData) -> str:
    panels = [p for p in ("pauses", "heap", "cgo") if _has_panel(data, p)]
    xs = [x for s in (data.gc_pauses, data.other_pauses, data.heap_live, data.heap_goal, data.cgo_rate)
          for x, _ in s]
    x0, x1 = min(xs), max(xs)
    x1 = x1 if x1 > x0 else x0 + 1
    svgs = []
    for panel in panels:
        if panel == "pauses":
            svgs.append(_svg_panel("stop-the-world pauses (ms)", x0, x1, [
                ("stems", data.gc_pauses, "#d62728", "GC"), ("stems", data.other_pauses, "#7f7f7f", "other")]))
        elif panel == "heap":
            svgs.append(_svg_panel("heap (MB)", x0, x1, [
                ("step", data.heap_live, "#1f77b4", data.heap_live_label), ("step", data.heap_goal, "#ff7f0e", "goal")]))
        else:
            svgs.append(_svg_panel("cgo calls begun per second", x0, x1,
                                   [("step", data.cgo_rate, "#2ca02c", "cgo calls/s")]))
    title = html.escape(data.title)
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>"
            "<style>body{font-family:sans-serif;margin:20px;color:#222}svg{display:block;margin-bottom:8px}"
            "text{font-size:11px}</style></head><body>"
            f"<h2>{title}</h2><p>time in seconds on the {html.escape(data.clock)} clock</p>"
            + "".join(svgs) + "</body></html>\n")


def _svg_panel(label: str, x0: float, x1: float,
               layers: list[tuple[str, Series, str, str]]) -> str:
    ys = [y for _, series, _, _ in layers for _, y in series]
    top = max(ys, default=1.0) or 1.0
    plot_w, plot_h = _W - _LEFT - _RIGHT, _PANEL_H - _TOP - 22

    def sx(x: float) -> float:
        return round(_LEFT + (x - x0) / (x1 - x0) * plot_w, 1)

    def sy(y: float) -> float:
        return round(_TOP + plot_h - y / top * plot_h, 1)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_PANEL_H}" role="img" '
             f'aria-label="{html.escape(label)}">',
             f'<text x="{_LEFT}" y="14" font-weight="bold">{html.escape(label)}</text>',
             f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#ccc"/>']
    for i in range(5):
        value = top * i / 4
        parts.append(f'<text x="{_LEFT - 6}" y="{sy(value) + 4}" text-anchor="end">{value:.3g}</text>')
        tick = x0 + (x1 - x0) * i / 4
        parts.append(f'<text x="{sx(tick)}" y="{_PANEL_H - 6}" text-anchor="middle">{tick:.3g}</text>')
    legend_x = _W - _RIGHT - 10
    for kind, series, color, name in layers:
        if not series:
            continue
        if kind == "stems":
            parts += [f'<line x1="{sx(x)}" y1="{sy(0)}" x2="{sx(x)}" y2="{sy(y)}" stroke="{color}"/>'
                      for x, y in series]
        else:
            points = []
            for (x, y), (next_x, _) in zip(series, [*series[1:], series[-1]], strict=True):
                points += [f"{sx(x)},{sy(y)}", f"{sx(next_x)},{sy(y)}"]
            parts.append(f'<polyline fill="none" stroke="{color}" points="{" ".join(points)}"/>')
        parts.append(f'<text x="{legend_x}" y="14" text-anchor="end" fill="{color}">{html.escape(name)}</text>')
        legend_x -= 8 * len(name) + 16
    parts.append("</svg>")
    return "".join(parts)
