"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` line per
finding, which Actions turns into annotations on the pull request's diff."""

from __future__ import annotations

from cgoguard.findings import Finding, InputError, Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(value: str) -> str:
    """The message part: ``%``, CR and LF must be percent-encoded."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Property values additionally encode ``:`` and ``,``, which delimit properties."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _command(name: str, properties: dict[str, object], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{name} {props}::{escape_data(message)}"


def render_github(findings: list[Finding], errors: list[InputError]) -> str:
    lines = [_finding_line(finding) for finding in findings]
    lines += [_command("error", {"file": error.path, "title": "cgoguard could not analyse this file"},
                       error.message) for error in errors]
    return "\n".join(lines) + ("\n" if lines else "")


def _finding_line(finding: Finding) -> str:
    properties: dict[str, object] = {"file": finding.path}
    if finding.line > 0:
        properties["line"] = finding.line
        properties["col"] = finding.column
        if finding.end_line >= finding.line:
            properties["endLine"] = finding.end_line
            if finding.end_line == finding.line and finding.end_column > finding.column:
                properties["endColumn"] = finding.end_column
    properties["title"] = f"{finding.rule} [{finding.category}]"
    message = finding.message
    for related in finding.related:
        message += f"\n{related.path}:{related.line}: {related.message}"
    return _command(COMMANDS[finding.severity], properties, message)
