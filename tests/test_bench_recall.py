"""bench/recall.py: the cases file, line mapping, and a run on a real (synthetic) git history."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from gotools import REPO_ROOT

_spec = importlib.util.spec_from_file_location("recall", REPO_ROOT / "bench" / "recall.py")
assert _spec and _spec.loader
recall = importlib.util.module_from_spec(_spec)
sys.modules["recall"] = recall
_spec.loader.exec_module(recall)

requires_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def known_rules() -> set[str]:
    result = subprocess.run([sys.executable, "-m", "cgoguard", "rules", "--format", "json"],
                            capture_output=True, text=True, check=True)
    return {rule["id"] for rule in json.loads(result.stdout)}


def test_the_benchmark_cases_are_well_formed() -> None:
    cases = recall.load_cases(recall.DEFAULT_CASES)
    rules = known_rules()
    assert len(cases) >= 40
    assert len({case.repo_path for case in cases}) >= 12
    for case in cases:
        assert {case.rule, *case.accept} <= rules, case.id
        assert len(case.fix) == 40, case.id
        assert case.locations and all(loc.path.endswith(".go") for loc in case.locations), case.id
        assert case.description and case.library, case.id


@pytest.mark.parametrize(("entry", "complaint"), [
    ({"id": "x", "repo": "https://github.com/a/b", "fix": "abc1234", "rule": "CG101",
      "locations": ["a.go:9-3"], "description": "d"}, "path:first-last"),
    ({"id": "x", "repo": "https://github.com/a/b", "fix": "abc1234", "rule": "leak",
      "locations": ["a.go:3-9"], "description": "d"}, "CG101"),
    ({"id": "x", "repo": "https://github.com/a/b", "fix": "HEAD", "rule": "CG101",
      "locations": ["a.go:3-9"], "description": "d"}, "commit hash"),
    ({"id": "x", "repo": "https://github.com/a/b", "fix": "abc1234", "rule": "CG101",
      "locations": ["a.go:3-9"], "description": "d", "gap": "bad luck"}, "unknown gap"),
    ({"id": "x", "repo": "https://github.com/a/b", "fix": "abc1234", "rule": "CG101"}, "missing locations"),
])
def test_a_malformed_case_is_rejected_with_a_message(entry: dict, complaint: str) -> None:
    with pytest.raises(recall.CaseError, match=complaint):
        recall.parse_case(entry, 0)


def test_a_bad_cases_file_exits_2_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = tmp_path / "cases.toml"
    cases.write_text("[[case]\nid = ")
    assert recall.main(["run", "--cases", str(cases), "--repos", str(tmp_path)]) == 2
    assert "error:" in capsys.readouterr().err


def test_lines_of_the_parent_are_mapped_through_the_fix_hunks() -> None:
    # 2 lines inserted after line 10, lines 20-21 replaced by 4 lines, line 30 deleted.
    hunks = [(10, 0, 11, 2), (20, 2, 23, 4), (30, 1, 33, 0)]
    assert recall.map_range(5, 8, hunks) == (5, 8)
    assert recall.map_range(12, 15, hunks) == (14, 17)
    assert recall.map_range(20, 21, hunks) == (23, 26)
    assert recall.map_range(18, 20, hunks) == (20, 26)
    assert recall.map_range(31, 32, hunks) == (34, 35)


LEAKY = """\
    package leaky

    // #include <stdlib.h>
    // void use(char *s);
    import "C"
    import "unsafe"

    func Greet(name string) {
    \tcs := C.CString(name)
    \tC.use(cs)
    }
    """

FIXED = LEAKY.replace("\tC.use(cs)", "\tdefer C.free(unsafe.Pointer(cs))\n    \tC.use(cs)")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, str]:
    """A clone at <repos>/acme/leaky whose second commit fixes a C string leak."""
    repo = tmp_path / "repos" / "acme" / "leaky"
    (repo / "pkg").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / "go.mod").write_text("module example.com/leaky\n\ngo 1.21\n")
    (repo / "pkg" / "leaky.go").write_text(textwrap.dedent(LEAKY))
    (repo / "README.md").write_text("not a source file\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "leaky")
    (repo / "pkg" / "leaky.go").write_text(textwrap.dedent(FIXED))
    git(repo, "commit", "-q", "-am", "fix the leak")
    return tmp_path / "repos", git(repo, "rev-parse", "HEAD")


def write_cases(path: Path, fix: str) -> None:
    case = """
[[case]]
id = "{id}"
repo = "https://github.com/{repo}"
fix = "{fix}"
rule = "{rule}"
locations = ["pkg/leaky.go:{lines}"]
library = "libc"
description = "C string never freed"
gap = "interprocedural: helper or wrapper function"
"""
    path.write_text("".join(case.format(id=i, repo=r, fix=fix, rule=rule, lines=lines) for i, r, rule, lines in (
        ("leak", "acme/leaky", "CG101", "9-10"),
        ("wrong-rule", "acme/leaky", "CG102", "9-10"),
        ("no-clone", "acme/missing", "CG101", "9-10"),
    )))


@requires_git
def test_run_finds_the_leak_checks_the_fix_and_diffs_two_runs(history: tuple[Path, str], tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    repos, fix = history
    cases = tmp_path / "cases.toml"
    write_cases(cases, fix)
    out = tmp_path / "result.json"
    assert recall.main(["run", "--cases", str(cases), "--repos", str(repos), "--out", str(out),
                        "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())["cases"]
    assert result["leak"]["status"] == "found"
    assert result["leak"]["fix_checked"] and not result["leak"]["suspicious"]
    assert result["wrong-rule"]["status"] == "missed"
    assert result["wrong-rule"]["nearby"][0]["rule"] == "CG101"
    assert result["no-clone"]["status"] == "skipped"
    assert "1/2 = 50%" in printed and "no clone of acme/missing" in printed

    before = json.loads(out.read_text())
    before["cases"]["leak"]["status"] = "missed"
    before_path = tmp_path / "before.json"
    before_path.write_text(json.dumps(before))
    assert recall.main(["diff", str(before_path), str(out)]) == 0
    assert "NEWLY FOUND" in capsys.readouterr().out


@requires_git
def test_only_source_files_are_materialised(history: tuple[Path, str], tmp_path: Path) -> None:
    repos, fix = history
    tree = tmp_path / "tree"
    assert recall.materialise(repos / "acme" / "leaky", fix, tree) == 0
    assert sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file()) == [
        "go.mod", "pkg/leaky.go"]


def test_a_missing_repos_directory_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert recall.main(["run", "--repos", str(tmp_path / "nowhere"), "--only", "none"]) == 2
    assert "does not exist" in capsys.readouterr().err
