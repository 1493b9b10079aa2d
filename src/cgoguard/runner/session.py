"""``cgoguard run``: run a command under each selected runtime checker and gather the reports.

One :class:`Setup` (see :mod:`cgoguard.runner.checks`) becomes one *execution*: the command
runs once with the checker switched on, in its own process group, with a time budget. For
``go test`` and ``go run`` every Go process logs into its own directory through
:mod:`cgoguard.runner.execwrap` (which also re-runs a test binary past a crashing test).
Each process's logs then go through ``cgoguard.reports.analyze``; the findings of all
checks are merged at the end.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cgoguard.findings import Finding, InputError
from cgoguard.runner import logs as proclogs
from cgoguard.runner.attribution import fold_induced_abort
from cgoguard.runner.checks import Setup, plan
from cgoguard.runner.command import GoCommand, exec_flag, merge_goflags
from cgoguard.runner.merge import merge_findings
from cgoguard.runner.process import no_core_dumps, run_command, stop_all
from cgoguard.runner.results import FAILED, FOUND, NO_GC_CYCLE, NOTHING_RAN, PASSED, TIMED_OUT, CheckResult
from cgoguard.runner.toolchain import Toolchain, inspect_toolchain

Progress = Callable[[str], None]


@dataclass
class RunOptions:
    command: list[str]
    directory: Path
    checks: list[str]
    timeout: float | None = None  # per check, seconds
    jobs: int = 1
    logs_dir: Path = Path()  # where executions write their logs (a temporary dir or --keep-logs)
    keep_logs: bool = False  # logs_dir outlives the run: reports may name files in it
    use_static: bool = True
    isolated: bool = False  # the static scan ignores every configuration file


@dataclass
class Execution:
    """The outcome of one Setup before its findings are split between its checks."""

    setup: Setup
    status: str
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    message: str = ""
    processes: list[proclogs.ProcessLog] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    returncode: int | None = None  # of the command; None when it did not run to its end


@dataclass
class Session:
    """What every execution shares: options, toolchain, environment, static findings."""

    options: RunOptions
    toolchain: Toolchain
    module_root: Path
    base_env: dict[str, str]
    static_findings: list[Finding] | None
    progress: Progress

    def execute(self, setup: Setup) -> Execution:
        if setup.problem:
            self.progress(f"{setup.name}: cannot run: {setup.problem}")
            return Execution(setup, FAILED, message=setup.problem)
        directory = self.options.logs_dir / setup.name
        directory.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        execution = self._run(setup, directory)
        execution.seconds = time.monotonic() - started
        if execution.status not in (FAILED, NOTHING_RAN):
            self._analyze(execution, directory)
        if execution.status == PASSED and execution.returncode not in (0, None) and not execution.message:
            execution.message = (f"the command exited with status {execution.returncode}, "
                                 "with no runtime report to explain it (a failing test?)")
        count = len(execution.findings)
        self.progress(f"{setup.name}: {execution.status}, {count} finding{'s' if count != 1 else ''} "
                      f"in {execution.seconds:.1f} s")
        return execution

    # -- running ---------------------------------------------------------------------------

    def _run(self, setup: Setup, directory: Path) -> Execution:
        command = GoCommand.parse(self.options.command)
        argv, env = self._prepare(setup, command, directory)
        self.progress(f"{setup.name}: running {shlex.join(command.with_flags(setup.go_flags))}")
        output = directory / "command.log"
        outcome = run_command(argv, cwd=self.options.directory, env=env, output=output,
                              timeout=self.options.timeout)
        if outcome.start_error:
            return Execution(setup, FAILED, message=outcome.start_error)
        execution = Execution(setup, PASSED, returncode=outcome.returncode)
        execution.processes = (proclogs.wrapped_processes(directory) if command.wrapped
                               else [proclogs.unwrapped_process(directory, output)])
        if outcome.timed_out:
            execution.status = TIMED_OUT
            execution.message = f"killed after {self.options.timeout:g} s (--timeout)"
        elif outcome.returncode != 0 and not execution.processes:
            execution.status = FAILED
            execution.message = _tail(output) or f"the command exited with status {outcome.returncode}"
        elif command.wrapped and not execution.processes:
            execution.status = NOTHING_RAN
            execution.message = (f"`{shlex.join(command.argv)}` started no test binary or program "
                                 "(no test files, or no package matched)")
        return execution

    def _prepare(self, setup: Setup, command: GoCommand, directory: Path) -> tuple[list[str], dict[str, str]]:
        """The command line and environment of one execution."""
        env = {**self.base_env, **setup.build_env, "CGO_ENABLED": "1"}
        flags = list(setup.go_flags)
        user_ldflags = command.has_flag("ldflags") or "-ldflags" in env.get("GOFLAGS", "")
        if setup.needs_debug_info and command.wrapped and not user_ldflags:
            # go test / go run strip symbols by default, so ASan could not name any frame.
            flags.append("-ldflags=-s=false -w=false")
        if command.wrapped:
            config_path = directory / "exec.json"
            config_path.write_text(json.dumps({"logs": str(directory), "env": setup.env,
                                               "log_options": setup.log_options,
                                               "test_trace": setup.test_trace,
                                               "perf_record": _perf_prefix(setup)}), encoding="utf-8")
            flags.append(exec_flag(config_path))
            return command.with_flags(flags), env
        # No wrapper: one environment for everything the command starts; logs carry the pid.
        env.update(setup.env)
        if not command.subcommand:
            env["GOFLAGS"] = merge_goflags(env.get("GOFLAGS", ""), setup.go_flags)
        for name, separator in setup.log_options.items():
            short = name.split("_")[0].lower()
            env[name] = separator.join(filter(None, [env.get(name, "").strip(separator + " "),
                                                     f"log_path={directory / short}"]))
        if setup.perf_record:  # perf follows the command's children
            return [*_perf_prefix(setup), "-o", str(directory / "perf.data"), "--", *command.with_flags(flags)], env
        return command.with_flags(flags), env

    # -- analysis --------------------------------------------------------------------------

    def _analyze(self, execution: Execution, directory: Path) -> None:
        if "profile" in execution.setup.checks:
            from cgoguard.runner.profiledata import analyze_profiles

            execution.extra["profile"], errors = analyze_profiles(execution.processes, directory, self.module_root)
            execution.errors += errors
        elif "gc" in execution.setup.checks:
            self._analyze_gc(execution)
        else:
            analysis_dir = directory / "analysis"
            analysis_dir.mkdir(exist_ok=True)
            for index, log in enumerate(execution.processes):
                combined = proclogs.write_analysis_input(log, analysis_dir / f"{index:03d}.log")
                findings, errors = self._analyze_reports(combined, log)
                if log.sanitizer_logs:
                    findings = fold_induced_abort(findings, self.module_root)
                execution.findings += findings
                execution.errors += errors
        self._relocate_unplaced(execution.findings)
        if execution.status == PASSED and execution.findings:
            execution.status = FOUND

    def _analyze_gc(self, execution: Execution) -> None:
        """GC data only: bugs that crash a gc run are the other checks' business."""
        from cgoguard.runner.gcdata import analyze_gc

        findings, summaries, errors = analyze_gc(execution.processes, keep_paths=self.options.keep_logs)
        execution.findings += findings
        execution.errors += errors
        execution.extra["gc"] = summaries
        crashed = sum(1 for log in execution.processes if log.returncode not in (0, None))
        notes = []
        if not summaries and execution.status == PASSED:
            execution.status = NO_GC_CYCLE
            notes.append("the programs ended before the first garbage collection: nothing to measure "
                         "(run longer tests, or lower GOGC)")
        if crashed:
            notes.append(f"{crashed} of {len(execution.processes)} processes crashed "
                         "(the other checks report why)")
        execution.message = "; ".join(notes)

    def _analyze_reports(self, path: Path, log: proclogs.ProcessLog) -> tuple[list[Finding], list[InputError]]:
        try:
            from cgoguard.reports import analyze
        except ImportError:
            return [], [InputError(str(path), "cgoguard.reports is not available: "
                                              "runtime reports were collected but not analysed")]
        try:
            result = analyze([path], source_roots=[self.module_root], static_findings=self.static_findings,
                             maps=log.maps)
        except Exception as exc:  # one unreadable log must not cost the other processes' findings
            return [], [InputError(str(path), f"report analysis failed: {type(exc).__name__}: {exc}")]
        for finding in result.findings:
            finding.extra.setdefault("process", log.label)
        return list(result.findings), list(result.errors)

    def _relocate_unplaced(self, findings: list[Finding]) -> None:
        """Findings never point into our logs: a report without a source line names its process
        (the package directory of a test binary), keeps why it has no line, and log positions
        are dropped when the logs are temporary."""
        logs_dir = self.options.logs_dir.resolve()
        for finding in findings:
            if Path(finding.path).resolve().is_relative_to(logs_dir):
                place = str(finding.extra.get("process") or os.path.relpath(self.options.directory))
                finding.path = place if place != "." else f"{self.options.directory.name}/"
                finding.line = finding.column = 0
                why = str(finding.extra.get("mapping", "")).removesuffix("; pointing at the log")
                finding.extra["mapping"] = f"{why or 'no source location'}; reported for the process"
            if not self.options.keep_logs and "occurrences" in finding.extra:
                del finding.extra["occurrences"]


@dataclass
class RunReport:
    results: list[CheckResult]  # one per check, in the order of CHECK_NAMES
    findings: list[Finding]  # merged across checks
    errors: list[InputError]
    extra: dict[str, Any]  # toolchain, notes, gc summaries


def run_checks(options: RunOptions, progress: Progress = lambda _: None) -> RunReport:
    """Run every selected check and merge what they found."""
    base_env = dict(os.environ)
    toolchain = inspect_toolchain(options.directory, base_env)
    module_root = find_module_root(options.directory)
    setups = plan(options.checks, toolchain, base_env)
    wants_static = options.use_static and any(not s.problem and not {"gc", "profile"} & set(s.checks)
                                              for s in setups)
    static = static_findings(module_root, progress, isolated=options.isolated) if wants_static else None
    session = Session(options, toolchain, module_root, base_env, static, progress)
    with no_core_dumps():
        executions = _execute_all(session, setups, options.jobs)
    results = [result for execution in executions for result in split_by_check(execution)]
    errors = [error for execution in executions for error in execution.errors]
    extra: dict[str, Any] = {"toolchain": {"go": toolchain.version_text, "platform": toolchain.platform,
                                           "cc": toolchain.compiler.describe() if toolchain.usable else ""}}
    notes = [f"{e.setup.name}: {note}" for e in executions for note in e.setup.notes]
    if base_env.get("CGO_ENABLED") == "0":
        notes.insert(0, "CGO_ENABLED=0 in the environment: the checks ran with CGO_ENABLED=1, as cgo needs")
    if notes:
        extra["notes"] = notes
    for execution in executions:
        extra.update(execution.extra)
    return RunReport(results, merge_findings(results), errors, extra)


def _execute_all(session: Session, setups: list[Setup], jobs: int) -> list[Execution]:
    if jobs <= 1:
        return [session.execute(setup) for setup in setups]  # Ctrl-C reaches run_command directly
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        return list(pool.map(session.execute, setups))
    except KeyboardInterrupt:
        stop_all()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def split_by_check(execution: Execution) -> list[CheckResult]:
    """asan+leak ran once: leaks belong to ``leak``, every other finding to ``asan``."""
    checks = execution.setup.checks
    results = []
    for check in checks:
        if len(checks) == 1:
            findings = execution.findings
        elif check == "leak":
            findings = [f for f in execution.findings if f.category == "c-leak"]
        else:
            findings = [f for f in execution.findings if f.category != "c-leak"]
        status = execution.status
        if status in (PASSED, FOUND):
            status = FOUND if findings else PASSED
        others = [c for c in checks if c != check]
        results.append(CheckResult(check, status, execution.seconds, findings, execution.message,
                                   len(execution.processes), "+".join(others)))
    return results


def find_module_root(directory: Path) -> Path:
    """The directory holding go.mod above ``directory`` (or ``directory`` itself)."""
    directory = directory.resolve()
    for candidate in (directory, *directory.parents):
        if (candidate / "go.mod").is_file():
            return candidate
    return directory


def static_findings(module_root: Path, progress: Progress, *, isolated: bool = False) -> list[Finding] | None:
    """Static findings for the module, so C-only runtime stacks can be tied to Go lines."""
    try:
        from dataclasses import replace

        from cgoguard.scan.config import load_config
        from cgoguard.scan.engine import scan
    except ImportError:
        return None
    progress("static scan of the module (to map C-only stacks to Go lines)")
    try:
        # No cache: cgoguard run must not write into the user's tree.
        config = replace(load_config(module_root, isolated=isolated), use_cache=False)
        return list(scan([str(module_root)], config).findings)
    except Exception as exc:  # the runtime checks are worth having without it
        progress(f"static scan failed ({type(exc).__name__}: {exc}); continuing without it")
        return None


def _perf_prefix(setup: Setup) -> list[str] | None:
    """``perf record ...`` without ``-o`` and the command, for the profile check."""
    if not setup.perf_record:
        return None
    from cgoguard.profile.capture import record_prefix

    return record_prefix()


def _tail(path: Path, lines: int = 8) -> str:
    try:
        with open(path, "rb") as stream:
            stream.seek(0, os.SEEK_END)
            stream.seek(max(0, stream.tell() - 4096))
            text = stream.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(line for line in text.splitlines()[-lines:] if line.strip())
