"""``cgoguard-vet``: cgoguard as a go vet tool.

    go vet -vettool=$(command -v cgoguard-vet) ./...

The go command decides which packages, files and build tags are vetted and runs this program
once per package (see :mod:`cgoguard.vet.protocol`). Diagnostics go where go vet expects them:
``file:line:col: message`` on stderr with exit status 1 (older go commands), or, with
``-json`` (which Go 1.26's go vet always passes), unitchecker's JSON tree on stdout, which
the go command prints in the same form and turns into its exit status. ``go vet -fix``
applies cgoguard's safe fixes (``-unsafe-fixes`` for the others), ``-fix -diff`` shows them.

Dependencies are vetted too (``VetxOnly``), only for the facts file dependents may read;
cgoguard keeps no cross-package facts yet, so that path writes an empty facts file and
returns before loading any analysis, which keeps ``go vet ./...`` over many packages quick.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import zipfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from cgoguard import __version__
from cgoguard.errors import CgoguardError, UsageError
from cgoguard.vet.protocol import (
    FlagSpec,
    Invocation,
    VetConfig,
    check_rule_flags,
    disabled_rules,
    flags_json,
    parse_args,
    selected_rules,
)

if TYPE_CHECKING:
    from cgoguard.findings import Finding
    from cgoguard.scan.config import ScanConfig
    from cgoguard.scan.engine import ScanResult

PROG = "cgoguard-vet"
FACTS_FORMAT = "cgoguard-vet-facts/1"
USAGE = f"""\
{PROG} runs cgoguard's checks from go vet:

    go vet -vettool=$(command -v {PROG}) [vet flags] [packages]

vet flags: -select=RULES -ignore=RULES -config=FILE -unsafe-fixes (with -fix), and
-<rule-name>[=false] to run only (or skip) one rule, e.g. -missing-keepalive.
Invoking {PROG} directly on a package is not supported; use go vet.
"""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["help"], ["-h"], ["-help"], ["--help"]):
        sys.stdout.write(USAGE)
        return 0
    try:
        invocation = parse_args(argv)
        if "V" in invocation.values:
            return _print_version(invocation.values["V"])
        if invocation.flag("flags"):
            print(flags_json(_rule_flags()))
            return 0
        if len(invocation.args) != 1 or not invocation.args[0].endswith(".cfg"):
            sys.stderr.write(USAGE)
            return 1
        config = VetConfig.read(invocation.args[0])
        if config.vetx_only:
            _write_facts(config)
            return 0
        return _vet(config, invocation)
    except CgoguardError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _print_version(value: str) -> int:
    """``NAME version devel ... buildID=HASH``; the go command caches vet results under HASH,
    so it covers cgoguard's code, the interpreter and the configuration in force."""
    if value != "full":
        raise UsageError(f"unsupported flag value: -V={value} (use -V=full)")
    from cgoguard.scan.cache import tool_fingerprint

    digest = hashlib.sha256(f"{tool_fingerprint()}\0{sys.version}\0".encode())
    for path in _configuration_files(Path.cwd()):
        digest.update(f"{path}\0".encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
    print(f"{PROG} version devel cgoguard-{__version__} buildID={digest.hexdigest()}")
    return 0


def _configuration_files(start: Path) -> list[Path]:
    """The configuration file a scan from ``start`` uses, and the baseline it names."""
    from cgoguard.scan.config import load_config

    config = load_config(start)
    return [p for p in (config.config_path, config.baseline) if p is not None]


def _rule_flags() -> list[FlagSpec]:
    from cgoguard.rules import all_rules

    return [FlagSpec(rule.meta.name, True, f"enable {rule.meta.id}: {rule.meta.title}")
            for rule in all_rules().values()]


def _write_facts(config: VetConfig) -> None:
    """The facts file the go command caches and hands to dependents' runs."""
    if not config.vetx_output:
        return
    facts = {"format": FACTS_FORMAT, "cgoguard": __version__, "package": config.import_path, "facts": {}}
    try:
        Path(config.vetx_output).write_text(json.dumps(facts) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write facts file {config.vetx_output}: {exc.strerror or exc}") from exc


def _vet(config: VetConfig, invocation: Invocation) -> int:
    from cgoguard.gofront.discover import Discovery
    from cgoguard.rules import all_rules
    from cgoguard.scan.engine import scan_packages
    from cgoguard.vet.units import package_sources

    check_rule_flags(invocation, {r.meta.name for r in all_rules().values()})
    settings = _scan_config(config, invocation)
    sources, errors = package_sources(config, settings.target, include_generated=settings.generated)
    sources.go_files = [s for s in sources.go_files if not _excluded(s.path, settings)]
    packages = [sources] if sources.go_files else []
    result = scan_packages(Discovery(packages, errors), settings)
    _write_facts(config)
    with ExitStack() as stack:
        out = stack.enter_context(open(config.stdout, "w", encoding="utf-8")) if config.stdout else sys.stdout
        if invocation.flag("fix"):
            return _fix(config, invocation, result, out)
        if invocation.flag("json"):
            _print_json(config, invocation, result, out)
            return 0
        return _print_plain(invocation, result)


def _scan_config(config: VetConfig, invocation: Invocation) -> ScanConfig:
    from cgoguard.scan.config import load_config

    first = load_config(config.dir, {}, invocation.value("config"))
    split = _split
    select = split(invocation.value("select")) or selected_rules(invocation)
    ignore = (*first.ignore, *split(invocation.value("ignore")), *disabled_rules(invocation))
    return load_config(config.dir, {
        "select": select or None,
        "ignore": ignore or None,
        "tags": split(invocation.value("tags")) or None,
        "goos": os.environ.get("GOOS") or None,
        "goarch": os.environ.get("GOARCH") or None,
        "use_cache": False,  # the go command caches vet results itself
        "jobs": 1,  # one package per run; go vet runs packages in parallel
    }, invocation.value("config"))


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def _excluded(path: Path, settings: ScanConfig) -> bool:
    import fnmatch

    try:
        relative = Path(os.path.relpath(path, settings.root)).as_posix()
    except ValueError:
        return False
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(relative, p.rstrip("/") + "/*")
               for p in settings.exclude)


# ----- reporting -----------------------------------------------------------------------------
def _position(path: str, line: int, column: int) -> str:
    return f"{path}:{max(line, 1)}:{max(column, 1)}"


def _message(finding: Finding) -> str:
    return f"{finding.rule} [{finding.category}] {finding.message}"


def _print_plain(invocation: Invocation, result: ScanResult) -> int:
    """unitchecker's plain output: ``posn: message`` per diagnostic, related locations below
    it with a tab before their message, ``-c=N`` lines of context; exit 1 when anything."""
    context = int(invocation.value("c") or -1)
    for error in result.errors:
        print(f"{PROG}: {error.path}: {error.message}", file=sys.stderr)
    for finding in result.findings:
        _plain_entry(finding.path, finding.line, finding.column, finding.end_line, _message(finding), context)
        for related in finding.related:
            _plain_entry(related.path, related.line, related.column, 0, "\t" + related.message, context)
    return 1 if result.findings or result.internal_errors else 0


def _plain_entry(path: str, line: int, column: int, end_line: int, message: str, context: int) -> None:
    print(f"{_position(path, line, column)}: {message}", file=sys.stderr)
    if context < 0:
        return
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").split("\n")
    except OSError:
        return
    for number in range(line - context, max(end_line, line) + context + 1):
        if 1 <= number <= len(lines):
            print(f"{number}\t{lines[number - 1]}", file=sys.stderr)


def _print_json(config: VetConfig, invocation: Invocation, result: ScanResult, out: TextIO) -> None:
    """unitchecker's JSON tree: package ID -> analyzer (here: rule name) -> diagnostics, or
    ``{"error": ...}`` for an analysis that failed."""
    from cgoguard.fix.apply import applicable
    from cgoguard.rules import all_rules

    names = {rule_id: rule.meta.name for rule_id, rule in all_rules().items()}
    unsafe = invocation.flag("unsafe-fixes")
    analyzers: dict[str, object] = {}
    for finding in result.findings:
        diagnostics = analyzers.setdefault(names.get(finding.rule, finding.rule), [])
        assert isinstance(diagnostics, list)
        diagnostics.append(_json_diagnostic(finding, applicable(finding, unsafe) is not None))
    if result.internal_errors:
        problems = "; ".join(e.message for e in result.errors if "internal error" in e.message)
        analyzers["cgoguard"] = {"error": problems or "internal error"}
    for error in result.errors:
        print(f"{PROG}: {error.path}: {error.message}", file=sys.stderr)
    if analyzers:
        json.dump({config.id: analyzers}, out, indent="\t")
        out.write("\n")


def _json_diagnostic(finding: Finding, with_fix: bool) -> dict[str, object]:
    diagnostic: dict[str, object] = {
        "category": finding.category,
        "posn": _position(finding.path, finding.line, finding.column),
        "end": _position(finding.path, finding.end_line or finding.line, finding.end_column or finding.column),
        "message": _message(finding),
    }
    if with_fix and finding.fix is not None:
        diagnostic["suggested_fixes"] = [{
            "message": finding.fix.message,
            "edits": [{"filename": e.path, "start": e.start, "end": e.end, "new": e.content}
                      for e in finding.fix.edits],
        }]
    if finding.related:
        diagnostic["related"] = [{"posn": _position(r.path, r.line, r.column),
                                  "end": _position(r.path, r.line, r.column), "message": r.message}
                                 for r in finding.related]
    return diagnostic


def _fix(config: VetConfig, invocation: Invocation, result: ScanResult, out: TextIO) -> int:
    """``go vet -fix``: the fixed files go into the archive the go command writes back (or,
    run by hand, straight to disk); ``-diff`` prints them as a patch instead."""
    from cgoguard.fix.apply import plan_fixes, write_files

    plan = plan_fixes(result.findings, unsafe=invocation.flag("unsafe-fixes"))
    for path, reason in plan.skipped:
        print(f"{PROG}: {path}: {reason}", file=sys.stderr)
    if invocation.flag("diff"):
        out.write("".join(f.diff() for f in plan.files))
        return 0
    if config.fix_archive:
        with zipfile.ZipFile(config.fix_archive, "w") as archive:
            archive.comment = config.id.encode()
            for file in plan.files:
                archive.writestr(file.path, file.fixed)
        return 0
    failures = write_files(plan.files)
    for failure in failures:
        print(f"{PROG}: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
