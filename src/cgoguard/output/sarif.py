"""SARIF 2.1.0, the format GitHub code scanning and most IDE viewers read.

One run; the driver's ``rules`` carry each rule's documentation (``help.markdown`` is what
GitHub shows next to an alert); each result carries ``partialFingerprints`` so alerts keep
their identity across commits, its related locations, and for runtime findings the stack as
a ``codeFlow`` (outermost caller first, the order SARIF viewers step through).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from cgoguard import __version__
from cgoguard.findings import CATEGORIES, Edit, Finding, Fix, Frame, InputError, Related, Severity

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "cgoguardFingerprint/v1"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# GitHub's "problem.severity" property: error, warning or recommendation.
PROBLEM_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "recommendation"}
# Frames of these kinds are plumbing: viewers may collapse them.
UNIMPORTANT_FRAME_KINDS = ("runtime", "sanitizer", "cgo-glue")


def render_sarif(findings: list[Finding], errors: list[InputError]) -> str:
    descriptors = rule_descriptors(findings)
    index = {descriptor["id"]: i for i, descriptor in enumerate(descriptors)}
    run: dict[str, Any] = {
        "tool": {"driver": _driver(descriptors)},
        "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().resolve().as_uri() + "/"}},
        "results": [_result(finding, index[finding.rule]) for finding in findings],
        "invocations": [_invocation(errors)],
    }
    document = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(document, indent=2) + "\n"


def _driver(descriptors: list[dict[str, Any]]) -> dict[str, Any]:
    driver: dict[str, Any] = {"name": "cgoguard", "version": __version__, "semanticVersion": __version__,
                              "rules": descriptors}
    homepage = _project_url()
    if homepage:
        driver["informationUri"] = homepage
    return driver


def rule_descriptors(findings: list[Finding]) -> list[dict[str, Any]]:
    """Every registered rule, then any other rule id the findings use (runtime checks)."""
    from cgoguard.rules import all_rules

    descriptors = [_registered_descriptor(rule) for rule in all_rules().values()]
    known = {d["id"] for d in descriptors}
    for finding in findings:
        if finding.rule not in known:
            known.add(finding.rule)
            descriptors.append(_adhoc_descriptor(finding))
    return descriptors


def _registered_descriptor(rule: Any) -> dict[str, Any]:
    meta = rule.meta
    descriptor: dict[str, Any] = {
        "id": meta.id,
        "name": meta.name,
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": doc_section(rule.docs, "What it finds") or meta.title},
        "help": {"text": rule.docs, "markdown": rule.docs},
        "defaultConfiguration": {"level": LEVELS[meta.severity]},
        "properties": {"tags": ["cgo", "memory-safety", meta.category], "category": meta.category,
                       "precision": "high", "problem.severity": PROBLEM_SEVERITY[meta.severity]},
    }
    help_uri = _help_uri(meta.id)
    if help_uri:
        descriptor["helpUri"] = help_uri
    return descriptor


def _adhoc_descriptor(finding: Finding) -> dict[str, Any]:
    from cgoguard.rules.runtime import find_runtime_rule

    runtime = find_runtime_rule(finding.rule)
    if runtime is not None:
        return _runtime_descriptor(runtime, finding)
    description = CATEGORIES.get(finding.category, finding.category)
    return {
        "id": finding.rule,
        "shortDescription": {"text": description},
        "fullDescription": {"text": f"{finding.category}: {description} ({finding.source} check)"},
        "defaultConfiguration": {"level": LEVELS[finding.severity]},
        "properties": {"tags": ["cgo", "memory-safety", finding.category], "category": finding.category},
    }


def _runtime_descriptor(rule: Any, finding: Finding) -> dict[str, Any]:
    """A runtime check (RT-*, MEM*, gc-*): documented like a static rule (GitHub requires ``help``)."""
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": rule.id,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": doc_section(rule.docs, "What it finds") or rule.title},
        "help": {"text": rule.docs, "markdown": rule.docs},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["cgo", "memory-safety", "runtime"], "category": finding.category,
                       "problem.severity": PROBLEM_SEVERITY[rule.severity]},
    }
    if help_uri := _help_uri(rule.id):
        descriptor["helpUri"] = help_uri
    return descriptor


def doc_section(docs: str, heading: str) -> str:
    """The text of a ``## heading`` section of a rule's Markdown docs, unwrapped."""
    marker = f"## {heading}"
    start = docs.find(marker)
    if start < 0:
        return ""
    body = docs[start + len(marker):]
    end = body.find("\n## ")
    paragraphs = (body if end < 0 else body[:end]).strip().split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


@cache
def _project_urls() -> dict[str, str]:
    """``[project.urls]`` of the installed distribution, by label."""
    try:
        urls = metadata.metadata("cgoguard").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return {}
    return dict(url.split(", ", 1) for url in urls if ", " in url)


def _project_url() -> str:
    urls = _project_urls()
    return urls.get("Homepage") or urls.get("Repository") or ""


def _help_uri(rule_id: str) -> str:
    """The rule's page, when the distribution declares where the rule docs live."""
    base = _project_urls().get("Rules") or _project_urls().get("Documentation")
    return f"{base.rstrip('/')}/{rule_id}.md" if base else ""


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [_primary_location(finding)],
        "properties": {"category": finding.category, "confidence": finding.confidence.value,
                       "source": finding.source},
    }
    if finding.extra.get("build"):
        result["properties"]["build"] = finding.extra["build"]  # the target it was seen under
    if finding.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    if finding.related:
        result["relatedLocations"] = [_related(i, r) for i, r in enumerate(finding.related, start=1)]
    if finding.frames:
        result["codeFlows"] = [_code_flow(finding.frames)]
    if finding.count > 1:
        result["occurrenceCount"] = finding.count
    if finding.signature:
        result["properties"]["signature"] = finding.signature
    if finding.fix is not None:
        result["fixes"] = [_fix(finding.fix)]
    return result


def _fix(fix: Fix) -> dict[str, Any]:
    """A SARIF fix: one artifactChange per file; each region is given by line and column (as
    every location here) and by byte offset and length, which is what the fix applies by."""
    changes = [{"artifactLocation": artifact_location(path),
                "replacements": [_replacement(e) for e in fix.edits if e.path == path]}
               for path in fix.paths]
    return {"description": {"text": fix.message}, "artifactChanges": changes,
            "properties": {"applicability": fix.applicability.value}}


def _replacement(edit: Edit) -> dict[str, Any]:
    region = {"startLine": edit.line, "startColumn": edit.column, "endLine": edit.end_line,
              "endColumn": edit.end_column, "byteOffset": edit.start, "byteLength": edit.end - edit.start}
    return {"deletedRegion": region, "insertedContent": {"text": edit.content}}


def _primary_location(finding: Finding) -> dict[str, Any]:
    if finding.line > 0:
        return _location(finding.path, finding.line, finding.column, finding.end_line, finding.end_column)
    # GitHub code scanning rejects a result whose location has no startLine; a runtime report
    # that could not be mapped to a line points at the file's first line and says so.
    location = _location(finding.path, 1)
    location["physicalLocation"]["properties"] = {"lineUnknown": True}
    return location


def _related(index: int, related: Related) -> dict[str, Any]:
    location = _location(related.path, related.line, related.column)
    location["id"] = index
    location["message"] = {"text": related.message}
    return location


def _code_flow(frames: list[Frame]) -> dict[str, Any]:
    steps = []
    for frame in reversed(frames):  # reports list the innermost frame first
        location = _location(frame.path, frame.line, frame.column) if frame.path else {}
        location["message"] = {"text": frame.function or "??"}
        if frame.function:
            location["logicalLocations"] = [{"fullyQualifiedName": frame.function, "kind": "function"}]
        step: dict[str, Any] = {"location": location,
                                "importance": "unimportant" if frame.kind in UNIMPORTANT_FRAME_KINDS
                                else "essential"}
        if frame.module:
            step["module"] = frame.module
        steps.append(step)
    return {"message": {"text": "stack, outermost call first"}, "threadFlows": [{"locations": steps}]}


def _location(path: str, line: int = 0, column: int = 0, end_line: int = 0, end_column: int = 0) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact_location(path)}
    if line > 0:
        region: dict[str, Any] = {"startLine": line}
        if column > 0:
            region["startColumn"] = column
        if end_line >= line:
            region["endLine"] = end_line
            if end_column > 0 and (end_line > line or end_column > column):
                region["endColumn"] = end_column
        physical["region"] = region
    return {"physicalLocation": physical}


def artifact_location(path: str) -> dict[str, str]:
    """A relative path stays relative to %SRCROOT% (GitHub needs repository-relative URIs)."""
    posix = PurePosixPath(Path(path).as_posix())
    if posix.is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(str(posix)), "uriBaseId": SRCROOT}


def _invocation(errors: list[InputError]) -> dict[str, Any]:
    notifications = [
        {"level": "error", "message": {"text": error.message},
         "locations": [{"physicalLocation": {"artifactLocation": artifact_location(error.path)}}]}
        for error in errors
    ]
    return {"executionSuccessful": True, "toolExecutionNotifications": notifications}
