"""Only new findings: ``--new-from-rev``, ``--new-from-merge-base`` and ``--new`` in real
temporary git repositories, alone and with a baseline."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from scanhelpers import LEAKY, RunCli, write_tree

from cgoguard.scan.newcode import parse_diff

pytestmark = [pytest.mark.usefixtures("test_rules"),
              pytest.mark.skipif(shutil.which("git") is None, reason="needs git")]


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
           "PATH": "/usr/bin:/bin:/usr/local/bin"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(project: Path) -> Path:
    """The test project (one CG990 and one CG991 finding) committed on main."""
    (project / ".gitignore").write_text(".cgoguard_cache/\n")
    git(project, "init", "-q", "-b", "main")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "initial")
    return project


def findings(cli: RunCli, *args: str) -> list[tuple[str, int, str]]:
    status, out, err = cli("scan", "--no-cache", "--format", "json", *args)
    assert status in (0, 1), err
    return [(f["path"], f["line"], f["rule"]) for f in json.loads(out)["findings"]]


NEW_FUNCTION = "\nfunc Fresh() {\n\t_ = C.CString(\"new\")\n}\n"


def test_only_findings_on_changed_lines_since_rev(repo: Path, cli: RunCli) -> None:
    assert findings(cli, "--new-from-rev", "HEAD") == []  # nothing changed
    write_tree(repo, {"leaky/leaky.go": LEAKY + NEW_FUNCTION})  # not committed yet: still counts
    assert findings(cli, "--new-from-rev", "HEAD") == [("leaky/leaky.go", 17, "CG990")]
    git(repo, "commit", "-qam", "fresh")
    assert findings(cli, "--new-from-rev", "HEAD~1") == [("leaky/leaky.go", 17, "CG990")]
    assert findings(cli, "--new-from-rev", "HEAD") == []
    assert len(findings(cli)) == 3


def test_untracked_files_are_new_in_full(repo: Path, cli: RunCli) -> None:
    write_tree(repo, {"other/other.go": LEAKY.replace("package leaky", "package other")})
    assert findings(cli, "--new-from-rev", "HEAD") == [("other/other.go", 8, "CG990"), ("other/other.go", 13, "CG991")]


def test_a_changed_related_location_makes_a_finding_new(repo: Path, cli: RunCli) -> None:
    from cgoguard.findings import Finding, Related
    from cgoguard.scan.newcode import changed_lines, keep_new

    write_tree(repo, {"leaky/leaky.go": LEAKY.replace("\t_ = p\n", "\t_ = p // edited\n")})
    changed = changed_lines("HEAD", repo)
    old_line = Finding("CG101", "c-leak", "m", "leaky/leaky.go", 8)
    freed_on_changed_line = Finding("CG101", "c-leak", "m", "leaky/leaky.go", 8,
                                    related=[Related("leaky/leaky.go", 9, "freed here")])
    assert keep_new([old_line, freed_on_changed_line], changed) == ([freed_on_changed_line], 1)


def test_new_uses_the_merge_base_with_the_upstream_branch(repo: Path, cli: RunCli) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    write_tree(repo, {"leaky/leaky.go": LEAKY + NEW_FUNCTION})
    git(repo, "commit", "-qam", "feature work")
    git(repo, "checkout", "-q", "main")
    write_tree(repo, {"leaky/other.go": "package leaky\n\n// #include <stdlib.h>\nimport \"C\"\n\n"
                                        "func Main() {\n\t_ = C.CString(\"main\")\n}\n"})
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "main moved on")
    git(repo, "checkout", "-q", "feature")
    # No upstream configured: main is the fallback; main's own new finding is not the branch's.
    assert findings(cli, "--new") == [("leaky/leaky.go", 17, "CG990")]
    assert findings(cli, "--new-from-merge-base", "main") == [("leaky/leaky.go", 17, "CG990")]
    git(repo, "branch", "-q", "--set-upstream-to", "main")
    assert findings(cli, "--new") == [("leaky/leaky.go", 17, "CG990")]


def test_new_code_combines_with_a_baseline(repo: Path, cli: RunCli) -> None:
    write_tree(repo, {"leaky/leaky.go": LEAKY + NEW_FUNCTION + NEW_FUNCTION.replace("Fresh", "Fresher")})
    cli("scan", "--no-cache", "--write-baseline", "baseline.json", "--select", "CG990")
    write_tree(repo, {"leaky/leaky.go": LEAKY + NEW_FUNCTION + NEW_FUNCTION.replace("Fresh", "Fresher")
                      + NEW_FUNCTION.replace("Fresh", "Freshest")})
    # The baseline accepts the three CString findings it recorded; --new-from-rev drops the old
    # malloc finding the baseline did not record; the newest function's finding remains.
    assert findings(cli, "--new-from-rev", "HEAD", "--baseline", "baseline.json") == [
        ("leaky/leaky.go", 25, "CG990")]
    status, _, err = cli("scan", "--no-cache", "--new-from-rev", "HEAD", "--baseline", "baseline.json")
    assert status == 1 and "3 in baseline, 1 on unchanged lines" in err


@pytest.mark.parametrize(("args", "message"), [
    (("--new-from-rev", "no-such-rev"), "'no-such-rev' is not a commit"),
    (("--new-from-rev=--exec=x",), "is not a git revision"),
    (("--new-from-merge-base", "nope"), "'nope' is not a commit"),
    (("--new", "--new-from-rev", "HEAD"), "not allowed with"),
])
def test_bad_revisions_are_usage_errors(repo: Path, cli: RunCli, args: tuple[str, ...], message: str) -> None:
    status, out, err = cli("scan", "--no-cache", *args)
    assert status == 2 and out == "" and message in err and "Traceback" not in err


def test_outside_a_git_repository(project: Path, cli: RunCli) -> None:
    status, _, err = cli("scan", "--no-cache", "--new")
    assert status == 2 and "not in a git repository" in err


def test_parse_diff_hunks_renames_deletions_and_quoted_names() -> None:
    diff = (b"diff --git a/a.go b/a.go\n--- a/a.go\n+++ b/a.go\n@@ -3,0 +4,2 @@ func F() {\n+x\n+y\n"
            b"@@ -10 +12 @@\n-old\n+new\n@@ -20,3 +21,0 @@\n-gone\n"
            b"diff --git a/gone.go b/gone.go\n--- a/gone.go\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n"
            b'diff --git "a/d\\303\\244.go" "b/d\\303\\244.go"\n--- "a/d\\303\\244.go"\n+++ "b/d\\303\\244.go"\n'
            b"@@ -1 +1 @@\n-a\n+b\n")
    assert parse_diff(diff) == [("a.go", {4, 5, 12}), ("dä.go", {1})]
