"""Output formats shared by every command: text, concise, json, sarif, github, html.

``render`` turns findings (static or runtime) and input errors into one document.
Commands with extra tables (``run``'s check summary, ``gc``'s statistics) pass them in
``extra``; the JSON format places them at the top level beside ``findings``. Only the HTML
format reads source files (for snippets), and only below ``source_roots`` (default: the
current directory): a path a runtime log names is never read from elsewhere.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cgoguard import __version__
from cgoguard.errors import UsageError
from cgoguard.findings import Finding, InputError
from cgoguard.output.text import TextStyle, render_concise, render_statistics, render_text

FORMATS = ("text", "concise", "json", "sarif", "github", "html")
# Formats that --statistics can replace by a per-rule table.
STATISTICS_FORMATS = ("text", "concise", "json")


def render(
    findings: Iterable[Finding],
    errors: Iterable[InputError] = (),
    fmt: str = "text",
    *,
    extra: dict[str, Any] | None = None,
    source_roots: Sequence[Path | str] | None = None,
    style: TextStyle | None = None,
    statistics: bool = False,
) -> str:
    """The document in format ``fmt``; with ``statistics``, findings per rule instead of the list."""
    findings = sorted(findings, key=lambda f: f.sort_key)
    errors = list(errors)
    if statistics:
        return render_statistics_as(findings, fmt, style)
    if fmt == "text":
        return render_text(findings, errors, style)
    if fmt == "concise":
        return render_concise(findings, errors)
    if fmt == "json":
        return render_json(findings, errors, extra)
    if fmt == "sarif":
        from cgoguard.output.sarif import render_sarif

        return render_sarif(findings, errors)
    if fmt == "github":
        from cgoguard.output.github import render_github

        return render_github(findings, errors)
    if fmt == "html":
        from cgoguard.output.html import render_html

        return render_html(findings, errors, extra, source_roots=source_roots)
    raise UsageError(f"unknown output format {fmt!r} (choose from {', '.join(FORMATS)})")


def render_statistics_as(findings: list[Finding], fmt: str, style: TextStyle | None = None) -> str:
    if fmt not in STATISTICS_FORMATS:
        raise UsageError(f"--statistics needs --format {', '.join(STATISTICS_FORMATS)}, not {fmt}")
    if fmt == "json":
        counts = Counter(f.rule for f in findings)
        first = {f.rule: f for f in reversed(findings)}
        rows = [{"rule": rule, "category": first[rule].category, "severity": first[rule].severity.value,
                 "count": n} for rule, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
        return json.dumps({"tool": {"name": "cgoguard", "version": __version__}, "statistics": rows},
                          indent=2) + "\n"
    return render_statistics(findings, style)


def severity_counts(findings: Iterable[Finding]) -> str:
    """``2 errors, 1 warning`` (or ``no findings``), the way scan's summary counts them."""
    counts = {level: 0 for level in ("error", "warning", "info")}
    for finding in findings:
        counts[finding.severity.value] += 1
    return ", ".join(f"{n} {level}{'s' if n != 1 and level != 'info' else ''}"
                     for level, n in counts.items() if n) or "no findings"


def render_json(findings: list[Finding], errors: list[InputError], extra: dict[str, Any] | None) -> str:
    document: dict[str, Any] = {
        "tool": {"name": "cgoguard", "version": __version__},
        "findings": [f.to_dict() for f in findings],
        "errors": [e.to_dict() for e in errors],
    }
    document.update(extra or {})
    return json.dumps(document, indent=2) + "\n"


def write_output(text: str, output: str | None) -> None:
    """Write to ``output`` (a path) or to stdout when it is None or ``-``."""
    if output in (None, "-"):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from exc
