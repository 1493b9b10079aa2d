"""Where a package's Go code calls C functions (``C.name(...)``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cgoguard.gofront.syntax import c_name, line_of, walk

if TYPE_CHECKING:
    from cgoguard.cfront.model import CModel
    from cgoguard.gofront.package import Package

# cgo's numeric type names: `C.int(x)` is a conversion, not a call.
CGO_TYPE_NAMES = frozenset({
    "char", "schar", "uchar", "short", "ushort", "int", "uint", "long", "ulong", "longlong", "ulonglong",
    "float", "double", "complexfloat", "complexdouble", "size_t", "ssize_t", "uintptr_t", "intptr_t",
    "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "_Bool", "bool",
})
# cgo helpers that copy C memory into Go memory: nothing to own or release.
CGO_COPY_HELPERS = frozenset({"GoString", "GoStringN", "GoBytes"})


@dataclass(frozen=True, order=True)
class CallSite:
    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


def c_call_sites(package: Package) -> dict[str, list[CallSite]]:
    """Call sites of each C function the package's Go files call, in file and line order."""
    model = package.c
    sites: dict[str, list[CallSite]] = {}
    for file in package.files:
        if not file.uses_cgo:
            continue
        for node in walk(file.root):
            if node.type != "call_expression":
                continue
            name = c_name(node.child_by_field_name("function"))
            if name is None or is_c_type(model, name) or name in CGO_COPY_HELPERS:
                continue
            sites.setdefault(name, []).append(CallSite(file.display_path, line_of(node), node.start_point[1] + 1))
    return {name: sorted(found) for name, found in sorted(sites.items())}


# Typedef names by convention (`C.sqlite3_int64(n)`, `C.rd_kafka_type_t(t)`): conversions even
# when the header that declares them was not read (but `sqlite3_value_int64` is a function).
_TYPE_LIKE = re.compile(r"^[A-Za-z0-9]+_u?int(?:8|16|32|64)$|_t$")


def is_c_type(model: CModel, name: str) -> bool:
    if name in CGO_TYPE_NAMES or name.startswith(("struct_", "union_", "enum_")):
        return True
    if name in model.functions:
        return False
    return name in model.typedefs or bool(_TYPE_LIKE.search(name))
