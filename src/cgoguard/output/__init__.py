"""Output formats shared by every command: text, json, sarif, github, html.

``render`` turns findings (static or runtime) and input errors into one document.
Commands with extra tables (``run``'s check summary, ``gc``'s statistics) pass them in
``extra``; the JSON format places them at the top level beside ``findings``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cgoguard import __version__
from cgoguard.errors import UsageError
from cgoguard.findings import Finding, InputError

FORMATS = ("text", "json", "sarif", "github", "html")


def render(
    findings: Iterable[Finding],
    errors: Iterable[InputError] = (),
    fmt: str = "text",
    *,
    extra: dict[str, Any] | None = None,
) -> str:
    findings = sorted(findings, key=lambda f: f.sort_key)
    errors = list(errors)
    if fmt == "text":
        return render_text(findings, errors)
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

        return render_html(findings, errors, extra)
    raise UsageError(f"unknown output format {fmt!r} (choose from {', '.join(FORMATS)})")


def render_text(findings: list[Finding], errors: list[InputError]) -> str:
    """One line per finding (``path:line:col: RULE [category] message``, and the build target
    when it is not the scan's); a runtime finding also shows how often it was seen and its
    chain (allocated, stored, freed) indented below."""
    lines: list[str] = []
    for f in findings:
        seen = f" (seen {f.count} times)" if f.source == "runtime" and f.count > 1 else ""
        build = f" (build: {f.extra['build']})" if f.extra.get("build") else ""
        lines.append(f"{f.path}:{f.line}:{f.column}: {f.rule} [{f.category}] {f.message}{seen}{build}")
        if f.source == "runtime":
            lines += [f"    {r.path}:{r.line}: {r.message}" for r in f.related]
    lines += [f"{e.path}: error: {e.message}" for e in errors]
    return "\n".join(lines) + ("\n" if lines else "")


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
