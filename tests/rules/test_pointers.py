"""The cgo pointer-passing rules (CG201-CG204) over their fixtures, and proof that the
fixtures' labels are real: the Go runtime itself rejects every positive case and accepts
every negative one.

The fixture package tests/fixtures/pointers is one program holding every case as a function
registered under a name ("cg201/pos/map_arg", "official/ptr1", ...). It is built once per
session twice — default and GOEXPERIMENT=cgocheck2 — and all cases run in parallel.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from analysistest import FIXTURES, analyze, run
from gotools import REPO_ROOT
from test_ptr_official_cases import documented_cases

from cgoguard.analysis.memory import FunctionMemory, Origin, function_memories
from cgoguard.analysis.pointerness import c_param_is_checked
from cgoguard.cfront.model import CParam
from cgoguard.contracts import contracts_for_package
from cgoguard.findings import Finding
from cgoguard.gofront import DiscoveryOptions, discover, load_packages
from cgoguard.gofront.package import Package
from cgoguard.gofront.syntax import walk
from cgoguard.rules import check_package, find_rule

FIXTURE = FIXTURES / "pointers"
POINTER_RULES = ("CG201", "CG202", "CG203", "CG204")
_CASE_NAME = re.compile(r'"((?:official|cg20[1-4])/[\w/]+)"')

# How the runtime shows each kind of violation.
ARGUMENT_PANIC = r"argument of cgo function has Go pointer to unpinned Go"
STORE_THROW = r"unpinned Go pointer stored into non-Go memory"
RESULT_PANIC = r"result of Go function \w+ called from cgo is unpinned Go"
FREED_READ = r"C kept a Go pointer: after garbage collection it reads freed memory"


def registered_cases() -> list[str]:
    names = {m for path in FIXTURE.glob("*.go") for m in _CASE_NAME.findall(path.read_text(encoding="utf-8"))}
    return sorted(names)


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    return run(FIXTURE, set(POINTER_RULES))


def test_fixtures_match_want_comments(findings: list[Finding]) -> None:
    assert {f.rule for f in findings} == set(POINTER_RULES)


def test_each_rule_has_eight_positive_and_eight_negative_cases() -> None:
    counts = Counter(name.rsplit("/", 1)[0] for name in registered_cases() if not name.startswith("official/"))
    for rule in POINTER_RULES:
        assert counts[f"{rule.lower()}/pos"] >= 8, rule
        assert counts[f"{rule.lower()}/neg"] >= 8, rule


def test_every_case_function_is_registered() -> None:
    """A case the program cannot run would keep a label nobody checked."""
    for path in FIXTURE.glob("*.go"):
        source = path.read_text(encoding="utf-8")
        functions = set(re.findall(r"^func (\w+)\(\) \{", source, re.M)) - {"init", "main"}
        registered = set(re.findall(r'"(?:official|cg20[1-4])/[\w/]+":\s*(\w+)', source))
        helpers = {f for f in functions if len(re.findall(rf"\b{f}\(\)", source)) > 1}  # called by a case
        assert functions - registered - helpers == set(), path.name


def test_messages_say_what_is_wrong_and_how_to_fix_it(findings: list[Finding]) -> None:
    for finding in findings:
        assert re.search(r"runtime\.Pinner|cgo\.Handle|C\.CString|C memory", finding.message), finding.message
    by_line = {(Path(f.path).name, f.line): f.message for f in findings}
    source = (FIXTURE / "official.go").read_text(encoding="utf-8").splitlines()
    sliceptr2 = next(n for n, line in enumerate(source, 1) if "C.ot_f8(" in line)
    assert by_line[("official.go", sliceptr2)].startswith(
        "argument 1 of C.ot_f8 points to Go memory holding an unpinned Go pointer: element [1] (type unsafe.Pointer) of ")


# ----- the examples/ wrappers ------------------------------------------------------------------
EXAMPLES = REPO_ROOT / "examples"
_BUG = re.compile(r"BUG\(([\w-]+)\)")


def test_every_pointer_bug_in_the_buggy_example_is_found_and_the_clean_one_is_silent() -> None:
    """Each ``BUG(<category>)`` line of examples/buggy with a pointer category is reported
    with that category, nothing else of these rules is, and examples/clean stays silent."""
    categories = {find_rule(rule).meta.category for rule in POINTER_RULES}
    marked = {(path.resolve(), number, m[1])
              for path in sorted((EXAMPLES / "buggy").rglob("*.go")) if not path.name.endswith("_test.go")
              for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if (m := _BUG.search(line)) and m[1] in categories}
    assert len(marked) >= 3
    reported = {(Path(f.path).resolve(), f.line, f.category) for f in analyze(EXAMPLES, set(POINTER_RULES))}
    assert reported == marked


# C declarations and Go names the rules' documentation examples use.
EXAMPLE_PREAMBLE = """
#include <stdlib.h>
static void use_table(void **table) { (void)table; }
static char **new_slot(void) { return calloc(1, sizeof(char *)); }
static void *saved_context;
static void set_context(void *ctx) { saved_context = ctx; }
"""
EXAMPLE_SUPPORT = """
type callbackState struct{ name string }

var name = "worker"
var data = []byte("payload")
var errText = "boom"
"""


@pytest.mark.parametrize("rule_id", POINTER_RULES)
def test_documented_example_is_reported(rule_id: str, tmp_path: Path) -> None:
    rule = find_rule(rule_id)
    assert rule is not None and rule.meta.category == rule.meta.name
    example = re.search(r"```go\n(.*?)```", rule.docs, re.S)
    assert example is not None, f"{rule_id} documents no Go example"
    code = example[1] if "func " in example[1] else f"func example() {{\n{example[1]}}}\n"
    source = "\n".join([
        "package example", f"/*{EXAMPLE_PREAMBLE}*/", 'import "C"', 'import "unsafe"',
        "var _ = unsafe.Pointer(nil)", EXAMPLE_SUPPORT, code,
    ])
    (tmp_path / "example.go").write_text(source)
    package = load_packages(discover([str(tmp_path)], DiscoveryOptions()).packages[0])[0]
    assert not package.errors, package.errors
    findings = check_package(package, rule_ids={rule_id}, contracts=contracts_for_package(package))
    assert findings, f"{rule_id}'s documented example is not reported:\n{source}"


# ----- memory origins and pointer-holding C types --------------------------------------------
ORIGINS_SOURCE = """package origins

/*
#include <stdlib.h>
typedef struct node { struct node *next; int v; } node;
typedef node node_t;
typedef union { char **p; long i; } with_ptr;
typedef union { long i; double d; } no_ptr;
struct outer { struct inner { int *p; } in; };
struct flat { int a; char b[4]; };
typedef void *handle_t;
static node *node_new(void) { return calloc(1, sizeof(node)); }
void f_void(void *p);
void f_int(int *p);
void f_pp(char **p);
void f_node(node_t *n);
void f_with(with_ptr *u);
void f_without(no_ptr *u);
void f_outer(struct outer *o);
void f_flat(struct flat *f);
void f_handle(handle_t h);
void f_out(node **out);
*/
import "C"

import (
	"syscall"
	"unsafe"
)

func probe(param *int) {
	x := 0
	cs := C.CString("a")
	mem := C.malloc(8)
	n := C.node_new()
	next := n.next
	alias := &x
	alias = new(int)
	over := unsafe.Slice((*byte)(mem), 8)
	mapped, _ := syscall.Mmap(-1, 0, 4096, 0, 0)
	use(cs, mem, n, next, alias, over, mapped, param, "lit", uintptr(unsafe.Pointer(&x)), []int{1}, &x)
}

func use(...any) {}

type owner struct{ name string }

type wrapper struct{ n *C.node }

func newWrapper() *wrapper { return &wrapper{n: C.node_new()} }

func declared(o *owner, s string, cp *C.node, m map[int]int, w *wrapper, b []byte) {
	var out *C.node
	C.f_out(&out)
	use(o, []byte(s), string(b), []byte(""), cp, m, w.n, append([]byte(s), 0), *o, out)
}
"""


@pytest.fixture(scope="module")
def origins_package(tmp_path_factory: pytest.TempPathFactory) -> Package:
    directory = tmp_path_factory.mktemp("origins")
    (directory / "origins.go").write_text(ORIGINS_SOURCE)
    return load_packages(discover([str(directory)], DiscoveryOptions()).packages[0])[0]


@pytest.fixture(scope="module")
def probe(origins_package: Package) -> FunctionMemory:
    return next(m for m in function_memories(origins_package) if m.file.text(m.func.child_by_field_name("name"))
                == "probe")


@pytest.mark.parametrize(("position", "origin", "form"), [
    (0, Origin.C, "pointer"),  # C.CString
    (1, Origin.C, "pointer"),  # C.malloc
    (2, Origin.C, "pointer"),  # result of a C function
    (3, Origin.C, "pointer"),  # a pointer loaded from C memory
    (4, Origin.GO, "pointer"),  # the latest assignment wins: new(int)
    (5, Origin.C, "slice"),  # unsafe.Slice over C memory
    (6, Origin.MMAP, "slice"),  # syscall.Mmap
    (7, Origin.UNKNOWN, "pointer"),  # a parameter: nothing provable
    (8, Origin.STATIC, "string"),  # string constants live in read-only data
    (9, Origin.SCALAR, "pointer"),  # uintptr is not a pointer
    (10, Origin.GO, "slice"),
    (11, Origin.GO, "pointer"),
])
def test_memory_origin_of_expressions(probe: FunctionMemory, position: int, origin: Origin, form: str) -> None:
    call = next(n for n in walk(probe.func) if n.type == "call_expression" and n.text.startswith(b"use("))
    arg = call.child_by_field_name("arguments").named_children[position]
    value = probe.eval(arg, call.start_byte)
    assert value.origin is origin, arg.text
    if origin in (Origin.GO, Origin.C, Origin.MMAP):
        assert value.form == form


@pytest.mark.parametrize(("position", "origin", "form"), [
    (0, Origin.GO, "pointer"),  # a *T of a Go struct type: Go memory (or nil) by its type
    (1, Origin.GO, "slice"),  # []byte(s) copies
    (2, Origin.GO, "string"),  # string(b) copies
    (3, Origin.SCALAR, ""),  # nothing to copy: no allocation
    (4, Origin.UNKNOWN, ""),  # a *C.T parameter may be C memory
    (5, Origin.GO, "map"),
    (6, Origin.C, "pointer"),  # a field every write fills from C
    (7, Origin.GO, "slice"),  # append onto a fresh copy
    (8, Origin.UNKNOWN, ""),  # a struct value, not a pointer
    (9, Origin.C, "pointer"),  # filled by C through an out-parameter
])
def test_memory_origin_by_declaration(origins_package: Package, position: int, origin: Origin, form: str) -> None:
    memory = next(m for m in function_memories(origins_package)
                  if m.file.text(m.func.child_by_field_name("name")) == "declared")
    call = next(n for n in walk(memory.func) if n.type == "call_expression" and n.text.startswith(b"use("))
    arg = call.child_by_field_name("arguments").named_children[position]
    value = memory.eval(arg, call.start_byte)
    if position == 8:
        assert value.form == "aggregate" or value.origin is Origin.UNKNOWN
        return
    assert value.origin is origin, arg.text
    if form:
        assert value.form == form
    assert (value.obj is not None and value.obj.assumed) == (position in (0, 5))


def test_alias_and_reassignment_are_position_aware(probe: FunctionMemory) -> None:
    uses = [n for n in walk(probe.func) if n.type == "identifier" and n.text == b"alias"]
    before, after = uses[1], uses[-1]  # the target of `alias = new(int)`, and the last use
    assert probe.eval(before, before.start_byte).obj.name == "x"
    assert probe.eval(after, after.start_byte).obj.name == "new(int)"


@pytest.mark.parametrize(("function", "checked"), [
    ("f_void", True), ("f_int", False), ("f_pp", True), ("f_node", True), ("f_with", True),
    ("f_without", False), ("f_outer", True), ("f_flat", False), ("f_handle", True),
])
def test_cgo_checks_only_parameters_that_can_reach_pointers(origins_package: Package, function: str,
                                                            checked: bool) -> None:
    param: CParam = origins_package.c.function(function).params[0]
    assert c_param_is_checked(origins_package.c, param) is checked


# ----- runtime labels ----------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    case: str
    cgocheck2: bool  # run the GOEXPERIMENT=cgocheck2 build
    godebug: str
    must_fail: str | None  # the regexp the output must match, or None: must exit 0


def planned_runs(case: str) -> list[Run]:
    """Every run proving a case's label (a positive also runs where it must still pass)."""
    group = case.rsplit("/", 1)[0]
    if group == "official":
        runtime = {c.name: c.runtime for c in documented_cases()}[case.split("/", 1)[1]]
        if runtime == "rejects":
            return [Run(case, False, "", r"unpinned Go")]
        if runtime == "rejects (cgocheck2)":
            return [Run(case, False, "", None), Run(case, True, "", STORE_THROW)]
    elif group == "cg201/pos":
        return [Run(case, False, "", ARGUMENT_PANIC)]
    elif group == "cg202/pos":
        return [Run(case, True, "", STORE_THROW)]
    elif group == "cg203/pos":
        return [Run(case, False, "clobberfree=1", FREED_READ)]
    elif group == "cg204/pos":
        return [Run(case, False, "", RESULT_PANIC)]
    clean = [Run(case, False, "", None), Run(case, True, "", None)]
    return clean + ([Run(case, False, "clobberfree=1", None)] if group == "cg203/neg" else [])


def execute(binary: Path, planned: Run) -> str | None:
    """Run one case; a description of the mismatch, or None when the runtime agrees."""
    env = {k: v for k, v in os.environ.items() if k not in ("GODEBUG", "GOEXPERIMENT")}
    if planned.godebug:
        env["GODEBUG"] = planned.godebug
    result = subprocess.run([str(binary), planned.case], env=env, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    build = "cgocheck2" if planned.cgocheck2 else "default"
    if planned.must_fail is None:
        return None if result.returncode == 0 else f"{planned.case} ({build}): failed:\n{output[-600:]}"
    if result.returncode == 0:
        return f"{planned.case} ({build} {planned.godebug}): ran clean, the runtime did not reject it"
    if not re.search(planned.must_fail, output):
        return f"{planned.case} ({build}): failed without /{planned.must_fail}/:\n{output[-600:]}"
    return None


@pytest.mark.go
def test_runtime_agrees_with_every_label(go_builder) -> None:
    default = go_builder(FIXTURE, name="pointers")
    cgocheck2 = go_builder(FIXTURE, name="pointers-cgocheck2", env={"GOEXPERIMENT": "cgocheck2"})
    runs = [r for case in registered_cases() for r in planned_runs(case)]
    with ThreadPoolExecutor(max_workers=max(4, (os.cpu_count() or 2) * 2)) as pool:
        problems = [p for p in pool.map(lambda r: execute(cgocheck2 if r.cgocheck2 else default, r), runs) if p]
    assert not problems, f"{len(problems)} of {len(runs)} runs disagree:\n" + "\n".join(problems)
