"""Only new findings: the lines changed since a git revision.

``--new-from-rev REV`` keeps the findings on lines that ``git diff REV`` shows as added or
changed in the working tree (committed, staged or not), plus every line of files git does not
track yet, as golangci-lint's option of the same name does. ``--new`` compares against the
merge base of HEAD and the upstream branch (the branch HEAD tracks, else the remote's default
branch), so a pull request's CI reports what the pull request brings. A finding also counts
as new when one of its related locations (the allocation, the free) is on a changed line: a
bug made by editing the free is new even when the allocation it is reported at is old.

git runs read-only (``diff``, ``ls-files``, ``rev-parse``, ``merge-base``), with external
diff drivers, text conversion, the file-system monitor hook and colour turned off.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cgoguard.errors import UsageError
from cgoguard.findings import Finding

_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,(?P<count>\d+))? @@")
_GIT_TIMEOUT_S = 120
# Candidates for the upstream branch when HEAD tracks none, in order.
_DEFAULT_UPSTREAMS = ("origin/HEAD", "origin/main", "origin/master", "upstream/main", "upstream/master",
                      "main", "master")


@dataclass
class ChangedLines:
    """Lines added or changed since ``rev``, per absolute file path; None: the whole file."""

    rev: str
    top: Path
    lines: dict[Path, set[int] | None] = field(default_factory=dict)

    def touches(self, path: str, line: int) -> bool:
        absolute = Path(path).resolve()
        if absolute not in self.lines:
            return False
        changed = self.lines[absolute]
        return changed is None or line in changed

    def is_new(self, finding: Finding) -> bool:
        if self.touches(finding.path, finding.line):
            return True
        return any(self.touches(r.path, r.line) for r in finding.related if r.line > 0)


def keep_new(findings: Iterable[Finding], changed: ChangedLines) -> tuple[list[Finding], int]:
    """(findings on changed lines, number left out as old)."""
    kept, old = [], 0
    for finding in findings:
        if changed.is_new(finding):
            kept.append(finding)
        else:
            old += 1
    return kept, old


def changed_lines(rev: str, start: Path) -> ChangedLines:
    """What changed in the git work tree containing ``start`` since ``rev``."""
    top = _toplevel(start)
    commit = resolve_rev(rev, top)
    changed = ChangedLines(rev=rev, top=top)
    diff = _git(["-c", "core.quotePath=false", "diff", "--no-ext-diff", "--no-textconv", "--no-color",
                 "--no-renames", "--unified=0", "--no-relative", commit, "--"], top)
    for path, lines in parse_diff(diff):
        changed.lines[top / path] = lines
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], top)
    for name in filter(None, untracked.split(b"\0")):
        changed.lines[top / os.fsdecode(name)] = None
    return changed


def parse_diff(diff: bytes) -> list[tuple[str, set[int]]]:
    """(path, added or changed line numbers) per file of a ``git diff --unified=0``."""
    files: list[tuple[str, set[int]]] = []
    current: set[int] | None = None
    for raw in diff.split(b"\n"):
        if raw.startswith(b"+++ "):
            target = raw[4:].rstrip(b"\r")
            if target == b"/dev/null":  # a deleted file has no new lines
                current = None
                continue
            if target.startswith(b'"'):  # a quoted name (unusual characters)
                target = _unquote(target)
            name = target[2:] if target.startswith(b"b/") else target
            current = set()
            files.append((os.fsdecode(name), current))
        elif current is not None and (match := _HUNK.match(raw)):
            start = int(match["start"])
            count = 1 if match["count"] is None else int(match["count"])
            current.update(range(start, start + count))
    return files


def resolve_rev(rev: str, top: Path) -> str:
    if rev.startswith("-"):
        raise UsageError(f"{rev!r} is not a git revision")
    try:
        return _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
                    top).decode().strip()
    except UsageError as exc:
        raise UsageError(f"{rev!r} is not a commit in the git repository at {top}") from exc


def merge_base(start: Path, upstream: str | None = None) -> str:
    """The merge base of HEAD and ``upstream`` (default: the branch HEAD tracks, else the
    remote's default branch, else main or master)."""
    top = _toplevel(start)
    candidates: Sequence[str] = [upstream] if upstream else _upstream_candidates(top)
    for candidate in candidates:
        try:
            commit = resolve_rev(candidate, top)
        except UsageError:
            continue
        return _git(["merge-base", "HEAD", commit], top).decode().strip()
    if upstream:
        raise UsageError(f"{upstream!r} is not a commit in the git repository at {top}")
    raise UsageError("--new: HEAD tracks no upstream branch and there is no origin/HEAD, main or master "
                     "to compare with; use --new-from-rev REV or --new-from-merge-base BRANCH")


def _toplevel(start: Path) -> Path:
    directory = start if start.is_dir() else start.parent
    return Path(os.fsdecode(_git(["rev-parse", "--show-toplevel"], directory).rstrip(b"\n"))).resolve()


def _upstream_candidates(top: Path) -> list[str]:
    candidates = []
    try:
        tracked = _git(["rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}"], top).decode().strip()
        if tracked:
            candidates.append(tracked)
    except UsageError:
        pass  # no upstream configured
    return [*candidates, *_DEFAULT_UPSTREAMS]


def _git(args: list[str], cwd: Path) -> bytes:
    git = shutil.which("git")
    if git is None:
        raise UsageError("only-new findings need git, which is not on PATH")
    env = {**os.environ, "GIT_PAGER": "cat", "GIT_EXTERNAL_DIFF": "", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        done = subprocess.run([git, "-c", "core.fsmonitor=false", *args], cwd=cwd, capture_output=True,
                              stdin=subprocess.DEVNULL, env=env, timeout=_GIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"git {args[0]} failed: {exc}") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        if "not a git repository" in " ".join(message):
            raise UsageError(f"{cwd} is not in a git repository (only-new findings compare with git)")
        raise UsageError(f"git {args[0]}: {message[-1] if message else f'exit status {done.returncode}'}")
    return done.stdout


def _unquote(name: bytes) -> bytes:
    """git's C-style quoting of a path: ``"a\\tb\\303\\244"``."""
    body = name[1:-1] if name.endswith(b'"') else name[1:]
    return re.sub(rb"\\([0-7]{3}|.)", lambda m: _escape(m[1]), body)


def _escape(code: bytes) -> bytes:
    if len(code) == 3 and code.isdigit():
        return bytes([int(code, 8)])
    return {b"n": b"\n", b"t": b"\t", b'"': b'"', b"\\": b"\\", b"a": b"\a", b"b": b"\b", b"f": b"\f",
            b"r": b"\r", b"v": b"\v"}.get(code, code)
