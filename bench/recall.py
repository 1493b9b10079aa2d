#!/usr/bin/env python3
"""Recall on real cgo memory bugs: of the bugs fixed in popular bindings, how many does cgoguard find?

    python bench/recall.py run [--out RESULT.json] [--repos DIR] [--only ID,...] [--repo NAME,...]
    python bench/recall.py diff A.json B.json
    python bench/recall.py list [--repos DIR]

Each case of bench/recall_cases.toml names a fixing commit of a public binding and where the bug
is in that commit's parent. ``run`` materialises the parent tree from a local clone (only the
files a cgo scan reads), runs ``cgoguard scan`` on the package that holds the bug (``--scope
module``: on its whole module, for analyses that cross packages), and counts the case FOUND when
a finding of the expected rule (an accepted alternative, or the rule's category) lands on one of
the bug's line ranges, give or take ``--tolerance`` lines. It then scans the fix the same way:
when every matching finding is still reported after the fix (same rule, same message up to line
numbers, at the lines the parent's range moved to), the case is flagged ``suspicious``: the match
was probably about something else. It prints every case, recall per rule and with / without a
curated contract pack, and the misses grouped by analysis gap (the ``gap`` of each case), and
writes a JSON result that ``diff`` compares with another run (newly found / newly missed cases).
For a miss it also shows the findings of any rule a few lines around the bug.

The clones are expected under ``--repos`` (default ``$CGOGUARD_RECALL_REPOS`` or
/work/recall-repos) as ``<owner>/<name>`` (``<name>`` and ``<owner>+<name>`` work too), e.g.
``git clone https://github.com/mattn/go-sqlite3 $CGOGUARD_RECALL_REPOS/mattn/go-sqlite3``; ``list``
prints the ``git clone`` commands for the missing ones. A case whose clone or commit is missing is
skipped with a message and left out of the recall. Nothing from the clones is executed or copied
into this repository; the trees live in a temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_CASES = BENCH_DIR / "recall_cases.toml"
DEFAULT_REPOS = Path(os.environ.get("CGOGUARD_RECALL_REPOS", "/work/recall-repos"))
RULE_ID = re.compile(r"CG\d{3}")
LOCATION = re.compile(r"(?P<path>[^:]+):(?P<first>\d+)-(?P<last>\d+)")
# The files a cgo scan reads: Go and C sources, headers, module files. Test data, images and
# vendored binaries stay in git.
SOURCE_SUFFIXES = {".go", ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx", ".inc", ".m", ".mm",
                   ".s", ".S"}
MODULE_FILES = {"go.mod", "go.sum", "go.work"}
# Why a case is missed, as classified by reading it (bench/RECALL.md explains each).
GAPS = (
    "interprocedural: helper or wrapper function",
    "container: slice, map or struct element",
    "goroutine or channel",
    "other package of the module",
    "may-path: double free on one branch",
    "wrapper type lifecycle (Close/finalizer)",
    "missing contract: C API ownership unknown",
    "pointer provenance through helper, parameter or receiver cast",
    "build tag",
    "unsupported bug class",
    "analysis defect: shadowed or reused variable",
)
SCAN_TIMEOUT = 900
NEARBY_LINES = 8


class CaseError(Exception):
    """The cases file is malformed; the message says where."""


@dataclass(frozen=True)
class Location:
    path: str
    first: int
    last: int

    def __str__(self) -> str:
        return f"{self.path}:{self.first}-{self.last}"


@dataclass(frozen=True)
class Case:
    id: str
    repo: str
    fix: str
    rule: str
    locations: tuple[Location, ...]
    package: str
    description: str
    library: str = ""
    pack: bool = False
    accept: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    gap: str = ""
    tolerance: int | None = None  # overrides --tolerance where unrelated findings sit close by

    @property
    def repo_path(self) -> str:
        """owner/name of the repository URL."""
        return "/".join(self.repo.rstrip("/").removesuffix(".git").split("/")[-2:])


@dataclass
class Outcome:
    """What happened to one case in one run."""

    status: str  # found | missed | skipped | error
    reason: str = ""
    matches: list[dict] = field(default_factory=list)
    persists: list[dict] = field(default_factory=list)  # matches still reported after the fix
    nearby: list[dict] = field(default_factory=list)  # for a miss: other findings close to the bug
    fix_checked: bool = False
    seconds: float = 0.0

    @property
    def suspicious(self) -> bool:
        """Found, but every matching finding is still reported after the fix: probably another issue."""
        return self.fix_checked and bool(self.matches) and len(self.persists) == len(self.matches)


# ----- the cases file ----------------------------------------------------------------------------

def parse_location(text: str, case_id: str) -> Location:
    match = LOCATION.fullmatch(text.strip())
    if not match or int(match["first"]) > int(match["last"]) or int(match["first"]) < 1:
        raise CaseError(f"case {case_id}: location {text!r} is not 'path:first-last'")
    return Location(match["path"].strip().lstrip("/"), int(match["first"]), int(match["last"]))


def _string_list(entry: dict, key: str, case_id: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CaseError(f"case {case_id}: {key} must be a list of strings")
    return tuple(value)


def parse_case(entry: dict, index: int) -> Case:
    case_id = entry.get("id") or f"#{index + 1}"
    for key in ("id", "repo", "fix", "rule", "locations", "description"):
        if key not in entry:
            raise CaseError(f"case {case_id}: missing {key}")
    for key in ("id", "repo", "fix", "rule", "description", "library", "package", "gap"):
        if key in entry and not isinstance(entry[key], str):
            raise CaseError(f"case {case_id}: {key} must be a string")
    if "tolerance" in entry and (not isinstance(entry["tolerance"], int) or entry["tolerance"] < 0):
        raise CaseError(f"case {case_id}: tolerance must be a non-negative integer")
    if entry.get("gap", "") not in ("", *GAPS):
        raise CaseError(f"case {case_id}: unknown gap {entry['gap']!r} (known: {', '.join(GAPS)})")
    if not re.fullmatch(r"[0-9a-f]{7,40}", entry["fix"]):
        raise CaseError(f"case {case_id}: fix {entry['fix']!r} is not a commit hash")
    rules = (entry["rule"], *_string_list(entry, "accept", case_id))
    if not all(RULE_ID.fullmatch(rule) for rule in rules):
        raise CaseError(f"case {case_id}: rules must look like CG101, got {rules}")
    locations = tuple(parse_location(text, case_id) for text in _string_list(entry, "locations", case_id))
    if not locations:
        raise CaseError(f"case {case_id}: no locations")
    return Case(id=entry["id"], repo=entry["repo"], fix=entry["fix"], rule=entry["rule"], locations=locations,
                package=entry.get("package") or str(Path(locations[0].path).parent),
                description=entry["description"], library=entry.get("library", ""),
                pack=bool(entry.get("pack", False)), accept=rules[1:],
                tags=_string_list(entry, "tags", case_id), gap=entry.get("gap", ""),
                tolerance=entry.get("tolerance"))


def load_cases(path: Path) -> list[Case]:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise CaseError(f"{path}: {err}") from err
    entries = data.get("case")
    if not isinstance(entries, list):
        raise CaseError(f"{path}: no [[case]] tables")
    cases = [parse_case(entry, i) for i, entry in enumerate(entries)]
    duplicates = [name for name, n in Counter(c.id for c in cases).items() if n > 1]
    if duplicates:
        raise CaseError(f"{path}: duplicate case ids {duplicates}")
    return cases


# ----- clones and trees --------------------------------------------------------------------------

def find_clone(repos: Path, case: Case) -> Path | None:
    owner, name = case.repo_path.split("/")
    for candidate in (repos / owner / name, repos / f"{owner}+{name}", repos / name,
                      repos / owner / f"{name}.git", repos / f"{name}.git"):
        if candidate.is_dir():
            return candidate
    return None


def git(clone: Path, *args: str, data: bytes | None = None) -> bytes:
    result = subprocess.run(["git", "-C", str(clone), *args], input=data, capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args[:3])}: {result.stderr.decode(errors='replace').strip()[:300]}")
    return result.stdout


def parent_of(clone: Path, commit: str) -> str:
    return git(clone, "rev-parse", "--verify", f"{commit}^1^{{commit}}").decode().strip()


def _wanted(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name in MODULE_FILES or Path(name).suffix in SOURCE_SUFFIXES


def materialise(clone: Path, commit: str, dest: Path) -> int:
    """Write the source files of commit into dest; returns how many blobs the clone lacks.

    Symlinks and submodules are skipped (a symlink could point outside the tree); so are blobs
    a partial clone or a size-limited mirror does not have.
    """
    listing = git(clone, "ls-tree", "-r", "-z", "--full-tree", commit).split(b"\0")
    entries: list[tuple[str, str]] = []
    for record in filter(None, listing):
        meta, _, raw_path = record.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        path = raw_path.decode(errors="replace")
        parts = path.split("/")
        if kind == "blob" and mode in ("100644", "100755") and ".." not in parts and _wanted(path):
            entries.append((sha, path))
    batch = git(clone, "cat-file", "--batch", data="".join(f"{sha}\n" for sha, _ in entries).encode())
    missing, offset = 0, 0
    for _sha, path in entries:
        header_end = batch.index(b"\n", offset)
        header = batch[offset:header_end].decode().split()
        offset = header_end + 1
        if header[-1] == "missing":
            missing += 1
            continue
        size = int(header[2])
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(batch[offset:offset + size])
        offset += size + 1
    return missing


# ----- line mapping from the parent to the fix ---------------------------------------------------

HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)


def line_map(clone: Path, parent: str, fix: str, path: str) -> list[tuple[int, int, int, int]]:
    """The changed hunks of path between parent and fix: (old start, old count, new start, new count)."""
    out = git(clone, "diff", "-U0", "--no-color", "--no-ext-diff", parent, fix, "--", path)
    return [(int(m[1]), int(m[2] or 1), int(m[3]), int(m[4] or 1)) for m in HUNK.finditer(out)]


def map_line(line: int, hunks: Iterable[tuple[int, int, int, int]], end: bool) -> int:
    """Where the parent's line is in the fix; a changed line maps to the start (or end) of its hunk."""
    delta = 0
    for old, old_n, new, new_n in hunks:
        if old_n and old <= line < old + old_n:
            return new + (max(new_n, 1) - 1 if end else 0)
        # An insertion (old_n == 0) comes after line `old`; a change ends at old + old_n - 1.
        if (old_n and old + old_n <= line) or (not old_n and old < line):
            delta += new_n - old_n
    return line + delta


def map_range(first: int, last: int, hunks: list[tuple[int, int, int, int]]) -> tuple[int, int]:
    """Where the parent's lines first..last are in the fix, widened over the hunks they touch."""
    start = map_line(first, hunks, end=False)
    return start, max(start, map_line(last, hunks, end=True))


# ----- running cgoguard -------------------------------------------------------------------------

@dataclass
class Scanner:
    command: list[str]
    jobs: int
    tolerance: int
    use_tags: bool
    categories: dict[str, str]
    config: Path
    whole_module: bool = False

    def target(self, tree: Path, case: Case) -> str:
        """The directory to scan: the bug's package, or the module that holds it (--scope module)."""
        if not self.whole_module:
            return case.package
        directory = Path(case.package)
        while directory != Path(".") and not (tree / directory / "go.mod").is_file():
            directory = directory.parent
        return directory.as_posix()

    def scan(self, tree: Path, case: Case) -> list[dict]:
        if not (tree / case.package).is_dir():
            raise RuntimeError(f"package directory {case.package} is not in the tree")
        args = [*self.command, "scan", "--format", "json", "--no-cache", "--fail-on", "none", "-q",
                "--config", str(self.config), "-j", str(self.jobs)]
        if case.tags and self.use_tags:
            args += ["--tags", ",".join(case.tags)]
        try:
            result = subprocess.run([*args, self.target(tree, case)], cwd=tree, capture_output=True, text=True,
                                    timeout=SCAN_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as err:
            raise RuntimeError(f"cgoguard scan timed out after {SCAN_TIMEOUT}s") from err
        try:
            report = json.loads(result.stdout)
        except json.JSONDecodeError as err:
            raise RuntimeError(f"cgoguard exit {result.returncode}: {result.stderr.strip()[-300:]}") from err
        findings = report.get("findings", [])
        for finding in findings:
            path = Path(finding.get("path", ""))
            finding["path"] = (path.relative_to(tree) if path.is_absolute() and path.is_relative_to(tree)
                               else path).as_posix()
        return findings

    def matches(self, case: Case, findings: list[dict], locations: Iterable[Location],
                slack: int | None = None, any_rule: bool = False) -> list[dict]:
        """The findings of the case's rules (or category) on one of locations, give or take slack lines."""
        wanted = {case.rule, *case.accept}
        category = self.categories.get(case.rule)
        if slack is None:
            slack = self.tolerance if case.tolerance is None else case.tolerance
        hits = []
        for finding in findings:
            if not any_rule and finding.get("rule") not in wanted and not (
                    category and finding.get("category") == category):
                continue
            if any(finding.get("path") == loc.path and loc.first - slack <= finding.get("line", 0) <= loc.last + slack
                   for loc in locations):
                hits.append({key: finding.get(key) for key in ("rule", "path", "line", "message")})
        return hits


def rule_categories(command: list[str]) -> dict[str, str]:
    result = subprocess.run([*command, "rules", "--format", "json"], capture_output=True, text=True, check=False)
    try:
        return {rule["id"]: rule["category"] for rule in json.loads(result.stdout)}
    except (json.JSONDecodeError, KeyError, TypeError):
        print("warning: could not read the rule categories; matching by rule id only", file=sys.stderr)
        return {}


def _signature(hit: dict) -> tuple[str, str]:
    """A finding's identity across the parent and the fix: its rule and message without line numbers."""
    return hit["rule"], re.sub(r"\d+", "N", hit["message"])


def run_case(case: Case, repos: Path, scanner: Scanner, check_fix: bool, workdir: Path) -> Outcome:
    started = time.monotonic()
    clone = find_clone(repos, case)
    if clone is None:
        return Outcome("skipped", f"no clone of {case.repo_path} under {repos}")
    tree = Path(tempfile.mkdtemp(prefix=f"{case.id}-", dir=workdir))
    try:
        outcome = _scan_case(case, clone, scanner, check_fix, tree)
    except (RuntimeError, OSError, ValueError) as err:
        outcome = Outcome("error", str(err))
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    outcome.seconds = round(time.monotonic() - started, 1)
    return outcome


def _scan_case(case: Case, clone: Path, scanner: Scanner, check_fix: bool, tree: Path) -> Outcome:
    try:
        parent = parent_of(clone, case.fix)
    except RuntimeError as err:
        return Outcome("skipped", f"commit {case.fix[:12]} is not in {clone}: {err}")
    missing = materialise(clone, parent, tree / "parent")
    findings = scanner.scan(tree / "parent", case)
    hits = scanner.matches(case, findings, case.locations)
    outcome = Outcome("found" if hits else "missed", matches=hits)
    if not hits:
        # Findings of other rules, or a little further away, tell why the case is missed.
        outcome.nearby = scanner.matches(case, findings, case.locations, slack=NEARBY_LINES, any_rule=True)
    if missing:
        outcome.reason = f"{missing} source file(s) absent from the clone"
    if hits and check_fix:
        materialise(clone, case.fix, tree / "fix")
        if (tree / "fix" / case.package).is_dir():
            fixed = [Location(loc.path, *map_range(loc.first, loc.last, line_map(clone, parent, case.fix, loc.path)))
                     for loc in case.locations]
            remaining = {_signature(hit) for hit in scanner.matches(case, scanner.scan(tree / "fix", case), fixed)}
            outcome.persists = [hit for hit in hits if _signature(hit) in remaining]
            # The findings the fix removed are the evidence: show them first.
            outcome.matches.sort(key=lambda hit: _signature(hit) in remaining)
            outcome.fix_checked = True
    return outcome


# ----- reporting ----------------------------------------------------------------------------------

def _ratio(found: int, total: int) -> str:
    return f"{found}/{total} = {100 * found / total:.0f}%" if total else "-"


def summarise(cases: list[Case], outcomes: dict[str, Outcome]) -> dict:
    counted = [c for c in cases if outcomes[c.id].status in ("found", "missed")]

    def recall(group: Iterable[Case]) -> dict[str, int]:
        group = list(group)
        return {"found": sum(outcomes[c.id].status == "found" for c in group), "total": len(group)}

    by_rule: dict[str, list[Case]] = defaultdict(list)
    by_repo: dict[str, list[Case]] = defaultdict(list)
    gaps: dict[str, list[str]] = defaultdict(list)
    for case in counted:
        by_rule[case.rule].append(case)
        by_repo[case.repo_path].append(case)
        if outcomes[case.id].status == "missed":
            gaps[case.gap or "unclassified"].append(case.id)
    return {
        "overall": recall(counted),
        "with_pack": recall(c for c in counted if c.pack),
        "without_pack": recall(c for c in counted if not c.pack),
        "by_rule": {rule: recall(group) for rule, group in sorted(by_rule.items())},
        "by_repo": {repo: recall(group) for repo, group in sorted(by_repo.items())},
        "miss_gaps": {gap: ids for gap, ids in sorted(gaps.items(), key=lambda item: (-len(item[1]), item[0]))},
        "suspicious": sum(outcomes[c.id].suspicious for c in counted),
        "confirmed": sum(outcomes[c.id].fix_checked and not outcomes[c.id].suspicious
                         for c in counted if outcomes[c.id].status == "found"),
        "skipped": sum(outcomes[c.id].status == "skipped" for c in cases),
        "errors": sum(outcomes[c.id].status == "error" for c in cases),
    }


def print_case(case: Case, outcome: Outcome) -> None:
    mark = {"found": "FOUND ", "missed": "missed", "skipped": "skip  ", "error": "ERROR "}[outcome.status]
    print(f"{mark} {case.id:34} {case.rule} {case.locations[0]}  {case.description[:90]}", flush=True)
    for hit in outcome.matches[:2]:
        print(f"         -> {hit['rule']} {hit['path']}:{hit['line']} {hit['message'][:110]}")
    for near in outcome.nearby[:3]:
        print(f"         ~> {near['rule']} {near['path']}:{near['line']} {near['message'][:110]}")
    if outcome.suspicious:
        print(f"         !! still reported after the fix: {outcome.persists[0]['path']}:"
              f"{outcome.persists[0]['line']} {outcome.persists[0]['message'][:90]}")
    if outcome.reason:
        print(f"         ({outcome.reason})")


def print_summary(summary: dict) -> None:
    print("\nrecall (found/total)")
    for label, key in (("overall", "overall"), ("library with a contract pack", "with_pack"),
                       ("library without a contract pack", "without_pack")):
        print(f"  {label:34} {_ratio(summary[key]['found'], summary[key]['total'])}")
    print("\nby rule")
    for rule, r in summary["by_rule"].items():
        print(f"  {rule:8} {_ratio(r['found'], r['total'])}")
    print(f"\nconfirmed by the fix (found, and the fix removes a matching finding): "
          f"{_ratio(summary['confirmed'], summary['overall']['total'])}")
    print("\nmisses by analysis gap")
    for gap, ids in summary["miss_gaps"].items():
        print(f"  {len(ids):3}  {gap}")
        print(textwrap.fill(", ".join(ids), width=110, initial_indent=" " * 7, subsequent_indent=" " * 7,
                            break_on_hyphens=False))
    print(f"\n{summary['suspicious']} found case(s) whose findings all stay after the fix (suspicious); "
          f"{summary['skipped']} skipped; {summary['errors']} error(s)")


def result_json(cases: list[Case], outcomes: dict[str, Outcome], summary: dict, args: argparse.Namespace) -> dict:
    return {
        "settings": {"tolerance": args.tolerance, "tags": not args.without_tags, "scope": args.scope,
                     "cases": str(args.cases)},
        "summary": summary,
        "cases": {c.id: {"status": outcomes[c.id].status, "rule": c.rule, "repo": c.repo_path,
                         "pack": c.pack, "gap": c.gap, "location": str(c.locations[0]),
                         "description": c.description, "reason": outcomes[c.id].reason,
                         "matches": outcomes[c.id].matches, "persists": outcomes[c.id].persists,
                         "nearby": outcomes[c.id].nearby, "suspicious": outcomes[c.id].suspicious, "fix_checked": outcomes[c.id].fix_checked,
                         "seconds": outcomes[c.id].seconds}
                  for c in cases},
    }


# ----- commands -----------------------------------------------------------------------------------

def select(cases: list[Case], args: argparse.Namespace) -> list[Case]:
    only = set(filter(None, (args.only or "").split(",")))
    repos = set(filter(None, (args.repo or "").split(",")))
    chosen = [c for c in cases if (not only or c.id in only)
              and (not repos or c.repo_path in repos or c.repo_path.split("/")[1] in repos)]
    unknown = only - {c.id for c in cases}
    if unknown:
        print(f"warning: no case named {', '.join(sorted(unknown))}", file=sys.stderr)
    return chosen


def run(args: argparse.Namespace) -> int:
    cases = select(load_cases(Path(args.cases)), args)
    repos = Path(args.repos)
    if not repos.is_dir():
        print(f"error: repositories directory {repos} does not exist (set --repos or $CGOGUARD_RECALL_REPOS)",
              file=sys.stderr)
        return 2
    command = args.cgoguard.split() if args.cgoguard else [sys.executable, "-m", "cgoguard"]
    with tempfile.TemporaryDirectory(prefix="cgoguard-recall-") as workdir:
        config = Path(workdir) / "empty.toml"
        config.write_text("")  # the scanned trees' own configuration must not change the rules
        scanner = Scanner(command, args.jobs, args.tolerance, not args.without_tags, rule_categories(command),
                          config, whole_module=args.scope == "module")
        outcomes: dict[str, Outcome] = {}
        with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
            futures = {c.id: pool.submit(run_case, c, repos, scanner, not args.no_fix_check, Path(workdir))
                       for c in cases}
            for case in cases:
                outcomes[case.id] = futures[case.id].result()
                print_case(case, outcomes[case.id])
    summary = summarise(cases, outcomes)
    print_summary(summary)
    if args.out:
        Path(args.out).write_text(json.dumps(result_json(cases, outcomes, summary, args), indent=1) + "\n")
        print(f"wrote {args.out}")
    return 0


def _load_result(path: str) -> dict:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise CaseError(f"{path}: {err}") from err
    if not isinstance(data.get("cases"), dict):
        raise CaseError(f"{path}: not a result of 'recall.py run --out'")
    return data


def diff(args: argparse.Namespace) -> int:
    before, after = _load_result(args.before), _load_result(args.after)
    old, new = before["cases"], after["cases"]
    rows: dict[str, list[tuple[str, dict]]] = {"NEWLY FOUND": [], "NEWLY MISSED": [], "NOW SUSPICIOUS": [],
                                               "NO LONGER SUSPICIOUS": []}
    for case_id in sorted(old.keys() & new.keys()):
        a, b = old[case_id], new[case_id]
        if a["status"] != "found" and b["status"] == "found":
            rows["NEWLY FOUND"].append((case_id, b))
        elif a["status"] == "found" and b["status"] != "found":
            rows["NEWLY MISSED"].append((case_id, b))
        elif a["status"] == b["status"] == "found" and a.get("suspicious") != b.get("suspicious"):
            rows["NOW SUSPICIOUS" if b.get("suspicious") else "NO LONGER SUSPICIOUS"].append((case_id, b))
    for label, entries in rows.items():
        for case_id, entry in entries:
            detail = entry["matches"][0] if entry.get("matches") else {}
            where = f"  -> {detail['rule']} {detail['path']}:{detail['line']}" if detail else ""
            print(f"{label:18} {case_id:34} {entry['rule']} {entry['location']}  "
                  f"{entry.get('gap') or ''}{where}")
    for label, key in (("overall", "overall"), ("with pack", "with_pack"), ("without pack", "without_pack")):
        a, b = before["summary"][key], after["summary"][key]
        print(f"{label:13} {_ratio(a['found'], a['total']):>14}  ->  {_ratio(b['found'], b['total'])}")
    only_one = sorted(old.keys() ^ new.keys())
    if only_one:
        print(f"cases in only one run (ignored): {', '.join(only_one)}")
    return 0


def list_cases(args: argparse.Namespace) -> int:
    cases = load_cases(Path(args.cases))
    repos = Path(args.repos)
    missing: dict[str, str] = {}
    for case in cases:
        clone = find_clone(repos, case)
        if clone is None:
            missing[case.repo_path] = case.repo
        print(f"{case.id:34} {case.rule} {'pack' if case.pack else '    '} {case.locations[0]}  "
              f"{clone or 'NO CLONE'}")
    per_repo = Counter(c.repo_path for c in cases)
    print(f"\n{len(cases)} cases in {len(per_repo)} repositories; {len(missing)} repositories without a clone "
          f"under {repos}")
    for path, url in sorted(missing.items()):
        print(f"  git clone --no-checkout {url} {repos / path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="scan every case's parent (and fix) and report recall")
    run_parser.add_argument("--out", help="write the result as JSON to this file")
    run_parser.add_argument("--only", help="comma-separated case ids")
    run_parser.add_argument("--repo", help="comma-separated repositories (owner/name or name)")
    run_parser.add_argument("--tolerance", type=int, default=2, help="lines of slack around a location (2)")
    run_parser.add_argument("--no-fix-check", action="store_true", help="do not scan the fixing commits")
    run_parser.add_argument("--without-tags", action="store_true",
                            help="scan without the cases' build tags (what a default scan sees)")
    run_parser.add_argument("--scope", choices=("package", "module"), default="package",
                            help="scan the bug's package directory (default) or its whole module")
    run_parser.add_argument("--workers", type=int, default=2, help="cases scanned at once (2)")
    run_parser.add_argument("--jobs", type=int, default=1, help="cgoguard -j for each scan (1)")
    run_parser.add_argument("--cgoguard", help="command that runs cgoguard (default: this Python's)")
    diff_parser = sub.add_parser("diff", help="cases newly found or newly missed between two runs")
    diff_parser.add_argument("before")
    diff_parser.add_argument("after")
    list_parser = sub.add_parser("list", help="the cases and whether their clone is present")
    for p in (run_parser, list_parser):
        p.add_argument("--cases", default=str(DEFAULT_CASES), help="cases file (bench/recall_cases.toml)")
        p.add_argument("--repos", default=str(DEFAULT_REPOS),
                       help="directory of clones (default $CGOGUARD_RECALL_REPOS or /work/recall-repos)")
    args = parser.parse_args(argv)
    try:
        return {"run": run, "diff": diff, "list": list_cases}[args.command](args)
    except CaseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
