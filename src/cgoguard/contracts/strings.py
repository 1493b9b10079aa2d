"""Which arguments a C function reads as NUL-terminated strings.

Three sources, weakest first:

* the declaration: a ``const char *`` parameter, or a ``char *`` named as a string (``path``,
  ``filename``, ``name``...), with no length travelling next to it (``name_len``, ``size_t n``
  right after it) is most likely read up to its NUL (a naming guess, low confidence);
* a comment: ``@param name  a NUL-terminated string`` (see :mod:`cgoguard.contracts.comments`);
* the body: a parameter handed to a callee that reads that argument as a string (``strlen(p)``,
  ``fopen(path, "r")``, a wrapper that does) or matched by a ``%s`` of a printf-style format
  (``printf("%s\\n", msg)``), re-read during the contracts fixpoint so wrappers compose.
"""

from __future__ import annotations

import re

from cgoguard.cfront.model import CFunction, CModel, CParam
from cgoguard.contracts.model import Evidence, Fact
from cgoguard.findings import Confidence

# Parameter names that say "a C string": exact words, and name parts (`dbname`, `file_path`).
_STRING_NAMES = frozenset({
    "name", "path", "pathname", "filename", "fname", "file", "dir", "dirname", "str", "string", "s", "cstr",
    "text", "msg", "message", "fmt", "format", "title", "label", "uri", "url", "host", "hostname", "user",
    "username", "password", "passwd", "cmd", "command", "mode", "prefix", "suffix", "dsn", "sql", "query",
    "expr", "pattern", "locale", "env", "var", "symbol", "module", "device", "driver",
})
# Names that, on a non-const `char *`, as often name an output buffer the call fills.
_OUTPUT_NAMES = frozenset({"s", "str", "string", "cstr", "text", "msg", "message"})
_STRING_PARTS = re.compile(r"(?:^|_)(?:name|path|file|filename|str|string|text|msg|message|title|label|uri|url|"
                           r"host|dir|fmt|sql|query)$|^(?:str|name|path|file)(?:_|$)", re.I)
_LENGTH_NAMES = re.compile(r"^(?:n|len|length|size|sz|count|cnt|nbytes|num|bytes|cap|capacity|max|maxlen)$|"
                           r"(?:_?len|_?length|_?size|_?sz|bytes|_?count)$", re.I)
_CHARACTER_TYPES = frozenset({"char", "signed char", "unsigned char", "gchar", "guchar", "xmlChar", "uint8_t",
                              "int8_t", "u8", "GLchar"})
# `nByte`, `nData`, `n_bytes`, `np`: SQLite's and others' spelling of a count.
_COUNT_NAME = re.compile(r"^n(?:[A-Z0-9_]|[a-z]?$)")
# One printf conversion: flags, width, precision, length modifier, conversion character.
_CONVERSION = re.compile(r"%(?P<flags>[-+ #0']*)(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?"
                         r"(?:hh|h|ll|l|L|q|j|z|Z|t)?(?P<conversion>[a-zA-Z%])")


def declaration_string_facts(model: CModel) -> dict[str, list[Fact]]:
    """Naming facts: ``const char *`` parameters, and ``char *`` ones named as strings, with no
    length beside them (a plain ``const char *src`` next to a ``size_t n`` anywhere in the list is
    as often a byte buffer)."""
    facts: dict[str, list[Fact]] = {}
    for function in model.functions.values():
        measured = any(_is_scalar(p) and _LENGTH_NAMES.search(p.name or "") for p in function.params)
        for index, param in enumerate(function.params):
            if measured and not _string_name(param):
                continue
            if _named_as_string(param) and not _has_length(function, index):
                evidence = Evidence("naming", f"reads arg {index} as a NUL-terminated string (declared "
                                    f"{_declaration(param)}, no length beside it)", f"{function.path}:{function.line}",
                                    _declaration(param))
                facts.setdefault(function.name, []).append(Fact("reads_string", True, evidence, Confidence.LOW, index))
    return facts


def text_params(model: CModel, function: CFunction) -> frozenset[int]:
    """Parameters that can point to a C string whose end nothing else tells: ``char *`` and its
    kin, and ``void *``, with no length beside them (a call that passes one is told where the
    bytes end, even when a negative length means "up to the NUL")."""
    found = set()
    for index, param in enumerate(function.params):
        depth, base = param.pointer_depth, _base(param.type)
        typedef = model.typedefs.get(base)
        if typedef is not None and not param.is_function_pointer:
            depth, base = depth + typedef.pointer_depth, _base(typedef.type)
        if depth == 1 and not param.is_function_pointer and (base in _CHARACTER_TYPES or base == "void") \
                and not _has_length(function, index):
            found.add(index)
    return frozenset(found)


def _base(type_name: str) -> str:
    return type_name.replace("const ", "").replace("volatile ", "").strip()


def _named_as_string(param: CParam) -> bool:
    """``const char *`` (C's spelling of an input string), or a ``char *`` named as a string."""
    if param.pointer_depth != 1 or param.is_function_pointer or not param.name:
        return False
    base = _base(param.type)
    if base not in _CHARACTER_TYPES:
        return False
    if param.is_const and base in ("char", "gchar", "GLchar"):
        return True
    if not param.is_const and param.name.lower() in _OUTPUT_NAMES:
        return False
    return _string_name(param)


def _string_name(param: CParam) -> bool:
    name = (param.name or "").lower()
    return name in _STRING_NAMES or bool(_STRING_PARTS.search(name))


def _has_length(function: CFunction, index: int) -> bool:
    """A length travels with parameter ``index``: the next parameter is an integer named or typed
    like a length (``size_t len``, ``int nByte``, ``sqlite3_uint64 n``), or some parameter is
    named after it (``key`` / ``key_len``, ``namelen``)."""
    params = function.params
    name = params[index].name.lower()
    following = params[index + 1] if index + 1 < len(params) else None
    if following is not None and _is_scalar(following) and (
            _LENGTH_NAMES.search(following.name or "") or _COUNT_NAME.match(following.name or "")
            or "size" in following.type or "int64" in following.type):
        return True
    return any(p.name and p.name.lower() != name and p.name.lower().startswith(name) and _LENGTH_NAMES.search(
        p.name[len(name):]) for p in params)


def _is_scalar(param: CParam) -> bool:
    return not (param.pointer_depth or param.is_function_pointer
                or param.type.startswith(("struct ", "union ", "enum ")))


def _declaration(param: CParam) -> str:
    return f"{'const ' if param.is_const else ''}{param.type} *{param.name}"


# ----- printf formats -------------------------------------------------------------------------
def format_string_reads(format_text: str) -> list[bool]:
    """For each variadic argument a printf format consumes, whether the conversion reads it
    as a NUL-terminated string (``%s`` without a precision; ``%.*s`` and ``%.5s`` are bounded)."""
    reads: list[bool] = []
    for conversion in _CONVERSION.finditer(format_text):
        kind = conversion.group("conversion")
        if kind == "%":
            continue
        reads += [False] * (conversion.group("width") == "*")
        precision = conversion.group("precision")
        reads += [False] * (precision == "*")
        reads.append(kind == "s" and precision is None)
    return reads
