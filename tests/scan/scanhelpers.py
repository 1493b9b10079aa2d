"""Helpers shared by the scan tests (a uniquely named module: ``conftest`` is ambiguous)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

# (exit status, stdout, stderr) of an in-process ``cgoguard ARGS...`` run.
RunCli = Callable[..., tuple[int, str, str]]


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip())
    return root


LEAKY = """
package leaky

// #include <stdlib.h>
import "C"
import "unsafe"

func Name(s string) {
	p := C.CString(s)
	_ = p
}

func Buffer() unsafe.Pointer {
	return C.malloc(16)
}
"""
