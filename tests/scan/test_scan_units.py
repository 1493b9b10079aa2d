"""Properties of the suppression parser and baseline matching."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cgoguard.findings import Finding
from cgoguard.gofront.discover import SourceFile
from cgoguard.gofront.gofile import GoFile, load_go_file
from cgoguard.scan.baseline import filter_baselined
from cgoguard.scan.suppressions import find_suppressions


def go_file(source: str) -> GoFile:
    data = source.encode("utf-8", "surrogatepass")
    return load_go_file(SourceFile(Path("p.go"), "p.go", data))[0]


@settings(deadline=None, max_examples=60)  # the first example loads the rule registry
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_any_directive_text_parses_without_error(rest: str) -> None:
    file = go_file(f"package p\n\n//cgoguard:ignore {rest}\nvar x = 1\n")
    for suppression in find_suppressions(file):
        assert suppression.line == 3
        assert isinstance(suppression.problem, str)


def test_directive_fields_and_covered_lines() -> None:
    file = go_file("package p\n\n/* cgoguard:ignore CG101, use-after-free -- shared with C */\n"
                   "// plain comment\n\nvar x = 1 //cgoguard:ignore CG103 -- fine\n")
    block, trailing = find_suppressions(file)
    assert (block.rules, block.reason, block.covers, block.problem) == (
        ("CG101", "use-after-free"), "shared with C", 5, "")
    assert (trailing.rules, trailing.covers) == (("CG103",), 6)


def finding(fingerprint: str, line: int) -> Finding:
    return Finding(rule="CG901", category="suppression", message="m", path="a.go", line=line,
                   fingerprint=fingerprint)


@given(st.lists(st.sampled_from("abcd"), max_size=12), st.lists(st.sampled_from("abcd"), max_size=12))
def test_baseline_matching_is_multiset_difference(current: list[str], recorded: list[str]) -> None:
    findings = [finding(fp, line) for line, fp in enumerate(current, start=1)]
    new, accepted = filter_baselined(findings, Counter(recorded))
    assert Counter(f.fingerprint for f in new) == Counter(current) - Counter(recorded)
    assert accepted + len(new) == len(current)
