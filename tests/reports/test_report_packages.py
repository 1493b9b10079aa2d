"""Package identity: ASan reports of C-only stacks land in the package that produced them.

A directory of many small cgo programs with the same bug shapes (see many_programs.py) is
built with ``go build -asan``; every program runs once; the logs are read together with the
whole tree as ``--source``. Each finding must be at the bug's line in the right package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from gotools import build_go_tree
from many_programs import MODULE, Program, bug_line, write_tree

from cgoguard.findings import Confidence
from cgoguard.reports import analyze

pytestmark = pytest.mark.go


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> tuple[Path, list[Program], Path]:
    """(source tree, programs, directory of one log per program)."""
    root = tmp_path_factory.mktemp("many")
    programs = write_tree(root, copies=3)
    try:
        binaries = build_go_tree(root, flags=("-asan",))
    except RuntimeError as exc:
        pytest.skip(f"cannot build with -asan: {str(exc).splitlines()[-1]}")
    logs = tmp_path_factory.mktemp("many-logs")
    for program in programs:
        result = subprocess.run([str(binaries / program.name)], capture_output=True, text=True, timeout=120,
                                env={**os.environ, "ASAN_OPTIONS": "detect_leaks=1"})
        assert "Sanitizer" in result.stderr, (program.name, result.stderr[-2000:])
        (logs / f"{program.name}.log").write_text(result.stderr)
    return root, programs, logs


def test_every_asan_report_lands_in_the_package_that_produced_it(many) -> None:
    root, programs, logs = many
    result = analyze([logs], source_roots=[root])
    assert not result.errors
    assert result.reports_parsed == len(programs)
    by_place = {(Path(f.path).resolve(), f.line): f for f in result.findings}
    assert len(result.findings) == len(programs), [f.to_dict() for f in result.findings]
    for program in programs:
        place = ((root / program.bug_file).resolve(), bug_line(root, program))
        finding = by_place.get(place)
        assert finding is not None, (program, sorted(by_place))
        assert finding.category == program.category
        assert finding.extra["package"] == program.package
        assert finding.extra["built_by"] == "Go 1.24 or later"


def test_copies_of_one_bug_keep_distinct_fingerprints(many) -> None:
    root, programs, logs = many
    result = analyze([logs], source_roots=[root])
    fingerprints = [f.fingerprint for f in result.findings]
    assert len(set(fingerprints)) == len(programs)


def test_a_package_changed_since_the_build_is_named_in_a_note(many, tmp_path) -> None:
    root, programs, logs = many
    changed = tmp_path / "tree"
    shutil.copytree(root, changed)
    program = next(p for p in programs if p.name == "cfree1")  # cfree0 and cfree2 have the same shape
    with open(changed / program.bug_file, "a") as stream:
        stream.write("// edited after the build\n")
    result = analyze([logs / "cfree1.log"], source_roots=[changed])
    (finding,) = result.findings
    assert "matches no package under --source" in finding.extra["package_note"]
    assert "matches no package under --source" in finding.message
    assert finding.confidence is Confidence.LOW  # two packages have the same shape: no way to choose


def test_go_frames_name_the_package_by_import_path(many) -> None:
    """A Go traceback frame ``example.com/many/libs/ring0._Cfunc_free`` names its package."""
    from cgoguard.findings import Frame
    from cgoguard.gofront.cgoprefix import find_cgo_packages
    from cgoguard.reports.identity import identify_stack

    root, _, _ = many
    frame = Frame(function=f"{MODULE}/libs/ring1._Cfunc_free", path="_cgo_gotypes.go", line=40, kind="cgo-glue")
    identity = identify_stack([frame], find_cgo_packages([root]))
    assert identity.directory == (root / "libs" / "ring1").resolve()


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs valgrind")
def test_valgrind_reports_land_in_their_package_too(tmp_path_factory) -> None:
    root = tmp_path_factory.mktemp("many-plain")
    programs = [p for p in write_tree(root) if p.name.startswith(("cfree", "usering"))]
    binaries = build_go_tree(root)
    logs = tmp_path_factory.mktemp("many-valgrind")
    for program in programs:
        result = subprocess.run(["valgrind", str(binaries / program.name)], capture_output=True, text=True,
                                timeout=300)
        (logs / f"{program.name}.log").write_text(result.stderr)
    result = analyze([logs], source_roots=[root])
    found = {(Path(f.path).resolve(), f.line, f.category, f.extra.get("package")) for f in result.findings}
    assert found == {((root / p.bug_file).resolve(), bug_line(root, p), "double-free", p.package) for p in programs}
