"""GCC/Clang ownership attributes on declarations.

* ``malloc`` -> the result is fresh memory the caller owns;
* ``malloc(dealloc)`` / ``malloc(dealloc, N)`` -> ... released by ``dealloc``, whose argument
  N (1-based, default 1) it frees: a fact about ``dealloc`` too;
* Clang's ``ownership_returns(kind)``, ``ownership_takes(kind, N)``, ``ownership_holds(kind, N)``
  -> owned result, frees argument N, retains argument N.

Attributes hidden behind object-like macros (``#define API_MALLOC __attribute__((malloc))``)
are expanded when the macro is defined in a parsed file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from tree_sitter import Node

from cgoguard.cfront.model import CFunction, CModel
from cgoguard.contracts.model import Evidence, Fact
from cgoguard.findings import Confidence

_ITEM = re.compile(r"(?:gnu::|clang::)?_*(\w+?)_*\s*(?:\(([^()]*(?:\([^()]*\)[^()]*)*)\))?\s*(?:,|$)")
_IDENT = re.compile(r"[A-Za-z_]\w*")
_CALL_ARGS = re.compile(r"\s*\(([^()]*)\)")
_MACRO_CALL = re.compile(r"^(\w+)\s*\(([^()]*)\)$")
# GCC's builtins name the libc deallocators.
_BUILTIN_DEALLOCATORS = {"__builtin_free": "free"}
_WRAPPER = re.compile(r"^(?:__attribute(?:__)?\s*\(\((.*)\)\)|\[\[(.*)\]\])$", re.DOTALL)


@dataclass
class AttributeMacros:
    """Macros that expand to attributes: ``API_MALLOC`` or ``__attr_dealloc (fclose, 1)``."""

    objects: dict[str, str] = field(default_factory=dict)  # name -> replacement
    functions: dict[str, tuple[list[str], str]] = field(default_factory=dict)  # name -> (params, body)

    def __bool__(self) -> bool:
        return bool(self.objects or self.functions)

    def expand(self, declaration: str) -> list[str]:
        """Attribute texts the macros used in ``declaration`` expand to."""
        found: list[str] = []
        for match in _IDENT.finditer(declaration):
            word = match.group(0)
            if word in self.functions:
                call = _CALL_ARGS.match(declaration, match.end())
                if call:
                    found.append(self._apply(word, call.group(1)))
            elif word in self.objects:
                value = self.objects[word]
                call = _MACRO_CALL.match(value)
                if "__attribute__" in value or "[[" in value:
                    found.append(value)
                elif call and call.group(1) in self.functions:
                    found.append(self._apply(call.group(1), call.group(2)))
        return found

    def _apply(self, name: str, raw_args: str) -> str:
        params, body = self.functions[name]
        args = [a.strip() for a in raw_args.split(",")]
        values = dict(zip(params, args, strict=False))
        return _IDENT.sub(lambda m: values.get(m.group(0), m.group(0)), body)


def attribute_macros(model: CModel) -> AttributeMacros:
    macros = AttributeMacros()
    for unit in model.units:
        for node in _definitions(unit.root):
            name = unit.text(node.child_by_field_name("name"))
            value = " ".join(unit.text(node.child_by_field_name("value")).replace("\\\n", " ").split())
            if node.type == "preproc_function_def":
                params = [unit.text(p) for p in node.child_by_field_name("parameters").named_children]
                if "__attribute__" in value:
                    macros.functions.setdefault(name, (params, value))
            elif "__attribute__" in value or "[[" in value or _MACRO_CALL.match(value):
                # The first definition that can expand to an attribute wins over an `#else` that ignores it.
                macros.objects.setdefault(name, value)
    return macros


def _definitions(node: Node) -> Iterator[Node]:
    """``#define`` nodes, including those inside ``#if``/``#ifdef`` blocks."""
    for child in node.named_children:
        if child.type in ("preproc_def", "preproc_function_def"):
            yield child
        elif child.type.startswith("preproc_") or child.type in ("linkage_specification", "declaration_list"):
            yield from _definitions(child)


def _declaration_text(function: CFunction) -> str:
    """The text of a declaration from its first line to its ``;`` or ``{``."""
    source = function.unit.raw_source  # with macros such as LIB_MALLOC still in place
    start = function.unit.line_start(function.line)
    if start >= len(source):
        return ""
    end = min((i for i in (source.find(b";", start), source.find(b"{", start)) if i >= 0), default=len(source))
    return source[start:end].decode("utf-8", "replace")


def _items(raw: str) -> Iterator[tuple[str, list[str]]]:
    """(name, arguments) of each attribute in ``__attribute__((a, b(x, 1)))`` or ``[[gnu::a]]``."""
    match = _WRAPPER.match(raw.strip())
    if match is None:
        return
    inner = match.group(1) or match.group(2)
    for match in _ITEM.finditer(inner.strip()):
        if match.group(1):
            args = [a.strip() for a in (match.group(2) or "").split(",") if a.strip()]
            yield match.group(1), args


def attribute_facts(model: CModel, macros: AttributeMacros) -> dict[str, list[Fact]]:
    facts: dict[str, list[Fact]] = {}
    for function in model.functions.values():
        raw = list(function.attributes)
        if macros:
            raw += macros.expand(_declaration_text(function))
        for text in raw:
            for name, args in _items(text):
                for target, fact in _facts_of(function, name, args, text):
                    facts.setdefault(target, []).append(fact)
    return facts


def _facts_of(function: CFunction, name: str, args: list[str], text: str) -> Iterator[tuple[str, Fact]]:
    where = f"{function.path}:{function.line}"

    def fact(aspect: str, value: object, description: str, arg: int | None = None) -> Fact:
        return Fact(aspect, value, Evidence("attribute", description, where, text), Confidence.HIGH, arg)

    if name == "malloc" or name == "ownership_returns":
        dealloc = args[0] if name == "malloc" and args and _IDENT.fullmatch(args[0]) else None
        dealloc = _BUILTIN_DEALLOCATORS.get(dealloc, dealloc) if dealloc else None
        how = f" (release with {dealloc})" if dealloc else ""
        returns = fact("returns", "owned", f"returns owned memory{how}")
        yield function.name, returns
        if dealloc:
            yield function.name, Fact("deallocator", dealloc, returns.evidence, Confidence.HIGH)
            index = _index(args[1]) if len(args) > 1 else 0
            if index is not None:
                yield dealloc, fact("frees", True, f"frees arg {index} (named deallocator of {function.name})", index)
    elif name in ("ownership_takes", "ownership_holds"):
        aspect, verb = ("frees", "frees") if name == "ownership_takes" else ("retains", "keeps")
        for raw in args[1:]:
            index = _index(raw)
            if index is not None:
                yield function.name, fact(aspect, True, f"{verb} arg {index}", index)


def _index(raw: str) -> int | None:
    """A 1-based attribute argument position as a 0-based index."""
    return int(raw) - 1 if raw.isdigit() and int(raw) > 0 else None
