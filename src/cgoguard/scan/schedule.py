"""Running the packages of a scan in dependency order, in parallel where they are independent.

A package is analysed once the module packages it imports are done, with their facts
(:mod:`cgoguard.analysis.facts`). Results are cached per package under a key that covers its
own files, the analysis settings and the digest of every fact it imports: after an edit, the
edited package misses, and a package importing it misses only if the edit changed the facts it
exports (early cut-off, as with the action IDs of ``go build`` and Bazel).

Workers are forked processes (they inherit the loaded modules and grammars); a package is
submitted as soon as it is ready, largest first, so one big package does not start last.
"""

from __future__ import annotations

import gc
import heapq
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from cgoguard.analysis.facts import PackageFacts
from cgoguard.gofront.graph import PackageGraph
from cgoguard.scan.cache import ResultCache, package_key
from cgoguard.scan.worker import AnalysisSettings, PackageResult, analyse_package, prepare_analysis

ProgressCallback = Callable[[int, int], None]  # (packages done, packages total)


@dataclass
class ScheduleOutcome:
    results: list[PackageResult]  # by graph node
    analysed: list[int] = field(default_factory=list)  # nodes analysed (not served by the cache), in order


class Schedule:
    """The state of one scan's package runs."""

    def __init__(self, graph: PackageGraph, settings: AnalysisSettings, analysis_key: str,
                 cache: ResultCache | None, export: list[bool], progress: ProgressCallback | None) -> None:
        self.graph = graph
        self.settings = settings
        self.analysis_key = analysis_key
        self.cache = cache
        self.export = export
        self.progress = progress
        count = len(graph.nodes)
        self.deps = graph.scheduling_deps()
        self.dependents: list[list[int]] = [[] for _ in range(count)]
        for index, deps in enumerate(self.deps):
            for dep in deps:
                self.dependents[dep].append(index)
        self.waiting = [len(d) for d in self.deps]
        self.results: list[PackageResult | None] = [None] * count
        self.facts: list[PackageFacts | None] = [None] * count
        self.keys: list[str] = [""] * count
        self.analysed: list[int] = []
        self.done = 0
        self._ready: list[tuple[int, int]] = []  # (-size, node)
        for index in range(count):
            if not self.waiting[index]:
                self._push(index)

    def _push(self, index: int) -> None:
        sources = self.graph.nodes[index].sources
        heapq.heappush(self._ready, (-sum(len(f.data) for f in sources.go_files), index))

    def imported(self, index: int) -> list[PackageFacts]:
        """The facts of every module package ``index`` imports (directly or not) that has them,
        in a fixed order (they are part of its cache key)."""
        seen: set[int] = set()
        stack = list(self.deps[index])
        while stack:
            dep = stack.pop()
            if dep not in seen:
                seen.add(dep)
                stack.extend(self.deps[dep])
        return [f for dep in sorted(seen) if (f := self.facts[dep]) is not None]

    def next_ready(self) -> Iterator[int]:
        """Ready packages not in the cache (those in it are finished on the way)."""
        while self._ready:
            _, index = heapq.heappop(self._ready)
            if self.cache is not None:
                digest = "".join(f"{f.import_path}={f.digest()};" for f in self.imported(index))
                self.keys[index] = package_key(self.graph.nodes[index].sources, self.analysis_key, digest,
                                               self.export[index])
                cached = self.cache.get(self.keys[index])
                if cached is not None:
                    self.finish(index, cached, computed=False)
                    continue
            yield index

    def finish(self, index: int, result: PackageResult, *, computed: bool = True) -> None:
        self.results[index] = result
        self.facts[index] = result.facts
        if computed:
            self.analysed.append(index)
            if self.cache is not None:
                self.cache.put(self.keys[index], result)
        self.done += 1
        if self.progress:
            self.progress(self.done, len(self.results))
        for dependent in self.dependents[index]:
            self.waiting[dependent] -= 1
            if not self.waiting[dependent]:
                self._push(dependent)

    def run(self, jobs: int) -> ScheduleOutcome:
        if self.progress:
            self.progress(0, len(self.results))
        with _few_collections():
            if jobs <= 1 or len(self.results) <= 1 or not _run_parallel(self, jobs):
                self._run_serial()
        return ScheduleOutcome([r if r is not None else PackageResult() for r in self.results], self.analysed)

    def _run_serial(self) -> None:
        while self._ready:
            for index in self.next_ready():
                self.finish(index, self.analyse(index))

    def analyse(self, index: int) -> PackageResult:
        return analyse_package(self.graph.nodes[index].sources, self.settings, self.imported(index),
                               self.export[index])


def _run_parallel(schedule: Schedule, jobs: int) -> bool:
    """Run the schedule on worker processes; False when none can be started (then run serially)."""
    # Imported only now: a serial or fully cached scan need not load multiprocessing (~10 ms).
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    # fork: workers inherit the imported modules and the loaded grammars (no start-up cost).
    forking = "fork" in multiprocessing.get_all_start_methods()
    if forking:
        prepare_analysis()
    context = multiprocessing.get_context("fork" if forking else None)
    try:
        pool = ProcessPoolExecutor(max_workers=min(jobs, len(schedule.results)), mp_context=context,
                                   initializer=_ignore_interrupts)
    except OSError:  # no POSIX semaphores (some sandboxes): analyse in this process instead
        return False
    other_children = set(multiprocessing.active_children())
    running: dict[Future[PackageResult], int] = {}
    with pool:
        try:
            while True:
                for index in schedule.next_ready():
                    running[pool.submit(analyse_package, schedule.graph.nodes[index].sources, schedule.settings,
                                        schedule.imported(index), schedule.export[index])] = index
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    index = running.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool as exc:
                        result = PackageResult(internal_error=f"worker process died: {exc}")
                    schedule.finish(index, result)
        except BaseException:  # Ctrl-C: stop now rather than after the packages in progress
            workers = set(multiprocessing.active_children()) - other_children
            pool.shutdown(wait=False, cancel_futures=True)
            for worker in workers:
                worker.terminate()
            raise
    return True


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the main process, which cancels the remaining work; otherwise
    every idle worker would print its own KeyboardInterrupt traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
