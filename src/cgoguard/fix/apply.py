"""Applying fixes to files: conflicts, stale content and re-parsing.

Fixes are planned file by file. A file whose content is not what the fixes were computed
against is left alone; within a file, fixes are taken in finding order and one whose edits
overlap an accepted fix waits for the next pass (``--fix`` re-scans and tries again, as ruff
does). The fixed text is parsed again with tree-sitter, and a file whose fixed text has more
syntax errors than before is left untouched. Nothing is written here: :func:`write_files`
does that, atomically, for the plans the caller accepts.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cgoguard.findings import Applicability, Edit, Finding, Fix
from cgoguard.fix.edits import digest


@dataclass
class FileFix:
    """The new content of one file and the findings its fixes remove."""

    path: str
    original: bytes
    fixed: bytes
    findings: list[Finding] = field(default_factory=list)

    def diff(self) -> str:
        return unified_diff(self.path, self.original, self.fixed)


@dataclass
class FixPlan:
    files: list[FileFix] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why it was left alone)
    deferred: int = 0  # fixes that overlap another one: left for the next pass
    unsafe_available: int = 0  # unsafe fixes not applied (no --unsafe-fixes)

    @property
    def fixed(self) -> int:
        return sum(len(f.findings) for f in self.files)


def applicable(finding: Finding, unsafe: bool) -> Fix | None:
    fix = finding.fix
    if fix is None or not fix.edits:
        return None
    if fix.applicability is Applicability.UNSAFE and not unsafe:
        return None
    return fix


def plan_fixes(findings: Iterable[Finding], *, unsafe: bool = False,
               read: Callable[[str], bytes] | None = None) -> FixPlan:
    """New contents for every file the applicable fixes of ``findings`` change."""
    read = read or (lambda path: Path(path).read_bytes())
    plan = FixPlan()
    by_path: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=lambda f: f.sort_key):
        if finding.fix is None:
            continue
        if applicable(finding, unsafe) is None:
            plan.unsafe_available += 1
            continue
        paths = finding.fix.paths
        if len(paths) != 1:
            plan.skipped.append((finding.path, f"{finding.rule} fix edits several files; not applied"))
            continue
        by_path.setdefault(paths[0], []).append(finding)
    for path, file_findings in sorted(by_path.items()):
        _plan_file(path, file_findings, read, plan)
    return plan


def _plan_file(path: str, findings: list[Finding], read: Callable[[str], bytes], plan: FixPlan) -> None:
    try:
        original = read(path)
    except OSError as exc:
        plan.skipped.append((path, f"cannot read: {exc.strerror or exc}"))
        return
    current = digest(original)
    if any(f.fix is not None and f.fix.digests.get(path, current) != current for f in findings):
        plan.skipped.append((path, "changed since it was analysed; scan again"))
        return
    accepted: list[Edit] = []
    applied: list[Finding] = []
    for finding in findings:
        assert finding.fix is not None
        edits = finding.fix.edits
        if not _consistent(edits, len(original)):
            plan.skipped.append((path, f"{finding.rule} fix at line {finding.line} has overlapping edits"))
            continue
        if any(_conflict(e, a) for e in edits for a in accepted):
            plan.deferred += 1
            continue
        accepted += [e for e in edits if e not in accepted]
        applied.append(finding)
    if not applied:
        return
    fixed = apply_edits(original, accepted)
    problem = _syntax_regression(original, fixed)
    if problem:
        plan.skipped.append((path, f"fixes not applied: {problem}"))
        return
    plan.files.append(FileFix(path, original, fixed, applied))


def _consistent(edits: list[Edit], size: int) -> bool:
    """Edits of one fix lie in the file and do not overlap one another."""
    if any(not 0 <= e.start <= e.end <= size for e in edits):
        return False
    return not any(_conflict(a, b) for i, a in enumerate(edits) for b in edits[i + 1:])


def _conflict(a: Edit, b: Edit) -> bool:
    """Whether two edits cannot both be applied. The same edit twice (two fixes adding one
    import) is applied once; insertions at one point are applied one after the other."""
    if a == b:
        return False
    if a.start == a.end and b.start == b.end:
        return False
    if a.start == a.end:
        return b.start < a.start < b.end
    if b.start == b.end:
        return a.start < b.start < a.end
    return a.start < b.end and b.start < a.end


def apply_edits(original: bytes, edits: list[Edit]) -> bytes:
    """``original`` with non-conflicting ``edits`` applied (insertions at one offset in the
    order given, before a replacement starting there)."""
    order = {id(e): i for i, e in enumerate(edits)}
    pieces: list[bytes] = []
    cursor = 0
    for e in sorted(edits, key=lambda e: (e.start, e.end != e.start, order[id(e)])):
        pieces.append(original[cursor:e.start])
        pieces.append(e.content.encode("utf-8"))
        cursor = max(cursor, e.end)
    pieces.append(original[cursor:])
    return b"".join(pieces)


def _syntax_regression(original: bytes, fixed: bytes) -> str:
    from cgoguard.gofront.syntax import parse_go

    before, after = _error_count(parse_go(original).root_node), _error_count(parse_go(fixed).root_node)
    return "they would introduce a syntax error" if after > before else ""


def _error_count(root: object) -> int:
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:  # type: ignore[attr-defined]
            count += 1
        elif node.has_error:  # type: ignore[attr-defined]
            stack.extend(node.children)  # type: ignore[attr-defined]
    return count


def unified_diff(path: str, original: bytes, fixed: bytes) -> str:
    before = original.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    after = fixed.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    # git's a/ and b/ prefixes for relative paths; an absolute path stands as it is.
    old, new = (path, path) if os.path.isabs(path) else (f"a/{path}", f"b/{path}")
    lines = list(difflib.unified_diff(before, after, old, new))
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def write_files(files: Iterable[FileFix]) -> list[str]:
    """Write each fixed file atomically (same directory, same permissions); the paths that
    could not be written, with the reason."""
    failures: list[str] = []
    for file in files:
        target = Path(os.path.realpath(file.path))  # through a symbolic link, to the file itself
        try:
            _write_atomically(target, file.fixed)
        except OSError as exc:
            failures.append(f"{file.path}: cannot write: {exc.strerror or exc}")
    return failures


def _write_atomically(target: Path, data: bytes) -> None:
    mode = target.stat().st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".cgoguard-fix", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
