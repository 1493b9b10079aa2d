"""Analysis of one package directory: the unit of parallelism and of caching.

Runs in a worker process (or in-process for small scans), given the facts of the module
packages the directory imports. It returns plain data: the raw findings of the selected
rules, with fingerprints, the suppression comments of the files, the input errors and the
facts the package exports to its importers. Policy (suppressions, baselines, severity
overrides, ``only``) is applied by the driver, so a cached result stays valid whatever the
baseline.

A directory with extra builds (files behind optional build tags, see
:mod:`cgoguard.gofront.variants`) is analysed once per build; an extra build reports in the
files no earlier build analysed (the functions of the others are only summarised as far as
those files call them), and its findings name it in ``extra["build"]``. Optional files that
fit the scan's target without conflict are analysed with it (``PackageSources.optional_files``),
and findings in them name their build too.
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
from cgoguard.gofront.discover import BuildSources, PackageSources
from cgoguard.scan.fingerprints import (
    FingerprintContext,
    assign_fingerprints,
    enclosing_function,
    normalise_line,
)
from cgoguard.scan.suppressions import Suppression, find_suppressions

if TYPE_CHECKING:
    from cgoguard.analysis.facts import PackageFacts
    from cgoguard.gofront.package import Package

BUILD_KEY = "build"  # Finding.extra: the build a finding was seen under, when not the scan's target


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
    facts: PackageFacts | None = None  # what the package tells its importers (when they need it)

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "errors": [e.to_dict() for e in self.errors],
            "suppressions": [s.to_dict() for s in self.suppressions],
            "facts": self.facts.to_json() if self.facts is not None else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PackageResult:
        from cgoguard.analysis.facts import PackageFacts

        return cls(
            findings=[Finding.from_dict(f) for f in data["findings"]],
            errors=[InputError(e["path"], e["message"]) for e in data["errors"]],
            suppressions=[Suppression.from_dict(s) for s in data["suppressions"]],
            facts=PackageFacts.from_json(data["facts"]) if data["facts"] is not None else None,
        )


def prepare_analysis() -> None:
    """Import the front ends, the rules and their analyses now: worker processes forked
    afterwards inherit them instead of each importing them again (~0.2 s per worker)."""
    from cgoguard.rules import all_rules

    all_rules()  # the rule modules, their analyses, the Go and C front ends
    with contextlib.suppress(ImportError):  # optional, as in _contracts_for
        importlib.import_module("cgoguard.contracts")


def analyse_package(sources: PackageSources, settings: AnalysisSettings, imported: list[PackageFacts] | None = None,
                    export: bool = False) -> PackageResult:
    """The findings of ``sources`` given the facts of the module packages it imports, and (with
    ``export``) the facts it exports in turn."""
    try:
        return _analyse(sources, settings, imported or [], export)
    except Exception as exc:  # one package's crash must not lose the others' results
        detail = traceback.format_exc() if os.environ.get("CGOGUARD_DEBUG") else ""
        return PackageResult(internal_error=f"{type(exc).__name__}: {exc}\n{detail}".rstrip())


def _analyse(sources: PackageSources, settings: AnalysisSettings, imported: list[PackageFacts],
             export: bool) -> PackageResult:
    from cgoguard.analysis.facts import ImportedFacts

    result = PackageResult()
    facts = ImportedFacts(imported)
    seen: dict[tuple, Finding] = {}
    suppressions: dict[tuple[str, int, int], Suppression] = {}
    # A dependency read for its facts needs the target's build only (its importers are built for it).
    builds: list[BuildSources | None] = [None, *(sources.extra_builds if sources.only != set() else [])]
    analysed: set[str] = set()
    for build in builds:
        files = {f.display_path for f in (build.go_files if build is not None else sources.go_files)}
        new, analysed = files - analysed, analysed | files
        # An extra build reports in the files no earlier build saw (and the functions they call).
        report_on = (new if sources.only is None else new & sources.only) if build is not None else sources.only
        if build is not None and not report_on:
            continue
        target = build.target if build is not None else settings.target
        findings, exported = _analyse_build(sources, build, target, settings, facts, result, suppressions,
                                            export and build is None, report_on)
        result.facts = result.facts or exported
        for finding in findings:
            key = (finding.rule, finding.path, finding.line, finding.column, finding.message)
            if key in seen:
                continue
            label = build.label if build is not None else sources.optional_files.get(finding.path)
            if label:
                finding.extra[BUILD_KEY] = label
            seen[key] = finding
    result.findings = sorted(seen.values(), key=lambda f: f.sort_key)
    result.suppressions = list(suppressions.values())
    return result


def _analyse_build(sources: PackageSources, build: BuildSources | None, target: BuildTarget,
                   settings: AnalysisSettings, facts: Any, result: PackageResult,
                   suppressions: dict[tuple[str, int, int], Suppression],
                   export: bool, report_on: set[str] | None) -> tuple[list[Finding], PackageFacts | None]:
    from cgoguard.analysis.exports import export_facts
    from cgoguard.gofront import load_packages
    from cgoguard.gofront.index import using_index
    from cgoguard.rules import check_package, is_relevant

    findings: list[Finding] = []
    exported = None
    go_files = build.go_files if build is not None else None
    c_files = build.c_files if build is not None else None
    reporting = sources.only != set()  # a dependency read for its facts only reports nothing
    for package in load_packages(sources, target, go_files=go_files, c_files=c_files):
        package.facts = facts
        package.only = report_on
        # Shared with the rules (RuleContext.cache); a package that does not import "C" calls no
        # C function, so it has no contracts (rules would otherwise infer them again).
        memo: dict[str, Any] = {} if package.uses_cgo else {"contracts": None}
        wants_facts = export and exported is None and not package.name.endswith("_test") and package.files
        runs_rules = reporting and settings.rule_ids and package.files and is_relevant(package)
        if wants_facts or runs_rules:
            with using_index(package.syntax_index):  # contracts and rules walk the same trees
                # Contracts describe C functions: a package that does not import "C" calls none.
                contracts = _contracts_for(package, settings) if package.uses_cgo else None
                if wants_facts:
                    exported = export_facts(package, contracts, memo)
                if runs_rules:
                    found = check_package(package, rule_ids=list(settings.rule_ids), contracts=contracts,
                                          shared=memo)
                    assign_fingerprints(found, _context_factory(package, settings.root))
                    findings += found
        if not reporting:
            continue
        result.errors += [e for e in package.errors if e not in result.errors]
        for file in package.files:
            for suppression in find_suppressions(file, _relative(file.path, settings.root)):
                suppressions.setdefault((suppression.path, suppression.line, suppression.column), suppression)
    return findings, exported


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
