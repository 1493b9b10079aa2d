"""Folded stacks in, a flame graph out: an inline SVG with no script and no external request.

Folded stacks are the format of Brendan Gregg's FlameGraph tools (``root;caller;leaf 42``,
one line per distinct stack), so ``--format folded`` also feeds flamegraph.pl, speedscope or
inferno. The SVG follows the classic layout: the root at the bottom, each frame as wide as
its samples, children sorted by name so equal frames merge, and a tooltip (``<title>``) with
the samples and share of every frame. Frames narrower than a pixel or two are not drawn.
Colours say who owns the code: Go, the Go runtime, the cgo transition, C, the kernel.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field
from html import escape

WIDTH = 1200.0
FRAME_HEIGHT = 17
FONT_SIZE = 11
CHAR_WIDTH = 6.4  # of FONT_SIZE in a monospace font
MIN_WIDTH = 1.5  # pixels: narrower frames are not drawn
MAX_RECTS = 6000
PAD_TOP, PAD_BOTTOM, PAD_SIDE = 8, 8, 10
# (hue, saturation, lightness range) per kind; the name picks a lightness in the range.
PALETTE = {
    "go": (200, 65, (62, 78)),
    "runtime": (220, 18, (66, 80)),
    "transition": (280, 45, (66, 80)),
    "c": (22, 85, (55, 70)),
    "kernel": (48, 80, (55, 68)),
    "unknown": (0, 0, (72, 82)),
}
KIND_LABELS = (("go", "Go"), ("runtime", "Go runtime"), ("transition", "cgo call and transition"),
               ("c", "C"), ("kernel", "kernel"), ("unknown", "unknown"))
TRANSITION_FUNCTIONS = ("runtime.cgocall", "runtime.asmcgocall", "runtime.entersyscall", "runtime.exitsyscall",
                        "runtime.reentersyscall")


@dataclass
class Node:
    name: str
    value: float = 0.0
    children: dict[str, Node] = field(default_factory=dict)


def build_tree(folded: Counter[tuple[str, ...]]) -> Node:
    root = Node("all")
    for stack, count in folded.items():
        root.value += count
        node = root
        for name in stack:
            child = node.children.get(name)
            if child is None:
                child = node.children[name] = Node(name)
            child.value += count
            node = child
    return root


def folded_text(folded: Counter[tuple[str, ...]]) -> str:
    """``a;b;c 12`` lines, most samples first (``;`` in names becomes ``:``)."""
    lines = []
    for stack, count in sorted(folded.items(), key=lambda item: (-item[1], item[0])):
        names = ";".join(name.replace(";", ":").replace("\n", " ") for name in stack) or "[empty]"
        lines.append(f"{names} {round(count)}")
    return "\n".join(lines) + ("\n" if lines else "")


def kind_for(name: str, kinds: dict[str, str]) -> str:
    kind = kinds.get(name, "")
    if kind == "c-glue":  # the C wrapper cmd/cgo writes, often with the C function inlined into it
        return "c"
    if kind == "go-glue" or (name.startswith(TRANSITION_FUNCTIONS) and kind != "c"):
        return "transition"
    if kind == "callback":
        return "runtime"
    return kind if kind in PALETTE else "unknown"


def _colour(name: str, kind: str) -> str:
    hue, saturation, (low, high) = PALETTE[kind]
    lightness = low + (zlib.crc32(name.encode()) % 1000) / 1000 * (high - low)
    return f"hsl({hue},{saturation}%,{lightness:.0f}%)"


def render_svg(folded: Counter[tuple[str, ...]], kinds: dict[str, str], *, title: str = "") -> str:
    """The flame graph as an ``<svg>`` element (empty graph: a short message instead)."""
    root = build_tree(folded)
    if root.value <= 0:
        return '<p class="muted">No samples to draw.</p>'
    scale = (WIDTH - 2 * PAD_SIDE) / root.value
    rects: list[tuple[float, int, float, Node, str]] = []  # x, depth, width, node, kind
    _layout(root, PAD_SIDE, 0, scale, kinds, rects)
    depth = max(d for _, d, _, _, _ in rects) + 1
    height = PAD_TOP + depth * FRAME_HEIGHT + PAD_BOTTOM
    parts = [f'<svg class="flame" viewBox="0 0 {WIDTH:.0f} {height}" role="img" '
             f'aria-label="{escape(title or "flame graph")}" xmlns="http://www.w3.org/2000/svg" '
             f'font-family="ui-monospace, SFMono-Regular, Menlo, monospace" font-size="{FONT_SIZE}">']
    total = root.value
    for x, level, width, node, kind in rects:
        y = height - PAD_BOTTOM - (level + 1) * FRAME_HEIGHT
        label = "all samples" if level == 0 else node.name
        tip = f"{label}: {node.value:.0f} samples, {100 * node.value / total:.1f}%"
        fill = "hsl(0,0%,85%)" if level == 0 else _colour(node.name, kind)
        parts.append(f'<g><title>{escape(tip)}</title><rect x="{x:.2f}" y="{y}" width="{max(width - 0.5, 0.5):.2f}" '
                     f'height="{FRAME_HEIGHT - 1}" rx="2" fill="{fill}"/>{_label(label, x, y, width)}</g>')
    parts.append("</svg>")
    return "".join(parts)


def legend_html() -> str:
    items = [f'<span class="swatch" style="background:{_colour(label, kind)}"></span>{escape(label)}'
             for kind, label in KIND_LABELS]
    return '<p class="legend">' + " ".join(f"<span>{item}</span>" for item in items) + "</p>"


def _layout(node: Node, x: float, depth: int, scale: float, kinds: dict[str, str],
            rects: list[tuple[float, int, float, Node, str]]) -> None:
    width = node.value * scale
    if width < MIN_WIDTH or len(rects) >= MAX_RECTS:
        return
    rects.append((x, depth, width, node, kind_for(node.name, kinds)))
    child_x = x
    for name in sorted(node.children):
        child = node.children[name]
        _layout(child, child_x, depth + 1, scale, kinds, rects)
        child_x += child.value * scale


def _label(text: str, x: float, y: int, width: float) -> str:
    fits = int((width - 6) / CHAR_WIDTH)
    if fits < 3:
        return ""
    shown = text if len(text) <= fits else text[:fits - 2] + ".."
    return f'<text x="{x + 3:.2f}" y="{y + FRAME_HEIGHT - 5}">{escape(shown)}</text>'
