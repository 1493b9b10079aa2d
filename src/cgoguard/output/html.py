"""A self-contained HTML report: one file, inline CSS, no scripts, no external requests.

Findings are grouped by file, most severe first, each with its message, the source lines
around it (when the file is readable from here, below the source roots), related locations
and, for runtime findings, the stack. ``extra`` tables from ``run``/``gc``/``mem`` follow as
tables. Source lines are read through :mod:`cgoguard.safeio`: a path a runtime log names
(``/proc/self/environ``, a link out of the sources) is shown, never read.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from html import escape
from itertools import groupby
from pathlib import Path
from typing import Any

from cgoguard import __version__
from cgoguard.findings import Finding, Frame, InputError, Related
from cgoguard.output.text import split_message
from cgoguard.safeio import ReadScope

SNIPPET_CONTEXT = 2  # lines shown above and below a finding
_MAX_SNIPPET_FILE_BYTES = 4 * 1024 * 1024

STYLE = """
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa;
  --border: #d1d9e0; --error: #cf222e; --warning: #9a6700; --info: #0969da; --hl: #fff8c5; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117;
  --panel: #151b23; --border: #3d444d; --error: #f85149; --warning: #d29922; --info: #4493f8;
  --hl: #3b2e00; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 72rem; padding: 1.5rem; font: 15px/1.5 system-ui, -apple-system,
  "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; }
h3 { font: 600 .95rem ui-monospace, SFMono-Regular, Menlo, monospace; margin: 1.5rem 0 .5rem;
  padding-bottom: .25rem; border-bottom: 1px solid var(--border); word-break: break-all; }
.meta, .muted { color: var(--muted); }
code, pre, .loc { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; }
.summary { display: flex; flex-wrap: wrap; gap: .5rem; margin: 1rem 0; }
.pill { border: 1px solid var(--border); border-radius: 2rem; padding: .15rem .75rem; background: var(--panel); }
.finding { border: 1px solid var(--border); border-left: 4px solid var(--sev); border-radius: 6px;
  margin: .75rem 0; padding: .75rem 1rem; background: var(--bg); }
.sev-error { --sev: var(--error); } .sev-warning { --sev: var(--warning); } .sev-info { --sev: var(--info); }
.badge { display: inline-block; min-width: 4.5rem; text-align: center; border-radius: 4px; color: #fff;
  background: var(--sev); font-size: .75rem; font-weight: 600; padding: .05rem .4rem; text-transform: uppercase; }
.head { display: flex; flex-wrap: wrap; align-items: baseline; gap: .5rem; }
.rule { font-weight: 600; } .message { margin: .4rem 0; }
pre.snippet { tab-size: 4; background: var(--panel); border-radius: 4px; padding: .5rem 0; overflow-x: auto; margin: .5rem 0; }
pre.snippet span { display: block; padding: 0 .75rem; white-space: pre; }
pre.snippet span.hit { background: var(--hl); }
pre.snippet i { display: inline-block; width: 3.5rem; color: var(--muted); font-style: normal;
  user-select: none; text-align: right; margin-right: 1rem; }
ul.related { margin: .25rem 0; padding-left: 1.25rem; }
details { margin: .4rem 0; } summary { cursor: pointer; color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .85rem; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--border); vertical-align: top; }
th { background: var(--panel); }
table.keys > tbody > tr > th, table.keys > tr > th { width: 12rem; white-space: nowrap; }
td table.keys { margin: 0; }
tr.unimportant td { color: var(--muted); }
table.records td:not(:last-child) { white-space: nowrap; }
.errors li { margin: .25rem 0; }
"""


# Tables of ``extra`` shown before the findings, in this order (``run``'s per-check table).
LEADING_TABLES = ("checks",)


def render_html(findings: list[Finding], errors: list[InputError], extra: dict[str, Any] | None = None, *,
                source_roots: Sequence[Path | str] | None = None) -> str:
    """The page: summary, the leading tables (per check), the metadata as one table, input
    errors, the findings, then any other tables. Source lines are read only below
    ``source_roots`` (default: the current directory)."""
    extra = {key: value for key, value in (extra or {}).items() if value not in (None, "", [], {})}
    title = "cgoguard run" if "checks" in extra else "cgoguard report"
    body = [_header(findings, errors, title)]
    body += [_section(key, extra.pop(key)) for key in LEADING_TABLES if key in extra]
    metadata = {key: value for key, value in extra.items() if not _is_records(value)}
    if metadata:
        body.append(f"<h2>Details</h2>\n{_value(metadata)}")
    if errors:
        body.append(_errors(errors))
    body.append(_findings(findings, ReadScope(source_roots if source_roots is not None else [Path.cwd()])))
    body += [_section(key, value) for key, value in extra.items() if key not in metadata]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def _header(findings: list[Finding], errors: list[InputError], title: str) -> str:
    severities = Counter(f.severity.value for f in findings)
    categories = Counter(f.category for f in findings)
    pills = [f'<span class="pill">{n} {level}{"s" if n != 1 and level != "info" else ""}</span>'
             for level in ("error", "warning", "info") if (n := severities[level])]
    pills += [f'<span class="pill"><code>{escape(c)}</code> {n}</span>' for c, n in categories.most_common()]
    if errors:
        pills.append(f'<span class="pill">{len(errors)} input error{"s" if len(errors) != 1 else ""}</span>')
    total = f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"
    return (f"<h1>{title}</h1>\n<p class=\"meta\">{total} · cgoguard {escape(__version__)}</p>\n"
            f"<div class=\"summary\">{''.join(pills)}</div>")


def _errors(errors: list[InputError]) -> str:
    items = "".join(f"<li><code>{escape(e.path)}</code>: {escape(e.message)}</li>" for e in errors)
    return f'<h2>Files that could not be analysed</h2>\n<ul class="errors">{items}</ul>'


def _findings(findings: list[Finding], scope: ReadScope) -> str:
    if not findings:
        return "<h2>Findings</h2>\n<p>No findings.</p>"
    parts = ["<h2>Findings</h2>"]
    ordered = sorted(findings, key=lambda f: (f.path, f.line, f.column, -f.severity.rank, f.rule))
    for path, group in groupby(ordered, key=lambda f: f.path):
        parts.append(f"<h3>{escape(path)}</h3>")
        lines = _read_lines(path, scope)
        parts += [_finding(f, lines) for f in group]
    return "\n".join(parts)


def _finding(finding: Finding, lines: list[str] | None) -> str:
    severity = finding.severity.value
    count = f' <span class="muted">×{finding.count}</span>' if finding.count > 1 else ""
    parts = [
        f'<section class="finding sev-{severity}">',
        f'<div class="head"><span class="badge">{severity}</span>'
        f'<span class="rule">{escape(finding.rule)}</span><code>{escape(finding.category)}</code>'
        f'<span class="loc">{escape(_where(finding.path, finding.line, finding.column))}</span>{count}</div>',
        _message(finding.message),
    ]
    if lines is not None and finding.line > 0:
        parts.append(_snippet(lines, finding.line))
    if finding.related:
        parts.append(_related(finding.related))
    if finding.frames:
        parts.append(_frames(finding.frames))
    parts.append("</section>")
    return "\n".join(parts)


def _message(message: str) -> str:
    """The headline in bold and the detail after it, as the text output splits them."""
    headline, detail = split_message(message)
    separator = message[len(headline):].lstrip()[:1] if detail else ""
    tail = f"{separator} {escape(detail)}" if detail else ""
    return f'<p class="message"><strong>{escape(headline)}</strong>{tail}</p>'


def _where(path: str, line: int, column: int = 0) -> str:
    if line <= 0:
        return path
    return f"{path}:{line}:{column}" if column > 0 else f"{path}:{line}"


def _read_lines(path: str, scope: ReadScope) -> list[str] | None:
    """The file's lines, when it is here to read inside ``scope`` (runtime reports may name
    remote paths, or any path at all)."""
    try:
        return scope.read_text(path, _MAX_SNIPPET_FILE_BYTES).splitlines()
    except (OSError, ValueError):
        return None


def _snippet(lines: list[str], line: int) -> str:
    first, last = max(1, line - SNIPPET_CONTEXT), min(len(lines), line + SNIPPET_CONTEXT)
    if first > last:
        return ""
    hit = ' class="hit"'
    rows = [f'<span{hit if n == line else ""}><i>{n}</i>{escape(lines[n - 1])}</span>'
            for n in range(first, last + 1)]
    return f'<pre class="snippet">{"".join(rows)}</pre>'


def _related(related: list[Related]) -> str:
    items = "".join(f'<li><span class="loc">{escape(_where(r.path, r.line, r.column))}</span> '
                    f'{escape(r.message)}</li>' for r in related)
    return f'<ul class="related">{items}</ul>'


def _frames(frames: list[Frame]) -> str:
    rows = []
    for number, frame in enumerate(frames):
        css = ' class="unimportant"' if frame.kind in ("runtime", "sanitizer", "cgo-glue") else ""
        location = _where(frame.path, frame.line, frame.column) if frame.path else frame.module
        rows.append(f"<tr{css}><td>#{number}</td><td><code>{escape(frame.function or '??')}</code></td>"
                    f'<td class="loc">{escape(location)}</td><td>{escape(frame.kind)}</td></tr>')
    return (f"<details open><summary>Stack ({len(frames)} frames, innermost first)</summary>"
            "<table><tr><th></th><th>Function</th><th>Location</th><th>Kind</th></tr>"
            f"{''.join(rows)}</table></details>")


def _section(key: str, value: Any) -> str:
    return f"<h2>{escape(key.replace('_', ' ').capitalize())}</h2>\n{_value(value)}"


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _value(value: Any) -> str:
    """A table for a list of records or a mapping; preformatted JSON for anything else."""
    if _is_records(value):
        columns = list(dict.fromkeys(key for row in value for key in row))
        head = "".join(f"<th>{escape(str(c).replace('_', ' '))}</th>" for c in columns)
        rows = "".join("<tr>" + "".join(f"<td>{_cell(row.get(c))}</td>" for c in columns) + "</tr>"
                       for row in value)
        return f'<table class="records"><tr>{head}</tr>{rows}</table>'
    if isinstance(value, dict) and value:
        rows = "".join(f"<tr><th>{escape(str(k).replace('_', ' '))}</th><td>{_cell(v)}</td></tr>"
                       for k, v in value.items())
        return f'<table class="keys">{rows}</table>'
    return f"<pre>{escape(json.dumps(value, indent=2, default=str))}</pre>"


def _cell(value: Any) -> str:
    """A table cell: nested mappings as nested tables, lists of words as one line."""
    if value is None:
        return ""
    if isinstance(value, dict) and value and all(not isinstance(v, dict | list) for v in value.values()):
        return _value(value)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        if len(value) > 1 and all(isinstance(v, str) and len(v) > 40 for v in value):
            return "<ul>" + "".join(f"<li>{escape(v)}</li>" for v in value) + "</ul>"
        return f"<code>{escape(' '.join(str(v) for v in value))}</code>"
    if isinstance(value, dict | list):
        return f"<code>{escape(json.dumps(value, default=str))}</code>"
    return escape(str(value))
