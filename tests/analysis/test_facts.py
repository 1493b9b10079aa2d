"""Facts: the summaries a package exports, their qualified names and serialisation, the call
graph they are computed over, and what a caller sees of a package that cannot be summarised."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cgoguard.analysis.callgraph import call_graph
from cgoguard.analysis.exports import export_facts
from cgoguard.analysis.facts import C_HANDLE_TYPES, INIT_GLOBALS, ImportedFacts, PackageFacts
from cgoguard.analysis.summaries import (
    RECEIVER,
    RESULT_C,
    RESULT_GO,
    STORED_IN_C_MEMORY,
    STORED_IN_CONTAINER,
    STORED_IN_FIELD,
    STORED_IN_GLOBAL,
    FunctionSummary,
    StoreSite,
)
from cgoguard.contracts import contracts_for_package
from cgoguard.gofront.discover import PackageSources, SourceFile
from cgoguard.gofront.package import Package, load_packages

PREAMBLE = 'package h\n\n// #include <stdlib.h>\n// typedef struct { void *data; } box;\nimport "C"\n\nimport "unsafe"\n\n'


def _package(source: str, import_path: str = "example.com/m/h", facts: ImportedFacts | None = None) -> Package:
    sources = PackageSources(Path("."), ".", [SourceFile(Path("h.go"), "h.go", source.encode())],
                             import_path=import_path)
    package = load_packages(sources)[0]
    package.facts = facts
    return package


def _facts(source: str, **kwargs: object) -> PackageFacts:
    package = _package(source, **kwargs)  # type: ignore[arg-type]
    return export_facts(package, contracts_for_package(package, called_only=True), {})


HELPERS = PREAMBLE + '''
var registry = map[int]unsafe.Pointer{}
var last unsafe.Pointer
var global *C.char

type Buf struct{ p *C.char; owner unsafe.Pointer }

func init() { global = C.CString("x") }

func Alloc() *C.char { return C.CString("x") }
func Free(p *C.char) { C.free(unsafe.Pointer(p)) }
func MaybeFree(p *C.char, ok bool) { if ok { C.free(unsafe.Pointer(p)) } }
func NewBuf() *Buf { return &Buf{p: C.CString("b")} }
func (b *Buf) Close() { C.free(unsafe.Pointer(b.p)); b.p = nil }
func (b Buf) Len() int { return 0 }
func (b *Buf) Fill() { b.p = C.CString("f") }
func Keep(b *Buf, p unsafe.Pointer) { b.owner = p }
func Remember(k int, p unsafe.Pointer) { registry[k] = p; last = p }
func Box(p unsafe.Pointer) *C.box { b := (*C.box)(C.malloc(8)); b.data = p; return b }
func Later(p unsafe.Pointer) { BoxIt(p) }
func BoxIt(p unsafe.Pointer) { _ = Box(p) }
func Send(ch chan unsafe.Pointer, p unsafe.Pointer) { ch <- p }
func Spawn(p *C.char) { go func() { Free(p) }() }
func Even(n int) bool { if n == 0 { return true }; return Odd(n - 1) }
func Odd(n int) bool { if n == 0 { return false }; return Even(n - 1) }
func Swap(p *C.char) { C.free(unsafe.Pointer(global)); global = p }
'''


@pytest.fixture(scope="module")
def helpers() -> PackageFacts:
    return _facts(HELPERS)


def test_functions_and_methods_are_keyed_by_qualified_name(helpers: PackageFacts) -> None:
    keys = set(helpers.functions)
    assert {"example.com/m/h.Alloc", "example.com/m/h.(*Buf).Close", "example.com/m/h.Buf.Len"} <= keys
    assert helpers.results["example.com/m/h.NewBuf"] == ("*example.com/m/h.Buf",)


def test_summaries_say_what_happens_to_parameters_results_and_fields(helpers: PackageFacts) -> None:
    f = {k.rsplit(".", 1)[-1] if "(" not in k else k.split(".", 2)[-1]: s for k, s in helpers.functions.items()}
    assert f["Alloc"].owned_result(0) == "C.free"
    assert f["Free"].frees == {0} and f["Free"].frees_always == {0}
    assert f["MaybeFree"].frees == {0} and f["MaybeFree"].frees_always == frozenset()
    assert (RECEIVER, ".p") in f["(*Buf).Close"].frees_fields and (RECEIVER, ".p") in f["(*Buf).Close"].nils_fields
    assert (RECEIVER, ".p", "C.free") in f["(*Buf).Fill"].fills_fields
    assert f["NewBuf"].result_kind(0) == RESULT_GO
    assert {(s.param, s.place) for s in f["Keep"].stores} == {(1, STORED_IN_FIELD)}
    assert {(s.param, s.place) for s in f["Remember"].stores} == {(1, STORED_IN_CONTAINER), (1, STORED_IN_GLOBAL)}
    assert [(s.param, s.place, s.line) for s in f["Box"].stores] == [(0, STORED_IN_C_MEMORY, 27)]
    later = f["Later"].stores[0]
    assert (later.place, later.line, [hop[2] for hop in later.chain]) == (STORED_IN_C_MEMORY, 27, ["BoxIt", "Box"])
    assert f["Send"].hands_off == {1} and f["Spawn"].hands_off == {0}
    assert f["Swap"].frees_globals == {"global"} and f["Swap"].overwrites_globals == {"global"}
    assert f["Box"].result_kind(0) == RESULT_C or f["Box"].owned_result(0) == "C.free"


def test_package_facts_name_init_globals_and_c_handle_types(helpers: PackageFacts) -> None:
    assert helpers.package[INIT_GLOBALS.name] == {"global": "c-owned:C.free"}
    assert helpers.package[C_HANDLE_TYPES.name] == {"Buf": ["p"]}


def test_mutual_recursion_is_one_component_solved_to_a_fixpoint() -> None:
    package = _package(HELPERS)
    graph = call_graph(package)
    names = [[graph.functions[i].name for i in component] for component in graph.components()]
    assert sorted(next(c for c in names if "Even" in c)) == ["Even", "Odd"]
    assert names.index(["Box"]) < names.index(["BoxIt"]) < names.index(["Later"])


def test_facts_round_trip_and_damage_is_rejected(helpers: PackageFacts) -> None:
    data = json.loads(json.dumps(helpers.to_json()))
    assert PackageFacts.from_json(data).to_json() == helpers.to_json()
    assert PackageFacts.from_json(data).digest() == helpers.digest()
    for damage in (
        lambda d: d.update(version=0),
        lambda d: d["functions"].update({"x.F": {"frees": ["zero"]}}),
        lambda d: d["functions"].update({"x.F": {"stores": [{"param": 0}]}}),
        lambda d: d["functions"].update({"x.F": {"no_such_field": 1}}),
        lambda d: d["package"].update({"init-globals": ["not", "a", "table"]}),
        lambda d: d["package"].update({"unknown-fact": {}}),
        lambda d: d.pop("results"),
    ):
        damaged = json.loads(json.dumps(helpers.to_json()))
        damage(damaged)
        with pytest.raises((ValueError, KeyError, TypeError)):
            PackageFacts.from_json(damaged)


def test_summary_round_trip_keeps_every_field() -> None:
    summary = FunctionSummary(returns_owned=((0, "C.free"),), frees=frozenset({RECEIVER}), unknown=True,
                              stores=(StoreSite(1, STORED_IN_C_MEMORY, "a.go", 3, "m.F", True, (("a.go", 2, "G"),)),),
                              fills_globals=frozenset({("g", "C.free")}), result_kinds=((0, RESULT_GO),))
    assert FunctionSummary.from_json(json.loads(json.dumps(summary.to_json()))) == summary


def test_imported_lookups_by_function_method_and_result_type(helpers: PackageFacts) -> None:
    imported = ImportedFacts([helpers])
    assert imported.function("example.com/m/h", "Free") is not None
    assert imported.method("example.com/m/h.Buf", "Close")[0] == "example.com/m/h.(*Buf).Close"  # type: ignore[index]
    assert imported.method("example.com/m/h.Buf", "Len")[0] == "example.com/m/h.Buf.Len"  # type: ignore[index]
    assert imported.result_type("example.com/m/h.NewBuf", 0) == "*example.com/m/h.Buf"
    assert imported.result_type("example.com/m/h.Buf.Len", 0) == ""  # an int: not a named type
    assert imported.moves_c_memory(["example.com/m/h"]) and not imported.moves_c_memory(["fmt"])
    assert imported.package_fact("example.com/m/h", INIT_GLOBALS) == {"global": "c-owned:C.free"}


def test_a_function_with_syntax_errors_is_unknown_to_callers() -> None:
    facts = _facts(PREAMBLE + "func Free(p *C.char) { C.free(unsafe.Pointer(p)) \n\nfunc Ok() {}\n")
    broken = facts.functions["example.com/m/h.Free"]
    assert broken.unknown and not facts.complete
    caller = _package('package c\n\nimport "example.com/m/h"\n\nfunc F() { p := h.Alloc(); h.Free(p) }\n',
                      "example.com/m/c", ImportedFacts([facts]))
    assert export_facts(caller, None, {}).functions["example.com/m/c.F"].frees == frozenset()
