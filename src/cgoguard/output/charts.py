"""Charts for the HTML pages of ``gc`` and ``mem``: matplotlib SVG when it is installed (the
``plot`` extra), a plain hand-drawn SVG with the same axes, labels and threshold lines when
it is not. Either way the page is one self-contained file: no scripts, no network.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from typing import Any

from cgoguard.output.html import STYLE

Series = Sequence[tuple[float, float]]
INSTALL_HINT = "pip install 'cgoguard[plot]'"


def have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def pyplot() -> Iterator[Any]:
    """matplotlib's pyplot on the Agg back end, with SVG text kept as text and stable ids."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "cgoguard", "font.size": 9,
                                "axes.spines.top": False, "axes.spines.right": False}):
        yield plt


def figure_svg(fig: Any) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog or DOCTYPE), scaled to the page."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    # The RDF metadata block (creator, date) only names namespaces and makes pages differ per run.
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.DOTALL)
    # Let the page's CSS size the chart: keep the viewBox, drop the fixed size.
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 class="chart"', svg, count=1)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step + 1e-9) * step
    ticks = [round(first, 10)]
    while ticks[-1] < high - step * 1e-9 or len(ticks) < 2:
        ticks.append(round(first + step * len(ticks), 10))
    return ticks


def tick_label(value: float) -> str:
    return f"{value:,.10g}".replace(",", "\u202f")


@dataclass
class Layer:
    kind: str  # "stems", "step", "line" or "band" (a filled area between `base` and the series)
    series: Series
    colour: str
    label: str
    base: Series = ()
    dashed: bool = False


@dataclass
class Panel:
    y_label: str
    layers: list[Layer] = field(default_factory=list)
    # (y value, label, colour): horizontal reference lines such as a finding's threshold
    thresholds: list[tuple[float, str, str]] = field(default_factory=list)
    # (x value, label): vertical markers such as the end of a warm-up or a process restart
    markers: list[tuple[float, str]] = field(default_factory=list)
    # Cut the y axis here; taller values reach the top and are labelled with their value.
    clip_at: float | None = None
    unit: str = ""


_W, _H, _LEFT, _RIGHT, _TOP, _BOTTOM = 960, 220, 78, 24, 30, 44


def svg_panel(panel: Panel, x_label: str, x_range: tuple[float, float]) -> str:
    """One chart panel drawn by hand: rounded ticks on both axes, axis labels, a legend,
    threshold lines and markers (the fallback when matplotlib is not installed)."""
    x_ticks = nice_ticks(*x_range)
    x0, x1 = x_ticks[0], x_ticks[-1]
    ys = [y for layer in panel.layers for _, y in [*layer.series, *layer.base]]
    ys += [y for y, _, _ in panel.thresholds]
    top = max(ys, default=1.0) or 1.0
    clipped = panel.clip_at is not None and top > panel.clip_at
    y_ticks = nice_ticks(min(0.0, *ys) if ys else 0.0, panel.clip_at if clipped else top)
    y0, y1 = y_ticks[0], y_ticks[-1]
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def sx(x: float) -> float:
        return round(_LEFT + (x - x0) / (x1 - x0) * plot_w, 1)

    def sy(y: float) -> float:
        return round(_TOP + plot_h - (min(y, y1) - y0) / (y1 - y0) * plot_h, 1)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" class="chart" role="img" '
             f'aria-label="{escape(panel.y_label)}">',
             '<style>text{font:11px system-ui,sans-serif;fill:#444}.grid{stroke:#ddd}.axis{stroke:#888}</style>']
    for y in y_ticks:
        parts.append(f'<line class="grid" x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{sy(y)}" y2="{sy(y)}"/>'
                     f'<text x="{_LEFT - 6}" y="{sy(y) + 4}" text-anchor="end">{tick_label(y)}</text>')
    for x in x_ticks:
        parts.append(f'<line class="axis" x1="{sx(x)}" x2="{sx(x)}" y1="{_TOP + plot_h}" y2="{_TOP + plot_h + 4}"/>'
                     f'<text x="{sx(x)}" y="{_TOP + plot_h + 16}" text-anchor="middle">{tick_label(x)}</text>')
    parts.append(f'<line class="axis" x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{_TOP + plot_h}" y2="{_TOP + plot_h}"/>')
    parts.append(f'<text x="{_LEFT + plot_w / 2}" y="{_H - 6}" text-anchor="middle">{escape(x_label)}</text>')
    parts.append(f'<text transform="translate(14 {_TOP + plot_h / 2}) rotate(-90)" text-anchor="middle">'
                 f'{escape(panel.y_label)}</text>')
    for layer in panel.layers:
        parts += _layer_svg(layer, sx, sy)
    if clipped:
        tallest = sorted(((x, y) for layer in panel.layers for x, y in layer.series if y > y1), key=lambda p: -p[1])
        parts += [f'<text x="{sx(x) + 3}" y="{_TOP + 10}" style="fill:#d62728">{tick_label(round(y, 1))}'
                  f'{escape(panel.unit)} ↑</text>' for x, y in tallest[:5]]
    for index, (y, label, colour) in enumerate(panel.thresholds):
        # Labels alternate between the right and the left end, so that close lines stay readable.
        at, anchor = (_W - _RIGHT - 4, "end") if index % 2 == 0 else (_LEFT + 4, "start")
        parts.append(f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{sy(y)}" y2="{sy(y)}" stroke="{colour}" '
                     f'stroke-dasharray="6 4"/><text x="{at}" y="{sy(y) - 4}" text-anchor="{anchor}" '
                     f'style="fill:{colour}">{escape(label)}</text>')
    for x, label in panel.markers:
        parts.append(f'<line x1="{sx(x)}" x2="{sx(x)}" y1="{_TOP}" y2="{_TOP + plot_h}" stroke="#333" '
                     f'stroke-dasharray="2 3"/><text x="{sx(x) + 4}" y="{_TOP + 10}">{escape(label)}</text>')
    legend_x = _LEFT
    for layer in panel.layers:
        if layer.series:
            parts.append(f'<rect x="{legend_x}" y="8" width="10" height="10" fill="{layer.colour}"/>'
                         f'<text x="{legend_x + 14}" y="17">{escape(layer.label)}</text>')
            legend_x += 30 + 7 * len(layer.label)
    parts.append("</svg>")
    return "".join(parts)


def _layer_svg(layer: Layer, sx: Any, sy: Any) -> list[str]:
    if not layer.series:
        return []
    dash = ' stroke-dasharray="5 3"' if layer.dashed else ""
    if layer.kind == "stems":
        return [f'<line x1="{sx(x)}" y1="{sy(0)}" x2="{sx(x)}" y2="{sy(y)}" stroke="{layer.colour}"/>'
                for x, y in layer.series]
    if layer.kind == "band":
        top = [f"{sx(x)},{sy(y)}" for x, y in layer.series]
        bottom = [f"{sx(x)},{sy(y)}" for x, y in reversed(layer.base)] if layer.base else \
            [f"{sx(layer.series[-1][0])},{sy(0)}", f"{sx(layer.series[0][0])},{sy(0)}"]
        return [f'<polygon points="{" ".join(top + bottom)}" fill="{layer.colour}" opacity="0.85"/>']
    points = []
    if layer.kind == "step":
        for (x, y), (next_x, _) in zip(layer.series, [*layer.series[1:], layer.series[-1]], strict=True):
            points += [f"{sx(x)},{sy(y)}", f"{sx(next_x)},{sy(y)}"]
    else:
        points = [f"{sx(x)},{sy(y)}" for x, y in layer.series]
    return [f'<polyline fill="none" stroke="{layer.colour}" stroke-width="1.5"{dash} '
            f'points="{" ".join(points)}"/>']


def html_page(title: str, body: str) -> str:
    """A self-contained page in the style of the findings report."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{escape(title)}</title>\n<style>{STYLE}\nsvg.chart {{ width: 100%; height: auto; "
            "background: #fff; border: 1px solid var(--border); border-radius: 6px; margin: .5rem 0; }}\n"
            "</style>\n</head>\n<body>\n" + body + "\n</body>\n</html>\n")
