"""The module-wide package graph: import headers, go.mod resolution, dependencies outside the
scanned paths, import cycles, and the extra builds for files the target leaves out."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cgoguard.gofront.buildtags import BuildTarget
from cgoguard.gofront.discover import DiscoveryOptions, discover
from cgoguard.gofront.graph import build_graph, strongly_connected
from cgoguard.gofront.imports import read_header
from cgoguard.gofront.modules import read_go_mod
from cgoguard.gofront.variants import Candidate, plan_builds


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    return root


def test_header_reads_package_and_imports_through_comments_and_the_preamble() -> None:
    header = read_header(b'// c\n//go:build x\n\n/* block */ package foo // tail\n'
                         b'// #include <x.h>\nimport "C"\nimport (\n\t"fmt" // c\n\tu "unsafe"\n'
                         b'\t. "a/b"; _ "c/d"\n)\nimport `raw/e`\n\nfunc f() {}\n')
    assert header.package == "foo"
    assert header.imports == ("C", "fmt", "unsafe", "a/b", "c/d", "raw/e")
    assert header.has_declarations
    assert not read_header(b'package p\n\n/*\n#cgo LDFLAGS: -lx\n*/\nimport "C"\n').has_declarations


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.text(alphabet='package import ("C")`/*\n\t_.x', max_size=200).map(str.encode))
def test_header_of_any_bytes_never_raises(data: bytes) -> None:
    header = read_header(data)
    assert all(isinstance(path, str) for path in header.imports)


def test_go_mod_module_path_and_local_replacements(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text('module "example.com/m" // comment\n\nreplace (\n'
                                     '\texample.com/other v1.2.0 => ./third_party/other\n'
                                     '\texample.com/remote => example.com/fork v1.0.0\n)\n'
                                     'replace example.com/up => ../up\n')
    module = read_go_mod(tmp_path / "go.mod")
    assert module is not None and module.path == "example.com/m"
    assert dict(module.replaces) == {"example.com/other": tmp_path.resolve() / "third_party" / "other",
                                     "example.com/up": tmp_path.resolve().parent / "up"}


def _graph(root: Path, paths: list[str] | None = None):  # type: ignore[no-untyped-def]
    options = DiscoveryOptions()
    discovery = discover([str(root / p) for p in (paths or ["."])], options)
    return build_graph(discovery, options)


def test_imports_resolve_through_modules_nested_modules_and_replacements(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "go.mod": "module example.com/top\n\nreplace example.com/lib => ./lib\n",
        "app/app.go": 'package app\n\nimport (\n\t"example.com/top/util"\n\t"example.com/lib/inner"\n\t"fmt"\n)\n',
        "util/util.go": "package util\n",
        "lib/go.mod": "module example.com/lib\n",
        "lib/inner/inner.go": 'package inner\n\nimport "example.com/top/util"\n',
        "vendor/example.com/x/x.go": "package x\n",
    })
    graph = _graph(tmp_path)
    by_path = {n.import_path: n for n in graph.nodes}
    assert set(by_path) == {"example.com/top/app", "example.com/top/util", "example.com/lib/inner"}
    deps = {graph.nodes[d].import_path for d in by_path["example.com/top/app"].deps}
    assert deps == {"example.com/top/util", "example.com/lib/inner"}
    order = [graph.nodes[i].import_path for i in graph.order()]
    assert order.index("example.com/top/util") < order.index("example.com/lib/inner") < order.index(
        "example.com/top/app")


def test_module_imports_outside_the_scanned_paths_are_read_for_facts_only(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "go.mod": "module example.com/m\n",
        "app/app.go": 'package app\n\nimport "example.com/m/internal/c"\n',
        "internal/c/c.go": 'package c\n\nimport "example.com/m/internal/d"\n',
        "internal/d/d.go": "package d\n",
        "internal/testdata/t/t.go": "package t\n",
        "other/o.go": "package o\n",
    })
    graph = _graph(tmp_path, ["app"])
    assert [(n.import_path, n.facts_only, n.sources.only) for n in graph.nodes] == [
        ("example.com/m/app", False, None), ("example.com/m/internal/c", True, set()),
        ("example.com/m/internal/d", True, set())]


def test_an_import_cycle_does_not_stop_the_schedule(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "go.mod": "module example.com/m\n",
        "a/a.go": 'package a\n\nimport "example.com/m/b"\n',
        "b/b.go": 'package b\n\nimport "example.com/m/a"\n',
        "c/c.go": 'package c\n\nimport "example.com/m/a"\n',
    })
    graph = _graph(tmp_path)
    names = [n.import_path.rsplit("/", 1)[-1] for n in graph.nodes]
    deps = graph.scheduling_deps()
    assert deps[names.index("a")] == set() and deps[names.index("b")] == set()
    assert deps[names.index("c")] == {names.index("a")}
    assert sorted(graph.order()) == [0, 1, 2]


def test_strongly_connected_components_come_callees_first() -> None:
    assert strongly_connected(5, [{1}, {2}, {0, 3}, set(), {4}]) == [[3], [0, 1, 2], [4]]
    chain = [{i + 1} for i in range(5000)] + [set()]
    assert strongly_connected(5001, chain)[0] == [5000]  # no recursion limit


def _candidate(name: str, constraint: str = "", imports_c: bool = True, declarations: bool = True,
               names: set[str] | None = None) -> Candidate:
    header = f"//go:build {constraint}\n\npackage p\n" if constraint else "package p\n"
    return Candidate(name, header, imports_c, declarations, frozenset(names or ()))


def test_extra_builds_cover_left_out_files_with_few_merged_targets() -> None:
    files = [
        _candidate("main.go", names={"Open"}),
        _candidate("trace.go", "sqlite_trace", names={"Trace"}),
        _candidate("vtable.go", "sqlite_vtable || vtable", names={"Module"}),
        _candidate("auth.go", "sqlite_userauth", names={"Auth"}),
        _candidate("auth_omit.go", "!sqlite_userauth", names={"Auth"}),
        _candidate("ext.go", "sqlite_ext", names={"Open"}),
        _candidate("stub.go", "!cgo", imports_c=False),
        _candidate("x_darwin.go"),
        _candidate("x_windows.go"),
        _candidate("gen.go", "ignore"),
        _candidate("flags_solaris.go", declarations=False),
    ]
    plan = plan_builds(files, BuildTarget())
    # Files that only add declarations join the target's files (one analysis of the package).
    assert {files[i].name: label for i, label in plan.joined.items()} == {
        "trace.go": "tags=sqlite_trace", "vtable.go": "tags=sqlite_vtable", "x_darwin.go": "goos=darwin"}
    # The others get extra targets: one that replaces auth_omit.go (and redeclares Open), and cgo off.
    assert [b.label for b in plan.builds] == ["tags=sqlite_ext,sqlite_userauth", "cgo=off"]
    names = [[files[i].name for i in b.files] for b in plan.builds]
    assert names[0] == ["main.go", "auth.go", "ext.go"]
    assert names[1] == ["stub.go"]  # without cgo, files importing "C" are out
    assert len(plan_builds(files, BuildTarget(), limit=1).builds) == 1


def test_windows_files_are_outside_a_unix_target_family() -> None:
    plan = plan_builds([_candidate("a_windows.go"), _candidate("b.go", "windows")], BuildTarget())
    assert (plan.joined, plan.builds) == ({}, [])


def test_discovery_keeps_extra_builds_only_when_asked(tmp_path: Path) -> None:
    write_tree(tmp_path, {"p/a.go": "package p\n\nfunc A() {}\n",
                          "p/t.go": "//go:build extra\n\npackage p\n\nfunc T() {}\n"})
    assert discover([str(tmp_path)]).packages[0].extra_builds == []
    found = discover([str(tmp_path)], DiscoveryOptions(extra_builds=3))
    sources = found.packages[0]
    # t.go declares nothing a.go declares: it is analysed with the target's files, once.
    assert sorted(f.path.name for f in sources.go_files) == ["a.go", "t.go"]
    assert sources.extra_builds == [] and list(sources.optional_files.values()) == ["tags=extra"]
    assert found.skipped_files == 0


def test_optional_files_that_conflict_get_their_own_build(tmp_path: Path) -> None:
    write_tree(tmp_path, {"p/a.go": "package p\n\nfunc A() {}\n",
                          "p/on.go": "//go:build extra\n\npackage p\n\nfunc (b *Buf) Close() {}\n",
                          "p/off.go": "//go:build !extra\n\npackage p\n\nfunc (b *Buf) Close() {}\n"})
    sources = discover([str(tmp_path)], DiscoveryOptions(extra_builds=3)).packages[0]
    assert sorted(f.path.name for f in sources.go_files) == ["a.go", "off.go"]
    (build,) = sources.extra_builds
    assert build.label == "tags=extra" and sorted(f.path.name for f in build.go_files) == ["a.go", "on.go"]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="module replace ()=>./\n\t\"`example.com/xv1 //", max_size=300))
def test_go_mod_of_any_text_never_raises(tmp_path_factory, text: str) -> None:  # type: ignore[no-untyped-def]
    go_mod = tmp_path_factory.mktemp("mod") / "go.mod"
    go_mod.write_text(text)
    module = read_go_mod(go_mod)
    assert module is not None and isinstance(module.path, str)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet="!&|() linuxdarwinwindowscgo_x,", max_size=30), max_size=6))
def test_build_plans_for_any_constraints_never_raise(constraints: list[str]) -> None:
    files = [_candidate(f"f{i}.go", c) for i, c in enumerate(constraints)]
    plan = plan_builds(files, BuildTarget())
    assert len(plan.builds) <= 3
    assert all(0 <= i < len(files) for b in plan.builds for i in b.files)
