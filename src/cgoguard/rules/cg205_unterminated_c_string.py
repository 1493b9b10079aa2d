"""Unterminated C string: Go string or []byte bytes passed where C reads up to a NUL.

## What it finds

An argument of a C call that points into Go string or `[]byte` data
(`(*C.char)(unsafe.Pointer(&b[0]))`, `unsafe.StringData(s)`, `unsafe.SliceData(b)`, through
conversions, local variables and package helpers) when the C side reads that argument as a
NUL-terminated string and the Go bytes are known to hold no 0 byte. The argument is reported.

The C side reads a string when the function is a known string function (`puts`, `strlen`,
`strcmp`, `fopen`, `getenv`, `atoi`, the `printf` family's format ...: the libc contract pack),
when its parameter is documented as one ("a NUL-terminated name") or declared as one
(`const char *name`, a `char *path`... with no length beside it), or when its body hands the
parameter to such a function (`strlen(p)`, `printf("%s", p)`, a wrapper that does). Go functions
of the package that pass a parameter on to such a call are followed, and their callers judged;
an exported function that hands its string parameter over unterminated, with no caller in the
package, is reported too (unless its documentation asks for the terminator). When the C
function's declaration is not in the tree (a library header), a Go *string's* bytes passed as a
`*C.char` in a call with no length at all are reported with medium confidence: only the NUL can
tell C where such a string ends.

Not reported: data known to end in (or hold) a 0 byte (`append(b, 0)`, `s + "\x00"`, a literal
with `\x00`, an array literal shorter than its array), `C.CString` and other C memory, `make`
buffers and bytes filled by other code (whether they hold a 0 is not known), and calls that
pass a length of the same data (`C.write(fd, p, C.size_t(len(b)))`): the callee is told where
the bytes end.

## Why it matters

Go strings and slices carry their length beside the pointer; their bytes are not followed by
a 0. A C function that reads up to the NUL runs past the end of the Go object into whatever the
allocator or linker placed next to it: it prints or copies neighbouring data (a password, the
next string constant), opens the wrong file, or faults. AddressSanitizer (`go build -asan`)
reports it as a read past the object; without it the program usually keeps running with
garbage appended, so tests rarely catch it. Articles recommend this very code
(`C.puts((*C.char)(unsafe.Pointer(&b[0])))`) to avoid the copy `C.CString` makes.

## Example

```go
name := []byte("report.txt")
f := C.fopen((*C.char)(unsafe.Pointer(&name[0])), mode) // reads past "report.txt"
```

## Fix

Hand C a terminated copy, or terminate the Go bytes:

```go
cname := C.CString("report.txt")
defer C.free(unsafe.Pointer(cname))
f := C.fopen(cname, mode)

name := append([]byte("report.txt"), 0) // or: pass a length to a (ptr, len) API
f := C.fopen((*C.char)(unsafe.Pointer(&name[0])), mode)
```
"""

from __future__ import annotations

from tree_sitter import Node

from cgoguard.analysis.cstrings import CStrings, Ending, ReadSite, Verdict, min_confidence, where
from cgoguard.analysis.unsafeflow import FunctionScope, describe
from cgoguard.contracts.model import Evidence
from cgoguard.findings import Confidence, Severity
from cgoguard.gofront.symbols import parameters
from cgoguard.gofront.syntax import line_of, text
from cgoguard.rules.analyses import shared_contracts, shared_scopes
from cgoguard.rules.base import RuleContext, RuleMeta

META = RuleMeta(
    id="CG205",
    name="unterminated-c-string",
    category="buffer-overflow",
    severity=Severity.ERROR,
    title="Go string or []byte data without a NUL passed where C reads a NUL-terminated string",
)
_DOCUMENTED_TERMINATOR = ("nul", "null-terminated", "zero-terminated", "\\x00", "\\000", "terminating 0")


def check(ctx: RuleContext) -> None:
    analysis: CStrings = ctx.shared("cstrings", lambda: CStrings(shared_scopes(ctx), shared_contracts(ctx)))
    if analysis.contracts is None:
        return
    called = analysis.called
    for scope in analysis.scopes:
        for site in analysis.sites(scope):
            verdict = analysis.verdict(site, scope)
            if verdict is None:
                continue
            if verdict.termination.ending is Ending.NONE:
                _report(ctx, scope, verdict, min_confidence([site.strength, verdict.termination.confidence]))
            elif _unguarded_string_parameter(scope, verdict, called, analysis):
                _report(ctx, scope, verdict, Confidence.MEDIUM)


def _unguarded_string_parameter(scope: FunctionScope, verdict: Verdict, called: set[str],
                                analysis: CStrings) -> bool:
    """A string parameter whose bytes go to C as a C string, in an exported function nothing in the
    package calls (other packages pass it their strings) and whose documentation does not ask for
    a terminator. An unexported one is called through a function value, or not at all."""
    index = verdict.termination.param
    if verdict.data is None or index is None:
        return False
    params = parameters(scope.node.child_by_field_name("parameters"))
    declared = scope.underlying(params[index][1]) if index < len(params) else None
    if declared is None or declared.kind != "basic" or declared.name != "string":
        return False
    key = analysis.key_of(scope)
    exported = text(scope.node.child_by_field_name("name"))[:1].isupper()
    return exported and key is not None and key not in called and not _documents_terminator(scope.node)


def _documents_terminator(func: Node) -> bool:
    comments: list[str] = []
    node = func.prev_named_sibling
    while node is not None and node.type == "comment" and line_of(node) >= line_of(func) - len(comments) - 1:
        comments.append(text(node).lower())
        node = node.prev_named_sibling
    return any(word in comment for comment in comments for word in _DOCUMENTED_TERMINATOR)


def _report(ctx: RuleContext, scope: FunctionScope, verdict: Verdict, confidence: Confidence) -> None:
    site, termination = verdict.site, verdict.termination
    data = verdict.data
    what = describe(data, 40) if data is not None else describe(site.arg, 40)
    if termination.param is not None:
        params = parameters(scope.node.child_by_field_name("parameters"))
        name = params[termination.param][0] if termination.param < len(params) else what
        why = f"built from the string parameter {name}, which no caller in the package is seen terminating"
    else:
        why = termination.why or what
    related = []
    source = termination.source
    if source is not None and line_of(source) != line_of(site.arg):
        related.append(ctx.related(scope.file, source, "the Go bytes are made here, without a 0 byte"))
    ctx.report(
        META, scope.file, site.arg,
        f"{site.reader} reads this argument as a NUL-terminated string{_because(site)}, but it points into the Go "
        f"bytes of {what} ({why}{where(source) if source is not None and source is not data else ''}), which "
        f"end without a 0 byte: C reads past the end of the Go object. Pass a C copy (C.CString, freed after "
        f"the call) or bytes that end in 0 (append(b, 0), s + \"\\x00\")",
        related=related, confidence=confidence,
    )


def _because(site: ReadSite) -> str:
    evidence: Evidence | None = site.evidence
    if evidence is None:
        return ""
    if evidence.kind == "pack":
        return " (per its documentation)"
    if evidence.kind == "body":
        return f" (its body: {evidence.text} at {evidence.location})"
    if evidence.kind == "naming" and evidence.text == "undeclared":
        return " (a *C.char with no length anywhere in the call; its declaration is not in the tree)"
    if evidence.kind == "naming":
        return f" (its parameter is declared {evidence.text}, with no length beside it)"
    if evidence.kind == "comment":
        return f" (its comment: \"{evidence.text[:80]}\")"
    return " (per the configuration)"
