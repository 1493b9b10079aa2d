"""Contracts inferred from the Go side when no header is in the tree (go-usage evidence), and
C handle types known to be pointers because Go compares them to nil."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from analysistest import FIXTURES, run

from cgoguard.contracts import contracts_for_package
from cgoguard.contracts.assemble import document_package
from cgoguard.contracts.document import render_json
from cgoguard.contracts.naming import is_naming_pair
from cgoguard.findings import Confidence
from cgoguard.gofront import DiscoveryOptions, discover, load_packages

GOUSAGE = FIXTURES / "contracts" / "testdata" / "gousage"


def _package(directory: Path):
    return load_packages(discover([str(directory)], DiscoveryOptions()).packages[0])[0]


def _write(tmp_path: Path, body: str, preamble: str = "#include <stdlib.h>\n#include <absent/lib.h>") -> Path:
    (tmp_path / "p.go").write_text(f'package p\n\n/*\n{preamble}\n*/\nimport "C"\n\nimport "unsafe"\n\n'
                                   f"var _ unsafe.Pointer\n\n{body}\n")
    return tmp_path


def test_the_fixture_reports_what_go_usage_makes_visible() -> None:
    """The nil-capturing defer, leaks of owned results, a missing KeepAlive on a handle type
    known from a nil comparison, and a pack that beats the package's own (wrong) free."""
    run(GOUSAGE)


@pytest.fixture(scope="module")
def contracts():
    return contracts_for_package(_package(GOUSAGE))


@pytest.mark.parametrize(("function", "aspect", "expected"), [
    ("lib_get_name", "owned_out_args", {1: "free"}),
    ("lib_describe", "deallocator", "free"),
    ("lib_session_create", "deallocator", "lib_session_destroy"),
    ("lib_session_destroy", "frees_args", {0}),
])
def test_facts_carry_go_usage_evidence(contracts, function: str, aspect: str, expected: object) -> None:
    contract = contracts.get(function)
    assert getattr(contract, aspect) == expected
    assert contract.confidence is Confidence.LOW
    assert [e.kind for e in contract.evidence] == ["go-usage"]
    assert contract.evidence[0].location.rsplit(":", 1)[0].endswith("gousage.go")


def test_nothing_is_inferred_for_what_the_package_never_frees(contracts) -> None:
    assert contracts.get("lib_version") is None or not contracts.get("lib_version").is_known
    assert contracts.get("lib_session_erase_delete") is None, "a five-argument 'delete' call is not a release"


def test_a_go_usage_fact_loses_to_a_pack(contracts) -> None:
    contract = contracts.get("sqlite3_errmsg")
    assert (contract.returns, contract.borrows_from) == ("borrowed", 0)
    lost = next(e for e in contract.evidence if e.kind == "go-usage")
    assert lost.overridden and lost.note == "pack evidence says otherwise"


def test_a_go_usage_fact_loses_to_a_body(tmp_path: Path) -> None:
    directory = _write(tmp_path, """
func name() string {
	s := C.lib_name()
	defer C.free(unsafe.Pointer(s))
	return C.GoString(s)
}""", preamble='#include <stdlib.h>\nstatic const char *lib_name(void) { return "lib"; }')
    contract = contracts_for_package(_package(directory)).get("lib_name")
    assert contract.returns == "static"
    assert [(e.kind, e.overridden) for e in contract.evidence] == [("body", False), ("go-usage", True)]


def test_families_need_names_that_pair(tmp_path: Path) -> None:
    """``kv_open``'s result reaching ``kv_delete`` (which deletes a key) says nothing; reaching
    ``kv_close`` through the same field does."""
    directory = _write(tmp_path, """
type DB struct{ c *C.kv_t }

func Open() *DB { return &DB{c: C.kv_open()} }
func (d *DB) Delete(k *C.char) { C.kv_delete(d.c, k) }
func (d *DB) Close() { C.kv_close(d.c) }""")
    contracts = contracts_for_package(_package(directory))
    assert contracts.deallocator_of("kv_open") == "kv_close"
    assert contracts.frees_arg("kv_close", 0)
    assert contracts.get("kv_delete") is None
    assert is_naming_pair("x_create", "x_destroy") and is_naming_pair("FooNew", "FooFree")
    assert not is_naming_pair("kv_open", "kv_delete") and not is_naming_pair("a_create", "b_destroy")


def test_a_release_across_functions_needs_a_family(tmp_path: Path) -> None:
    """A field freed with C.free in Close, filled from a C call elsewhere: the field may hold
    memory from other sources too, so the call is not judged owned from that alone."""
    directory = _write(tmp_path, """
type Buf struct{ p *C.char }

func New() *Buf { return &Buf{p: C.lib_buffer()} }
func (b *Buf) Close() { C.free(unsafe.Pointer(b.p)) }""")
    assert contracts_for_package(_package(directory)).get("lib_buffer") is None


def test_go_compares_opaque_handles_to_nil_so_they_are_pointers(tmp_path: Path) -> None:
    directory = _write(tmp_path, """
type Conn struct{ h C.conn_t }
type Other struct{ id C.conn_id_t }

var global C.global_t

func (c *Conn) Close() { if c.h != nil { c.h = nil } }
func reset(p C.param_t) bool { global = nil; return p == nil }
func local() bool { var v C.local_t; return nil != v }
func notPointer(o *Other) bool { return o.id == 0 }""", preamble="#include <absent/lib.h>\ntypedef int declared_t;")
    package = _package(directory)
    inferred = {name: t.inferred_from for name, t in package.c.typedefs.items() if t.inferred_from}
    assert sorted(inferred) == ["conn_t", "global_t", "local_t", "param_t"]
    assert inferred["conn_t"].endswith("p.go:19: c.h != nil")
    assert all(package.c.is_pointer_type(name) for name in inferred)
    assert not package.c.is_pointer_type("declared_t")
    data = json.loads(render_json([document_package(package, {})]))
    assert {"type": "conn_t", "evidence": inferred["conn_t"]} in data["packages"][0]["inferred_pointer_types"]


def test_a_declared_type_is_never_replaced(tmp_path: Path) -> None:
    directory = _write(tmp_path, """
func f(p *C.thing_t) bool { return p == nil }
func g(v C.thing_t) bool { return false }""", preamble="typedef struct thing { int x; } thing_t;")
    assert not _package(directory).c.typedefs["thing_t"].inferred_from


def test_findings_on_go_usage_contracts_are_low_confidence_warnings() -> None:
    """A verdict that rests on what the package's own Go code does is no stronger than that
    usage: the double free through lib_session_destroy is a warning; the free of memory the
    sqlite3 pack documents as borrowed stays an error."""
    from analysistest import analyze

    graded = {(f.rule, f.severity.value, f.confidence.value) for f in analyze(GOUSAGE)}
    assert ("CG103", "warning", "low") in graded, "double free through a go-usage release"
    assert ("CG103", "error", "high") in graded, "free of pack-documented borrowed memory"
    assert {s for r, s, c in graded if r == "CG101"} == {"warning"}
    assert {c for r, s, c in graded if r == "CG101"} == {"low"}


def test_a_nil_capturing_defer_alone_is_intent_not_evidence(tmp_path: Path) -> None:
    """git2go's Branch.Name: `defer C.free(cName)` runs on nil, and git_branch_name's name is
    owned by the reference: intent alone makes no contract. A specific release named for the
    output (librados' reply buffer) is evidence: the author looked the release up."""
    directory = _write(tmp_path, """
func branchName(ref *C.git_reference) string {
	var cName *C.char
	defer C.free(unsafe.Pointer(cName))
	C.git_branch_name(&cName, ref)
	return C.GoString(cName)
}

func notify(io *C.rados_ioctx) {
	var reply *C.char
	defer C.rados_buffer_free(reply)
	C.rados_notify2(io, &reply)
}""")
    contracts = contracts_for_package(_package(directory))
    assert contracts.get("git_branch_name") is None
    assert contracts.get("rados_notify2").owned_out_args == {1: "rados_buffer_free"}


def test_inputs_and_descriptors_are_not_products(tmp_path: Path) -> None:
    """`&p` of a variable that already holds a C string is an input array (IMG_ReadXPMFromArray);
    a family whose value is an int descriptor (ceph_open/ceph_close) owns no memory."""
    directory = _write(tmp_path, """
type File struct{ fd C.int }

func xpm(s string) {
	p := C.CString(s)
	defer C.free(unsafe.Pointer(p))
	C.read_xpm(&p)
}

func open(m *C.mount) *File { return &File{fd: C.ceph_open(m)} }
func (f *File) Close(m *C.mount) { C.ceph_close(m, f.fd) }""")
    contracts = contracts_for_package(_package(directory))
    assert contracts.get("read_xpm") is None
    assert contracts.get("ceph_open") is None and contracts.get("ceph_close") is None
