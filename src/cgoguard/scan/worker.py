"""Analysis of one package directory: the unit of parallelism and of caching.

Runs in a worker process (or in-process for small scans). It returns plain data: the raw
findings of the selected rules, with fingerprints, the suppression comments of the files and
the input errors. Policy (suppressions, baselines, severity overrides, ``only``) is applied by
the driver, so a cached result stays valid whatever the baseline.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cgoguard.findings import Finding, InputError
from cgoguard.gofront.buildtags import BuildTarget
from cgoguard.gofront.discover import PackageSources
from cgoguard.scan.fingerprints import (
    FingerprintContext,
    assign_fingerprints,
    enclosing_function,
    normalise_line,
)
from cgoguard.scan.suppressions import Suppression, find_suppressions

if TYPE_CHECKING:
    from cgoguard.gofront.package import Package


@dataclass(frozen=True)
class AnalysisSettings:
    target: BuildTarget
    rule_ids: tuple[str, ...]
    contracts: Mapping[str, Any]
    root: Path
    system_headers: bool = False  # runs cc and pkg-config: only when the user asked for it


@dataclass
class PackageResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    # Set when cgoguard itself failed on this package (a bug, not a problem of the input).
    internal_error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "errors": [e.to_dict() for e in self.errors],
            "suppressions": [s.to_dict() for s in self.suppressions],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PackageResult:
        return cls(
            findings=[Finding.from_dict(f) for f in data["findings"]],
            errors=[InputError(e["path"], e["message"]) for e in data["errors"]],
            suppressions=[Suppression.from_dict(s) for s in data["suppressions"]],
        )


def prepare_analysis() -> None:
    """Import the front ends, the rules and their analyses now: worker processes forked
    afterwards inherit them instead of each importing them again (~0.2 s per worker)."""
    from cgoguard.rules import all_rules

    all_rules()  # the rule modules, their analyses, the Go and C front ends
    with contextlib.suppress(ImportError):  # optional, as in _contracts_for
        importlib.import_module("cgoguard.contracts")


def analyse_package(sources: PackageSources, settings: AnalysisSettings) -> PackageResult:
    try:
        return _analyse(sources, settings)
    except Exception as exc:  # one package's crash must not lose the others' results
        detail = traceback.format_exc() if os.environ.get("CGOGUARD_DEBUG") else ""
        return PackageResult(internal_error=f"{type(exc).__name__}: {exc}\n{detail}".rstrip())


def _analyse(sources: PackageSources, settings: AnalysisSettings) -> PackageResult:
    from cgoguard.gofront import load_packages
    from cgoguard.gofront.index import using_index
    from cgoguard.rules import check_package, is_relevant

    result = PackageResult()
    for package in load_packages(sources, settings.target):
        # Most packages of a large tree never touch C: skip inferring contracts for them.
        if settings.rule_ids and package.files and is_relevant(package):
            with using_index(package.syntax_index):  # contracts and rules walk the same trees
                # Contracts describe C functions: a package that does not import "C" calls none.
                contracts = _contracts_for(package, settings) if package.uses_cgo else None
                result.findings += check_package(package, rule_ids=list(settings.rule_ids), contracts=contracts)
        result.errors += package.errors
        for file in package.files:
            result.suppressions += find_suppressions(file, _relative(file.path, settings.root))
        assign_fingerprints(result.findings, _context_factory(package, settings.root))
    return result


def _contracts_for(package: Package, settings: AnalysisSettings) -> Any:
    try:
        from cgoguard.contracts import contracts_for_package
    except ImportError:  # the contracts engine is optional: rules fall back to their own defaults
        return None
    # system_headers is always explicit here: the contracts table never switches it on.
    return contracts_for_package(package, dict(settings.contracts) or None, called_only=True,
                                 system_headers=settings.system_headers)


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path.resolve(), root)).as_posix()


def _context_factory(package: Package, root: Path) -> Callable[[Finding], FingerprintContext]:
    go_files = {f.display_path: f for f in package.files}
    c_files = {c.display_path: c for c in package.c_files}

    def context(finding: Finding) -> FingerprintContext:
        go_file = go_files.get(finding.path)
        if go_file is not None:
            return (_relative(go_file.path, root),
                    enclosing_function(go_file.root, finding.line, finding.column),
                    normalise_line(go_file.line_text(finding.line)))
        c_file = c_files.get(finding.path)
        if c_file is not None:
            lines = c_file.data.split(b"\n")
            line = lines[finding.line - 1].decode("utf-8", "replace") if 0 < finding.line <= len(lines) else ""
            return _relative(c_file.path, root), "", normalise_line(line)
        return finding.path, "", ""

    return context
