"""The scan driver: discovery, parallel per-package analysis, cache, then policy.

Per-package analysis (parse, rules, fingerprints, suppression comments) runs in worker
processes and is cached by content hash; the policy steps that depend on the whole run
(``only`` filtering, suppressions, severity overrides, baseline) run here afterwards.
"""

from __future__ import annotations

import gc
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cgoguard.findings import Finding, InputError
from cgoguard.gofront.discover import Discovery, DiscoveryOptions, PackageSources, discover
from cgoguard.scan.baseline import filter_baselined, read_baseline
from cgoguard.scan.cache import ResultCache, package_key
from cgoguard.scan.config import ScanConfig, common_start, load_config
from cgoguard.scan.newcode import ChangedLines, keep_new
from cgoguard.scan.selection import RuleSelection, select_rules
from cgoguard.scan.suppressions import Suppression, apply_suppressions
from cgoguard.scan.worker import AnalysisSettings, PackageResult, analyse_package, prepare_analysis

ProgressCallback = Callable[[int, int], None]  # (packages done, packages total)


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
    discovery = discover(paths, DiscoveryOptions(
        target=config.target, include_generated=config.generated, exclude=_exclude_patterns(config)))
    return scan_packages(discovery, config, progress=progress, changed=changed)


def scan_packages(discovery: Discovery, config: ScanConfig, *,
                  progress: ProgressCallback | None = None, changed: ChangedLines | None = None) -> ScanResult:
    """Analyse packages whose files are already chosen (by discovery, or by the go command
    for ``cgoguard-vet``), then apply the configuration's policy (and, with ``changed``, keep
    only the findings on changed lines)."""
    selection = select_rules(config)
    baseline = read_baseline(config.baseline) if config.baseline else None
    settings = AnalysisSettings(config.target, tuple(selection.analysis_ids), dict(config.contracts),
                                config.root, config.system_headers)
    cache = ResultCache(config.effective_cache_dir, config.root if config.confine_cache else None) \
        if config.use_cache else None
    results = _analyse_all(discovery.packages, settings, config, cache, progress)

    result = ScanResult(findings=[], errors=list(discovery.errors), packages=len(discovery.packages),
                        files=sum(len(p.go_files) for p in discovery.packages),
                        lines=sum(s.data.count(b"\n") for p in discovery.packages for s in p.go_files),
                        cached=cache.hits if cache else 0, skipped_files=discovery.skipped_files,
                        config=config, warnings=list(config.warnings))
    if cache is not None and cache.problem:
        result.warnings.append(cache.problem)
    findings, suppressions = _collect(discovery.packages, results, result)
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


def _analyse_all(packages: list[PackageSources], settings: AnalysisSettings, config: ScanConfig,
                 cache: ResultCache | None, progress: ProgressCallback | None) -> list[PackageResult]:
    results: list[PackageResult | None] = [None] * len(packages)
    keys = [package_key(p, config.analysis_key()) for p in packages] if cache else []
    todo = []
    for index in range(len(packages)):
        cached = cache.get(keys[index]) if cache else None
        if cached is not None:
            results[index] = cached
        else:
            todo.append(index)
    done = len(packages) - len(todo)
    if progress:
        progress(done, len(packages))
    jobs = config.jobs or available_cores()
    with _few_collections():
        for index, package_result in _run(todo, packages, settings, jobs):
            results[index] = package_result
            if cache:
                cache.put(keys[index], package_result)
            done += 1
            if progress:
                progress(done, len(packages))
    return [r for r in results if r is not None]


# Allocations between two collections of the youngest generation (CPython's default: 700).
_GC_YOUNG_THRESHOLD = 50_000


@contextmanager
def _few_collections() -> Iterator[None]:
    """Run the cyclic garbage collector rarely while packages are analysed (workers forked
    here inherit the setting).

    An analysis allocates hundreds of thousands of small objects (syntax index, memos,
    dataflow states) that live until its package is done and are freed by reference
    counting; with the default thresholds the collector traverses them over and over: 6%
    of a scan of 30 small packages, 11% of one large package (git2go). What is alive now
    (modules, grammars, the discovered sources) is frozen out of collections altogether,
    which also spares forked workers from copying those pages when a collection touches them.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(_GC_YOUNG_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _run(todo: list[int], packages: list[PackageSources], settings: AnalysisSettings,
         jobs: int) -> Iterator[tuple[int, PackageResult]]:
    serial = ((index, analyse_package(packages[index], settings)) for index in todo)
    if jobs <= 1 or len(todo) <= 1:
        yield from serial
        return
    # Imported only now: a serial or fully cached scan need not load multiprocessing (~10 ms).
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    # Largest packages first, so that one big package does not start last and finish alone.
    todo = sorted(todo, key=lambda i: -sum(len(s.data) for s in packages[i].go_files))
    # fork: workers inherit the imported modules and the loaded grammars (no start-up cost).
    methods = multiprocessing.get_all_start_methods()
    forking = "fork" in methods
    if forking:
        prepare_analysis()
    context = multiprocessing.get_context("fork" if forking else None)
    try:
        pool = ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=context,
                                   initializer=_ignore_interrupts)
    except OSError:  # no POSIX semaphores (some sandboxes): analyse in this process instead
        yield from serial
        return
    other_children = set(multiprocessing.active_children())
    with pool:
        futures = {pool.submit(analyse_package, packages[i], settings): i for i in todo}
        workers = set(multiprocessing.active_children()) - other_children
        try:
            for future in as_completed(futures):
                try:
                    yield futures[future], future.result()
                except BrokenProcessPool as exc:
                    yield futures[future], PackageResult(internal_error=f"worker process died: {exc}")
        except BaseException:  # Ctrl-C: stop now rather than after the packages in progress
            pool.shutdown(wait=False, cancel_futures=True)
            for worker in workers:
                worker.terminate()
            raise


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the main process, which cancels the remaining work; otherwise
    every idle worker would print its own KeyboardInterrupt traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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


def _relative_to(path: str, root: Path) -> str:
    try:
        return Path(os.path.relpath(Path(path).resolve(), root)).as_posix()
    except ValueError:  # another drive on Windows
        return Path(path).as_posix()


def _dedupe(errors: list[InputError]) -> list[InputError]:
    seen: dict[tuple[str, str], InputError] = {}
    for error in errors:
        seen.setdefault((error.path, error.message), error)
    return sorted(seen.values(), key=lambda e: (e.path, e.message))
