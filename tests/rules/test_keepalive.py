"""missing-keepalive (CG301): fixtures, AddCleanup, and the finalizer discovery behind it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from analysistest import FIXTURES, analyze, expectations, run

from cgoguard.analysis.finalizers import find_finalized_types
from cgoguard.analysis.unsafeflow import function_scopes
from cgoguard.contracts import contracts_for_package
from cgoguard.gofront import Package, discover, load_packages


@pytest.fixture(scope="module")
def keepalive_findings() -> list:
    return run(FIXTURES / "keepalive", {"CG301"})


def test_fixture_findings_match_wants(keepalive_findings: list) -> None:
    assert {f.category for f in keepalive_findings} == {"missing-keepalive"}
    assert all(f.related and "finalizer" in f.related[0].message for f in keepalive_findings)


def test_fixtures_have_eight_positives_and_eight_negatives() -> None:
    files = sorted((FIXTURES / "keepalive").glob("*.go"))
    assert len(expectations(files)) >= 8
    assert sum(p.read_text().count("// Negative") for p in files) >= 8


def _package(directory: Path) -> Package:
    sources = next(p for p in discover([str(directory)]).packages if p.dir.resolve() == directory.resolve())
    return load_packages(sources)[0]


def test_finalized_types_and_their_releases() -> None:
    package = _package(FIXTURES / "keepalive")
    finalized = find_finalized_types(package, function_scopes(package), contracts_for_package(package))
    releases = {name: f.releases[0][0] for name, f in finalized.by_type.items()}
    assert releases == {
        "Repository": "C.git_repository_free", "Blob": "C.git_object_free", "Commit": "C.git_object_free",
        "Widget": "C.g_object_unref", "Context": "C.gpgme_release", "Note": "C.note_free",
        "ImageRef": "C.clear_image",  # frees through its C body (g_object_unref_image)
    }  # Tracker's finalizer only closes a channel: not a C release


ADD_CLEANUP = '''package cleanup

/*
#include <stdlib.h>
typedef struct { int n; } image;
static image *image_new(void) { return calloc(1, sizeof(image)); }
static void image_free(image *i) { free(i); }
static int image_width(image *i) { return i->n; }
*/
import "C"

import "runtime"

type Image struct{ ptr *C.image }

func NewImage() *Image {
	img := &Image{ptr: C.image_new()}
	runtime.AddCleanup(img, func(p *C.image) { C.image_free(p) }, img.ptr)
	return img
}

func (i *Image) Width() int {
	return int(C.image_width(i.ptr))
}

func (i *Image) WidthKept() int {
	w := C.image_width(i.ptr)
	runtime.KeepAlive(i)
	return int(w)
}
'''


def test_add_cleanup_counts_like_a_finalizer(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/cleanup\n\ngo 1.24\n")
    (tmp_path / "cleanup.go").write_text(ADD_CLEANUP)
    findings = analyze(tmp_path, {"CG301"})
    assert [(f.line, f.rule) for f in findings] == [(23, "CG301")]
    assert "C.image_free" in findings[0].message


def test_the_runtime_finalizes_exactly_where_cg301_reports(go_builder: Callable[..., Path]) -> None:
    """The label is real: the reported function loses its wrapper to the finalizer mid-call,
    the KeepAlive variant does not (the C side forces a collection from inside the call)."""
    demo = FIXTURES / "keepalive" / "finalizedemo"
    reported = [f for f in analyze(demo, {"CG301"})]
    assert [f.line for f in reported] == [
        number for number, line in enumerate((demo / "main.go").read_text().splitlines(), 1) if "// want" in line]
    output = subprocess.run([str(go_builder(demo))], capture_output=True, text=True, timeout=120, check=True).stdout
    assert output.splitlines() == ["without KeepAlive: finalized during the call", "with KeepAlive: alive during the call"]


def test_severity_follows_certainty(keepalive_findings: list) -> None:
    """An owner this function made and nobody else holds is certain (error); an owner a caller
    passed in (receiver, parameter) or that another object holds is latent (warning)."""
    source = (FIXTURES / "keepalive" / "plain.go").read_text().splitlines()

    def severity_in(function: str) -> set[str]:
        start = next(i for i, line in enumerate(source, 1) if line.startswith(f"func {function}("))
        end = next(i for i, line in enumerate(source[start:], start + 1) if line == "}")
        return {f.severity.value for f in keepalive_findings if f.path.endswith("plain.go") and start < f.line < end}

    assert severity_in("FreshLen") == {"error"}
    assert severity_in("LiteralLen") == {"error"}
    assert severity_in("TotalLen") == {"warning"}, "an element of the caller's slice"
    assert severity_in("FirstLen") == {"warning"}
    assert {f.severity.value for f in keepalive_findings if "repo.go" in f.path} == {"warning"}, "receivers"


def test_configuration_can_raise_latent_findings_to_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import json

    from cgoguard.cli import main

    config = tmp_path / "cgoguard.toml"
    config.write_text('severity = { CG301 = "error" }\n')
    arguments = ["scan", str(FIXTURES / "keepalive"), "--select", "CG301", "--no-cache", "--format", "json", "-q"]
    main(arguments)
    default = {f["severity"] for f in json.loads(capsys.readouterr().out)["findings"]}
    main([*arguments, "--config", str(config)])
    raised = {f["severity"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert default == {"error", "warning"} and raised == {"error"}
