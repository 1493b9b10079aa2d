"""Memory over time: resident memory by class, and the Go and non-Go totals with the growth
lines the verdict rests on (after the warm-up, against the significance threshold).

PNG through matplotlib; HTML as a self-contained page with matplotlib's SVG embedded, or the
same panels drawn by hand when matplotlib is not installed.
"""

from __future__ import annotations

import statistics
from html import escape
from pathlib import Path
from typing import Any

from cgoguard.errors import CgoguardError
from cgoguard.mem.classify import CLASSES
from cgoguard.mem.sample import Sample
from cgoguard.mem.trend import MB, MIN_SIGNIFICANT_MB_PER_MIN, Verdict, go_series, non_go_series
from cgoguard.output import charts

COLOURS = {"go-heap": "#1f77b4", "go-runtime": "#9ecae1", "c-heap": "#d62728", "thread-stacks": "#ff7f0e",
           "file-backed": "#7f7f7f", "other-anon": "#9467bd", "go": "#1f77b4", "non-go": "#d62728",
           "threshold": "#9a6700"}
X_LABEL = "seconds since the first sample"
Series = list[tuple[float, float]]


def plot(samples: list[Sample], verdict: Verdict, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix not in (".png", ".html", ".htm"):
        raise CgoguardError(f"--plot takes a .png or .html file, got {path}")
    try:
        if suffix == ".png":
            _png(samples, verdict, path)
        else:
            path.write_text(render_html(samples, verdict), encoding="utf-8")
    except OSError as exc:
        raise CgoguardError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _times(samples: list[Sample]) -> list[float]:
    return [s.time - samples[0].time for s in samples]


def _stacked(samples: list[Sample]) -> dict[str, list[float]]:
    return {c: [s.classes.get(c, 0) / MB for s in samples] for c in CLASSES}


def trend_lines(samples: list[Sample], verdict: Verdict) -> dict[str, tuple[Series, float]]:
    """Per total ("go", "non-go"): the fitted line over the judged window and its MB/min."""
    times = _times(samples)
    lines: dict[str, tuple[Series, float]] = {}
    for name, values in (("go", go_series(samples)), ("non-go", non_go_series(samples))):
        growth = verdict.growth.get(name)
        if growth is None:
            continue
        judged = [(t, v / MB) for t, v in zip(times, values, strict=True) if t >= verdict.warmup_s]
        if len(judged) < 2:
            continue
        slope = growth.mb_per_min / 60
        intercept = statistics.median(v - slope * t for t, v in judged)
        lines[name] = ([(t, intercept + slope * t) for t in (judged[0][0], judged[-1][0])], growth.mb_per_min)
    return lines


def _threshold_line(samples: list[Sample], verdict: Verdict) -> Series:
    """A line rising at MIN_SIGNIFICANT_MB_PER_MIN from the non-Go fit's start: steeper is growth."""
    lines = trend_lines(samples, verdict)
    if "non-go" not in lines:
        return []
    (start_t, start_v), (end_t, _) = lines["non-go"][0]
    return [(start_t, start_v), (end_t, start_v + MIN_SIGNIFICANT_MB_PER_MIN * (end_t - start_t) / 60)]


def _title(samples: list[Sample], verdict: Verdict) -> str:
    return f"{samples[0].name or 'process'} {samples[0].pid or ''}: {verdict.kind}".strip()


def _figure(plt: Any, samples: list[Sample], verdict: Verdict) -> Any:
    times, stacked = _times(samples), _stacked(samples)
    fig, (classes, totals) = plt.subplots(2, 1, sharex=True, figsize=(10, 6.2))
    classes.stackplot(times, *[stacked[c] for c in CLASSES], labels=CLASSES,
                      colors=[COLOURS[c] for c in CLASSES], alpha=0.85)
    classes.set_ylabel("resident memory (MiB)")
    classes.legend(loc="upper left", fontsize="small", ncols=3, framealpha=0.9)
    totals.plot(times, [v / MB for v in go_series(samples)], color=COLOURS["go"], label="Go (heap + runtime)")
    totals.plot(times, [v / MB for v in non_go_series(samples)], color=COLOURS["non-go"],
                label="non-Go (C heap + other anonymous)")
    for name, (line, rate) in trend_lines(samples, verdict).items():
        totals.plot(*zip(*line, strict=True), color=COLOURS[name], linestyle="--", linewidth=1.2,
                    label=f"{name} fit {rate:+.1f} MB/min")
    threshold = _threshold_line(samples, verdict)
    if threshold:
        totals.plot(*zip(*threshold, strict=True), color=COLOURS["threshold"], linestyle=":", linewidth=1.2,
                    label=f"growth threshold {MIN_SIGNIFICANT_MB_PER_MIN:g} MB/min")
    totals.set_ylabel("MiB")
    totals.set_xlabel(X_LABEL)
    totals.legend(loc="best", fontsize="small", ncols=2, framealpha=0.9)
    for ax in (classes, totals):
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        if verdict.warmup_s:
            ax.axvline(verdict.warmup_s, color="black", linestyle=":", linewidth=1)
    if verdict.warmup_s:
        classes.annotate("warm-up ends", (verdict.warmup_s, 0), xytext=(4, 4), textcoords="offset points",
                         fontsize="small")
    fig.suptitle(_title(samples, verdict))
    fig.tight_layout()
    return fig


def _png(samples: list[Sample], verdict: Verdict, path: Path) -> None:
    if not charts.have_matplotlib():
        raise CgoguardError(f"PNG plots need matplotlib: {charts.INSTALL_HINT} (or use --plot x.html)")
    with charts.pyplot() as plt:
        fig = _figure(plt, samples, verdict)
        fig.savefig(path, dpi=110)
        plt.close(fig)


def render_html(samples: list[Sample], verdict: Verdict) -> str:
    title = f"cgoguard mem: {_title(samples, verdict)}"
    warmup = (f"; the first {verdict.warmup_s:.1f} s were warm-up (dotted line) and are left out of the rates"
              if verdict.warmup_s else "")
    body = [f"<h1>{escape(title)}</h1>",
            f'<p class="message"><strong>{escape(verdict.kind)}</strong>: {escape(verdict.message)}</p>',
            f'<p class="meta">{len(samples)} samples over {_times(samples)[-1]:.1f} s{escape(warmup)}. Growth '
            f"counts when it exceeds {MIN_SIGNIFICANT_MB_PER_MIN:g} MB/min and the noise.</p>", "<h2>Chart</h2>"]
    if charts.have_matplotlib():
        with charts.pyplot() as plt:
            fig = _figure(plt, samples, verdict)
            body.append(charts.figure_svg(fig))
            plt.close(fig)
    else:
        body.append(f'<p class="muted">Drawn without matplotlib ({escape(charts.INSTALL_HINT)} for '
                    "matplotlib charts).</p>")
        body += _hand_drawn(samples, verdict)
    body.append(_rates_table(verdict))
    return charts.html_page(title, "\n".join(body))


def _hand_drawn(samples: list[Sample], verdict: Verdict) -> list[str]:
    times, stacked = _times(samples), _stacked(samples)
    markers = [(verdict.warmup_s, "warm-up ends")] if verdict.warmup_s else []
    layers, base = [], [0.0] * len(times)
    for cls in CLASSES:
        top = [b + v for b, v in zip(base, stacked[cls], strict=True)]
        layers.append(charts.Layer("band", list(zip(times, top, strict=True)), COLOURS[cls], cls,
                                   base=list(zip(times, base, strict=True))))
        base = top
    totals = [charts.Layer("line", list(zip(times, [v / MB for v in go_series(samples)], strict=True)),
                           COLOURS["go"], "Go"),
              charts.Layer("line", list(zip(times, [v / MB for v in non_go_series(samples)], strict=True)),
                           COLOURS["non-go"], "non-Go")]
    for name, (line, rate) in trend_lines(samples, verdict).items():
        totals.append(charts.Layer("line", line, COLOURS[name], f"{name} fit {rate:+.1f} MB/min", dashed=True))
    threshold = _threshold_line(samples, verdict)
    if threshold:
        totals.append(charts.Layer("line", threshold, COLOURS["threshold"],
                                   f"threshold {MIN_SIGNIFICANT_MB_PER_MIN:g} MB/min", dashed=True))
    x_range = (times[0], times[-1])
    return [charts.svg_panel(charts.Panel("resident memory (MiB)", layers, markers=markers), X_LABEL, x_range),
            charts.svg_panel(charts.Panel("MiB", totals, markers=markers), X_LABEL, x_range)]


def _rates_table(verdict: Verdict) -> str:
    rows = "".join(f"<tr><th>{escape(name)}</th><td>{g.start_mb:.1f}</td><td>{g.end_mb:.1f}</td>"
                   f"<td>{g.mb_per_min:+.2f}</td><td>{'yes' if g.significant else 'no'}</td></tr>"
                   for name, g in verdict.growth.items())
    return ("<h2>Growth after the warm-up</h2><table><tr><th>series</th><th>start MiB</th><th>end MiB</th>"
            f"<th>MB/min</th><th>significant</th></tr>{rows}</table>")
