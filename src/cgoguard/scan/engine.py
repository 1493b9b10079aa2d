"""The scan driver: discovery, the module's package graph, per-package analysis in dependency
order (parallel, cached), then policy.

Per-package analysis (parse, facts, rules, fingerprints, suppression comments) runs in worker
processes, in the order of the package graph so that each package sees the facts of the module
packages it imports (:mod:`cgoguard.scan.schedule`), and is cached by content hash; the policy
steps that depend on the whole run (``only`` filtering, suppressions, severity overrides,
baseline, per-file-ignores, changed lines) run here afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cgoguard.findings import Finding, InputError
from cgoguard.gofront.discover import Discovery, DiscoveryOptions, PackageSources, discover
from cgoguard.gofront.graph import PackageGraph, build_graph
from cgoguard.gofront.variants import DEFAULT_EXTRA_BUILDS
from cgoguard.rules import RELEVANT_IMPORTS
from cgoguard.scan.baseline import filter_baselined, read_baseline
from cgoguard.scan.cache import ResultCache
from cgoguard.scan.config import ScanConfig, common_start, load_config
from cgoguard.scan.newcode import ChangedLines, keep_new
from cgoguard.scan.schedule import ProgressCallback, Schedule
from cgoguard.scan.selection import RuleSelection, select_rules
from cgoguard.scan.suppressions import Suppression, apply_suppressions
from cgoguard.scan.worker import AnalysisSettings, PackageResult


@dataclass
class ScanResult:
    findings: list[Finding]
    errors: list[InputError]
    packages: int
    files: int
    lines: int = 0
    suppressed: int = 0
    baselined: int = 0
    cached: int = 0  # packages whose results came from the cache
    skipped_files: int = 0  # Go files left out by build constraints or as generated code
    internal_errors: int = 0  # packages cgoguard itself failed on (exit status 2)
    ignored_by_path: int = 0  # left out by per-file-ignores
    not_new: int = 0  # left out as not on a changed line (--new, --new-from-rev)
    config: ScanConfig = field(default_factory=ScanConfig)
    warnings: list[str] = field(default_factory=list)  # settings ignored, a cache refused
    analysed: list[str] = field(default_factory=list)  # package directories analysed (not cached), in order
    dependencies: int = 0  # module packages outside the scanned paths read for their facts


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def scan(paths: Sequence[str], config: ScanConfig | None = None, *,
         progress: ProgressCallback | None = None, changed: ChangedLines | None = None) -> ScanResult:
    """Scan ``paths``; with ``changed``, report only findings on those lines (see newcode)."""
    paths = list(paths) or ["."]
    config = config or load_config(common_start(paths))
    options = DiscoveryOptions(target=config.target, include_generated=config.generated,
                               exclude=_exclude_patterns(config),
                               extra_builds=0 if config.single_target else DEFAULT_EXTRA_BUILDS)
    discovery = discover(paths, options)
    return scan_packages(discovery, config, progress=progress, changed=changed, dependencies=options)


def scan_packages(discovery: Discovery, config: ScanConfig, *, progress: ProgressCallback | None = None,
                  changed: ChangedLines | None = None, dependencies: DiscoveryOptions | None = None) -> ScanResult:
    """Analyse packages whose files are already chosen (by discovery, or by the go command
    for ``cgoguard-vet``) in dependency order, then apply the configuration's policy (and,
    with ``changed``, keep only the findings on changed lines).

    With ``dependencies``, module packages the scanned ones import from outside the scanned
    paths are read with those options for their facts; without, only the packages given
    share facts (cgoguard-vet: calls into other packages are then calls of unknown code).
    """
    selection = select_rules(config)
    baseline = read_baseline(config.baseline) if config.baseline else None
    scanned = len(discovery.packages)
    graph = build_graph(discovery, dependencies)
    settings = AnalysisSettings(config.target, tuple(selection.analysis_ids), dict(config.contracts),
                                config.root, config.system_headers)
    cache = ResultCache(config.effective_cache_dir, config.root if config.confine_cache else None) \
        if config.use_cache else None
    schedule = Schedule(graph, settings, config.analysis_key(), cache, facts_needed(graph), progress)
    outcome = schedule.run(config.jobs or available_cores())
    packages = discovery.packages[:scanned]
    files = [f for p in packages for f in p.all_files() if f.path.suffix == ".go"]
    result = ScanResult(findings=[], errors=list(discovery.errors), packages=scanned, files=len(files),
                        lines=sum(f.data.count(b"\n") for f in files),
                        cached=cache.hits if cache else 0, skipped_files=discovery.skipped_files,
                        config=config, analysed=[graph.nodes[i].sources.display_dir for i in outcome.analysed],
                        dependencies=len(graph.nodes) - scanned, warnings=list(config.warnings))
    if cache is not None and cache.problem:
        result.warnings.append(cache.problem)
    findings, suppressions = _collect([n.sources for n in graph.nodes], outcome.results, result)
    _apply_policy(findings, suppressions, selection, baseline, result)
    if changed is not None:
        result.findings, result.not_new = keep_new(result.findings, changed)
    return result


def _exclude_patterns(config: ScanConfig) -> tuple[str, ...]:
    """Exclude patterns are written relative to the project root; discovery matches them
    against paths relative to the current directory."""
    try:
        prefix = Path(os.path.relpath(config.root, Path.cwd())).as_posix()
    except ValueError:  # another drive on Windows
        prefix = str(config.root)
    patterns = []
    for pattern in config.exclude:
        anchored = prefix != "." and not pattern.startswith(("*", "/"))
        patterns.append(f"{prefix}/{pattern}" if anchored else pattern)
    return tuple(patterns)


def facts_needed(graph: PackageGraph) -> list[bool]:
    """Per package, whether a package that runs the rules imports it (directly or not), so
    that its facts are worth computing. Rules run where the imports make a cgo rule possible:
    "C", unsafe, runtime, ..., or a package of the module that imports "C" (whose functions
    may hand over C memory)."""
    uses_c = [any(path == "C" for path in node.imports) for node in graph.nodes]
    needed = [False] * len(graph.nodes)
    for index, node in enumerate(graph.nodes):
        consumer = not node.facts_only and (bool(RELEVANT_IMPORTS & node.imports) or any(uses_c[d] for d in node.deps))
        if consumer:
            for dep in graph.closure(index):
                needed[dep] = True
    return needed


def _collect(packages: list[PackageSources], results: list[PackageResult],
             result: ScanResult) -> tuple[list[Finding], list[Suppression]]:
    findings: list[Finding] = []
    suppressions: list[Suppression] = []
    for sources, package_result in zip(packages, results, strict=True):
        only = sources.only
        findings += [f for f in package_result.findings if only is None or f.path in only]
        suppressions += [s for s in package_result.suppressions if only is None or s.path in only]
        result.errors += package_result.errors
        if package_result.internal_error:
            result.internal_errors += 1
            result.errors.append(InputError(sources.display_dir,
                                            f"internal error while analysing: {package_result.internal_error}"))
    return findings, suppressions


def _apply_policy(findings: list[Finding], suppressions: list[Suppression], selection: RuleSelection,
                  baseline: dict[str, int] | None, result: ScanResult) -> None:
    outcome = apply_suppressions((f for f in findings if f.rule in selection.ids), suppressions, selection)
    current = [selection.apply_severity(f) for f in outcome.kept + outcome.meta]
    result.suppressed = len(outcome.suppressed)
    if selection.per_path:
        root = result.config.root.resolve()
        kept = [f for f in current if not selection.ignored_at(f, _relative_to(f.path, root))]
        result.ignored_by_path = len(current) - len(kept)
        current = kept
    if baseline is not None:
        current, result.baselined = filter_baselined(current, baseline)
    result.findings = sorted(current, key=lambda f: f.sort_key)
    result.errors = _dedupe(result.errors)


def _dedupe(errors: list[InputError]) -> list[InputError]:
    seen: dict[tuple[str, str], InputError] = {}
    for error in errors:
        seen.setdefault((error.path, error.message), error)
    return sorted(seen.values(), key=lambda e: (e.path, e.message))


def _relative_to(path: str, root: Path) -> str:
    try:
        return Path(os.path.relpath(Path(path).resolve(), root)).as_posix()
    except ValueError:  # another drive on Windows
        return Path(path).as_posix()
