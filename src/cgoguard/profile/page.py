"""The HTML page of ``cgoguard profile``: one self-contained file, no scripts, no requests.

Summary, the ranked call sites, the flame graph (:mod:`cgoguard.profile.flamegraph`), the
transition's phases, the unattributed C time with its reasons, the mappings, then notes.
The styles are the shared ones of :mod:`cgoguard.output.html`.
"""

from __future__ import annotations

from html import escape
from typing import Any

from cgoguard import __version__
from cgoguard.output.html import STYLE
from cgoguard.profile.attribute import Attribution
from cgoguard.profile.flamegraph import legend_html, render_svg
from cgoguard.profile.render import notes, to_dict

PAGE_STYLE = """
svg.flame { width: 100%; height: auto; display: block; background: var(--panel); border-radius: 6px; }
svg.flame text { fill: #1f2328; pointer-events: none; }
svg.flame g:hover rect { stroke: var(--fg); stroke-width: .8; }
.legend { display: flex; flex-wrap: wrap; gap: 1rem; font-size: .85rem; color: var(--muted); }
.legend .swatch { display: inline-block; width: .9rem; height: .9rem; border-radius: 3px;
  vertical-align: -2px; margin-right: .35rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td .bar { display: block; height: 4px; background: var(--warning); border-radius: 2px; margin-top: 3px; }
td.site { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .8rem; overflow-wrap: anywhere;
  min-width: 14rem; }
ul.cfuncs { margin: 0; padding-left: 1rem; } ul.cfuncs li { white-space: nowrap; } .split { color: var(--muted); font-size: .8rem; }
.notes li { color: var(--muted); margin: .25rem 0; }
"""


def render_html(result: Attribution, inputs: list[str]) -> str:
    data = to_dict(result, inputs)
    title = "cgoguard profile"
    body = [f"<h1>{title}</h1>",
            f'<p class="meta">{escape(", ".join(inputs))} · {escape(result.source)} · '
            f"{escape(result.event or 'CPU')} samples · cgoguard {__version__}</p>",
            _summary(data)]
    body += ["<h2>Go call sites of C functions</h2>", _sites_table(data["call_sites"], result.c_visible)]
    body += ["<h2>Flame graph</h2>", legend_html(),
             render_svg(result.folded, result.frame_kinds, title="flame graph of every sample")]
    body += ["<h2>cgo transition</h2>", _transitions(data, result.c_visible)]
    if data["unattributed"]["reasons"]:
        body += ["<h2>Unattributed C time</h2>", _unattributed(data["unattributed"])]
    if "mappings" in data:
        body += ["<h2>Mappings (mmap, munmap, brk)</h2>", _mappings(data["mappings"])]
    page_notes = notes(result) + [f"{e.path}: {e.message}" for e in result.errors]
    if page_notes:
        body += ["<h2>Notes</h2>", '<ul class="notes">' + "".join(f"<li>{escape(n)}</li>" for n in page_notes)
                 + "</ul>"]
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>{STYLE}{PAGE_STYLE}</style></head>"
            f"<body>{''.join(body)}</body></html>\n")


def _summary(data: dict[str, Any]) -> str:
    profile, transitions, unattributed = data["profile"], data["transitions"], data["unattributed"]
    pills = [f"{profile['total_samples']} samples"]
    if "cpu_seconds" in profile:
        pills.append(f"{profile['cpu_seconds']:g} s CPU")
    pills.append(f"{profile['c_samples']} in C ({100 * profile['c_share']:.1f}%)")
    if profile["c_frames_visible"]:
        pills.append(f"transition {transitions['samples']} ({100 * transitions['share']:.1f}%)")
    pills.append(f"{len(data['call_sites'])} call sites")
    if unattributed["samples"]:
        pills.append(f"unattributed {unattributed['samples']} ({100 * unattributed['share']:.1f}%)")
    return '<div class="summary">' + "".join(f'<span class="pill">{escape(p)}</span>' for p in pills) + "</div>"


def _sites_table(sites: list[dict[str, Any]], c_visible: bool) -> str:
    if not sites:
        return '<p class="muted">No C time was charged to a Go call site.</p>'
    top = max(site["samples"] for site in sites) or 1
    rows = []
    for rank, site in enumerate(sites, 1):
        where = f"{site['path']}:{site['line']}" if site["line"] else site["path"] or "(no line)"
        items = "".join(f"<li>{escape(f['function'])} <span class='muted'>{f['self']} self / {f['total']} total"
                        "</span></li>" for f in site["c_functions"][:6]) if c_visible else ""
        functions = f"<ul class='cfuncs'>{items}</ul>" if items else ""
        split = f'<div class="split">{escape(site["split"])}</div>' if site.get("split") else ""
        bar = f'<span class="bar" style="width:{100 * site["samples"] / top:.0f}%"></span>'
        rows.append(
            f"<tr><td class=\"num\">{rank}</td><td class=\"num\">{site['samples']}{bar}</td>"
            f"<td class=\"num\">{100 * site['share']:.1f}%</td><td class=\"num\">{100 * site['c_share']:.1f}%</td>"
            f"<td class=\"num\">{site['transition_samples']}</td>"
            f"<td class=\"site\">{escape(where)}<br><b>{escape(site['function'])}</b></td>"
            f"<td><code>C.{escape(site['c_function'])}</code>"
            f"{functions}</td>"
            f"<td>{escape(site['method'])}{split}</td></tr>")
    head = ('<tr><th class="num">#</th><th class="num">samples</th><th class="num">share</th>'
            '<th class="num">C share</th><th class="num">transition</th><th>Go call site</th>'
            "<th>C function (C functions under it: self / total)</th><th>how the split was decided</th></tr>")
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def _transitions(data: dict[str, Any], c_visible: bool) -> str:
    if not c_visible:
        return ('<p class="muted">A Go CPU profile charges C time and the transition together to '
                "runtime.cgocall: record with perf to measure the transition.</p>")
    transitions = data["transitions"]
    rows = "".join(f'<tr><td>{escape(phase)}</td><td class="num">{n}</td></tr>'
                   for phase, n in transitions["phases"].items())
    return (f"<p>{transitions['samples']} samples ({100 * transitions['share']:.1f}% of all, "
            f"{100 * transitions['c_share']:.1f}% of the time in cgo calls) in the cgo call's own code.</p>"
            f'<table class="keys"><tbody>{rows}</tbody></table>')


def _unattributed(unattributed: dict[str, Any]) -> str:
    rows = "".join(
        f'<tr><td class="num">{r["samples"]}</td><td>{escape(r["description"])}</td>'
        f'<td><code>{escape(", ".join(f"{k} {v}" for k, v in r["c_functions"].items()))}</code></td></tr>'
        for r in unattributed["reasons"])
    return ('<table><thead><tr><th class="num">samples</th><th>why</th><th>C functions</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def _mappings(mappings: dict[str, Any]) -> str:
    rows = []
    for row in mappings["by_site"][:50]:
        where = f"{row['path']}:{row['line']} " if row["line"] else ""
        what = f" C.{row['c_function']}" if row["c_function"] else ""
        rows.append(f'<tr><td class="num">{row["live_bytes"]}</td><td class="num">{row["mapped_bytes"]}</td>'
                    f'<td class="num">{row["mmaps"]}</td><td class="num">{row["unmapped_bytes"]}</td>'
                    f'<td class="num">{row["brk_growth"]}</td><td class="site">{escape(where + row["function"] + what)}'
                    "</td></tr>")
    head = ('<tr><th class="num">live bytes</th><th class="num">mapped bytes</th><th class="num">mmaps</th>'
            '<th class="num">unmapped bytes</th><th class="num">brk growth</th><th>who</th></tr>')
    return (f"<p>{mappings['events']} events; {mappings['live_bytes']} bytes still mapped at the end.</p>"
            f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>")
