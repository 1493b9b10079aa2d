"""A directory of many small cgo programs with the same C bug shapes, for package identity tests.

Every shape appears in several packages, byte-for-byte alike except for a few padding lines
(so each copy has its bug on another line): only the cgo symbol hash can tell the copies of
a C-only ASan stack apart. The line of each bug carries ``// BUG``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MODULE = "example.com/many"

# A double free straight from C.free: ASan's stacks have no Go frame and no glue frame except
# the allocation's _cgo_<hash>_Cfunc__Cmalloc.
_CFREE = """package main

// #include <stdlib.h>
import "C"

import "unsafe"
{pad}
func release(p unsafe.Pointer) {{
	C.free(p)
}}

func main() {{
	p := C.malloc(16)
	release(p)
	C.free(p) // BUG
}}
"""

# A C copy never freed: LeakSanitizer's allocation stack ends in _cgo_<hash>_Cfunc_dup_name.
_LEAK = """package main

/*
#include <stdlib.h>
#include <string.h>
static char *dup_name(const char *s) {{ return strdup(s); }}
*/
import "C"

import (
	"fmt"
	"unsafe"
)
{pad}
func label(s string) int {{
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	copied := C.dup_name(cs) // BUG
	return int(C.strlen(copied))
}}

func main() {{
	total := 0
	for i := 0; i < 100; i++ {{
		total += label(fmt.Sprint(i))
	}}
	fmt.Println(total)
}}
"""

# A use after free in C helpers of the same names in every package.
_ITEM_H = """typedef struct { int len; } item;
item *item_new(int n);
void item_free(item *it);
int item_len(item *it);
"""
_ITEM_C = """#include <stdlib.h>
#include "item.h"

item *item_new(int n) { item *it = malloc(sizeof *it); it->len = n; return it; }
void item_free(item *it) { free(it); }
int item_len(item *it) { return it->len; }
"""
_ITEM_MAIN = """package main

// #include "item.h"
import "C"

import "fmt"
{pad}
func main() {{
	it := C.item_new(3)
	C.item_free(it)
	fmt.Println(C.item_len(it)) // BUG
}}
"""

# Two library packages with the same code; a program per library.
_RING_LIB = """package {name}

// #include <stdlib.h>
import "C"

import "unsafe"
{pad}
// Buffer owns C memory.
type Buffer struct{{ data unsafe.Pointer }}

// New allocates the buffer.
func New() *Buffer {{ return &Buffer{{data: C.malloc(64)}} }}

// Close frees the buffer.
func (b *Buffer) Close() {{ C.free(b.data) }}

// Destroy closes the buffer and frees it again.
func Destroy(b *Buffer) {{
	b.Close()
	C.free(b.data) // BUG
}}
"""
_RING_MAIN = """package main

import "{module}/libs/{name}"

func main() {{
	{name}.Destroy({name}.New())
}}
"""


@dataclass(frozen=True)
class Program:
    name: str  # directory under cmd/
    bug_file: str  # path of the file with the bug, relative to the module root
    package: str  # import path of the package with the bug
    category: str


def write_tree(root: Path, copies: int = 2) -> list[Program]:
    """Write the module into ``root``; the programs it holds, each with its bug's package."""
    (root / "go.mod").write_text(f"module {MODULE}\n\ngo 1.21\n")
    programs = []
    for index in range(copies):
        pad = "\n".join(f"// padding {n}" for n in range(3 * index + 1)) + "\n"
        programs.append(_write(root, f"cfree{index}", {"main.go": _CFREE.format(pad=pad)}, "double-free"))
        programs.append(_write(root, f"leak{index}", {"main.go": _LEAK.format(pad=pad)}, "c-leak"))
        programs.append(_write(root, f"item{index}", {"main.go": _ITEM_MAIN.format(pad=pad), "item.h": _ITEM_H,
                                                      "item.c": _ITEM_C}, "use-after-free"))
        name = f"ring{index}"
        lib = root / "libs" / name
        lib.mkdir(parents=True)
        (lib / "ring.go").write_text(_RING_LIB.format(name=name, pad=pad))
        main = root / "cmd" / f"use{name}"
        main.mkdir(parents=True)
        (main / "main.go").write_text(_RING_MAIN.format(module=MODULE, name=name))
        programs.append(Program(f"use{name}", f"libs/{name}/ring.go", f"{MODULE}/libs/{name}", "double-free"))
    return programs


def _write(root: Path, name: str, files: dict[str, str], category: str) -> Program:
    directory = root / "cmd" / name
    directory.mkdir(parents=True)
    for file_name, content in files.items():
        (directory / file_name).write_text(content)
    return Program(name, f"cmd/{name}/main.go", f"{MODULE}/cmd/{name}", category)


def bug_line(root: Path, program: Program) -> int:
    lines = (root / program.bug_file).read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if "// BUG" in line)
