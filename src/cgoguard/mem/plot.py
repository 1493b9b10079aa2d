"""Memory over time, one line per class: PNG through matplotlib, or a self-contained HTML page."""

from __future__ import annotations

import html
from pathlib import Path

from cgoguard.errors import CgoguardError
from cgoguard.mem.classify import CLASSES
from cgoguard.mem.sample import Sample
from cgoguard.mem.trend import MB, Verdict

COLOURS = {"go-heap": "#1f77b4", "go-runtime": "#9ecae1", "c-heap": "#d62728", "thread-stacks": "#ff7f0e",
           "file-backed": "#7f7f7f", "other-anon": "#9467bd"}


def plot(samples: list[Sample], verdict: Verdict, path: Path) -> None:
    if path.suffix.lower() == ".png":
        _png(samples, verdict, path)
    elif path.suffix.lower() in (".html", ".htm"):
        path.write_text(_html(samples, verdict), encoding="utf-8")
    else:
        raise CgoguardError(f"--plot takes a .png or .html file, got {path}")


def _series(samples: list[Sample]) -> tuple[list[float], dict[str, list[float]]]:
    start = samples[0].time
    return [s.time - start for s in samples], {c: [s.classes.get(c, 0) / MB for s in samples] for c in CLASSES}


def _png(samples: list[Sample], verdict: Verdict, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise CgoguardError("PNG plots need matplotlib: pip install 'cgoguard[plot]' (or use --plot x.html)") from exc
    times, series = _series(samples)
    fig, ax = plt.subplots(figsize=(10, 5))
    ax.stackplot(times, *[series[c] for c in CLASSES], labels=CLASSES, colors=[COLOURS[c] for c in CLASSES],
                 alpha=0.85)
    ax.set_xlabel("seconds since first sample")
    ax.set_ylabel("resident memory (MiB)")
    ax.set_title(f"{samples[0].name or 'process'} {samples[0].pid or ''}: {verdict.kind}", fontsize=11)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.text(0.01, 0.01, verdict.message[:160], fontsize=8)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _html(samples: list[Sample], verdict: Verdict) -> str:
    times, series = _series(samples)
    width, height, pad = 900, 380, 50
    top = max((sum(series[c][i] for c in CLASSES) for i in range(len(times))), default=1.0) or 1.0
    span = (times[-1] - times[0]) or 1.0

    def x(t: float) -> float:
        return pad + (t - times[0]) / span * (width - 2 * pad)

    def y(v: float) -> float:
        return height - pad - v / top * (height - 2 * pad)

    shapes, base = [], [0.0] * len(times)
    for cls in CLASSES:
        upper = [b + v for b, v in zip(base, series[cls], strict=True)]
        points = [f"{x(t):.1f},{y(v):.1f}" for t, v in zip(times, upper, strict=True)]
        points += [f"{x(t):.1f},{y(v):.1f}" for t, v in reversed(list(zip(times, base, strict=True)))]
        shapes.append(f'<polygon points="{" ".join(points)}" fill="{COLOURS[cls]}" opacity="0.85">'
                      f"<title>{cls}</title></polygon>")
        base = upper
    legend = "".join(f'<span style="color:{COLOURS[c]}">&#9632; {c}</span> ' for c in CLASSES)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>cgoguard mem</title></head>
<body style="font-family:sans-serif">
<h2>Resident memory by class: {html.escape(verdict.kind)}</h2><p>{html.escape(verdict.message)}</p>
<svg width="{width}" height="{height}" role="img">
<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#333"/>
<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#333"/>
<text x="{pad}" y="{pad - 8}" font-size="12">{top:.0f} MiB</text>
<text x="{width - pad - 40}" y="{height - pad + 20}" font-size="12">{span:.0f} s</text>
{''.join(shapes)}</svg><p>{legend}</p></body></html>
"""
