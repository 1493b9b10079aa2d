"""Ownership contracts of the C API a cgo package uses.

``contracts_for_package(package, config)`` answers, for every C function the package can
call: does the caller own the result (and release it with what), is it borrowed from an
argument or static, which arguments does the call free or keep. Facts come from the
user's configuration, GCC/Clang attributes, the built-in packs, C bodies, doc comments, what
the package's own Go code does with the function and naming conventions, in that order of
precedence, each with its evidence.

For rules, the API is :class:`ContractSet`: ``get(name) -> Contract | None``, iteration
and ``items()`` over every contract (the package's functions and the packs'), and the
queries ``returns_owned``, ``returns_borrowed`` (borrowed or static: never free the
result), ``returns_static``, ``borrowed_from``, ``deallocator_of``, ``frees_arg``,
``frees_members_of`` (``free(p->key)``: what the argument points to, not the argument),
``retains_arg``, ``owned_out_arg`` and ``is_deallocator``. A :class:`Contract` carries the
same facts as fields plus ``evidence`` (kind, fact, location, text, overridden) and a
``confidence``.

A name alone never makes a deallocator: ``x_close`` frees its argument only when an
allocator on the same stem pairs with it and the argument can take what the allocator
hands out, or when a body, attribute, pack, comment or the configuration says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cgoguard.contracts.infer import infer_contracts
from cgoguard.contracts.model import EVIDENCE_KINDS, RETURN_KINDS, Contract, ContractSet, Evidence, Fact
from cgoguard.errors import UsageError

if TYPE_CHECKING:
    from cgoguard.cfront.model import CModel
    from cgoguard.contracts.system import Header
    from cgoguard.gofront.package import Package

__all__ = ["EVIDENCE_KINDS", "RETURN_KINDS", "Contract", "ContractSet", "Evidence", "contracts_for_package",
           "infer_contracts"]

# Keys of [tool.cgoguard.contracts] that are options rather than function names (a C
# identifier never contains a dash).
OPTION_KEYS = frozenset({"system-headers"})


def contracts_for_package(package: Package, config: Mapping[str, Any] | None = None, *,
                          system_headers: bool | None = None, cache_dir: Path | None = None,
                          called_only: bool = False) -> ContractSet:
    """Contracts of every C function ``package`` can call.

    With ``called_only`` (what the scanner needs), only the bodies of functions the Go code
    calls, and of their callees, are read: a package that compiles a whole C library (GLFW,
    SQLite) pays for the part it uses.

    ``config`` is the ``[tool.cgoguard.contracts]`` table: function name -> spec (its
    entries override everything inferred), plus ``system-headers = true`` to also read the
    ``<...>`` headers of the compiler's include dirs for the functions the package calls
    (``system_headers`` overrides it). System headers run the C compiler and pkg-config
    (:mod:`cgoguard.contracts.system`): the command-line tools pass ``system_headers``
    explicitly, so a scanned tree's own table never decides it. With ``cache_dir``, results
    are cached there by content hash.
    """
    from cgoguard.contracts.gosite import go_usage_facts

    options, specs = split_config(config or {})
    if system_headers is None:
        system_headers = bool(options.get("system-headers", False))
    model = package.c
    headers, wanted = _system_inputs(package) if system_headers else ([], set())
    focus = _called_closure(package) if called_only else None
    go_usage = go_usage_facts(package)
    if cache_dir is None:
        return _infer(model, specs, headers, wanted, focus, go_usage)
    from cgoguard.contracts.cache import ContractCache, cache_key

    texts = [(unit.path, unit.source) for unit in model.units] + [(str(h.path), h.data) for h in headers]
    # What the Go code says counts too: go-usage facts, and pointer types inferred from nil comparisons.
    usage = "\0".join(sorted([repr((name, f.key, f.value, f.evidence)) for name, facts in go_usage.items()
                              for f in facts] + [name for name, t in model.typedefs.items() if t.inferred_from]))
    key = cache_key(texts, specs, "\0".join(sorted(wanted)) + "\1" + "\0".join(sorted(focus or ())) + "\1" + usage)
    store = ContractCache(cache_dir)
    contracts = store.load(key)
    if contracts is None:
        contracts = _infer(model, specs, headers, wanted, focus, go_usage)
        store.store(key, contracts)
    return contracts


def _system_inputs(package: Package) -> tuple[list[Header], set[str]]:
    """The system headers a package includes and the C functions it calls.

    Words of ``#cgo pkg-config:`` lines that are not package names are refused (input errors
    on the package) and never reach pkg-config.
    """
    from cgoguard.contracts.calls import c_call_sites
    from cgoguard.contracts.system import (
        pkg_config_include_dirs,
        pkg_config_packages,
        system_headers,
        system_include_dirs,
    )
    from cgoguard.findings import InputError

    active = [d for d in package.cgo_directives if d.kind == "pkg-config"]
    names: list[str] = []
    for file in package.files:
        for directive in file.preamble.directives if file.preamble else []:
            if directive in active:
                found, refused = pkg_config_packages([directive.value])
                names += found
                package.errors += [InputError(file.display_path, f"{directive.line}:1: #cgo pkg-config: {word!r} "
                                              "refused: only package names are passed to pkg-config")
                                   for word in refused]
    packages = tuple(dict.fromkeys(names))
    scope = package.scope
    search = [*package.include_dirs, *(pkg_config_include_dirs(packages, scope) if packages else ()),
              *system_include_dirs(None, scope)]
    errors: list[tuple[str, str]] = []
    headers = system_headers(package.c.units, search, scope, errors)
    package.errors += [InputError(path, message) for path, message in errors]
    return headers, set(c_call_sites(package))


def _called_closure(package: Package) -> frozenset[str]:
    from cgoguard.contracts.calls import c_call_sites
    from cgoguard.contracts.infer import reachable_functions

    return reachable_functions(package.c, set(c_call_sites(package)))


def _infer(model: CModel, specs: Mapping[str, Any], headers: list[Header], wanted: set[str],
           focus: frozenset[str] | None, go_usage: Mapping[str, list[Fact]]) -> ContractSet:
    if headers:
        from cgoguard.contracts.system import with_system_functions

        model = with_system_functions(model, headers, wanted)
    return infer_contracts(model, specs, focus=focus, go_usage=go_usage)


def split_config(config: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(options, function specs) of a ``[tool.cgoguard.contracts]`` table."""
    if not isinstance(config, Mapping):
        raise UsageError(f"[tool.cgoguard.contracts] must be a table of function = {{ ... }}, got {config!r}")
    options = {k: v for k, v in config.items() if "-" in k}
    unknown = sorted(set(options) - OPTION_KEYS)
    if unknown:
        raise UsageError(f"[tool.cgoguard.contracts]: unknown option(s) {', '.join(unknown)}; "
                         f"valid options: {', '.join(sorted(OPTION_KEYS))}")
    if not isinstance(options.get("system-headers", False), bool):
        raise UsageError("[tool.cgoguard.contracts]: system-headers must be true or false")
    return options, {k: v for k, v in config.items() if "-" not in k}

