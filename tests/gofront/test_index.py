"""The package syntax index answers tree walks exactly as walking the tree does."""

from __future__ import annotations

from pathlib import Path

import pytest

from cgoguard.gofront import discover, load_packages
from cgoguard.gofront.index import SyntaxIndex, active_index, using_index
from cgoguard.gofront.package import Package
from cgoguard.gofront.syntax import nodes_of_type, parse_go, walk, walk_skipping_funcs

REPO = Path(__file__).resolve().parents[2]

BROKEN = b"""package p

func f(x int) {
	g := func() { if x > { return } }
	go func() { h(x) }()
	defer g(
}
"""


def _packages(path: Path) -> list[Package]:
    return [p for s in discover([str(path)]).packages for p in load_packages(s)]


def _ids(nodes: object) -> list[int]:
    return [n.id for n in nodes]  # type: ignore[attr-defined]


def _same_answers(index: SyntaxIndex, roots: list) -> None:
    for root in roots:
        tree_walk = list(walk(root))  # no index active: the cursor walk
        for node in tree_walk:
            with using_index(index):
                indexed = list(walk(node))
                skipping = list(walk_skipping_funcs(node))
                typed = nodes_of_type(node, "call_expression", "identifier", "func_literal")
            assert _ids(indexed) == _ids(walk(node))
            assert _ids(skipping) == _ids(walk_skipping_funcs(node))
            assert _ids(typed) == _ids(n for n in walk(node)
                                       if n.type in ("call_expression", "identifier", "func_literal"))


@pytest.mark.parametrize("directory", ["examples/buggy", "tests/fixtures/lifetime"])
def test_index_matches_tree_walks(directory: str) -> None:
    packages = _packages(REPO / directory)
    assert packages
    for package in packages[:3]:
        roots = [f.root for f in package.files]
        _same_answers(package.syntax_index, roots)


def test_index_matches_on_broken_code() -> None:
    tree = parse_go(BROKEN)
    assert tree.root_node.has_error
    _same_answers(SyntaxIndex([tree.root_node]), [tree.root_node])


def test_unindexed_nodes_fall_back_to_the_tree() -> None:
    indexed, other = parse_go(b"package a\nfunc f() { g() }\n"), parse_go(b"package b\nfunc h() { k(1) }\n")
    index = SyntaxIndex([indexed.root_node])
    with using_index(index):
        assert active_index() is index
        assert [n.type for n in nodes_of_type(other.root_node, "call_expression")] == ["call_expression"]
        assert index.memo("purpose", other.root_node, lambda: "computed") == "computed"
        calls = iter([1, 2])
        first = index.memo("purpose", indexed.root_node, lambda: next(calls))
        assert index.memo("purpose", indexed.root_node, lambda: next(calls)) == first == 1
    assert active_index() is None
