"""Applying fixes: conflicts, duplicates, stale files, syntax checks and atomic writes."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from cgoguard.findings import Applicability, Edit, Finding, Fix
from cgoguard.fix.apply import apply_edits, plan_fixes, unified_diff, write_files

SOURCE = b"package p\n\nfunc f() {\n\tg()\n}\n"


def _edit(start: int, end: int, content: str, path: str = "p.go") -> Edit:
    return Edit(path, start, end, content, 1, start + 1, 1, end + 1)


def _finding(line: int, *edits: Edit, applicability: Applicability = Applicability.SAFE,
             source: bytes = SOURCE) -> Finding:
    fix = Fix("fix it", list(edits), applicability, {"p.go": hashlib.sha256(source).hexdigest()})
    return Finding("CG101", "c-leak", "m", "p.go", line, fix=fix)


def _read(data: bytes = SOURCE):
    return lambda path: data


AFTER_CALL = SOURCE.index(b"g()") + 3


def test_identical_edits_from_two_fixes_apply_once() -> None:
    add = _edit(AFTER_CALL, AFTER_CALL, "\n\th()")
    plan = plan_fixes([_finding(4, add), _finding(5, add)], read=_read())
    assert plan.files[0].fixed == b"package p\n\nfunc f() {\n\tg()\n\th()\n}\n"
    assert plan.fixed == 2 and plan.deferred == 0


def test_overlapping_fix_waits_for_the_next_pass() -> None:
    call = SOURCE.index(b"g()")
    first = _finding(4, _edit(call, call + 3, "h()"))
    second = _finding(4, _edit(call + 1, call + 3, "(1)"))
    plan = plan_fixes([first, second], read=_read())
    assert plan.files[0].fixed == SOURCE.replace(b"g()", b"h()")
    assert plan.deferred == 1 and plan.fixed == 1


def test_insertions_at_one_point_keep_their_order() -> None:
    assert apply_edits(b"ab", [_edit(1, 1, "1"), _edit(1, 1, "2"), _edit(1, 2, "B")]) == b"a12B"


def test_a_fix_with_self_overlapping_edits_is_refused() -> None:
    bad = _finding(4, _edit(3, 8, "x"), _edit(5, 9, "y"))
    plan = plan_fixes([bad], read=_read())
    assert not plan.files and "overlapping edits" in plan.skipped[0][1]


def test_a_changed_file_is_left_alone() -> None:
    finding = _finding(4, _edit(AFTER_CALL, AFTER_CALL, "\n\th()"))
    plan = plan_fixes([finding], read=_read(SOURCE + b"// edited since\n"))
    assert not plan.files and plan.skipped == [("p.go", "changed since it was analysed; scan again")]


def test_a_fix_that_breaks_the_syntax_is_not_applied() -> None:
    finding = _finding(4, _edit(AFTER_CALL, AFTER_CALL, "\n\th((("))
    plan = plan_fixes([finding], read=_read())
    assert not plan.files and "syntax error" in plan.skipped[0][1]


def test_unsafe_fixes_only_when_asked() -> None:
    finding = _finding(4, _edit(AFTER_CALL, AFTER_CALL, "\n\th()"), applicability=Applicability.UNSAFE)
    held = plan_fixes([finding], read=_read())
    assert not held.files and held.unsafe_available == 1
    assert plan_fixes([finding], unsafe=True, read=_read()).fixed == 1


def test_diff_and_atomic_write_keep_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "p.go"
    target.write_bytes(SOURCE)
    target.chmod(0o640)
    finding = _finding(4, _edit(AFTER_CALL, AFTER_CALL, "\n\th()"))
    finding.path = str(target)
    finding.fix = Fix("f", [Edit(str(target), AFTER_CALL, AFTER_CALL, "\n\th()", 4, 5, 4, 5)],
                      digests={str(target): hashlib.sha256(SOURCE).hexdigest()})
    plan = plan_fixes([finding])
    assert "+\th()" in plan.files[0].diff().splitlines()
    assert plan.files[0].diff().splitlines()[:2] == [f"--- {target}", f"+++ {target}"]
    assert unified_diff("p.go", SOURCE, plan.files[0].fixed).splitlines()[:2] == ["--- a/p.go", "+++ b/p.go"]
    assert write_files(plan.files) == []
    assert target.read_bytes() == b"package p\n\nfunc f() {\n\tg()\n\th()\n}\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["p.go"]


def test_fix_round_trips_through_json() -> None:
    finding = _finding(4, _edit(AFTER_CALL, AFTER_CALL, "\n\th()"), applicability=Applicability.UNSAFE)
    again = Finding.from_dict(finding.to_dict())
    assert again.fix == finding.fix
