"""Contracts written as data: the built-in packs and the user's ``[tool.cgoguard.contracts]``.

Both use one small schema per function::

    name = { returns = "owned", free = "sqlite3_free", frees = [0], retains = [1],
             borrows = 0, out = { 1 = "sqlite3_close" }, strings = [0], format = 1,
             ref = "https://...", note = "..." }

Arguments are 0-based indexes or parameter names. ``borrows`` names the argument that owns
the result (it implies ``returns = "borrowed"``); ``out`` maps a pointer-to-pointer
argument to the deallocator of the object the call writes through it. ``strings`` lists the
arguments the call reads as NUL-terminated strings; ``format`` names a printf-style format
argument (read as a string; its ``%s`` conversions read the variadic arguments they match).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from cgoguard.contracts.model import RETURN_KINDS, Evidence, Fact
from cgoguard.errors import UsageError
from cgoguard.findings import Confidence

SPEC_KEYS = frozenset({"returns", "free", "deallocator", "frees", "retains", "borrows", "out", "strings", "format",
                       "ref", "note"})


def spec_facts(function: str, spec: Mapping[str, Any], *, kind: str, origin: str,
               params: Sequence[str] = ()) -> list[Fact]:
    """Facts of one function's spec; ``origin`` names the file for error messages."""
    where = f"{origin}: {function}"
    _check_keys(where, spec)
    location = str(spec.get("ref") or origin)
    text = str(spec.get("note", ""))
    facts = _result_facts(where, spec, Evidence(kind, "", location, text), params)
    format_arg = _arg(where, "format", spec["format"], params) if "format" in spec else None
    if format_arg is not None:
        evidence = Evidence(kind, f"reads arg {format_arg} as a printf-style format", location, text)
        facts.append(Fact("format", format_arg, evidence, Confidence.HIGH))
    for key, aspect, verb in (("frees", "frees", "frees"), ("retains", "retains", "keeps"),
                              ("strings", "reads_string", "reads")):
        if key not in spec and not (key == "strings" and format_arg is not None):
            continue
        listed = {_arg(where, key, value, params) for value in _as_list(where, key, spec.get(key, []))}
        listed |= {format_arg} if key == "strings" and format_arg is not None else set()
        facts += [Fact(aspect, True, Evidence(kind, _argument_fact(verb, i), location, text), Confidence.HIGH, i)
                  for i in sorted(listed)]
        if kind == "config":
            # The user's list is complete: arguments it leaves out are not freed/kept/read.
            facts += [Fact(aspect, False, Evidence(kind, f"does not {verb[:-1]} arg {i}", location, text),
                           Confidence.HIGH, i) for i in range(len(params)) if i not in listed]
    for raw, dealloc in _as_table(where, "out", spec.get("out", {})).items():
        index = _arg(where, "out", raw, params)
        if dealloc is not None and not isinstance(dealloc, str):
            raise UsageError(f"{where}: out.{raw} must be a deallocator name, got {dealloc!r}")
        evidence = Evidence(kind, f"hands back an owned object through arg {index}", location, text)
        facts.append(Fact("out", dealloc, evidence, Confidence.HIGH, index))
    return facts


def _argument_fact(verb: str, index: int) -> str:
    return f"reads arg {index} as a NUL-terminated string" if verb == "reads" else f"{verb} arg {index}"


def _check_keys(where: str, spec: Any) -> None:
    if not isinstance(spec, Mapping):
        raise UsageError(f"{where}: expected a table such as {{ returns = \"owned\", free = \"free\" }}, got {spec!r}")
    unknown = sorted(set(spec) - SPEC_KEYS)
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(sorted(SPEC_KEYS))}")


def _result_facts(where: str, spec: Mapping[str, Any], blank: Evidence, params: Sequence[str]) -> list[Fact]:
    """Facts about the result; they share one evidence, the summary of what the spec says."""
    returns = spec.get("returns")
    dealloc = spec.get("free", spec.get("deallocator"))
    borrows = spec.get("borrows")
    if dealloc is not None and (not isinstance(dealloc, str) or not dealloc):
        raise UsageError(f"{where}: free must be a function name, got {dealloc!r}")
    owner = _arg(where, "borrows", borrows, params) if borrows is not None else None
    returns = returns or ("borrowed" if owner is not None else "owned" if dealloc is not None else None)
    if returns is not None and returns not in RETURN_KINDS:
        raise UsageError(f"{where}: returns must be one of {', '.join(RETURN_KINDS)}, got {returns!r}")
    evidence = replace(blank, fact=_result_description(returns, dealloc, owner))
    claims = [("returns", returns), ("deallocator", dealloc), ("borrows", owner)]
    return [Fact(aspect, value, evidence, Confidence.HIGH) for aspect, value in claims if value is not None]


def _result_description(returns: str | None, dealloc: str | None, owner: int | None) -> str:
    if owner is not None:
        return f"returns memory owned by arg {owner}"
    if returns == "owned" and dealloc:
        return f"returns owned memory (release with {dealloc})"
    return f"returns {returns}" if returns else f"released with {dealloc}"


def _as_list(where: str, key: str, value: Any) -> list[Any]:
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        return [value]
    if isinstance(value, list):
        return value
    raise UsageError(f"{where}: {key} must be an argument index or name, or a list of them, got {value!r}")


def _as_table(where: str, key: str, value: Any) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise UsageError(f"{where}: {key} must be a table of argument = \"deallocator\", got {value!r}")
    return value


def _arg(where: str, key: str, value: Any, params: Sequence[str]) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value in params:
        return list(params).index(value)
    known = f" (parameters: {', '.join(p for p in params if p)})" if any(params) else ""
    raise UsageError(f"{where}: {key} entry {value!r} is neither an argument index nor a parameter name{known}")
