"""Allocator/deallocator naming pairs: ``x_new``/``x_free``, ``FooCreate``/``FooDestroy``.

A guess, hence the lowest precedence and low confidence: ``x_open`` returning a pointer,
with an ``x_close`` next to it that takes what ``x_open`` returns, most likely hands the
caller an object ``x_close`` releases, and ``x_close(p)`` then most likely releases ``p``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cgoguard.cfront.model import CFunction, CModel
from cgoguard.contracts.declarations import canonical_type, is_pointer_param, returns_pointer
from cgoguard.contracts.model import Evidence, Fact
from cgoguard.findings import Confidence

ALLOCATOR_WORDS = ("new", "create", "alloc", "malloc", "calloc", "open", "init", "dup", "clone", "copy", "make")
DEALLOCATOR_WORDS = ("free", "destroy", "release", "delete", "close", "unref", "dispose", "finalize",
                     "fini", "deinit", "cleanup")
# The release each allocator word usually pairs with, tried first.
_PREFERRED = {
    "open": ("close",),
    "create": ("destroy", "delete", "release"),
    "init": ("deinit", "fini", "destroy", "cleanup", "free"),
    "new": ("free", "delete", "destroy", "unref", "release"),
    "alloc": ("free", "release"),
    "malloc": ("free",),
    "calloc": ("free",),
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


def is_naming_pair(allocator: str, release: str) -> bool:
    """``x_new`` / ``x_free``, ``FooCreate`` / ``FooDestroy``: the names of an allocator and the
    release its word usually pairs with, on the same stem (``x_open`` pairs only with ``x_close``:
    ``rocksdb_delete`` deletes a key, not what ``rocksdb_open`` returned)."""
    releases = {(form, stem): word for form, stem, word in _split(release) if word in DEALLOCATOR_WORDS}
    for form, stem, word in _split(allocator):
        if word in ALLOCATOR_WORDS and releases.get((form, stem)) in _PREFERRED.get(word, DEALLOCATOR_WORDS):
            return True
    return False


def naming_facts(model: CModel, names: Iterable[str]) -> dict[str, list[Fact]]:
    """Naming facts for the functions declared in ``model``; ``names`` are every known name.

    A name alone proves little (``rocksdb_delete`` deletes a key, ``Window_Close`` hides a
    window), so a function is guessed to free an argument only when it is the release an
    allocator on the same stem pairs with, and that argument has the type the allocator
    returns (or is the release's only pointer parameter).
    """
    releases: dict[tuple[str, str], dict[str, str]] = {}
    for name in names:
        for form, stem, word in _split(name):
            if word in DEALLOCATOR_WORDS:
                releases.setdefault((form, stem), {}).setdefault(word, name)
    facts: dict[str, list[Fact]] = {}
    for function in model.functions.values():
        product = _product(model, function)
        pair = _paired_release(model, function, product, releases) if product is not None else None
        if product is None or pair is None:
            continue
        release, freed = pair
        facts.setdefault(function.name, []).extend(_allocator_facts(function, release, product.out_index))
        if freed is not None and not any(f.aspect == "frees" for f in facts.get(release, ())):
            facts.setdefault(release, []).append(_frees_fact(model.functions[release], freed, function))
    return facts


@dataclass(frozen=True)
class _Product:
    """What an allocator-named function hands out: a ``type`` pointer of ``depth`` stars, returned
    or (``out_index``) written through a pointer-to-pointer parameter (``git_x_new(git_x **out)``)."""

    type: str
    depth: int
    out_index: int | None = None


def _product(model: CModel, function: CFunction) -> _Product | None:
    if returns_pointer(model, function):
        return _Product(canonical_type(model, function.return_type), function.return_pointer_depth)
    # x_init(&buf) -> int initialises caller storage; x_new(&out) -> int hands out *out.
    out = next((i for i, p in enumerate(function.params) if p.pointer_depth >= 2 and not p.is_function_pointer), None)
    if out is None:
        return None
    param = function.params[out]
    return _Product(canonical_type(model, param.type), param.pointer_depth - 1, out)


def _allocator_facts(function: CFunction, release: str, out_index: int | None) -> list[Fact]:
    if out_index is not None:
        evidence = Evidence("naming", f"hands back an owned object through arg {out_index} (release with {release})",
                            _where(function), f"naming pair {function.name} / {release}")
        return [Fact("out", release, evidence, Confidence.LOW, arg=out_index)]
    evidence = Evidence("naming", f"returns owned (release with {release})", _where(function),
                        f"naming pair {function.name} / {release}")
    return [Fact("returns", "owned", evidence, Confidence.LOW), Fact("deallocator", release, evidence, Confidence.LOW)]


def _paired_release(model: CModel, function: CFunction, product: _Product,
                    releases: dict[tuple[str, str], dict[str, str]]) -> tuple[str, int | None] | None:
    """(release, the release's parameter that takes the product) of an allocator-named function."""
    for form, stem, word in _split(function.name):
        if word not in ALLOCATOR_WORDS:
            continue
        candidates = releases.get((form, stem), {})
        order = _PREFERRED.get(word, ()) + DEALLOCATOR_WORDS
        release = next((candidates[w] for w in order if w in candidates), None)
        if release is None:
            continue
        declared = model.functions.get(release)
        if declared is None:  # a pack's function: the pack says what it frees
            return release, None
        freed = _taking_param(model, declared, product)
        if freed is not None:
            return release, freed
    return None


def _taking_param(model: CModel, release: CFunction, product: _Product) -> int | None:
    """The parameter of ``release`` that can take ``product``: typed like it, or (for a returned
    product) the release's only pointer parameter when either side is ``void *``."""
    pointers = [i for i, p in enumerate(release.params) if is_pointer_param(model, p)]
    typed = [i for i in pointers
             if (canonical_type(model, release.params[i].type), release.params[i].pointer_depth)
             == (product.type, product.depth)]
    if typed:
        return typed[0]
    only = _only_pointer(model, release) if product.out_index is None else None
    # `buffer_copy` returns a char *, which `buffer_free(buffer *)` cannot take; `void *` takes anything.
    if only is not None and "void" not in (product.type, canonical_type(model, release.params[only].type)):
        return None
    return only


def named_release_facts(model: CModel, facts: dict[str, list[Fact]]) -> dict[str, list[Fact]]:
    """``x_encode``'s result "must be freed with x_buffer_free": x_buffer_free frees the parameter
    that takes it (the one typed like the result, or its only pointer parameter).

    Only for package functions nothing else says anything about freeing; the fact has the
    kind and confidence of the claim that named the release.
    """
    found: dict[str, list[Fact]] = {}
    for name, claims in facts.items():
        for claim in claims:
            if claim.aspect not in ("deallocator", "out") or not isinstance(claim.value, str):
                continue
            release = model.functions.get(claim.value)
            if release is None or release.name == name or any(f.aspect == "frees" for f in facts.get(release.name, ())):
                continue
            allocator = model.functions.get(name)
            product = _product(model, allocator) if allocator is not None and claim.aspect == "deallocator" else None
            index = _taking_param(model, release, product) if product is not None else _only_pointer(model, release)
            if index is None or any(f.arg == index for f in found.get(release.name, ())):
                continue
            param = release.params[index]
            evidence = Evidence(claim.evidence.kind, f"frees arg {index} ({param.name or param.type})",
                                _where(release), f"{name}'s result is released with {release.name}")
            found.setdefault(release.name, []).append(Fact("frees", True, evidence, claim.confidence, arg=index))
    return found


def _only_pointer(model: CModel, function: CFunction) -> int | None:
    pointers = [i for i, p in enumerate(function.params) if is_pointer_param(model, p)]
    return pointers[0] if len(pointers) == 1 else None


def _frees_fact(release: CFunction, index: int, allocator: CFunction) -> Fact:
    param = release.params[index]
    evidence = Evidence("naming", f"frees arg {index} ({param.name or param.type})", _where(release),
                        f"naming pair {allocator.name} / {release.name}")
    return Fact("frees", True, evidence, Confidence.LOW, arg=index)


def _where(function: CFunction) -> str:
    return f"{function.path}:{function.line}"
