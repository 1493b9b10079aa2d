"""``--plot``: GC pauses against the threshold the findings use, the heap's live size and
goal, and the cgo call rate, on one time axis (PNG, or an HTML page with the chart embedded).

With an execution trace everything is drawn on the trace clock (the gctrace heap is shifted
by the measured alignment); without one, on the gctrace clock, runs placed one after the
other. The charts are matplotlib's (the ``plot`` extra); without matplotlib the HTML page
draws the same panels, axes and threshold lines itself. The page is self-contained (inline
SVG, no scripts, no network).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from cgoguard.errors import CgoguardError, UsageError
from cgoguard.findings import Finding
from cgoguard.gc.analysis import DEFAULT_STW_THRESHOLD_MS, NS_PER_S, GcAnalysis
from cgoguard.gc.correlate import Correlation
from cgoguard.gc.stats import ms
from cgoguard.output import charts

RATE_BIN_NS = 10_000_000  # cgo call rate resolution on the plot
Series = list[tuple[float, float]]
COLOURS = {"gc": "#d62728", "other": "#7f7f7f", "live": "#1f77b4", "goal": "#ff7f0e", "cgo": "#2ca02c",
           "threshold": "#9a6700", "p99": "#6f42c1"}


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
    pause_label: str = "GC stop-the-world per cycle"
    stw_threshold_ms: float = DEFAULT_STW_THRESHOLD_MS  # the gc-stw-p99 finding's threshold
    stw_p99_ms: float | None = None
    findings: list[Finding] = field(default_factory=list)


def plot_data(analysis: GcAnalysis | None, correlation: Correlation | None, *,
              stw_threshold_ms: float = DEFAULT_STW_THRESHOLD_MS) -> PlotData:
    data = PlotData(title="cgoguard gc", stw_threshold_ms=stw_threshold_ms)
    data.findings = (analysis.findings if analysis else []) + (correlation.findings if correlation else [])
    shift_s = 0.0
    if correlation is not None and correlation.ok:
        trace = correlation.data
        data.clock = "execution trace"
        data.title = f"cgoguard gc: {Path(correlation.trace_path).name}"
        data.pause_label = "GC stop-the-world pauses"
        data.stw_p99_ms = ms(correlation.gc_pauses.p99_ns) if correlation.gc_pauses.count else None
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
            data.stw_p99_ms = ms(analysis.per_cycle.p99_ns)
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
        if with_pauses:  # per cycle, as the gc-stw-p99 finding measures it
            data.gc_pauses.append((t, ms(c.stw_ns)))
        if c.heap_live_mb is not None:
            data.heap_live.append((t + c.wall_ns / NS_PER_S, c.heap_live_mb))
        if c.heap_goal_mb is not None:
            data.heap_goal.append((t, c.heap_goal_mb))


def write_plot(path: str, analysis: GcAnalysis | None, correlation: Correlation | None, *,
               stw_threshold_ms: float = DEFAULT_STW_THRESHOLD_MS) -> None:
    data = plot_data(analysis, correlation, stw_threshold_ms=stw_threshold_ms)
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
    if not charts.have_matplotlib():
        raise CgoguardError(f"PNG plots need matplotlib: {charts.INSTALL_HINT} "
                            "(or use --plot FILE.html, which draws its charts without it)")
    with charts.pyplot() as plt:
        fig = _figure(plt, data)
        fig.savefig(path, dpi=110)
        plt.close(fig)


def _panels(data: PlotData) -> list[str]:
    return [p for p in ("pauses", "heap", "cgo") if {
        "pauses": data.gc_pauses or data.other_pauses, "heap": data.heap_live or data.heap_goal,
        "cgo": data.cgo_rate}[p]]


def _x_label(data: PlotData) -> str:
    restarts = "; dotted lines: process restarts" if data.restarts else ""
    return f"time (s, {data.clock} clock){restarts}"


def _figure(plt: Any, data: PlotData) -> Any:
    panels = _panels(data)
    fig, axes = plt.subplots(len(panels), 1, sharex=True, figsize=(10, 2.4 * len(panels) + 0.6), squeeze=False)
    for ax, panel in zip(axes[:, 0], panels, strict=True):
        if panel == "pauses":
            _stems(ax, data.gc_pauses, data.pause_label, COLOURS["gc"])
            _stems(ax, data.other_pauses, "other stop-the-world", COLOURS["other"])
            ax.axhline(data.stw_threshold_ms, color=COLOURS["threshold"], linestyle="--", linewidth=1,
                       label=f"threshold {data.stw_threshold_ms:g} ms (--stw-threshold)")
            if data.stw_p99_ms is not None:
                ax.axhline(data.stw_p99_ms, color=COLOURS["p99"], linestyle=":", linewidth=1,
                           label=f"p99 {data.stw_p99_ms:.3g} ms")
            ax.set_ylabel("pause (ms)")
            _clip_outliers(ax, data)
        elif panel == "heap":
            if data.heap_live:
                ax.step(*zip(*data.heap_live, strict=True), where="post", color=COLOURS["live"],
                        label=data.heap_live_label)
            if data.heap_goal:
                ax.step(*zip(*data.heap_goal, strict=True), where="post", color=COLOURS["goal"],
                        linestyle="--", label="heap goal")
            ax.set_ylabel("heap (MB)")
            ax.set_ylim(bottom=0)
        else:
            ax.fill_between(*zip(*data.cgo_rate, strict=True), step="post", color=COLOURS["cgo"], alpha=0.5,
                            label=f"cgo calls begun ({RATE_BIN_NS // 1_000_000} ms bins)")
            ax.set_ylabel("cgo calls/s")
            ax.set_ylim(bottom=0)
        for x in data.restarts:
            ax.axvline(x, color="black", linestyle=":", linewidth=1)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize="small", framealpha=0.9)
    axes[-1, 0].set_xlabel(_x_label(data))
    fig.suptitle(data.title)
    fig.tight_layout()
    return fig


# Pauses taller than this many times the threshold (or the p99) are cut at the top of the
# panel and labelled, so that one long pause does not flatten all the others.
OUTLIER_FACTOR = 4
MAX_OUTLIER_LABELS = 5


def _clip_height(data: PlotData) -> float:
    return OUTLIER_FACTOR * max(data.stw_threshold_ms, data.stw_p99_ms or 0.0)


def _clip_outliers(ax: Any, data: PlotData) -> None:
    pauses = data.gc_pauses + data.other_pauses
    top = _clip_height(data)
    tallest = max((y for _, y in pauses), default=0.0)
    if tallest <= top:
        ax.set_ylim(bottom=0)
        return
    ax.set_ylim(0, top)
    outliers = sorted((p for p in pauses if p[1] > top), key=lambda p: -p[1])
    for x, y in outliers[:MAX_OUTLIER_LABELS]:
        ax.annotate(f"{y:.3g} ms ↑", (x, top), xytext=(3, -10), textcoords="offset points", fontsize="small",
                    color=COLOURS["gc"])


def _stems(ax: Any, series: Series, label: str, color: str) -> None:
    if series:
        xs, ys = zip(*series, strict=True)
        ax.vlines(xs, 0, ys, color=color, linewidth=1, label=label)
        ax.plot(xs, ys, "o", color=color, markersize=2.5)


# ---------------------------------------------------------------------------------------------
# HTML: the findings, then the chart (matplotlib's SVG, or drawn by hand without it).


def render_html(data: PlotData) -> str:
    body = [f"<h1>{escape(data.title)}</h1>",
            f'<p class="meta">time in seconds on the {escape(data.clock)} clock; the dashed line is the '
            f"stop-the-world threshold of {data.stw_threshold_ms:g} ms the findings are measured against</p>"]
    if data.findings:
        items = "".join(f'<li><span class="badge sev-{f.severity.value}">{f.severity.value}</span> '
                        f"<code>{escape(f.rule)}</code> {escape(f.message)}</li>" for f in data.findings)
        body.append(f'<h2>Findings</h2><ul class="findings">{items}</ul>')
    body.append("<h2>Chart</h2>")
    if charts.have_matplotlib():
        with charts.pyplot() as plt:
            fig = _figure(plt, data)
            body.append(charts.figure_svg(fig))
            plt.close(fig)
    else:
        body.append(f'<p class="muted">Drawn without matplotlib ({escape(charts.INSTALL_HINT)} for '
                    "matplotlib charts).</p>")
        body += _hand_drawn(data)
    return charts.html_page(data.title, "\n".join(body))


def _hand_drawn(data: PlotData) -> list[str]:
    xs = [x for s in (data.gc_pauses, data.other_pauses, data.heap_live, data.heap_goal, data.cgo_rate)
          for x, _ in s]
    x_range = (min(xs), max(xs))
    restarts = [(x, "restart") for x in data.restarts]
    panels = []
    for name in _panels(data):
        if name == "pauses":
            thresholds = [(data.stw_threshold_ms, f"threshold {data.stw_threshold_ms:g} ms", COLOURS["threshold"])]
            if data.stw_p99_ms is not None:
                thresholds.append((data.stw_p99_ms, f"p99 {data.stw_p99_ms:.3g} ms", COLOURS["p99"]))
            panel = charts.Panel("pause (ms)", [
                charts.Layer("stems", data.gc_pauses, COLOURS["gc"], data.pause_label),
                charts.Layer("stems", data.other_pauses, COLOURS["other"], "other stop-the-world")],
                thresholds, restarts, clip_at=_clip_height(data), unit=" ms")
        elif name == "heap":
            panel = charts.Panel("heap (MB)", [
                charts.Layer("step", data.heap_live, COLOURS["live"], data.heap_live_label),
                charts.Layer("step", data.heap_goal, COLOURS["goal"], "heap goal", dashed=True)], markers=restarts)
        else:
            panel = charts.Panel("cgo calls/s", [charts.Layer("step", data.cgo_rate, COLOURS["cgo"],
                                                              "cgo calls begun")], markers=restarts)
        panels.append(charts.svg_panel(panel, _x_label(data), x_range))
    return panels
