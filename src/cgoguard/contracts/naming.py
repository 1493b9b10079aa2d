"""Allocator/deallocator naming pairs: ``x_new``/``x_free``, ``FooCreate``/``FooDestroy``.

A guess, hence the lowest precedence and low confidence: ``x_open`` returning a pointer,
with an ``x_close`` next to it, most likely hands the caller an object ``x_close``
releases, and ``x_close(p)`` most likely releases ``p``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from cgoguard.cfront.model import CFunction, CModel
from cgoguard.contracts.declarations import is_pointer_param, returns_pointer
from cgoguard.contracts.model import Evidence, Fact
from cgoguard.findings import Confidence

ALLOCATOR_WORDS = ("new", "create", "alloc", "open", "init", "dup", "clone", "copy", "make")
DEALLOCATOR_WORDS = ("free", "destroy", "release", "delete", "close", "unref", "dispose", "finalize",
                     "fini", "deinit", "cleanup")
# The release each allocator word usually pairs with, tried first.
_PREFERRED = {
    "open": ("close",),
    "create": ("destroy", "delete", "release"),
    "init": ("deinit", "fini", "destroy", "cleanup", "free"),
    "new": ("free", "delete", "destroy", "unref", "release"),
    "alloc": ("free", "release"),
}
_CAMEL_SUFFIX = re.compile(r"^(.*?[a-z0-9])([A-Z][a-z]+)$")
_CAMEL_PREFIX = re.compile(r"^([a-z]+|[A-Z][a-z]+)([A-Z]\w*)$")


def _split(name: str) -> Iterator[tuple[str, str, str]]:
    """(form, stem, word) readings of a name; ``word`` lower-cased."""
    if "_" in name:
        stem, last = name.rsplit("_", 1)
        if stem:
            yield ("suffix_", stem, last.lower())
        first, rest = name.split("_", 1)
        if rest:
            yield ("prefix_", rest, first.lower())
    match = _CAMEL_SUFFIX.match(name)
    if match:
        yield ("Suffix", match.group(1), match.group(2).lower())
    match = _CAMEL_PREFIX.match(name)
    if match:
        yield ("Prefix", match.group(2), match.group(1).lower())


def deallocator_word(name: str) -> str | None:
    return next((word for _, _, word in _split(name) if word in DEALLOCATOR_WORDS), None)


def naming_facts(model: CModel, names: Iterable[str]) -> dict[str, list[Fact]]:
    """Naming facts for the functions declared in ``model``; ``names`` are every known name."""
    releases: dict[tuple[str, str], dict[str, str]] = {}
    for name in names:
        for form, stem, word in _split(name):
            if word in DEALLOCATOR_WORDS:
                releases.setdefault((form, stem), {}).setdefault(word, name)
    facts: dict[str, list[Fact]] = {}
    for function in model.functions.values():
        found = _allocator_facts(model, function, releases) + _deallocator_facts(model, function)
        if found:
            facts[function.name] = found
    return facts


def _allocator_facts(model: CModel, function: CFunction, releases: dict[tuple[str, str], dict[str, str]]) -> list[Fact]:
    if not returns_pointer(model, function):  # x_init(&buf) -> int initialises caller storage
        return []
    for form, stem, word in _split(function.name):
        if word not in ALLOCATOR_WORDS:
            continue
        candidates = releases.get((form, stem), {})
        order = _PREFERRED.get(word, ()) + DEALLOCATOR_WORDS
        release = next((candidates[w] for w in order if w in candidates), None)
        if release is None:
            continue
        evidence = Evidence("naming", f"returns owned (release with {release})", _where(function),
                            f"naming pair {function.name} / {release}")
        return [Fact("returns", "owned", evidence, Confidence.LOW),
                Fact("deallocator", release, evidence, Confidence.LOW)]
    return []


def _deallocator_facts(model: CModel, function: CFunction) -> list[Fact]:
    if deallocator_word(function.name) is None or not function.params or returns_pointer(model, function):
        return []
    first = function.params[0]
    if not is_pointer_param(model, first):
        return []
    evidence = Evidence("naming", f"frees arg 0 ({first.name or first.type})", _where(function),
                        f"{function.name} is named like a deallocator")
    return [Fact("frees", True, evidence, Confidence.LOW, arg=0)]


def _where(function: CFunction) -> str:
    return f"{function.path}:{function.line}"
