"""No input makes the front ends raise: random bytes, truncated Go, odd preambles."""

from __future__ import annotations

import contextlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cgoguard.cfront.build import CSourceInput, build_c_model
from cgoguard.gofront.buildtags import BuildTarget, ConstraintSyntaxError, eval_expression, file_included
from cgoguard.gofront.discover import SourceFile
from cgoguard.gofront.package import Package, load_go_file
from cgoguard.gofront.resolve import LocalTypes
from cgoguard.gofront.syntax import walk
from cgoguard.rules import check_package

GO_PIECES = st.sampled_from([
    "package p\n", 'import "C"\n', "// #include <stdlib.h>\n", "/* typedef struct s { int *p; } s; */\n",
    "func f(", ") {", "}", "\n", "x := C.CString(s)\n", "defer C.free(unsafe.Pointer(x))\n", "var m map[int]*C.char\n",
    "type T struct { p *C.char }\n", "//export F\n", "func (t *T) M() {}\n", "p := &s[0]\n", "(*[1<<30]byte)(p)\n",
    "runtime.SetFinalizer(t, nil)\n", 'import "unsafe"\n', "for range x {\n", "go func() {}()\n", "\xff\xfe",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(GO_PIECES, max_size=30).map("".join))
def test_go_files_from_random_pieces_never_raise(source: str) -> None:
    data = source.encode("utf-8", "surrogateescape")
    file, _ = load_go_file(SourceFile(Path("f.go"), "f.go", data))
    package = Package(Path("."), ".", file.package_name or "p", [file])
    for func in package.symbols.all_functions():
        types = LocalTypes(package, file, func.node)
        for node in walk(func.node):
            types.type_of(node)
    check_package(package)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_as_go_and_c(data: bytes) -> None:
    load_go_file(SourceFile(Path("f.go"), "f.go", data))
    build_c_model([CSourceInput("f.c", data, Path("."))], [])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="!&|() linuxcgo,windows", max_size=40))
def test_build_expressions_either_evaluate_or_raise_a_syntax_error(expr: str) -> None:
    with contextlib.suppress(ConstraintSyntaxError):
        eval_expression(expr, BuildTarget())
    with contextlib.suppress(ConstraintSyntaxError):
        file_included("a_linux.go", f"//go:build {expr}\n\npackage a\n", BuildTarget())
