"""Discover packages and assemble their contract documents (the ``contracts`` command's engine)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cgoguard.contracts import contracts_for_package
from cgoguard.contracts.calls import c_call_sites, is_c_type
from cgoguard.contracts.document import PackageDocument, entry_for
from cgoguard.findings import InputError
from cgoguard.gofront import DiscoveryOptions, discover, load_packages

if TYPE_CHECKING:
    from cgoguard.gofront.package import Package
    from cgoguard.scan.config import ScanConfig


def document_packages(paths: list[str], config: ScanConfig, *, include_all: bool = False,
                      system_headers: bool | None = None,
                      cache_dir: Path | None = None) -> tuple[list[PackageDocument], list[InputError]]:
    """Contract documents of the cgo packages under ``paths``, and the discovery errors."""
    options = DiscoveryOptions(target=config.target, include_generated=config.generated, exclude=config.exclude)
    found = discover(paths, options)
    errors = list(found.errors)
    documents: list[PackageDocument] = []
    for sources in found.packages:
        for package in load_packages(sources, config.target):
            if not package.uses_cgo:
                errors += package.errors
                continue
            documents.append(document_package(package, dict(config.contracts), include_all=include_all,
                                              system_headers=system_headers, cache_dir=cache_dir))
    return documents, errors


def document_package(package: Package, contracts_config: dict, *, include_all: bool = False,
                     system_headers: bool | None = None, cache_dir: Path | None = None) -> PackageDocument:
    contracts = contracts_for_package(package, contracts_config, system_headers=system_headers,
                                      cache_dir=cache_dir)
    model = package.c
    sites = c_call_sites(package)
    names = set(sites)
    if include_all:
        names |= set(model.functions)
    entries = [entry_for(name, contracts.get(name), model, sites.get(name, [])) for name in sorted(names)
               if not is_c_type(model, name)]
    inferred = {name: t.inferred_from for name, t in model.typedefs.items() if t.inferred_from}
    return PackageDocument(package.display_dir, package.name, entries, list(package.errors), inferred)
